# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""leakctl trace PID --inject: the daemon loads libleakd-sampler.so into a leaker
that runs already, points its allocator's GOT entries at it, and traces it
through the sampler's probes; untrace points them back.  Refused where it cannot
be done safely, and the process runs on untouched."""

import ctypes
import math
import os
import re
import shutil
import statistics
import subprocess

from harness import (TIMEOUT, Daemon, Leaker, Skip, TestFailure, Workdir, check, check_eq,
                     leaker, proc_of, wait_watched)

SAMPLER = os.path.realpath(os.path.join(os.path.dirname(leaker("x")), "..", "..", "src",
                                        "sampler", "libleakd-sampler.so"))
JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
# The entry points whose GOT entries the sampler takes (a subset: those the leaker
# and libc call through their GOT).
FAMILY = {"malloc", "free", "calloc", "realloc", "posix_memalign", "aligned_alloc",
          "memalign", "valloc", "pvalloc", "reallocarray", "dlopen"}
EXIT_INJECT, EXIT_PERM, EXIT_USAGE = 6, 3, 2


def daemon(sampler=SAMPLER):
    # The daemon watches the whole host: room for the unwind tables of every
    # process others run meanwhile, so that the sampler's (mapped last) finds some.
    return Daemon(config=f"sampler = {sampler}\nunwind-rows = 4194304\n")


def mapping(pid, path):
    """(start, end) of every mapping of the file at path in pid."""
    out = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and os.path.realpath(parts[5]) == path:
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                out.append((lo, hi, int(parts[2], 16)))
    return out


def mapped_path(pid, name):
    """The path of the mapped file whose name starts with name (libc.so)."""
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and os.path.basename(parts[5]).startswith(name):
                return os.path.realpath(parts[5])
    raise TestFailure(f"pid {pid} maps no {name}")


def got_entries(pid, path):
    """{(symbol, address): value} of the JUMP_SLOT and GLOB_DAT relocations of the
    allocator family in the object at path as mapped in pid, read from its memory
    (readelf says where they are, the load base is the mapping at offset 0)."""
    rel = subprocess.run(["readelf", "-rW", path], stdout=subprocess.PIPE, text=True,
                         check=True, timeout=TIMEOUT).stdout
    base = next((lo for lo, _, off in mapping(pid, path) if off == 0), None)
    check(base is not None, f"{path} is not mapped in pid {pid}")
    out = {}
    with open(f"/proc/{pid}/mem", "rb") as mem:
        for line in rel.splitlines():
            p = line.split()
            if len(p) < 5 or p[2] not in ("R_X86_64_JUMP_SLOT", "R_X86_64_GLOB_DAT"):
                continue
            name = p[4].split("@")[0]
            if name not in FAMILY:
                continue
            addr = base + int(p[0], 16)
            mem.seek(addr)
            out[(name, addr)] = int.from_bytes(mem.read(8), "little")
    check(out, f"no GOT entry of the allocator in {path}")
    return out


def symbol_at(pid, path, name):
    """The address of the dynamic symbol name of the object at path, as mapped in pid."""
    syms = subprocess.run(["readelf", "--dyn-syms", "-W", path], stdout=subprocess.PIPE,
                          text=True, check=True, timeout=TIMEOUT).stdout
    base = next(lo for lo, _, off in mapping(pid, path) if off == 0)
    for line in syms.splitlines():
        p = line.split()
        if len(p) >= 8 and p[7].split("@")[0] == name and p[6] != "UND" and p[3] == "FUNC":
            return base + int(p[1], 16)
    raise TestFailure(f"no {name} in {path}")


def all_got(pid):
    prog = os.path.realpath(f"/proc/{pid}/exe")
    return {**got_entries(pid, prog), **got_entries(pid, mapped_path(pid, "libc.so"))}


def heap_sites(d, pid):
    """{function: (bytes, allocs)} of pid's heap rows, under their first frame."""
    top, _ = d.ctl("top", "--pid", str(pid), "--level", "heap", "-n", "0")
    out = {}
    for st in top["stacks"]:
        if st["pid"] != pid or st["level"] != "heap":
            continue
        fn = st["frames"][0].get("function") or ""
        b, n = out.get(fn, (0, 0))
        out[fn] = (b + st["bytes"], n + st["allocs"])
    return out


