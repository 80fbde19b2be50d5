# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""The watch tier on memory that is reserved and committed later, on brk growth,
on MAP_NORESERVE, and on a Node server: the daemon, untraced processes."""

import os
import shutil
import subprocess
import time
import urllib.request

from harness import (TIMEOUT, Daemon, Leaker, TestFailure, check, check_eq, check_truth,
                     first_frame_in, frame_function, leaker, proc_of, run_command, spawn,
                     wait_watched)

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
    # All the rows: -n 0 (case_top_all_rows checks that it means all).
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
    commit_steps(Daemon(), "syscall tracepoints")


def case_commit_steps_raw():
    """The same through the raw syscall entry and exit (`syscall-probes = raw`,
    what runs where tracefs cannot be mounted): the same exact figures."""
    commit_steps(Daemon(config="syscall-probes = raw\n"), "raw syscall entry and exit")


def commit_steps(d, mechanism):
    lk = Leaker([leaker("leak_commit")])
    with run(d, lk):
        check_eq(d.ctl("status")[0]["kernel"]["syscalls"], mechanism, "how the syscalls are probed")
        wait_watched(d, lk.pid)
        lk.do("reserve 256")
        check_eq(committed(lk, "commit 16"), 16 * PAGE, "the leaker's figure")
        s = wait_site(d, lk.pid, "mapping", "commit_step", 16 * PAGE, 1)
        st = s["stacks"][0]
        check_eq(frame_function(st["frames"][0]), "mprotect", "frame 0 of the commit")
        check("attribution" not in st, "a commit is live memory, not an attribution")
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
        # mmap(MAP_FIXED) over the reservation commits too, under its own stack;
        # mapped back PROT_NONE the same way, it is a reservation again.
        check_eq(committed(lk, "fixed 12"), 32 * PAGE, "the leaker's figure")
        s = wait_site(d, lk.pid, "mapping", "fixed_commit", 12 * PAGE, 1)
        check_eq(frame_function(s["stacks"][0]["frames"][0])[:4], "mmap",
                 "frame 0 of a MAP_FIXED commit")
        check_eq(committed(lk, "unfix 5"), 27 * PAGE, "the leaker's figure")
        wait_site(d, lk.pid, "mapping", "fixed_commit", 7 * PAGE, 1)
        wait_site(d, lk.pid, "mapping", "commit_step", 20 * PAGE, 2)
        p = proc_of(d.ctl("ps")[0], lk.pid)
        # The reservation less what is committed now; the discarded pages are address
        # space only again.  The leaker reserves nothing else.
        check_eq(p["reserved_bytes"], 256 * MiB - 27 * PAGE, "reserved bytes")
        check(p["mapped_bytes"] < 256 * MiB, f"the reservation counted: {p['mapped_bytes']}")
        # Nothing of it at the mapping level but the commits.
        for fn, s in sites(top(d, lk.pid), lk.pid, "mapping", "leak_commit").items():
            check(fn in ("commit_step", "fixed_commit"),
                  f"{fn} holds {s['bytes']} bytes at the mapping level")


def case_noreserve():
    """A read-write MAP_NORESERVE mapping (ASan's shadow) counts as reserved address
    space, not as memory: its virtual size is not growth."""
    # One mapping made before the daemon starts: it is found in /proc, not seen made.
    early = Leaker([leaker("leak_commit")])
    try:
        early.do("noreserve 8192")
        d = Daemon()
    except BaseException:
        early.end()
        raise
    lk = Leaker([leaker("leak_commit")])
    with run(d, lk, early):
        wait_watched(d, early.pid)
        p = proc_of(d.ctl("ps")[0], early.pid)
        check_eq(p["reserved_bytes"], 8192 * MiB, "reserved bytes found at start")
        check(p["mapped_bytes"] < 1024 * MiB, f"mapped {p['mapped_bytes']} at start")
        wait_watched(d, lk.pid)
        before = proc_of(d.ctl("ps")[0], lk.pid)
        lk.do("noreserve 4096")
        # A commit after it: once that shows, the mapping's event was seen too.
        lk.do("reserve 1")
        lk.do("commit 1")
        wait_site(d, lk.pid, "mapping", "commit_step", PAGE, 1)
        after = proc_of(d.ctl("ps")[0], lk.pid)
        # 4 GiB of MAP_NORESERVE and 1 MiB of PROT_NONE, of which one page committed.
        check_eq(after["reserved_bytes"] - before["reserved_bytes"], 4097 * MiB - PAGE,
                 "reserved bytes made")
        check_eq(after["mapped_bytes"] - before["mapped_bytes"], PAGE, "mapped bytes made")
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
        # A thread's own arena: reserved by glibc, committed as it grows, under the
        # stack of the malloc that grew it.
        lk.do("arena 64 40")

        def arena():
            s = sites(top(d, lk.pid), lk.pid, "mapping", "leak_commit").get("arena_grow")
            return s if s and s["bytes"] >= 40 * 64 * 1024 else None
        s = d.poll("arena_grow's commits", arena, timeout=20)
        for st in s["stacks"]:
            names = [frame_function(f) for f in st["frames"]]
            check_eq(names[0], "mprotect", "frame 0 of an arena's growth")
            check("malloc" in names or any("sysmalloc" in n for n in names),
                  f"not through malloc: {names}")
        # Not traced: nothing at the allocator level.
        ps = proc_of(d.ctl("ps")[0], lk.pid)
        check_eq(ps["traced"], "no", "trace state")
        text, _ = d.ctl("top", "--pid", str(lk.pid), "--level", "mapping", json_out=False)
        check("of heap growth (brk)" in text and "growth attribution" in text, text)


class NodeServer:
    """leak_http.js under node --perf-basic-prof, in the test's own directory."""

    def __init__(self, cwd):
        node = shutil.which("node") or shutil.which("nodejs")
        check(node is not None, "no node (setup.sh installs Debian's nodejs)")
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              "../leakers/leak_http.js")
        self.proc = spawn([node, "--perf-basic-prof", "--interpreted-frames-native-stack",
                           script], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True)
        line = self.proc.stdout.readline()
        check(line.startswith("ready "), f"the server said {line!r}")
        self.pid, self.port = int(line.split()[1]), int(line.split()[2])

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
            return r.read().decode()

    def end(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("done\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        perf_map = f"/tmp/perf-{self.pid}.map"
        if os.path.exists(perf_map):
            os.unlink(perf_map)


def rss_anon(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    raise TestFailure(f"no RssAnon for {pid}")


def memory_rows(d, pid):
    """The rows of the mapping level (mappings, commits, heap growth) of pid."""
    return [st for st in top(d, pid)["stacks"] if st["pid"] == pid and
            st["level"] in ("mapping", "brk")]


def case_node_http_growth():
    """A Node HTTP server leaking into a module-level array on one route, loaded on
    loopback, not traced: the mapping level accounts for most of the process's
    anonymous growth (V8 commits its heap with mprotect), and the stacks that hold
    the growth show the JavaScript function that leaked, named from the perf map."""
    # The watch tier alone (never traced); a short growth window, for ps's owner of growth.
    d = Daemon(config="drilldown-max = 0\ngrowth-window = 6s\n")
    srv = NodeServer(d.wd.path)
    with run(d, srv):
        wait_watched(d, srv.pid)
        for _ in range(20):
            srv.get("/ok")
        check_eq(srv.get("/leak"), "2000", "the first leak")
        # Settle what start-up and the first requests made, then measure from there.
        base_rows = {st["id"]: st["bytes"] for st in memory_rows(d, srv.pid)}
        base = sum(base_rows.values())
        anon0 = rss_anon(srv.pid)
        for i in range(400):
            srv.get("/leak" if i % 4 else "/ok")
        check_eq(srv.get("/leak"), str(2000 * 302), "objects retained")
        grown = rss_anon(srv.pid) - anon0
        check(grown >= 40 * MiB, f"the server grew by {grown} bytes only")

        def covered():
            rows = memory_rows(d, srv.pid)
            got = sum(st["bytes"] for st in rows) - base
            return (rows, got) if got >= 0.8 * grown else None
        try:
            rows, got = d.poll("the mapping level to cover the growth", covered, timeout=20)
        except TestFailure:
            rows = memory_rows(d, srv.pid)
            raise TestFailure(f"mapping level grew by {sum(s['bytes'] for s in rows) - base} "
                              f"bytes of {grown} anonymous")
        print(f"anonymous growth {grown}, mapping level {got} ({100 * got / grown:.0f} %)")
        # The rows that grew, and the route's JavaScript among their frames (V8 may
        # inline retainRequest into the handler: either names the leaking route).
        grew = [st for st in rows if st["bytes"] > base_rows.get(st["id"], 0)]
        js = [st for st in grew
              if any(f.get("jit") and "leak_http.js" in frame_function(f)
                     for f in st["frames"])]
        check(js, "no growing stack through leak_http.js; frames of the largest: "
              f"{[frame_function(f) for f in max(grew, key=lambda s: s['bytes'])['frames']]}")
        js_bytes = sum(st["bytes"] - base_rows.get(st["id"], 0) for st in js)
        names = sorted({frame_function(f) for st in js for f in st["frames"]
                        if f.get("jit") and "leak_http.js" in frame_function(f)})
        print(f"{len(js)} growing stacks through {names} hold {js_bytes} bytes")
        check_eq(proc_of(d.ctl("ps")[0], srv.pid)["traced"], "no", "the server's trace state")
        # Who owns that memory, from the frames that mapped it: V8's heap for most of it
        # (JavaScript that allocates through malloc grows the native heap too).
        by_owner = {}
        for st in js:
            by_owner[st.get("owner")] = by_owner.get(st.get("owner"), 0) + st["bytes"]
        check(by_owner.get("v8", 0) * 2 > sum(by_owner.values()),
              f"the owners of the JavaScript stacks' memory: {by_owner}")
        # ps says where the growth is while it goes on (over the daemon's samples of
        # its stacks, a second apart), with what to do next.
        def grows_in():
            for i in range(20):
                srv.get("/leak" if i % 2 else "/ok")
            row = proc_of(d.ctl("ps")[0], srv.pid)
            return row if row.get("growth_in") else None
        try:
            row = d.poll("ps to say where the growth is", grows_in, timeout=TIMEOUT)
        except TestFailure:
            row = proc_of(d.ctl("ps")[0], srv.pid)
        check_eq(row.get("growth_in"), "v8", f"where ps says the growth is: {row}")
        check("heap snapshot" in row["advice"], f"the advice: {row['advice']}")
        text, _ = d.ctl("ps", json_out=False)
        check(f"pid {srv.pid}: growth is in the V8 heap" in text, f"ps as text:\n{text}")


def case_refreed_frees():
    """A two-thread program traced from its start: the blocks glibc frees a second
    time when an exiting thread's cache (tcache) is emptied are counted as frees of
    blocks already freed, not as blocks from before tracing; what is left is the
    cache itself, which glibc allocated without malloc."""
    r = run_command([leaker("leak_tcache")])
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    check_truth(rep, r.truth, "leak_tcache")
    notes = r.truth["notes"]
    check_eq(rep["refreed_frees"], notes["tcache_entries"], "frees of blocks freed already")
    check_eq(rep["unmatched_frees"], notes["exited_threads"], "frees of blocks never seen")
    text = run_command([leaker("leak_tcache")], json_out=False).reports
    check(f"{notes['tcache_entries']} frees of blocks already freed" in text, text)
    # Traced from its start: the report does not blame blocks from before tracing.
    check("frees of blocks not seen allocated" in text and "before tracing began" not in text,
          text)


def case_top_all_rows():
    """leakctl top -n 0 gives every row, as the man page says; without -n, 10."""
    d = Daemon()
    leakers_ = []
    try:
        for _ in range(12):
            leakers_.append(Leaker())
    except BaseException:
        for lk in leakers_:
            lk.end()
        d.kill()
        raise
    sel = ("top", "--comm", "leak_ctl", "--level", "mapping")
    with run(d, *leakers_):
        pids = set()
        for i, lk in enumerate(leakers_):
            wait_watched(d, lk.pid)
            lk.do(f"mmap 1 {(i + 1) * 64 * 1024}")
            pids.add(lk.pid)

        def all_rows():
            answer = d.ctl(*sel, "-n", "0")[0]
            mine = {st["pid"] for st in answer["stacks"] if st["pid"] in pids
                    and first_frame_in(st, "leak_ctl")[1] is not None}
            return answer if mine == pids else None
        answer = d.poll("a map_leak row of each of 12 processes with -n 0", all_rows)
        check(len(answer["stacks"]) > 12, f"{len(answer['stacks'])} rows with -n 0")
        check_eq(len(d.ctl(*sel)[0]["stacks"]), 10, "rows without -n")
        check_eq(len(d.ctl(*sel, "-n", "3")[0]["stacks"]), 3, "rows with -n 3")
        text = d.ctl(*sel, "-n", "0", json_out=False)[0]
        check(text.startswith("Top ") and int(text.split()[1]) > 12,
              f"text rows with -n 0: {text[:200]!r}")


def case_stacks_after_exec():
    """A process that execs keeps its pid, and the daemon's unwind tables of it
    describe the image before (a shell's) until the daemon reads the new one:
    stacks walked in between are cut short and say so, never walked against code
    that is gone and passed for whole.  The daemon is stopped across the exec so
    that the new program's first mapping comes before that read."""
    import signal
    d = Daemon()
    sh = spawn(["sh", "-c", f"read x; exec {leaker('leak_ctl')}"], stdin=subprocess.PIPE,
               stdout=subprocess.PIPE, text=True)
    try:
        wait_watched(d, sh.pid)
        os.kill(d.proc.pid, signal.SIGSTOP)
        try:
            sh.stdin.write("go\nmmap 1 65536\n")
            sh.stdin.flush()
            check(sh.stdout.readline().startswith("ready"), "the leaker did not start")
            check(sh.stdout.readline().strip().endswith("ok"), "the leaker did not map")
        finally:
            os.kill(d.proc.pid, signal.SIGCONT)

        def mapped():
            rows = [st for st in top(d, sh.pid)["stacks"]
                    if st["bytes"] == 65536 and st["mappings"] == 1]
            return rows or None
        for st in d.poll("the leaker's mapping", mapped):
            names = [frame_function(f) for f in st["frames"]]
            check(st["cut"] or names[-1] == "_start",
                  f"a stack cut short that says nothing of it: {names}, cut {st['cut']}")
        sh.stdin.write("exit\n")
        sh.stdin.flush()
        sh.wait(timeout=TIMEOUT)
        d.stop()
    finally:
        if sh.poll() is None:
            sh.kill()
        d.kill()
