# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""A daemon restart loses nothing: stop (SIGTERM) and start again while a leaker
keeps allocating and freeing; a SIGKILL leaves nothing attached; a bad state file
or a handover nobody took is dealt with.  Each case has its own daemon, socket,
state directory and bpffs directory (named after its socket)."""

import os
import shutil
import signal
import struct
import subprocess
import time

from harness import (BPF_LINK_GET_NEXT_ID, LEAKD, LINK_INODES, TIMEOUT, Daemon, Leaker,
                     TestFailure, bpf_exists, bpf_fds, check, check_eq, leaker,
                     pinned_link_id, pinned_links, proc_of, read_truth, wait_watched)
from cases_daemon import run, sites, top, wait_site
from servicemgr import ServiceManager

# max-sampler 0: the daemon does not trace others' processes with an in-process
# sampler (another checkout's tests) by itself; those would be handed over too.
GRACE = "restart-grace = 30s\nmax-sampler = 0\n"


def fnv_bytes(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def fnv(text):
    return fnv_bytes(text.encode())


def pin_dir(d):
    """Where the daemon pins a handover: bpffs, by its socket's path."""
    return f"/sys/fs/bpf/leakd-{fnv(d.sock):016x}"


def state_file(d):
    return os.path.join(d.wd.file("state"), f"restart-{fnv(d.sock):016x}.state")


def links_pinned_in(path):
    """The ids of the links pinned in one bpffs directory (this daemon's alone)."""
    if not os.path.isdir(path):
        return set()
    out = set()
    for name in os.listdir(path):
        if name.startswith(("link-", "watch-")):
            lid = pinned_link_id(os.path.join(path, name))
            if lid is not None:
                out.add(lid)
    return out


def release(d):
    """leakd --release for the daemon's socket: what a failed case handed over goes."""
    return subprocess.run([LEAKD, "--release", "--socket", d.sock, "--state-dir",
                           d.wd.file("state")], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)


def guarded(d, *leakers_):
    """As run(), and a killed daemon's pins released."""
    return run(d, *leakers_, after_kill=release)


def phases(env_truth, **env):
    return Leaker([leaker("leak_phases")], env=dict(os.environ, LEAKER_TRUTH=env_truth, **env))


def with_sampler():
    """The environment of a leaker with the in-process sampler preloaded, sampling
    every allocation (each standing for itself): figures through its otel_memory
    probes are exact."""
    from cases_sampler import SAMPLER
    return {"LD_PRELOAD": SAMPLER, "LEAKD_SAMPLER_INTERVAL": "1"}


def fdinfo_links(pid):
    """The links a process holds open, by id: their fdinfo (link_type, prog_id, and
    for a uprobe multi-link the pid it probes)."""
    out = {}
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(f"{fd_dir}/{fd}") not in LINK_INODES:
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                info = {k.strip(): v.strip() for k, v in
                        (line.split(":", 1) for line in f if ":" in line)}
        except FileNotFoundError:
            continue            # closed meanwhile
        if "link_id" in info:
            out[int(info["link_id"])] = info
    return out


def probe_links(d, pid):
    """The ids of the uprobe multi-links on pid that the daemon holds."""
    return {lid for lid, info in fdinfo_links(d.proc.pid).items()
            if info.get("link_type") == "uprobe_multi" and info.get("pid") == str(pid)}


def case_restart_midtrace():
    """A restart in the middle of tracing a leaker that allocates and frees before,
    during and after it: its final figures, in top and in its exit summary, are
    exactly its ground truth, and status tells what was taken over."""
    d = Daemon(config=GRACE)

    def stopped(lk):
        check(links_pinned_in(pin_dir(d)), f"no link pinned in {pin_dir(d)}")

    def started(lk):
        check(not os.path.exists(pin_dir(d)), "the pins outlived the takeover")
    midtrace(d, stopped, started)