def wait_heap(d, pid, fn, want):
    try:
        return d.poll(f"{fn} holding {want} (bytes, blocks)",
                      lambda: heap_sites(d, pid).get(fn, (0, 0)) == want, timeout=20)
    except TestFailure:
        raise TestFailure(f"{fn}: want {want} (bytes, blocks); pid {pid}'s heap rows by their "
                          f"first frame: {heap_sites(d, pid)}")


def end_cleanly(lk):
    """The leaker exits 0 and its allocator never complained (a block freed into the
    wrong allocator aborts with "free(): invalid pointer" or the like)."""
    lk.end()
    err = lk.proc.stderr.read() if lk.proc.stderr else ""
    check_eq(lk.proc.returncode, 0, f"leaker exit status (stderr: {err.strip()!r})")
    check("invalid" not in err and "corrupt" not in err, f"the allocator complained: {err!r}")


def inject_and_check(env=None):
    """hold before, inject with every allocation sampled, leak and hold after,
    release both, untrace: exact figures, and the GOT entries back as they were."""
    d = daemon()
    lk = Leaker(env=env, stderr=subprocess.PIPE)
    try:
        wait_watched(d, lk.pid)
        lk.do("hold 300 200")           # before: the real allocator's, freed later
        before = all_got(lk.pid)
        ans, _ = d.ctl("trace", str(lk.pid), "--inject", "--sample", "1")
        check_eq(ans["traced"], [lk.pid], "traced pids")
        patched = ans.get("got_entries", 0)
        check(patched >= len(before), f"{patched} GOT entries patched, {len(before)} seen")
        p = proc_of(d.ctl("ps")[0], lk.pid)
        check_eq((p["traced"], p["sampling"]), ("manual", "sampler"),
                 "traced through the injected sampler")
        wait_watched(d, lk.pid)         # the sampler's unwind table too
        spans = mapping(lk.pid, SAMPLER)
        check(spans, "the sampler is not mapped")
        after = all_got(lk.pid)
        for key, v in after.items():
            check(any(lo <= v < hi for lo, hi, _ in spans),
                  f"{key[0]} at {key[1]:#x} leads to {v:#x}, not into the sampler")
        # Every allocation sampled, each standing for itself: exact.
        lk.do("malloc 7 1500")
        wait_heap(d, lk.pid, "heap_leak", (10500, 7))
        lk.do("hold 10 4000")
        wait_heap(d, lk.pid, "hold_blocks", (40000, 10))
        lk.do("check")
        lk.do("release")                # 300 blocks from before, 10 sampled ones
        d.poll("the held blocks freed", lambda: "hold_blocks" not in heap_sites(d, lk.pid))
        check_eq(heap_sites(d, lk.pid).get("heap_leak"), (10500, 7), "heap_leak after frees")
        ans, _ = d.ctl("untrace", str(lk.pid))
        check_eq(ans["untraced"], [lk.pid], "untraced pids")
        check_eq(ans.get("got_entries"), patched, "GOT entries restored")
        check_eq(all_got(lk.pid), before, "the GOT entries after untrace")
        p = proc_of(d.ctl("ps")[0], lk.pid)
        check_eq((p["traced"], p["sampling"]), ("no", "-"), "after untrace")
        # Allocations go to the allocator directly now: nothing more is counted.
        lk.do("malloc 3 7777")
        lk.do("hold 5 300")
        lk.do("release")
        got = heap_sites(d, lk.pid)
        check_eq(got.get("heap_leak"), (10500, 7), "heap_leak after untrace")
        # Traced again without --inject: by its allocator, the silent sampler left alone.
        d.ctl("trace", str(lk.pid), "--exact")
        p = proc_of(d.ctl("ps")[0], lk.pid)
        check_eq((p["traced"], p["sampling"]), ("manual", "exact"), "traced again, exactly")
        lk.do("malloc 2 3000")
        wait_heap(d, lk.pid, "heap_leak", (6000, 2))
        d.ctl("untrace", str(lk.pid))
        # And injected again: the library loaded already, its entries patched anew
        # (bound since, some of them: free was called through its PLT meanwhile).
        before = all_got(lk.pid)
        ans, _ = d.ctl("trace", str(lk.pid), "--inject", "--sample", "1")
        check_eq(ans.get("got_entries"), patched, "GOT entries patched the second time")
        check_eq(all_got(lk.pid), after, "the GOT entries injected again")
        lk.do("malloc 4 2500")
        wait_heap(d, lk.pid, "heap_leak", (10000, 4))
        ans, _ = d.ctl("untrace", str(lk.pid))
        check_eq(ans.get("got_entries"), patched, "GOT entries restored the second time")
        check_eq(all_got(lk.pid), before, "the GOT entries after the second untrace")
        st, _ = d.ctl("status")
        check_eq(st["inject"], {"done": 2, "refused": 0, "waiting": 0, "lost": 0},
                 "injections in status")
        end_cleanly(lk)
        d.stop()
    finally:
        lk.end()
        d.kill()


