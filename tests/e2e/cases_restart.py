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

from harness import (BPF_LINK_GET_NEXT_ID, LEAKD, TIMEOUT, Daemon, Leaker, TestFailure,
                     bpf_exists, check, check_eq, leaker, pinned_link_id, read_truth,
                     wait_watched)
from cases_daemon import sites, top, wait_site

GRACE = "restart-grace = 30s\n"


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
    class Guard:
        def __enter__(self):
            return d

        def __exit__(self, *exc):
            for lk in leakers_:
                lk.end()
            if exc[0] is None:
                d.stop()
            else:
                d.kill()
                release(d)
    return Guard()


def phases(env_truth):
    env = dict(os.environ, LEAKER_TRUTH=env_truth)
    return Leaker([leaker("leak_phases")], env=env)


def case_restart_midtrace():
    """A restart in the middle of tracing a leaker that allocates and frees before,
    during and after it: its final figures, in top and in its exit summary, are
    exactly its ground truth, and status tells what was taken over."""
    d = Daemon(config=GRACE)
    truth_path = d.wd.file("truth.json")
    lk = phases(truth_path)
    with guarded(d, lk):
        wait_watched(d, lk.pid)
        d.ctl("trace", str(lk.pid), "--exact")
        lk.do("alloc 100 200")
        lk.do("churn start")
        wait_site(d, lk.pid, "heap", "leak_phases", "phase_keep", 100 * 200, 100)
        said = d.stop(release=False)
        check("saved 1 traced processes" in said, f"the stop's account: {said}")
        check(links_pinned_in(pin_dir(d)), f"no link pinned in {pin_dir(d)}")
        # While no daemon runs: more blocks, some freed, and the churn goes on.
        lk.do("alloc 50 1000")
        lk.do("free 30")
        d.start()
        check(not os.path.exists(pin_dir(d)), "the pins outlived the takeover")
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
        ps = d.ctl("ps")[0]
        check_eq(next(p for p in ps["processes"] if p["pid"] == lk.pid)["traced"], "manual",
                 "the trace taken over")
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
    """A start whose maps would differ from the handover's (another ring buffer
    size, as after an upgrade that changed them) takes nothing over: it says why in
    one line, starts afresh, and the pins go with their links."""
    d = Daemon(config=GRACE)
    lk = phases(d.wd.file("truth.json"))
    with guarded(d, lk):
        wait_watched(d, lk.pid)
        pinned = stop_traced(d, lk)
        with open(d.config, "a") as f:
            f.write("ringbuf-size = 2M\n")
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
