# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Forked children: leakd -f follows them from their fork, each with its own
report; the daemon's rules cover children and new programs of their name from
their first allocation (the kernel holds them at fork and exec until their probes
are in); nothing held stays stopped, even when leakd is killed."""

import os
import re
import shutil
import signal
import struct
import subprocess
import time

from harness import (TIMEOUT, Attached, Daemon, TestFailure, Workdir, bpf_map_id, check,
                     check_eq, check_truth, leaker, read_truth, run_command, spawn,
                     test_processes)
from cases_daemon import run, sites

PREFORK = "leak_prefork"
WORKERS = 3
HOLD_STOPPED = 1        # enum leakd_hold_state


def worker_truths(base):
    """The ground truth of each worker (leak_prefork writes BASE.wN), in fork order."""
    out = []
    for n in range(WORKERS):
        path = f"{base}.w{n}"
        check(os.path.exists(path), f"worker {n} wrote no ground truth")
        out.append(read_truth(path))
    return out


def own_bytes(truth):
    return sum(s["bytes"] for s in truth["sites"] if not s["balanced"])


def check_parent(rep, truth):
    check(truth is not None, "the parent wrote no ground truth")
    check_eq(rep["pid"], truth["pid"], "the report's process")
    check(rep["complete"], f"report incomplete: {rep['counters']}")
    check_truth(rep, truth, PREFORK)
    check_eq(rep["live_bytes"], own_bytes(truth), "the parent's live bytes")


def check_children(rep, base):
    """Each worker its own report, exact from its first allocation after fork; the
    exec'd one only with its new image's; the parent's blocks a worker frees are
    inherited, never its own nor unmatched."""
    children = {c["pid"]: c for c in rep["children"]}
    check_eq(len(children), WORKERS, "children followed")
    check_eq(rep["children_dropped"], 0, "children not followed")
    for n, t in enumerate(worker_truths(base)):
        c = children.get(t["pid"])
        check(c is not None, f"worker {n} (pid {t['pid']}) has no report: {sorted(children)}")
        check_eq(c["ppid"], rep["pid"], f"worker {n}'s parent")
        check(c["exited"], f"worker {n} not seen exiting")
        check_truth(c, t, PREFORK)
        check_eq(c["live_bytes"], own_bytes(t), f"worker {n}'s live bytes")
        check_eq(c["inherited_frees"], t["notes"].get("inherited_frees", 0),
                 f"worker {n}'s frees of its parent's blocks")
        check_eq(c["unmatched_frees"], 0, f"worker {n}'s frees of blocks not seen allocated")


def case_follow_forks_command():
    """leakd -f -- COMMAND: the parent and each forked worker exact, each on its own,
    including what a worker allocates right after fork; the exec'd worker starts
    afresh; leakd ends once the whole tree has."""
    r = run_command([leaker(PREFORK)], leakd_args=["-f"])
    check_eq(r.returncode, 0, f"leakd exit status ({r.stderr.strip()})")
    rep = r.final()
    check_eq(rep["reason"], "exit", "final report reason")
    check_parent(rep, r.truth)
    check_children(rep, r.truth_path)
    check("called exec" in r.stderr, "leakd did not notice the worker's exec")
    check(rep["counters"]["processes_held"] >= WORKERS,
          f"workers not held at fork: {rep['counters']}")


def case_follow_forks_text():
    """The text report has a section per process, with the same exact figures."""
    r = run_command([leaker(PREFORK)], leakd_args=["-f"], json_out=False)
    check_eq(r.returncode, 0, f"leakd exit status ({r.stderr.strip()})")
    text = r.reports
    check(f"Forked children followed: {WORKERS}\n" in text, text)
    sections = re.split(r"\n(?=\[\d\d:\d\d:\d\d\] pid )", text)
    check_eq(len(sections), WORKERS + 1, "sections of the report")
    for n, t in enumerate(worker_truths(r.truth_path)):
        mine = [s for s in sections if s.startswith(f"[") and f"] pid {t['pid']} (" in s]
        check_eq(len(mine), 1, f"sections of worker {n}")
        head = mine[0].splitlines()[0]
        count = sum(s["count"] for s in t["sites"] if not s["balanced"])
        check(f"forked from pid {r.truth['pid']}, exited, final report:" in head and
              f" in {count} live allocations" in head, head)
        for s in t["sites"]:
            if not s["balanced"]:
                check(re.search(rf"\n{s['bytes']} bytes in {s['count']} allocations from stack"
                                rf" [^\n]*\n\t{s['function']}\+", mine[0]), mine[0])
            else:
                check(s["function"] not in mine[0], f"{s['function']} in:\n{mine[0]}")


def case_follow_forks_pid():
    """leakd -f --pid: attached to a running parent, the workers it forks later are
    each exact."""
    a = Attached(leakd_args=["-f"], leaker_argv=[leaker(PREFORK), "wait"])
    try:
        a.release()
        r = a.finish()
    finally:
        a.kill()
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    check_parent(rep, r.truth)
    check_children(rep, r.truth_path)


def case_follow_forks_churn():
    """More children over time than -f keeps at once: the reports of those that
    exited first go, counted; every child kept is still exact."""
    n = 300
    r = run_command([leaker(PREFORK), "churn", str(n)], leakd_args=["-f"])
    check_eq(r.returncode, 0, f"leakd exit status ({r.stderr.strip()})")
    rep = r.final()
    check_eq(len(rep["children"]), 256, "children kept")
    check_eq(rep["children_forgotten"], n - 256, "children whose reports went")
    check_eq(rep["children_dropped"], 0, "children not followed")
    for c in rep["children"]:
        check(c["exited"] and c["ppid"] == rep["pid"], f"child {c['pid']}")
        check_eq((c["live_bytes"], c["live_allocs"]), (50, 1), f"child {c['pid']}'s figures")
        check_eq(c["stacks"][0]["frames"][0]["function"], "churn_worker",
                 f"child {c['pid']}'s leak")


def case_no_follow_forks():
    """Without -f only the process itself is reported: no children, its own figures."""
    r = run_command([leaker(PREFORK)])
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    check("children" not in rep, f"children reported without -f: {rep.get('children')}")
    check_parent(rep, r.truth)
    check_eq(rep["counters"]["processes_held"], 0, "processes held without -f")


def exited_summary(d, pid):
    def find():
        return next((p for p in d.ctl("exited")[0]["processes"] if p["pid"] == pid), None)
    return d.poll(f"the exit summary of pid {pid}", find)


def check_summary(d, truth, comm, what):
    """A process's exit summary has exactly the truth's sites at the heap level."""
    s = exited_summary(d, truth["pid"])
    check(s["traced"], f"{what} was not traced")
    got = sites({"stacks": s["stacks"]}, truth["pid"], "heap", comm)
    for t in truth["sites"]:
        have = got.get(t["function"])
        if t["balanced"]:
            check(have is None, f"{what}: {t['function']} should hold nothing: {have}")
            continue
        check(have is not None, f"{what}: no stack from {t['function']}; sites: {sorted(got)}")
        check_eq((have["bytes"], have["count"]), (t["bytes"], t["count"]),
                 f"{what}: {t['function']} bytes, blocks")


def case_rule_holds_exact():
    """leakctl trace --comm NAME: a program of that name started later is traced from
    its first allocation (held at exec, and again when the loader maps its
    allocator), and so are the children it forks (held at fork) and a child that
    execs it again: every site exact, which attaching after exec misses."""
    d = Daemon()
    comm = f"pf{os.urandom(5).hex()}"
    exe = d.wd.file(comm)
    shutil.copy(leaker(PREFORK), exe)
    wd = Workdir()
    truth = wd.file("truth.json")
    with run(d):
        ans, _ = d.ctl("trace", "--comm", comm, "--exact")
        check_eq(ans["rules"], 1, "rules added")
        # Its own session: no terminal, as a service runs (see leakd(8), HOLDING).
        p = subprocess.run([exe], env=dict(os.environ, LEAKER_TRUTH=truth),
                           stdin=subprocess.DEVNULL, start_new_session=True, timeout=TIMEOUT)
        check_eq(p.returncode, 0, "the leaker's exit status")
        check_summary(d, read_truth(truth), comm, "the parent")
        for n, t in enumerate(worker_truths(truth)):
            check_summary(d, t, comm, f"worker {n}")
        st, _ = d.ctl("status")
        check(st["holds"]["held"] >= 2 + WORKERS, f"holds: {st['holds']}")
        check_eq(st["holds"]["now"], 0, "processes held after they ended")


class UnitCgroup:
    """A cgroup of the test's own, named like a systemd unit (a rule by unit matches
    a component of a process's cgroup path); removed once its processes are gone."""

    def __init__(self):
        self.name = f"leakd-e2e-{os.urandom(5).hex()}.service"
        self.path = None

    @staticmethod
    def root():
        """Where cgroup v2 is mounted (/sys/fs/cgroup, or .../unified beside v1)."""
        with open("/proc/self/mounts") as f:
            for line in f:
                fields = line.split()
                if len(fields) > 2 and fields[2] == "cgroup2":
                    return fields[1]
        raise TestFailure("no cgroup v2 hierarchy is mounted")

    def make(self):
        self.path = os.path.join(self.root(), self.name)
        os.mkdir(self.path)

    def run(self, argv, env):
        """argv, in the cgroup from its exec on, in a session of its own (no terminal)."""
        return subprocess.run(["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"',
                               self.path, *argv], env=env, stdin=subprocess.DEVNULL,
                              start_new_session=True, timeout=TIMEOUT)

    def remove(self):
        if self.path and os.path.isdir(self.path):
            os.rmdir(self.path)