def case_inject_exact():
    """A running leaker gets the sampler by --inject (--sample 1: exact figures);
    blocks from before the injection are freed by the real allocator, sampled ones
    after it leave the report; untrace restores the GOT entries exactly."""
    inject_and_check()


def leads_into(got, spans):
    return {key for key, v in got.items() if any(lo <= v < hi for lo, hi, _ in spans)}


def case_inject_dlopen():
    """Libraries dlopen'd after the injection are patched when their dlopen returns
    (by path and by bare name): their sites come out exact at --sample 1, blocks
    their constructors made before are freed by the real allocator, their GOT
    entries lead into the sampler and, after untrace, back to libc's functions, as
    does the program's dlopen entry; one dlopen'd after untrace is left alone, and
    patched by the next --inject."""
    d = daemon()
    ldir = os.path.dirname(leaker("leak_late"))
    env = dict(os.environ, LD_LIBRARY_PATH=ldir)
    lk = Leaker([leaker("leak_late")], env=env, stderr=subprocess.PIPE)
    libs = {n: os.path.realpath(os.path.join(ldir, n + ".so"))
            for n in ("latelib_a", "latelib_b", "latelib_c")}
    try:
        wait_watched(d, lk.pid)
        prog = os.path.realpath(f"/proc/{lk.pid}/exe")
        ans, _ = d.ctl("trace", str(lk.pid), "--inject", "--sample", "1")
        patched = ans["got_entries"]
        spans = mapping(lk.pid, SAMPLER)
        check(spans, "the sampler is not mapped")
        check(("dlopen" in {k[0] for k in leads_into(got_entries(lk.pid, prog), spans)}),
              "the program's dlopen entry does not lead into the sampler")
        lk.do("load latelib_a")             # by its path
        lk.do("loadbare latelib_c")         # along LD_LIBRARY_PATH, as the program would
        wait_watched(d, lk.pid)
        late = {}
        for n in ("latelib_a", "latelib_c"):
            late[n] = got_entries(lk.pid, libs[n])
            check_eq({k[0] for k in late[n]}, {"malloc", "free", "calloc"}, f"{n}'s entries")
            check_eq(leads_into(late[n], spans), set(late[n]),
                     f"{n}'s entries leading into the sampler")
        lk.do("leak latelib_a 40 1000")     # 20 kept, 20 freed
        lk.do("zeroed latelib_a 6 3000")
        lk.do("release latelib_a")          # its constructor's 50 blocks, unsampled
        lk.do("leak latelib_c 10 500")
        wait_heap(d, lk.pid, "late_zeroed", (18000, 6))
        wait_heap(d, lk.pid, "late_leak", (20 * 1000 + 5 * 500, 25))
        check("late_ctor" not in heap_sites(d, lk.pid), "the constructor's blocks reported")
        ans, _ = d.ctl("untrace", str(lk.pid))
        check_eq(ans["got_entries"], patched + len(late["latelib_a"]) + len(late["latelib_c"]),
                 "GOT entries restored (the program's, libc's and the late libraries')")
        libc = mapped_path(lk.pid, "libc.so")
        for n in ("latelib_a", "latelib_c"):
            check_eq(got_entries(lk.pid, libs[n]),
                     {k: symbol_at(lk.pid, libc, k[0]) for k in late[n]},
                     f"{n}'s entries after untrace (libc's functions)")
        check(not leads_into(got_entries(lk.pid, prog), spans), "the program's entries")
        # Loaded while not injected: left alone, its allocations unseen.
        lk.do("load latelib_b")
        got_b = got_entries(lk.pid, libs["latelib_b"])
        check_eq(got_b, {k: symbol_at(lk.pid, libc, k[0]) for k in got_b},
                 "latelib_b's entries, loaded after untrace")
        lk.do("leak latelib_b 8 700")
        # Injected again: every library's entries, latelib_b's too, lead to it.
        ans, _ = d.ctl("trace", str(lk.pid), "--inject", "--sample", "1")
        check_eq(ans["got_entries"], patched + 3 * len(got_b), "GOT entries patched again")
        for n, path in libs.items():
            check_eq(leads_into(got_entries(lk.pid, path), spans),
                     set(got_entries(lk.pid, path)), f"{n}'s entries injected again")
        lk.do("leak latelib_b 4 900")       # 2 kept (a new trace: its rows start anew)
        wait_heap(d, lk.pid, "late_leak", (2 * 900, 2))
        ans, _ = d.ctl("untrace", str(lk.pid))
        check_eq(ans["got_entries"], patched + 3 * len(got_b), "GOT entries restored again")
        for n, path in libs.items():
            check(not leads_into(got_entries(lk.pid, path), spans), f"{n}'s entries restored")
        end_cleanly(lk)
        d.stop()
    finally:
        lk.end()
        d.kill()


