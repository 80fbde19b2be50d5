# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Ad-hoc mode: leakd --pid PID and leakd -- COMMAND against leakers with known
ground truth."""

import os
import signal
import subprocess
import time

from harness import (LEAKD, TIMEOUT, Attached, TestFailure, Workdir, check, check_eq,
                     check_truth, first_frame_in, frame_function, leaker, read_json_lines,
                     run_command, run_watched, sites_in)


def case_entry_points():
    """One leak through each allocator entry point: exact bytes, blocks and first frame."""
    r = run_command([leaker("leak_entry")])
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    check_eq(rep["reason"], "exit", "final report reason")
    check(rep["complete"], f"report incomplete: {rep['counters']}")
    check_truth(rep, r.truth, "leak_entry")
    # Nothing but the leaks is outstanding: the leaker does no other allocation.
    want = sum(s["bytes"] for s in r.truth["sites"])
    check_eq(rep["live_bytes"], want, "live bytes of the process")


def case_mimalloc_entry_points():
    """mimalloc preloaded, its own API called directly: exact bytes and blocks per site."""
    lib = "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2"
    check(os.path.exists(lib), f"{lib} missing (setup.sh installs it)")
    r = run_command([leaker("leak_mimalloc")], env=dict(os.environ, LD_PRELOAD=lib))
    check_eq(r.returncode, 0, f"leakd exit status ({r.stderr.strip()})")
    rep = r.final()
    check_eq(rep["reason"], "exit", "final report reason")
    check(rep["complete"], f"report incomplete: {rep['counters']}")
    check_truth(rep, r.truth, "leak_mimalloc")
    check_eq(rep["unmatched_frees"], 0, "unmatched frees")


def case_exec_wrapper():
    """A command that execs the program (env, a shell's exec, a version manager's
    shim): the program is held at its exec and at its loader's mappings until its
    allocator's probes and its code's unwind tables are in, so it is exact from its
    first allocation, with whole stacks, even through an allocator the wrapper
    does not map."""
    lib = "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2"
    check(os.path.exists(lib), f"{lib} missing (setup.sh installs it)")
    r = run_command(["env", f"LD_PRELOAD={lib}", leaker("leak_mimalloc")])
    check_eq(r.returncode, 0, f"leakd exit status ({r.stderr.strip()})")
    check("called exec" in r.stderr, f"leakd did not see the exec: {r.stderr.strip()}")
    rep = r.final()
    check(rep["complete"], f"report incomplete: {rep['counters']}")
    check_truth(rep, r.truth, "leak_mimalloc")
    check_eq(rep["unmatched_frees"], 0, "unmatched frees")
    for fn, site in sites_in(rep, "leak_mimalloc").items():
        for _, st in site["stacks"]:
            check_eq(st["cut"], [], f"the walk from {fn} was cut")
            # libc is mapped after the preloaded allocator: its frames too.
            check_eq(frame_function(st["frames"][-1]), "_start", f"the end of {fn}'s stack")


def case_failure_semantics():
    """Failed, freeing and moving reallocs; failed posix_memalign; NULL results."""
    r = run_command([leaker("leak_fail")])
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    notes = r.truth["notes"]
    for k in ("failed_realloc_null", "realloc_moved", "posix_memalign_einval",
              "posix_memalign_enomem"):
        check_eq(notes[k], 1, f"leaker precondition {k}")
    check_truth(rep, r.truth, "leak_fail")
    check_eq(rep["live_bytes"], 100 + (1 << 20), "live bytes of the process")
    check_eq(rep["unmatched_frees"], 0, "unmatched frees")


def case_threads_cross_free():
    """Blocks freed by other threads than their allocators: churn nets to zero."""
    r = run_command([leaker("leak_threads")])
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    check(rep["complete"], f"report incomplete: {rep['counters']}")
    check_truth(rep, r.truth, "leak_threads")
    check(rep["total_frees"] >= r.truth["notes"]["cross_thread_frees"],
          f"only {rep['total_frees']} frees seen")
    # glibc frees the blocks parked in an exiting thread's tcache a second time:
    # at most 64 bins of 7 blocks for each of the 7 threads.
    check(rep["unmatched_frees"] <= 7 * 64 * 7, f"{rep['unmatched_frees']} unmatched frees")
    # Those are frees of blocks already freed; what no free matches is each exiting
    # thread's cache itself, which glibc allocates without malloc: one per thread.
    check(rep["refreed_frees"] > 0, "no frees of blocks already freed")
    check_eq(rep["unmatched_frees"], 7, "frees of blocks never seen, with 7 threads")


def case_attach_pid():
    """leakd --pid: blocks freed that predate the attach count as unmatched, never
    negative; the process's exit ends leakd with a final report and status 0."""
    a = Attached()
    try:
        a.release()
        r = a.finish()
    finally:
        a.kill()
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    check_eq(rep["reason"], "exit", "final report reason")
    check_truth(rep, r.truth, "leak_wait")
    check_eq(rep["unmatched_frees"], r.truth["notes"]["unmatched_frees"], "unmatched frees")
    check_eq(rep["live_bytes"], 10000, "live bytes")