def case_rule_holds_unit():
    """leakctl trace --unit UNIT: a program started later in the unit's cgroup is
    traced from its first allocation, and so are the children it forks, whether the
    cgroup was there before the rule (found by the daemon) or made after it (seen by
    the kernel side as it is made)."""
    d = Daemon()
    exe = d.wd.file(f"pu{os.urandom(5).hex()}")
    shutil.copy(leaker(PREFORK), exe)
    comm = os.path.basename(exe)
    before, after = UnitCgroup(), UnitCgroup()
    try:
        with run(d):
            before.make()
            for unit in (before, after):
                ans, _ = d.ctl("trace", "--unit", unit.name, "--exact")
                check_eq(ans["rules"], 1, "rules added")
            after.make()
            for unit, what in ((before, "made before the rule"), (after, "made after it")):
                truth = Workdir().file("truth.json")
                p = unit.run([exe], env=dict(os.environ, LEAKER_TRUTH=truth))
                check_eq(p.returncode, 0, "the leaker's exit status")
                check_summary(d, read_truth(truth), comm, f"the parent in a cgroup {what}")
                for n, t in enumerate(worker_truths(truth)):
                    check_summary(d, t, comm, f"worker {n} in a cgroup {what}")
            st, _ = d.ctl("status")
            check(st["holds"]["held"] >= 2 * (2 + WORKERS), f"holds: {st['holds']}")
            check_eq(st["holds"]["now"], 0, "processes held after they ended")
    finally:
        before.remove()
        after.remove()