def case_inject_dlopen_threads():
    """Two threads dlopen a library each at the same moment: both are patched (the
    sampler's lock serializes them), their sites exact.  A library dlclose'd is not
    written to at untrace (the process runs on), and one unloaded and loaded again
    while injected is patched again and restored again."""
    d = daemon()
    ldir = os.path.dirname(leaker("leak_late"))
    lk = Leaker([leaker("leak_late")], stderr=subprocess.PIPE)
    libs = {n: os.path.realpath(os.path.join(ldir, n + ".so")) for n in ("latelib_a", "latelib_b")}
    try:
        wait_watched(d, lk.pid)
        ans, _ = d.ctl("trace", str(lk.pid), "--inject", "--sample", "1")
        patched = ans["got_entries"]
        spans = mapping(lk.pid, SAMPLER)
        lk.do("loadpair latelib_a latelib_b")
        wait_watched(d, lk.pid)
        got = {n: got_entries(lk.pid, path) for n, path in libs.items()}
        for n in libs:
            check_eq(leads_into(got[n], spans), set(got[n]), f"{n}'s entries")
        lk.do("leak latelib_a 10 1000")     # 5 kept
        lk.do("zeroed latelib_b 3 2000")
        wait_heap(d, lk.pid, "late_zeroed", (6000, 3))
        wait_heap(d, lk.pid, "late_leak", (5000, 5))
        lk.do("unload latelib_a")
        check(not mapping(lk.pid, libs["latelib_a"]), "latelib_a still mapped")
        ans, _ = d.ctl("untrace", str(lk.pid))
        check_eq(ans["got_entries"], patched + len(got["latelib_b"]),
                 "GOT entries restored (none of the unloaded library)")
        libc = mapped_path(lk.pid, "libc.so")
        check_eq(got_entries(lk.pid, libs["latelib_b"]),
                 {k: symbol_at(lk.pid, libc, k[0]) for k in got["latelib_b"]},
                 "latelib_b's entries after untrace")
        # Injected again: latelib_a loaded, unloaded and loaded again meanwhile.
        ans, _ = d.ctl("trace", str(lk.pid), "--inject", "--sample", "1")
        check_eq(ans["got_entries"], patched + len(got["latelib_b"]), "patched again")
        for _ in range(2):
            lk.do("load latelib_a")
            a = got_entries(lk.pid, libs["latelib_a"])
            check_eq(leads_into(a, spans), set(a), "latelib_a's entries, loaded again")
            lk.do("unload latelib_a")
        lk.do("load latelib_a")
        wait_watched(d, lk.pid)
        lk.do("leak latelib_a 4 300")       # 2 kept
        wait_heap(d, lk.pid, "late_leak", (600, 2))
        ans, _ = d.ctl("untrace", str(lk.pid))
        check_eq(ans["got_entries"], patched + len(got["latelib_b"]) + len(a),
                 "GOT entries restored: the library loaded last counted once")
        got["latelib_a"] = a                # where it was loaded last
        for n, path in libs.items():
            check_eq(got_entries(lk.pid, path),
                     {k: symbol_at(lk.pid, libc, k[0]) for k in got[n]},
                     f"{n}'s entries after the second untrace")
        end_cleanly(lk)
        d.stop()
    finally:
        lk.end()
        d.kill()