def case_restart_sampler():
    """The restart of case_restart_midtrace, twice, for a leaker the daemon traces
    through its in-process sampler's otel_memory probes (every allocation sampled):
    the kernel links of those probes are pinned and taken over as they are (the new
    daemon holds them, and no link of its own on the leaker's probes: one link per
    probe), and the same links again at the second restart; the final figures are
    exactly the ground truth, and the process is taken over, not traced afresh."""
    d = Daemon(config=GRACE)
    held = {}

    def stopped(lk):
        pinned = links_pinned_in(pin_dir(d))
        names = os.listdir(pin_dir(d))
        links = {pinned_link_id(os.path.join(pin_dir(d), n)) for n in names
                 if n.startswith(f"link-{lk.pid}-")}
        # libbpf's USDT links: one uprobe multi-link each, for alloc and for free.
        check_eq(len(links), 2, f"the probes' links pinned ({sorted(names)})")
        check(links <= pinned, "a pinned link of the leaker is not a link")
        # Taken over at the first restart, the same links go on to the next.
        check_eq(links, held.setdefault("links", links), "the links handed over again")

    def started(lk):
        check(not os.path.exists(pin_dir(d)), "the pins outlived the takeover")
        check_eq(probe_links(d, lk.pid), held["links"], "the links on the leaker's probes")
    midtrace(d, stopped, started, sampler=True, restarts=2)


def midtrace(d, stopped, started, sampler=False, restarts=1):
    """The restart of case_restart_midtrace, with the checks of where the handover
    waits: stopped() while no daemon runs, started() once the next one runs;
    restarts: that many, one after the other, the same in each gap.
    sampler: the leaker has the in-process sampler, and its trace goes through its
    otel_memory probes, before the restart and after it.
    stopped() and started() get the leaker."""
    truth_path = d.wd.file("truth.json")
    lk = phases(truth_path, **(with_sampler() if sampler else {}))
    mode = ("manual", "sampler" if sampler else "exact")
    with guarded(d, lk):
        wait_watched(d, lk.pid)
        # A sampled trace of a process with the sampler goes through its probes.
        d.ctl("trace", str(lk.pid), *([] if sampler else ["--exact"]))
        p = proc_of(d.ctl("ps")[0], lk.pid)
        check_eq((p["traced"], p["sampling"]), mode, "the trace")
        lk.do("alloc 100 200")
        lk.do("churn start")
        wait_site(d, lk.pid, "heap", "leak_phases", "phase_keep", 100 * 200, 100)
        for _ in range(restarts):
            said = d.stop(release=False)
            check("saved 1 traced processes" in said, f"the stop's account: {said}")
            stopped(lk)
            # While no daemon runs: more blocks, some freed, and the churn goes on.
            lk.do("alloc 50 1000")
            lk.do("free 30")
            d.start()
            started(lk)
        lk.do("alloc 7 333")
        n = int(lk.do("churn stop")[0])
        check(n > 64, f"the churn made only {n} blocks")
        lk.do("truth")
        truth = {s["function"]: s for s in read_truth(truth_path)["sites"]}
        for fn in ("phase_keep", "ring_churn"):
            wait_site(d, lk.pid, "heap", "leak_phases", fn, truth[fn]["bytes"],
                      truth[fn]["count"])
        st = d.ctl("status")[0]["restart"]
        check_eq(st["previous"], "clean stop", "the previous daemon's end")
        check_eq(st["state"], "loaded", "the state file")
        check(st["taken_over"], "nothing taken over")
        check_eq(st["procs"], 1, "processes taken over")
        check(st["allocs"] >= 100, f"allocations taken over: {st['allocs']}")
        check(st["events"] >= 50 + 30, f"events drained: {st['events']}")
        check_eq(st["lost"], 0, "events lost meanwhile")
        check_eq(st["procs_lost"], 0, "processes traced afresh")
        p = proc_of(d.ctl("ps")[0], lk.pid)
        check_eq((p["traced"], p["sampling"]), mode, "the trace taken over")
        lk.end()

        def summary():
            return next((p for p in d.ctl("exited")[0]["processes"] if p["pid"] == lk.pid),
                        None)
        s = d.poll("the exit summary", summary)
        got = sites({"stacks": [dict(st, pid=lk.pid) for st in s["stacks"]]}, lk.pid, "heap",
                    "leak_phases")
        check_eq((got["phase_keep"]["bytes"], got["phase_keep"]["count"]),
                 (truth["phase_keep"]["bytes"], truth["phase_keep"]["count"]),
                 "phase_keep in the exit summary")


