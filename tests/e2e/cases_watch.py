# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""The watch tier on memory that is reserved and committed later, on brk growth,
on MAP_NORESERVE, and on a Node server: the daemon, untraced processes."""

import os
import shutil
import subprocess
import time
import urllib.request

from harness import (Daemon, Leaker, TestFailure, check, check_eq, first_frame_in,
                     frame_function, leaker, proc_of, wait_watched)

PAGE = 4096
MiB = 1 << 20
COUNT_KEYS = ("allocs", "mappings", "extensions")


def run(d, *procs):
    """Stops everything however the case ends."""
    class Guard:
        def __enter__(self):
            return d

        def __exit__(self, *exc):
            for p in procs:
                p.end()
            if exc[0] is None:
                d.stop()
            else:
                d.kill()
    return Guard()


def top(d, pid):
    return d.ctl("top", "--pid", str(pid), "--level", "mapping", "-n", "0")[0]


def sites(answer, pid, level, module):
    """Bytes and count per function at one level, each stack under its first frame
    in module."""
    out = {}
    for st in answer["stacks"]:
        if st["pid"] != pid or st["level"] != level:
            continue
        _, fr = first_frame_in(st, module)
        if fr is None:
            continue
        s = out.setdefault(frame_function(fr), {"bytes": 0, "count": 0, "stacks": []})
        s["bytes"] += st["bytes"]
        s["count"] += sum(st.get(k, 0) for k in COUNT_KEYS)
        s["stacks"].append(st)
    return out


def wait_site(d, pid, level, fn, want_bytes, want_count=None, module="leak_commit"):
    """Polls top until fn holds exactly want_bytes (in want_count pieces)."""
    def ok():
        s = sites(top(d, pid), pid, level, module).get(fn)
        if s and s["bytes"] == want_bytes and want_count in (None, s["count"]):
            return s
        return None
    try:
        return d.poll(f"{fn}: {want_bytes} bytes", ok, timeout=20)
    except TestFailure:
        got = sites(top(d, pid), pid, level, module).get(fn)
        raise TestFailure(f"{fn} at the {level} level: want {want_bytes} bytes in "
                          f"{want_count}, got {got and (got['bytes'], got['count'])}")


def committed(lk, command):
    """The leaker's own figure of committed bytes after command."""
    return int(lk.do(command)[-1])


def case_commit_steps():
    """A PROT_NONE reservation committed in steps with mprotect: the mapping level
    counts exactly what is committed, under the committing stack; decommit
    (mprotect PROT_NONE) and MADV_DONTNEED take it away; the reservation is shown
    apart and is never growth."""
    d = Daemon()
    lk = Leaker([leaker("leak_commit")])
    with run(d, lk):
        wait_watched(d, lk.pid)
        lk.do("reserve 256")
        check_eq(committed(lk, "commit 16"), 16 * PAGE, "the leaker's figure")
        s = wait_site(d, lk.pid, "mapping", "commit_step", 16 * PAGE, 1)
        st = s["stacks"][0]
        check_eq(frame_function(st["frames"][0]), "mprotect", "frame 0 of the commit")
        check_eq(st["attribution"], "live", "a commit is live memory")
        check_eq(st["cut"], [], "the commit's stack is complete")
        check_eq(committed(lk, "commit 48"), 64 * PAGE, "the leaker's figure")
        wait_site(d, lk.pid, "mapping", "commit_step", 64 * PAGE, 2)
        # The last 8 pages of the second step: it shrinks, still two pieces.
        check_eq(committed(lk, "decommit 8"), 56 * PAGE, "the leaker's figure")
        wait_site(d, lk.pid, "mapping", "commit_step", 56 * PAGE, 2)
        # All of the second step's pages left: released, only the first step holds.
        check_eq(committed(lk, "discard 40"), 16 * PAGE, "the leaker's figure")
        wait_site(d, lk.pid, "mapping", "commit_step", 16 * PAGE, 1)
        check_eq(committed(lk, "commit 4"), 20 * PAGE, "the leaker's figure")
        wait_site(d, lk.pid, "mapping", "commit_step", 20 * PAGE, 2)
        p = proc_of(d.ctl("ps")[0], lk.pid)
        # The reservation less what is committed now; the discarded pages are address
        # space only again.
        check(p["reserved_bytes"] >= 256 * MiB - 20 * PAGE,
              f"reserved {p['reserved_bytes']}")
        check(p["mapped_bytes"] < 256 * MiB, f"the reservation counted: {p['mapped_bytes']}")
        # Nothing of it at the mapping level but the commits.
        for fn, s in sites(top(d, lk.pid), lk.pid, "mapping", "leak_commit").items():
            check(fn == "commit_step", f"{fn} holds {s['bytes']} bytes at the mapping level")


def case_noreserve():
    """A read-write MAP_NORESERVE mapping (ASan's shadow) counts as reserved address
    space, not as memory: its virtual size is not growth."""
    d = Daemon()
    lk = Leaker([leaker("leak_commit")])
    with run(d, lk):
        wait_watched(d, lk.pid)
        before = proc_of(d.ctl("ps")[0], lk.pid)
        lk.do("noreserve 4096")
        # A commit after it: once that shows, the mapping's event was seen too.
        lk.do("reserve 1")
        lk.do("commit 1")
        wait_site(d, lk.pid, "mapping", "commit_step", PAGE, 1)
        after = proc_of(d.ctl("ps")[0], lk.pid)
        check(after["reserved_bytes"] - before["reserved_bytes"] >= 4096 * MiB,
              f"reserved {before['reserved_bytes']} -> {after['reserved_bytes']}")
        check(after["mapped_bytes"] - before["mapped_bytes"] < MiB,
              f"mapped {before['mapped_bytes']} -> {after['mapped_bytes']}")
        check("noreserve_map" not in sites(top(d, lk.pid), lk.pid, "mapping", "leak_commit"),
              "the MAP_NORESERVE mapping is counted as memory")


def case_brk_growth():
    """A heap that grows by brk through malloc, in a process that is not traced:
    the growth is attributed to the call that grew it, as a growth attribution."""
    d = Daemon()
    lk = Leaker([leaker("leak_commit")])
    with run(d, lk):
        wait_watched(d, lk.pid)
        grown = int(lk.do("brk 64 40")[0])
        # The heap had room left from start-up: it grows by less than it hands out.
        check(grown >= 2 * MiB, f"the heap grew by {grown} bytes only")
        s = wait_site(d, lk.pid, "brk", "brk_grow", grown)
        check(s["count"] >= 1, "no extension")
        for st in s["stacks"]:
            check_eq(st["attribution"], "growth", "a brk row's attribution")
            check(frame_function(st["frames"][0]) in ("brk", "__brk", "sbrk", "__sbrk"),
                  f"frame 0 of a heap growth: {frame_function(st['frames'][0])}")
            names = [frame_function(f) for f in st["frames"]]
            check("malloc" in names or any("sysmalloc" in n for n in names),
                  f"not through malloc: {names}")
        grown += int(lk.do("brk 64 20")[0])
        wait_site(d, lk.pid, "brk", "brk_grow", grown)
        # Not traced: nothing at the allocator level.
        ps = proc_of(d.ctl("ps")[0], lk.pid)
        check_eq(ps["traced"], "no", "trace state")
        text, _ = d.ctl("top", "--pid", str(lk.pid), "--level", "mapping", json_out=False)
        check("of heap growth (brk)" in text and "growth attribution" in text, text)