def case_inject_dlopen_busy():
    """Injected and taken out three times while a thread of the leaker loads and
    unloads a library over and over: each time at least one of its dlopens is
    followed while injected (the sampler's patching races with the daemon's
    stop-the-world calls, which wait for its lock by trying again), the program's
    GOT entries are back after each untrace, and the leaker runs on."""
    d = daemon()
    env = dict(os.environ, LEAKD_SAMPLER_STATS="1")
    lk = Leaker([leaker("leak_late")], env=env, stderr=subprocess.PIPE)
    prog = os.path.realpath(f"/proc/{lk.pid}/exe")
    rounds = 3
    try:
        wait_watched(d, lk.pid)
        lk.do("loadloop latelib_a 2")       # its first round done: dlopen bound
        before = got_entries(lk.pid, prog)
        for _ in range(rounds):
            d.ctl("trace", str(lk.pid), "--inject", "--sample", "64K")
            spans = mapping(lk.pid, SAMPLER)
            check_eq(leads_into(got_entries(lk.pid, prog), spans), set(before),
                     "the program's entries while injected")
            start = int(lk.do("loops")[0])
            d.poll("two more rounds of the loop while injected",
                   lambda: int(lk.do("loops")[0]) >= start + 2)
            ans, _ = d.ctl("untrace", str(lk.pid))
            check(ans["got_entries"] >= len(before), f"restored: {ans}")
            check_eq(got_entries(lk.pid, prog), before, "the program's entries after untrace")
        lk.do("stop")
        lk.end()
        err = lk.proc.stderr.read()
        check_eq(lk.proc.returncode, 0, f"leaker exit status (stderr: {err.strip()!r})")
        check("invalid" not in err and "corrupt" not in err, f"the allocator complained: {err!r}")
        m = re.search(r"dlopen'd while injected: (\d+) objects patched", err)
        check(m and int(m.group(1)) >= rounds, f"the sampler's counters: {err!r}")
        d.stop()
    finally:
        lk.end()
        d.kill()


def case_inject_dlopen_caller():
    """A dlopen by a bare name from a program with DT_RUNPATH $ORIGIN is found there
    only when dlopen sees the program as its caller: the sampler forwards it
    untouched (the library is found, its entries left alone, the call counted), and
    the next dlopen it follows patches that library too."""
    d = daemon()
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    env["LEAKD_SAMPLER_STATS"] = "1"
    lk = Leaker([leaker("leak_late_runpath")], env=env, stderr=subprocess.PIPE)
    ldir = os.path.dirname(leaker("leak_late"))
    libs = {n: os.path.realpath(os.path.join(ldir, n + ".so")) for n in ("latelib_a", "latelib_c")}
    try:
        wait_watched(d, lk.pid)
        ans, _ = d.ctl("trace", str(lk.pid), "--inject", "--sample", "1")
        patched = ans["got_entries"]
        spans = mapping(lk.pid, SAMPLER)
        lk.do("loadbare latelib_c")         # along the program's own DT_RUNPATH
        c = got_entries(lk.pid, libs["latelib_c"])
        check_eq(leads_into(c, spans), set(), "latelib_c's entries (its dlopen forwarded)")
        lk.do("load latelib_a")             # by its path: followed, latelib_c caught up
        wait_watched(d, lk.pid)
        for n, path in libs.items():
            got = got_entries(lk.pid, path)
            check_eq(leads_into(got, spans), set(got), f"{n}'s entries")
        lk.do("leak latelib_c 10 500")
        wait_heap(d, lk.pid, "late_leak", (2500, 5))
        ans, _ = d.ctl("untrace", str(lk.pid))
        check_eq(ans["got_entries"], patched + 2 * len(c), "GOT entries restored")
        for n, path in libs.items():
            check(not leads_into(got_entries(lk.pid, path), spans), f"{n}'s entries restored")
        lk.end()
        err = lk.proc.stderr.read()
        check_eq(lk.proc.returncode, 0, f"leaker exit status (stderr: {err.strip()!r})")
        check(f"dlopen'd while injected: 2 objects patched ({2 * len(c)} entries), 0 entries "
              "dropped (list full), 1 dlopen calls not followed" in err,
              f"the sampler's counters: {err!r}")
        d.stop()
    finally:
        lk.end()
        d.kill()