def case_exec_midtrace():
    """A traced process that execs: the tables start afresh for the new image."""
    a = Attached()
    try:
        a.release(b"exec\n")
        r = a.finish()
    finally:
        a.kill()
    check_eq(r.returncode, 0, "leakd exit status")
    check("called exec" in r.stderr, "leakd did not notice the exec")
    rep = r.final()
    check_truth(rep, r.truth, "leak_wait")
    check_eq(rep["live_bytes"], 3 * 1234, "live bytes after exec")


def case_periodic_reports():
    """--interval: reports while the process runs, then one final report."""
    a = Attached(leakd_args=["--interval", "100ms"])
    try:
        # Poll the report file until the first periodic report is in it.
        deadline = time.monotonic() + 30
        while not (os.path.exists(a.out) and read_json_lines(a.out)):
            check(a.leakd.poll() is None, "leakd ended early")
            check(time.monotonic() < deadline, "no periodic report within 30 s")
            time.sleep(0.05)
        a.release()
        r = a.finish()
    finally:
        a.kill()
    periodic = [x for x in r.reports if not x["final"]]
    check(periodic, "no periodic report")
    check(all(x["reason"] is None for x in periodic), "periodic reports carry a reason")
    check_eq(r.final()["reason"], "exit", "final report reason")


def case_text_output():
    """The text report: bytes, blocks and function+offset (module) frames."""
    r = run_command([leaker("leak_entry")], json_out=False)
    check_eq(r.returncode, 0, "leakd exit status")
    text = r.reports
    check("final report at exit" in text, "no final report line")
    check("3000 bytes in 3 allocations from stack" in text, "leak_malloc's line")
    check("\tleak_malloc+0x" in text and "(leak_entry)" in text, "leak_malloc's frame")


def case_min_age():
    """--min-age leaves out younger allocations; the totals still count them."""
    a = Attached(leakd_args=["--min-age", "1h"])
    try:
        a.release()
        r = a.finish()
    finally:
        a.kill()
    rep = r.final()
    check_eq(rep["stacks"], [], "stacks older than an hour")
    check_eq(rep["live_bytes"], 10000, "live bytes")


def case_duration():
    """--duration ends tracing (not the process) with a final report."""
    a = Attached(leakd_args=["--duration", "300ms"])
    try:
        r = a.finish()
        check(a.leaker.poll() is None, "the traced process ended with leakd")
        a.release()
    finally:
        a.kill()
    check_eq(r.returncode, 0, "leakd exit status")
    check_eq(r.final()["reason"], "duration", "final report reason")
    # a.finish() checked that leakd's links and programs went with it.


def case_sigint():
    """SIGINT ends tracing with a final report and status 0."""
    a = Attached()
    try:
        a.leakd.send_signal(signal.SIGINT)
        r = a.finish()
        a.release()
    finally:
        a.kill()
    check_eq(r.returncode, 0, "leakd exit status")
    check_eq(r.final()["reason"], "signal", "final report reason")