def state(pid):
    """The process's state letter (R, S, T, Z ...); None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2]


def stopped(pid):
    return state(pid) in ("T", "t")


def case_killed_while_holding():
    """SIGKILL of the daemon while the kernel holds a process for it: the process
    goes on (the resumer leakd leaves behind at start sees the daemon's end) and
    runs to its end; no process of the test stays stopped."""
    d = Daemon()
    comm = f"pf{os.urandom(5).hex()}"
    exe = d.wd.file(comm)
    shutil.copy(leaker(PREFORK), exe)
    truth = Workdir().file("truth.json")
    try:
        d.ctl("trace", "--comm", comm)
        resumers = [pid for pid in test_processes() if comm_of(pid) == "leakd-resume"]
        check_eq(len(resumers), 1, "resumer processes")
        # Stopped, the daemon cannot resume what the kernel holds for it.
        os.kill(d.proc.pid, signal.SIGSTOP)
        lk = spawn([exe], env=dict(os.environ, LEAKER_TRUTH=truth), stdin=subprocess.DEVNULL,
                   start_new_session=True)
        deadline = time.monotonic() + TIMEOUT
        while not stopped(lk.pid):
            check(lk.poll() is None, "the leaker ended without being held")
            check(time.monotonic() < deadline, "the leaker was never held")
            time.sleep(0.01)
        os.kill(d.proc.pid, signal.SIGKILL)
        d.proc.wait(timeout=TIMEOUT)
        check_eq(lk.wait(timeout=TIMEOUT), 0, "the held leaker's exit status")
        check(os.path.exists(truth), "the held leaker did not run to its end")
        # The resumer comes to the test (its subreaper) when the daemon dies.
        deadline = time.monotonic() + TIMEOUT
        while any(state(pid) not in ("Z", None) for pid in resumers):
            check(time.monotonic() < deadline, "the resumer outlived the daemon")
            time.sleep(0.01)
        left = [pid for pid in test_processes() if stopped(pid)]
        check_eq(left, [], "processes of the test left stopped")
        d.bpf.check_released()
    except TestFailure:
        if d.proc.poll() is None:
            os.kill(d.proc.pid, signal.SIGCONT)
        raise
    finally:
        d.kill()


def case_hold_bound():
    """A hold whose record never reached the daemon ends at its bound: the process
    is resumed a second after it was stopped and its hold is gone.  (The test stops
    a process of its own and writes the hold into its daemon's map, as the kernel
    would have; a real one's record lost to a full ring is the case this covers.)"""
    d = Daemon()
    sleeper = spawn(["sleep", "600"], stdin=subprocess.DEVNULL)
    try:
        os.kill(sleeper.pid, signal.SIGSTOP)
        deadline = time.monotonic() + TIMEOUT
        while not stopped(sleeper.pid):
            check(time.monotonic() < deadline, "the sleeper never stopped")
            time.sleep(0.01)
        holds = str(bpf_map_id(d.proc.pid, "holds"))
        key = [f"0x{b:02x}" for b in struct.pack("<I", sleeper.pid)]
        start = time.monotonic_ns()
        value = [f"0x{b:02x}" for b in struct.pack("<QII", start, HOLD_STOPPED, 0)]
        subprocess.run(["bpftool", "map", "update", "id", holds, "key", *key, "value", *value],
                       check=True)
        d.poll("the sleeper resumed", lambda: not stopped(sleeper.pid), timeout=TIMEOUT)
        waited = (time.monotonic_ns() - start) / 1e9
        check(waited >= 0.9, f"resumed after {waited:.2f} s, before its bound")
        left = subprocess.run(["bpftool", "map", "lookup", "id", holds, "key", *key],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        check(left.returncode != 0, f"the hold is still in the map: {left.stdout!r}")
        d.stop()
    finally:
        if sleeper.poll() is None:
            os.kill(sleeper.pid, signal.SIGKILL)
            sleeper.wait()
        d.kill()


def comm_of(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None