def case_inject_dlopen_full():
    """The room kept for the entries of libraries dlopen'd after the injection is
    bounded (LEAKD_SAMPLER_LATE_ENTRIES): a library whose entries do not fit is left
    alone whole, and the entries dropped are counted where the sampler's other
    counters show (LEAKD_SAMPLER_STATS=1, at exit)."""
    d = daemon()
    env = dict(os.environ, LEAKD_SAMPLER_LATE_ENTRIES="4", LEAKD_SAMPLER_STATS="1")
    lk = Leaker([leaker("leak_late")], env=env, stderr=subprocess.PIPE)
    ldir = os.path.dirname(leaker("leak_late"))
    try:
        wait_watched(d, lk.pid)
        d.ctl("trace", str(lk.pid), "--inject", "--sample", "1")
        spans = mapping(lk.pid, SAMPLER)
        lk.do("load latelib_a")             # 3 entries: they fit
        lk.do("load latelib_b")             # 3 more do not
        a = got_entries(lk.pid, os.path.realpath(os.path.join(ldir, "latelib_a.so")))
        b = got_entries(lk.pid, os.path.realpath(os.path.join(ldir, "latelib_b.so")))
        check_eq(leads_into(a, spans), set(a), "latelib_a's entries")
        check_eq(leads_into(b, spans), set(), "latelib_b's entries (no room)")
        d.ctl("untrace", str(lk.pid))
        lk.end()
        err = lk.proc.stderr.read()
        check_eq(lk.proc.returncode, 0, f"leaker exit status (stderr: {err.strip()!r})")
        check(f"dlopen'd while injected: 1 objects patched ({len(a)} entries), {len(b)} "
              "entries dropped (list full)" in err, f"the sampler's counters: {err!r}")
        d.stop()
    finally:
        lk.end()
        d.kill()


def case_inject_jemalloc():
    """The same in front of jemalloc (preloaded): the sampler forwards to jemalloc,
    whose blocks from before the injection go back to it, not to glibc."""
    if not os.path.exists(JEMALLOC):
        raise Skip(f"{JEMALLOC} is not installed (setup.sh installs it)")
    inject_and_check(env=dict(os.environ, LD_PRELOAD=JEMALLOC))


def case_inject_busy():
    """Injected and taken out again while another thread of the leaker allocates
    all the time: the thread that calls is chosen outside the allocator, every
    thread is stopped while the entries change; the leaker runs on, its allocations
    sampled while injected, its GOT entries back each time."""
    d = daemon()
    lk = Leaker(stderr=subprocess.PIPE)
    try:
        wait_watched(d, lk.pid)
        lk.do("grow 4 1000000 1")       # 4 KiB from steady_grow() every millisecond
        lk.do("hold 1 64")              # the main thread's calls bound
        lk.do("release")
        before = all_got(lk.pid)
        for _ in range(3):
            ans, _ = d.ctl("trace", str(lk.pid), "--inject", "--sample", "64K")
            check(ans.get("got_entries", 0) >= len(before), f"patched: {ans}")
            wait_watched(d, lk.pid)
            d.poll("steady_grow sampled", lambda: heap_sites(d, lk.pid).get("steady_grow"))
            ans, _ = d.ctl("untrace", str(lk.pid))
            check(ans.get("got_entries", 0) >= len(before), f"restored: {ans}")
            check_eq(all_got(lk.pid), before, "the GOT entries after untrace")
        lk.do("stop")
        lk.do("malloc 1 100")
        end_cleanly(lk)
        d.stop()
    finally:
        lk.end()
        d.kill()