def case_table_limit():
    """A full allocation table drops allocations, counts them, and says so."""
    r = run_command([leaker("leak_entry")], leakd_args=["--max-allocs", "4"])
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    check(not rep["complete"], "a report with dropped allocations claims to be complete")
    check(rep["counters"]["alloc_table_full"] > 0, "no drops counted")
    check(rep["live_allocs"] <= 4, f"{rep['live_allocs']} allocations kept, limit 4")


def case_ringbuf_overflow():
    """A ring buffer too small for the event rate: drops are counted, not silent."""
    r = run_command([leaker("leak_threads")], leakd_args=["--ringbuf-size", "4K"])
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    drops = sum(rep["counters"][k] for k in ("ringbuf_alloc", "ringbuf_free", "ringbuf_stack"))
    check(drops > 0, "120000 events through a 4 KiB ring buffer lost nothing?")
    check(not rep["complete"], "a report with lost events claims to be complete")


def map_sites(report):
    """The mapping level of an ad-hoc report, per function of leak_ctl."""
    sites = {}
    for st in report["mappings"]["stacks"]:
        check_eq(st["level"], "mapping", "level of a mapping stack")
        i, fr = first_frame_in(st, "leak_ctl")
        if fr is None:
            continue
        s = sites.setdefault(frame_function(fr), {"bytes": 0, "count": 0, "stacks": []})
        s["bytes"] += st["bytes"]
        s["count"] += st["mappings"]
        s["stacks"].append(st)
    return sites


def case_adhoc_mappings():
    """leakd -- PROG on a program that leaks through anonymous mmap: the report's
    mapping level has its exact bytes and its stack, in JSON and in text; its brk
    heap shows too."""
    mib = 1 << 20
    script = f"mmap 30 {4 * mib}\nmalloc 200 1000\nexit\n"
    for json_out in (True, False):
        wd = Workdir()
        out = wd.file("report")
        args = [LEAKD, "-i", "0", "-n", "0", "-o", out, "--format", "json" if json_out else "text"]
        p = run_watched([*args, "--", leaker("leak_ctl")], input=script, cwd=wd.path,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                        timeout=TIMEOUT)
        check_eq(p.returncode, 0, f"leakd exit status ({p.stderr.strip()})")
        check_eq(p.stdout.count("ok\n"), 2, "the leaker did both steps")
        if not json_out:
            text = open(out).read()
            check(f"{30 * 4 * mib} bytes in 30 mappings from stack" in text,
                  "map_leak's line in the text report")
            check("\tmap_leak+0x" in text and "(leak_ctl)" in text, "map_leak's frame")
            check("Mappings: " in text, "the mapping summary line")
            continue
        rep = [r for r in read_json_lines(out) if r.get("final")]
        check_eq(len(rep), 1, "final reports")
        rep = rep[0]
        s = map_sites(rep).get("map_leak")
        check(s is not None, f"no mapping stack from map_leak: {sorted(map_sites(rep))}")
        check_eq((s["bytes"], s["count"]), (30 * 4 * mib, 30), "map_leak's bytes, mappings")
        for st in s["stacks"]:
            check_eq(frame_function(st["frames"][0])[:4], "mmap", "frame 0 (libc's mmap)")
            check_eq(frame_function(st["frames"][1]), "map_leak", "frame 1")
        m = rep["mappings"]
        check(m["live_bytes"] >= 30 * 4 * mib, f"live mapped bytes {m['live_bytes']}")
        check(m["live_count"] >= 30, f"live mappings {m['live_count']}")
        # 200 small blocks come from the brk heap.
        check(m["brk_bytes"] >= 200 * 1000, f"brk heap {m['brk_bytes']} bytes")
        heap = sites_in(rep, "leak_ctl").get("heap_leak")
        check(heap is not None and (heap["bytes"], heap["count"]) == (200 * 1000, 200),
              f"heap_leak at the allocator level: {heap and (heap['bytes'], heap['count'])}")