def case_restart_rules_exits():
    """Trace rules (with their expiry) and exit summaries survive a restart with
    nothing traced; the rule traces a process that starts after it."""
    d = Daemon(config=GRACE)
    comm = f"lk{os.urandom(5).hex()}"
    exe = d.wd.file(comm)
    shutil.copy(leaker("leak_phases"), exe)
    first = Leaker([exe])
    second = None
    with guarded(d, first):
        d.ctl("trace", "--comm", comm, "--for", "1h", "--exact")
        first.do("alloc 5 4321")
        wait_site_comm(d, first.pid, comm, 5 * 4321, 5)
        first.end()
        d.poll("the exit summary", lambda: summary_of(d, first.pid))
        before = summary_of(d, first.pid)
        d.stop(release=False)
        check(os.path.exists(state_file(d)), "no state file after a clean stop")
        check(not os.path.exists(pin_dir(d)), "pins with nothing traced")
        d.start()
        st = d.ctl("status")[0]
        check_eq(st["restart"]["rules"], 1, "rules restored")
        check(st["restart"]["exits"] >= 1, "no exit summary restored")
        after = summary_of(d, first.pid)
        check(after is not None, "the exit summary is gone after the restart")
        check_eq((after["heap_bytes"], after["heap_allocs"], after["comm"]),
                 (before["heap_bytes"], before["heap_allocs"], before["comm"]),
                 "the summary's figures")
        check(any(fr.get("function") == "phase_keep" for stck in after["stacks"]
                  for fr in stck["frames"]), "the summary's stacks lost their names")
        second = Leaker([exe])
        try:
            p = d.poll("the rule traces a new process",
                       lambda: (lambda p: p if p and p["traced"] == "rule" else None)(
                           next((p for p in d.ctl("ps")[0]["processes"]
                                 if p["pid"] == second.pid), None)))
            check_eq(p["sampling"], "exact", "the restored rule's mode")
        finally:
            second.end()


def summary_of(d, pid):
    return next((p for p in d.ctl("exited")[0]["processes"] if p["pid"] == pid), None)


def wait_site_comm(d, pid, comm, want_bytes, want_count):
    def ok():
        s = sites(top(d, pid, "heap"), pid, "heap", comm).get("phase_keep")
        return s if s and (s["bytes"], s["count"]) == (want_bytes, want_count) else None
    return d.poll(f"phase_keep: {want_bytes} bytes in {want_count}", ok, timeout=20)


def case_restart_sigkill():
    """A daemon killed while tracing leaves no link of its own behind and no pins;
    the next start says the previous one did not stop cleanly."""
    d = Daemon(config=GRACE)
    lk = phases(d.wd.file("truth.json"))
    with guarded(d, lk):
        wait_watched(d, lk.pid)
        d.ctl("trace", str(lk.pid), "--exact")
        lk.do("alloc 3 100")
        wait_site(d, lk.pid, "heap", "leak_phases", "phase_keep", 300, 3)
        d.bpf.note(d.proc.pid)
        d.kill()
        d.bpf.check_released()      # its links and programs, nothing else
        check(not os.path.exists(pin_dir(d)), "a killed daemon left pins")
        d.start()
        check(any("did not stop cleanly" in line for line in d.log),
              f"no word of the crash in: {d.log}")
        st = d.ctl("status")[0]["restart"]
        check_eq(st["previous"], "crash", "status on the previous daemon")
        check(not st["taken_over"], "a crash handed something over")