def case_inject_late():
    """A call that runs past its deadline (dlopen waits for the loader's lock, which
    another thread of the leaker holds for 12 s): the request is refused with exit
    status 6, that thread stays traced and, once dlopen returns, gets its registers
    back and is let go; the leaker answers again, its GOT entries as they were."""
    d = daemon()
    lk = Leaker(stderr=subprocess.PIPE)
    try:
        wait_watched(d, lk.pid)
        lk.do("hold 1 64")              # malloc and free bound: the entries stay as read
        lk.do("release")
        before = all_got(lk.pid)
        lk.do("lockdl 12000")
        out, rc = d.ctl("trace", str(lk.pid), "--inject", json_out=False, check_rc=False)
        check_eq(rc, EXIT_INJECT, f"leakctl's status ({out.strip()})")
        check("dlopen failed" in out, f"the reason: {out!r}")
        st, _ = d.ctl("status")
        check_eq(st["inject"]["waiting"], 1, "threads still to be let go")
        d.poll("the thread let go",
               lambda: d.ctl("status")[0]["inject"]["waiting"] == 0, timeout=TIMEOUT)
        lk.do("malloc 1 100")           # its main thread, the one that called, answers
        check_eq(all_got(lk.pid), before, "the GOT entries")
        with open(f"/proc/{lk.pid}/status") as f:
            check("TracerPid:\t0\n" in f.read(), "the leaker is still traced")
        end_cleanly(lk)
        d.stop()
    finally:
        lk.end()
        d.kill()


INTERVAL = 16384
SMALL = (4000, 256)         # blocks, bytes: p = 1 - e^(-256/16384) per block
LARGE = (20, 1 << 20)       # far above the interval: sampled for sure, exact


def case_inject_estimates():
    """Sampled at 16 KiB: per run, the small site's estimate over several injected
    leakers has its mean within 3 standard errors of the truth (the sampling's own
    variance); a site far above the interval comes out exact."""
    runs = 5
    d = daemon()
    leakers = [Leaker(stderr=subprocess.PIPE) for _ in range(runs)]
    try:
        got = []
        for lk in leakers:
            wait_watched(d, lk.pid)
            d.ctl("trace", str(lk.pid), "--inject", "--sample", str(INTERVAL))
            wait_watched(d, lk.pid)
            lk.do(f"malloc {SMALL[0]} {SMALL[1]}")
            lk.do(f"hold {LARGE[0]} {LARGE[1]}")
            # The ring buffer keeps order: once the large site is in, the small one is.
            wait_heap(d, lk.pid, "hold_blocks", (LARGE[0] * LARGE[1], LARGE[0]))
            got.append(heap_sites(d, lk.pid).get("heap_leak", (0, 0)))
        n, size = SMALL
        p = -math.expm1(-size / INTERVAL)
        se_b = math.sqrt(n * size * size * (1 - p) / p / runs)
        se_n = math.sqrt(n * (1 - p) / p / runs)
        mean_b = statistics.mean(b for b, _ in got)
        mean_n = statistics.mean(c for _, c in got)
        check(abs(mean_b - n * size) <= 3 * se_b,
              f"mean estimate {mean_b:.0f} B over {runs} runs, truth {n * size}, standard "
              f"error {se_b:.0f}; runs {got}")
        check(abs(mean_n - n) <= 3 * se_n + 1,
              f"mean count {mean_n:.1f}, truth {n}, standard error {se_n:.1f}; runs {got}")
        for lk in leakers:
            end_cleanly(lk)
        d.stop()
    finally:
        for lk in leakers:
            lk.end()
        d.kill()


def refused(d, lk, why, preloaded=False):
    """--inject refused with exit status 6 and why; the process runs on without the
    sampler (or with the one it was started with)."""
    out, rc = d.ctl("trace", str(lk.pid), "--inject", json_out=False, check_rc=False)
    check_eq(rc, EXIT_INJECT, f"leakctl's status ({out.strip()})")
    check(why in out and len(out.strip().splitlines()) == 1, f"the reason: {out!r}")
    check(bool(mapping(lk.pid, SAMPLER)) == preloaded, "the sampler was loaded all the same")
    lk.do("malloc 1 64")                # it still runs and answers


def ptrace(req, pid):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    if libc.ptrace(req, pid, None, None):
        raise OSError(ctypes.get_errno(), f"ptrace({req:#x})")


PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT = 17, 0x4206, 0x4207


def case_inject_refused():
    """Where it cannot be done safely --inject is refused with one line and exit
    status 6, the process left running as it was: a static program, one under
    seccomp (a filter that allows all), one traced already (by this test), one with
    the sampler preloaded, a sampler that is not there or that others than root may
    write.  Another user may not
    inject into root's process (3); arguments that do not go together (2)."""
    d = daemon()
    static = Leaker([leaker("leak_ctl_static")])
    sec = Leaker()
    plain = Leaker()
    pre = Leaker(env=dict(os.environ, LD_PRELOAD=SAMPLER))
    traced = False
    try:
        for lk in (static, sec, plain, pre):
            wait_watched(d, lk.pid)
        refused(d, static, "statically linked")
        sec.do("seccomp")
        with open(f"/proc/{sec.pid}/status") as f:
            check("Seccomp:\t2" in f.read(), "the leaker's filter is not in place")
        refused(d, sec, "seccomp")
        refused(d, pre, "preloaded", preloaded=True)
        ptrace(PTRACE_SEIZE, plain.pid)
        traced = True
        refused(d, plain, f"traced by pid {os.getpid()}")
        ptrace(PTRACE_INTERRUPT, plain.pid)
        os.waitpid(plain.pid, 0x40000000)     # __WALL: the interrupt's stop
        ptrace(PTRACE_DETACH, plain.pid)
        traced = False
        out, rc = d.ctl("trace", str(plain.pid), "--inject", user=65534, json_out=False,
                        check_rc=False)
        check_eq(rc, EXIT_PERM, f"another user's request ({out.strip()})")
        check(not mapping(plain.pid, SAMPLER), "injected for another user")
        for args in (["--comm", "leak_ctl", "--inject"], [str(plain.pid), "--inject", "--exact"],
                     [str(plain.pid), "--sample", "1"]):
            _, rc = d.ctl("trace", *args, check_rc=False)
            check_eq(rc, EXIT_USAGE, f"leakctl trace {' '.join(args)}")
        st, _ = d.ctl("status")
        check_eq(st["inject"], {"done": 0, "refused": 4, "waiting": 0, "lost": 0},
                 "injections in status")
        # Every refused process still answers and was never traced.
        for lk in (static, sec, plain, pre):
            p = proc_of(d.ctl("ps")[0], lk.pid)
            check(p["traced"] in ("no", "sampler"), f"pid {lk.pid} traced as {p['traced']}")
        d.stop()
        # A daemon whose sampler is not there, one whose sampler others may write.
        d = daemon(sampler="/nonexistent/libleakd-sampler.so")
        wait_watched(d, plain.pid)
        refused(d, plain, "no sampler at /nonexistent/libleakd-sampler.so")
        d.stop()
        wd = Workdir()
        loose = wd.file("libleakd-sampler.so")
        shutil.copy(SAMPLER, loose)
        os.chmod(loose, 0o775)
        d = daemon(sampler=loose)
        wait_watched(d, plain.pid)
        refused(d, plain, "not a file only root may write")
        d.stop()
    finally:
        if traced:
            try:
                ptrace(PTRACE_INTERRUPT, plain.pid)
                os.waitpid(plain.pid, 0x40000000)
                ptrace(PTRACE_DETACH, plain.pid)
            except OSError:
                pass
        for lk in (static, sec, plain, pre):
            lk.end()
        d.kill()