def corrupt_case(damage, reason):
    d = Daemon(config=GRACE)
    with guarded(d):
        d.ctl("trace", "--comm", "nosuchcomm0", "--for", "1h")
        d.stop(release=False)
        path = state_file(d)
        check(os.path.exists(path), "no state file after a clean stop")
        with open(path, "r+b") as f:
            data = f.read()
            f.seek(0)
            f.truncate()
            f.write(damage(data))
        d.start()
        warned = [line for line in d.log if "state file" in line]
        check(warned and reason in warned[0], f"the warning: {warned}")
        check_eq(len(warned), 1, "warnings about the state file")
        st = d.ctl("status")[0]
        check_eq(st["restart"]["state"], "rejected", "the state file's fate")
        check_eq(st["restart"]["rules"], 0, "rules from a bad state file")
        check(not os.path.exists(path), "the bad state file is still there")


def case_restart_corrupt_state():
    """A truncated, a corrupted and an emptied state file: one warning each, a fresh
    start, the daemon runs."""
    corrupt_case(lambda b: b[:len(b) // 2], "truncated")
    corrupt_case(lambda b: b[:-3] + bytes([b[-3] ^ 0x40]) + b[-2:], "checksum")
    corrupt_case(lambda b: b"", "not a leakd state file")
    # The count of modules made huge, the checksum made to match: the bound holds.
    corrupt_case(lambda b: reseal(b[:72] + struct.pack("<I", 0xffffffff) + b[76:]),
                 "a count is larger than the file or its bound")


def reseal(b):
    """The header's payload size and checksum made to match the bytes after it."""
    payload = b[56:]
    return b[:40] + struct.pack("<QQ", len(payload), fnv_bytes(payload)) + payload


def wait_deadline(d):
    """Until the handover's deadline (CLOCK_MONOTONIC, as the programs see it, in
    the state file's header) has passed: the clock is waited for, not a guess."""
    with open(state_file(d), "rb") as f:
        deadline = struct.unpack_from("<Q", f.read(56), 32)[0] / 1e9
    while time.monotonic() <= deadline:
        time.sleep(deadline - time.monotonic() + 0.01)


def wait_gone(links):
    for lid in links:
        deadline = time.monotonic() + 10
        while bpf_exists(BPF_LINK_GET_NEXT_ID, lid):
            if time.monotonic() > deadline:
                raise TestFailure(f"pinned link {lid} outlived the release")
            time.sleep(0.05)


def stop_traced(d, lk):
    """Traces lk exactly and stops the daemon: its links are pinned; returns them."""
    d.ctl("trace", str(lk.pid), "--exact")
    d.stop(release=False)
    pinned = links_pinned_in(pin_dir(d))
    check(pinned, "nothing pinned")
    return pinned


def case_restart_stale_released():
    """A handover nobody takes before its deadline: the next start of a daemon on
    another socket releases it, and so does the next start on its own (saying so,
    taking nothing over); leakd --release removes a handover at once."""
    d = Daemon(config="restart-grace = 1s\n")
    lk = phases(d.wd.file("truth.json"))
    with guarded(d, lk):
        wait_watched(d, lk.pid)
        pinned = stop_traced(d, lk)
        wait_deadline(d)
        other = Daemon()
        try:
            check(any(pin_dir(d) in line and "released" in line for line in other.log),
                  f"another daemon did not release the stale handover: {other.log}")
            check(other.ctl("status")[0]["restart"]["released"] >= 1,
                  "status does not count the release")
        finally:
            other.stop()
        check(not os.path.exists(pin_dir(d)), "the stale pins are still there")
        wait_gone(pinned)
        d.start()
        check(not d.ctl("status")[0]["restart"]["taken_over"], "took over without pins")
        # Stale again, found by the next start on its own socket.
        pinned = stop_traced(d, lk)
        wait_deadline(d)
        d.start()
        check(any("released the handover" in line for line in d.log), f"log: {d.log}")
        st = d.ctl("status")[0]["restart"]
        check_eq(st["released"], 1, "stale handovers released")
        check(not st["taken_over"], "a stale handover was taken over")
        check(not os.path.exists(pin_dir(d)), "the stale pins are still there")
        wait_gone(pinned)
        # Handed over with a long grace, and released by hand.
        with open(d.config, "a") as f:
            f.write(GRACE)
        d.proc.send_signal(signal.SIGHUP)
        d.wait_log("configuration reloaded", "the reload")
        pinned = stop_traced(d, lk)
        p = release(d)
        check_eq(p.returncode, 0, f"leakd --release ({p.stderr.strip()})")
        check_eq(p.stdout.strip(), "released", "what --release says")
        check(not os.path.exists(pin_dir(d)), "--release left the pins")
        wait_gone(pinned)
        d.start()


def case_restart_exit_meanwhile():
    """A traced process that exits while no daemon runs: its exit waits in the ring
    buffer, and the next daemon keeps its summary with the exact figures."""
    d = Daemon(config=GRACE)
    truth_path = d.wd.file("truth.json")
    lk = phases(truth_path)
    with guarded(d, lk):
        wait_watched(d, lk.pid)
        d.ctl("trace", str(lk.pid), "--exact")
        lk.do("alloc 20 640")
        wait_site(d, lk.pid, "heap", "leak_phases", "phase_keep", 20 * 640, 20)
        d.stop(release=False)
        lk.do("free 5")
        lk.do("alloc 3 64")
        lk.do("truth")
        truth = {s["function"]: s for s in read_truth(truth_path)["sites"]}
        lk.end()
        d.start()
        st = d.ctl("status")[0]["restart"]
        check(st["taken_over"], "nothing taken over")
        s = summary_of(d, lk.pid)
        check(s is not None, "no exit summary of the process that left meanwhile")
        got = sites({"stacks": [dict(x, pid=lk.pid) for x in s["stacks"]]}, lk.pid, "heap",
                    "leak_phases").get("phase_keep")
        check(got is not None, f"no phase_keep stack in the summary: {s}")
        check_eq((got["bytes"], got["count"]),
                 (truth["phase_keep"]["bytes"], truth["phase_keep"]["count"]),
                 "phase_keep in the exit summary")


def case_restart_sampled():
    """A process traced sampled (the kernel's sampling, its interval in a slot its
    probes name) is taken over as sampled: the mode, the interval and the sampled
    blocks the kernel knows go on, and the estimates stay right.  Blocks 64 times
    the mean interval are sampled with a probability within e^-64 of 1: the
    estimates must equal the truth."""
    d = Daemon(config=GRACE)
    truth_path = d.wd.file("truth.json")
    lk = phases(truth_path)
    with guarded(d, lk):
        wait_watched(d, lk.pid)
        d.ctl("trace", str(lk.pid), "--sample", "16")
        lk.do("alloc 40 1024")
        wait_site(d, lk.pid, "heap", "leak_phases", "phase_keep", 40 * 1024, 40)
        d.stop(release=False)
        lk.do("free 15")
        lk.do("alloc 9 1024")
        d.start()
        lk.do("free 4")
        lk.do("alloc 2 2048")
        lk.do("truth")
        truth = {s["function"]: s for s in read_truth(truth_path)["sites"]}
        wait_site(d, lk.pid, "heap", "leak_phases", "phase_keep", truth["phase_keep"]["bytes"],
                  truth["phase_keep"]["count"])
        p = next(p for p in d.ctl("ps")[0]["processes"] if p["pid"] == lk.pid)
        check_eq((p["traced"], p["sampling"], p["sample_bytes"]), ("manual", "sampled", 16),
                 "the trace taken over")
        check_eq(d.ctl("status")[0]["restart"]["procs"], 1, "processes taken over")


def case_restart_incompatible():
    """A start whose maps would differ from the handover's (another table of traced
    processes, as after an upgrade that changed them) takes nothing over: it says why in
    one line, starts afresh, and the pins go with their links."""
    d = Daemon(config=GRACE)
    lk = phases(d.wd.file("truth.json"))
    with guarded(d, lk):
        wait_watched(d, lk.pid)
        pinned = stop_traced(d, lk)
        with open(d.config, "a") as f:
            f.write("max-traced = 32\n")
        d.start()
        warned = [line for line in d.log if "cannot take over the handover" in line]
        check_eq(len(warned), 1, f"warnings about the handover: {d.log}")
        check("maps differ" in warned[0], warned[0])
        st = d.ctl("status")[0]["restart"]
        check(not st["taken_over"], "took over maps of another size")
        check_eq(st["procs_lost"], 1, "processes not taken over")
        check(not os.path.exists(pin_dir(d)), "the pins are still there")
        wait_gone(pinned)
        p = next(p for p in d.ctl("ps")[0]["processes"] if p["pid"] == lk.pid)
        check_eq(p["traced"], "no", "a process not taken over, before it is traced again")


def stored_handover(mgr, d):
    """What a stop under the service manager stored: the maps and the links, none
    of them pinned in bpffs; the ids of the allocator links and of the watch links."""
    check(not os.path.exists(pin_dir(d)), "pinned in bpffs under a service manager")
    names = mgr.names()
    for want in ("rings", "ring", "counters", "traced", "control"):
        check(want in names, f"map {want} not in the store: {sorted(names)}")
    alloc, watch = mgr.link_ids("link-"), mgr.link_ids("watch-")
    check(alloc, f"no allocator link in the store: {sorted(names)}")
    check(watch, f"no watch link in the store: {sorted(names)}")
    check(not (alloc | watch) & pinned_links(), "a stored link is pinned in bpffs too")
    return alloc, watch


def case_restart_fdstore():
    """Under a service manager with a file descriptor store (servicemgr.py, as
    systemd would be), the restart of case_restart_midtrace hands the maps and links
    over through the store and never through bpffs: the final figures are exact,
    the allocator links the store held are the new daemon's, the old watch links
    are gone, and once the new daemon has taken them the store is empty."""
    fdstore_midtrace(sampler=False)


def case_restart_fdstore_sampler():
    """case_restart_sampler under a service manager's file descriptor store: the
    kernel links of the leaker's otel_memory probes go through the store, and the
    new daemon holds them and none of its own on those probes."""
    fdstore_midtrace(sampler=True)


def fdstore_midtrace(sampler):
    with ServiceManager() as mgr:
        d = Daemon(config=GRACE, launcher=mgr)
        mgr.wait("READY=1", lambda: "READY=1" in mgr.states)
        held = {}
        stray_r, stray_w = os.pipe()

        def stopped(lk):
            held["alloc"], held["watch"] = stored_handover(mgr, d)
            held["probes"] = mgr.link_ids(f"link-{lk.pid}-")
            if sampler:
                check_eq(len(held["probes"]), 2, "the probes' links stored")
            # A descriptor leakd does not know among them: closed, and dropped.
            mgr.put("stray", stray_r)
            held["stray"] = f"pipe:[{os.fstat(stray_r).st_ino}]"

        def started(lk):
            check(not os.path.exists(pin_dir(d)), "pinned in bpffs under a service manager")
            mgr.wait("the store emptied by the takeover", lambda: not mgr.store)
            links, _ = bpf_fds(d.proc.pid)
            check(held["alloc"] <= links, f"allocator links {sorted(held['alloc'] - links)} "
                  "not taken over")
            if sampler:
                check_eq(probe_links(d, lk.pid), held["probes"],
                         "the links on the leaker's probes")
            wait_gone(held["watch"])
            fds = {fd: os.readlink(f"/proc/{d.proc.pid}/fd/{fd}")
                   for fd in os.listdir(f"/proc/{d.proc.pid}/fd")}
            check(held["stray"] not in fds.values(), "the daemon keeps a descriptor it "
                  "does not use")
            for fd, target in fds.items():
                if target.startswith("anon_inode:bpf"):
                    with open(f"/proc/{d.proc.pid}/fdinfo/{fd}") as f:
                        info = dict(line.split(":", 1) for line in f if ":" in line)
                    flags = int(info["flags"].strip(), 8)
                    check(flags & os.O_CLOEXEC, f"fd {fd} ({target}) is not close-on-exec")
        try:
            midtrace(d, stopped, started, sampler=sampler)
        finally:
            os.close(stray_r)
            os.close(stray_w)


def case_restart_fdstore_stop():
    """A stop for good under a file descriptor store (systemctl stop): the manager
    closes what the stop stored instead of starting the daemon again, and then
    nothing of that daemon is left, no link and no program (its own, not another
    leakd's).  The next start says in one line that the handover is gone, takes
    nothing over, and keeps the rules the state file brings."""
    with ServiceManager() as mgr:
        d = Daemon(config=GRACE, launcher=mgr)
        lk = phases(d.wd.file("truth.json"))
        with guarded(d, lk):
            wait_watched(d, lk.pid)
            d.ctl("trace", str(lk.pid), "--exact")
            d.ctl("trace", "--comm", "nosuchcomm0", "--for", "1h")
            lk.do("alloc 3 100")
            wait_site(d, lk.pid, "heap", "leak_phases", "phase_keep", 300, 3)
            d.stop(release=False)
            alloc, watch = stored_handover(mgr, d)
            mgr.close_store()
            d.bpf.check_released()      # its links and programs, nothing else
            wait_gone(alloc | watch)
            d.start()
            warned = [line for line in d.log if "handover" in line and "gone" in line]
            check_eq(len(warned), 1, f"lines about the handover: {d.log}")
            check("stopped, not restarted" in warned[0], warned[0])
            st = d.ctl("status")[0]["restart"]
            check_eq(st["state"], "loaded", "the state file")
            check(not st["taken_over"], "took over a handover the manager closed")
            check_eq(st["procs_lost"], 1, "processes not taken over")
            check_eq(st["rules"], 1, "rules restored")
            check(not os.path.exists(pin_dir(d)), "pinned in bpffs under a service manager")


def case_restart_fdstore_other_pid():
    """Descriptors passed with $LISTEN_PID naming another process are not this
    start's: it says so in one line, takes nothing over, and leaves the store as it
    is (it drops no name it was not given)."""
    with ServiceManager() as mgr:
        d = Daemon(config=GRACE, launcher=mgr)
        lk = phases(d.wd.file("truth.json"))
        with guarded(d, lk):
            wait_watched(d, lk.pid)
            d.ctl("trace", str(lk.pid), "--exact")
            lk.do("alloc 3 100")
            wait_site(d, lk.pid, "heap", "leak_phases", "phase_keep", 300, 3)
            d.stop(release=False)
            stored_handover(mgr, d)
            before = mgr.names()
            mgr.listen_pid = os.getpid()    # this test's, not the daemon's
            d.start()
            mgr.wait("READY=1 of the second start",
                     lambda: mgr.states.count("READY=1") >= 2)
            warned = [line for line in d.log if "LISTEN_PID" in line or "handover" in line]
            check_eq(len(warned), 1, f"lines about the handover: {d.log}")
            check("not taken" in warned[0] and "another process" in warned[0], warned[0])
            st = d.ctl("status")[0]["restart"]
            check(not st["taken_over"], "took over descriptors meant for another process")
            check_eq(st["procs_lost"], 1, "processes not taken over")
            check_eq(mgr.names(), before, "the store after a start it was not meant for")
            # Ended by the manager, as a stop would: then the daemon's stop checks all.
            mgr.close_store()
