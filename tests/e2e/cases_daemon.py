# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""The system-wide daemon, started from the build tree with a test socket and
configuration, asked through the real leakctl."""

import json
import os
import shutil
import signal
import socket
import struct
import subprocess

from harness import (LEAKCTL, TIMEOUT, Daemon, Leaker, TestFailure, Workdir, check, check_eq,
                     first_frame_in, frame_function, is_system_frame, leaker,
                     need_private_mounts, proc_of, wait_for_line, wait_watched)

MiB = 1 << 20


def sites(answer, pid, level, module):
    """Outstanding bytes and count per function, each stack under its first frame in
    module, for one process at one level."""
    out = {}
    for st in answer["stacks"]:
        if st["pid"] != pid or st["level"] != level:
            continue
        _, fr = first_frame_in(st, module)
        if fr is None:
            continue
        s = out.setdefault(frame_function(fr), {"bytes": 0, "count": 0, "stacks": []})
        s["bytes"] += st["bytes"]
        s["count"] += st.get("allocs", st.get("mappings", 0))
        s["stacks"].append(st)
    return out


def top(d, pid, level):
    return d.ctl("top", "--pid", str(pid), "--level", level, "-n", "0")[0]


def wait_site(d, pid, level, module, fn, want_bytes, want_count):
    """Polls top until fn holds exactly what the leaker did (events arrive in bulk)."""
    def ok():
        s = sites(top(d, pid, level), pid, level, module).get(fn)
        return s if s and (s["bytes"], s["count"]) == (want_bytes, want_count) else None
    try:
        return d.poll(f"{fn}: {want_bytes} bytes in {want_count}", ok, timeout=20)
    except TestFailure:
        got = sites(top(d, pid, level), pid, level, module).get(fn)
        raise TestFailure(f"{fn} at the {level} level: want {want_bytes} bytes in "
                          f"{want_count}, got {got and (got['bytes'], got['count'])}")


def run(d, *leakers_, after_kill=None):
    """Stops everything however the case ends; after_kill(d) cleans up after a
    daemon killed on a failure."""
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
                if after_kill:
                    after_kill(d)
    return Guard()


def case_daemon_status():
    """status names the version, the kernel mechanisms and the processes watched."""
    d = Daemon()
    with run(d):
        st, _ = d.ctl("status")
        check(st["processes"]["watched"] > 0, "no process watched")
        check_eq(st["kernel"]["uprobes"], "uprobe_multi", "uprobe mechanism")
        check(st["daemon"]["rss_bytes"] > 0, "no daemon rss")
        text, _ = d.ctl("status", json_out=False)
        check("watched" in text and "drops:" in text, text)
        # --format json is --json; the answer carries its layout's version last.
        ans, _ = d.ctl("--format", "json", "status", json_out=False)
        st2 = json.loads(ans)
        check_eq(list(st2)[-1], "schema", "the last field of a JSON answer")
        check_eq(st2["schema"], 1, "schema version")
        _, rc = d.ctl("--format", "yaml", "status", json_out=False, check_rc=False)
        check_eq(rc, 2, "leakctl's status for an unknown format")


def case_dlopen_storm():
    """A process that loads and unloads a library without pause: the records of code
    it maps while the daemon reads its code are covered by that read (not each a read
    of their own), and the daemon answers trace, status and untrace meanwhile."""
    d = Daemon()
    lk = Leaker([leaker("leak_late")])
    try:
        wait_watched(d, lk.pid)
        lk.do("loadloop latelib_a 0")
        d.ctl("trace", str(lk.pid))
        start = int(lk.do("loops")[0])
        d.poll("records of code mapped covered by a read since",
               lambda: d.ctl("status")[0]["events"]["map_exec_covered"] > 0)
        d.poll("ten more rounds of the loop while traced",
               lambda: int(lk.do("loops")[0]) >= start + 10)
        d.ctl("untrace", str(lk.pid))
        ev = d.ctl("status")[0]["events"]
        check(ev["map_exec"] > ev["map_exec_covered"], f"no record of code mapped was read: {ev}")
        lk.do("stop")
        lk.end()
        d.stop()
    finally:
        lk.end()
        d.kill()


def case_mapping_grower():
    """A process that grows through anonymous mmap: ps shows its mappings and growth,
    top its mapping stack with exact figures."""
    d = Daemon(config="growth-window = 20s\n")
    lk = Leaker()
    with run(d, lk):
        wait_watched(d, lk.pid)
        lk.do(f"mmap 30 {4 * MiB}")
        s = wait_site(d, lk.pid, "mapping", "leak_ctl", "map_leak", 30 * 4 * MiB, 30)
        check_eq(frame_function(s["stacks"][0]["frames"][0])[:4], "mmap", "frame 0 (libc's mmap)")
        # Grow again once a sample has seen the first step: ps must show the growth.
        d.poll("a sample after the first step",
               lambda: (proc_of(d.ctl("ps")[0], lk.pid) or {}).get("anon_bytes", 0) >=
               30 * 4 * MiB)
        lk.do(f"mmap 10 {4 * MiB}")
        wait_site(d, lk.pid, "mapping", "leak_ctl", "map_leak", 40 * 4 * MiB, 40)
        # Samples come with the daemon's tick: wait for one after the second step.
        # Two steps: growth the history can tell once it spans part of the window.
        p = d.poll("the grower's growth in ps",
                   lambda: (lambda x: x if x and x["trend"] != "unknown" and
                            x["anon_bytes"] >= 40 * 4 * MiB else None)(
                       proc_of(d.ctl("ps")[0], lk.pid)))
        check(p["trend"] in ("growing", "plateaued"), f"the grower's trend: {p['trend']}")
        check(p["growth_per_hour"] is not None, "a growth rate once the trend is known")
        check(p["mapped_bytes"] >= 40 * 4 * MiB, f"mapped {p['mapped_bytes']}")
        check(p["anon_bytes"] >= 40 * 4 * MiB, f"anon {p['anon_bytes']}")


def case_trace_exact():
    """leakctl trace PID: allocator tracing starts when the command returns, and the
    figures are exact, through the daemon's move from its small watching ring
    buffer to the tracing one."""
    # Nothing traced before this case's own trace: not even another test's sampler.
    d = Daemon(config="max-sampler = 0\n")
    lk = Leaker()
    with run(d, lk):
        check_eq(d.ctl("status")[0]["daemon"]["ringbuf_bytes"], 1 << 20, "the watching ring")
        lk.do("malloc 3 1000")          # before tracing: never counted
        ans, _ = d.ctl("trace", str(lk.pid), "--exact")
        check_eq(ans["traced"], [lk.pid], "traced pids")
        lk.do("malloc 7 333")
        lk.do("malloc 2 4096")
        wait_site(d, lk.pid, "heap", "leak_ctl", "heap_leak", 7 * 333 + 2 * 4096, 9)
        st = d.ctl("status")[0]
        check_eq(st["daemon"]["ringbuf_bytes"], 4 << 20, "the ring once tracing")
        check(st["daemon"]["bpf_mapped_bytes"] > 2 * (4 << 20), f"status: {st['daemon']}")
        check(st["daemon"]["bpf_map_bytes"] >= st["daemon"]["bpf_mapped_bytes"] // 2,
              f"status: {st['daemon']}")
        ps, _ = d.ctl("ps")
        check_eq(proc_of(ps, lk.pid)["traced"], "manual", "trace state")
        check_eq(proc_of(ps, lk.pid)["sampling"], "exact", "--exact traces every call")
        ans, _ = d.ctl("untrace", str(lk.pid))
        check_eq(ans["untraced"], [lk.pid], "untraced pids")
        check_eq(proc_of(d.ctl("ps")[0], lk.pid)["traced"], "no", "trace state after untrace")


def case_drilldown():
    """A steady grower is traced automatically; a flat process is not."""
    d = Daemon(drilldown=True)
    grower, flat = Leaker(), Leaker()
    with run(d, grower, flat):
        flat.do(f"malloc 10 {MiB}")
        grower.do("grow 1024 600 50")   # 1 MiB every 50 ms
        d.poll("automatic tracing of the grower",
               lambda: proc_of(d.ctl("ps")[0], grower.pid)["traced"] == "auto", timeout=40)
        check_eq(proc_of(d.ctl("ps")[0], flat.pid)["traced"], "no", "the flat process's state")
        # Once traced, its growing stack shows at the allocator level.
        d.poll("steady_grow at the heap level",
               lambda: sites(top(d, grower.pid, "heap"), grower.pid, "heap",
                             "leak_ctl").get("steady_grow"))
        grower.do("stop")
        st, _ = d.ctl("status")
        check(st["drilldown"]["started"] >= 1, "no automatic trace counted")


def case_private_libc():
    """A process in its own mount namespace with a private copy of libc, bind-mounted
    over the usual path: its libc is another file, and still traced."""
    need_private_mounts()
    d = Daemon()
    tmp = Workdir().path
    libc = "/usr/lib/x86_64-linux-gnu/libc.so.6"
    shutil.copy(libc, os.path.join(tmp, "libc.so.6"))
    shell = f"mount --bind {tmp}/libc.so.6 {libc} && exec {leaker('leak_ctl')}"
    lk = Leaker(["unshare", "-m", "--propagation", "private", "sh", "-c", shell])
    with run(d, lk):
        maps = open(f"/proc/{lk.pid}/maps").read()
        check(str(os.stat(os.path.join(tmp, "libc.so.6")).st_ino) in maps,
              "the leaker does not map the private libc")
        d.ctl("trace", str(lk.pid), "--exact")
        lk.do("malloc 5 777")
        wait_site(d, lk.pid, "heap", "leak_ctl", "heap_leak", 5 * 777, 5)


def case_dlopen_daemon():
    """A library loaded after tracing began: its leak, with the caller below."""
    d = Daemon()
    lk = Leaker([leaker("leak_dlopen")])
    with run(d):
        d.ctl("trace", str(lk.pid), "--exact")
        lk.proc.stdin.write("go\n")
        lk.proc.stdin.flush()
        check(lk.proc.stdout.readline().startswith("loaded"), "the plugin did not load")
        d.wait_log("unwind table ready: " + leaker("leakplugin.so"), "the plugin's table")
        lk.proc.stdin.write("go\n")
        lk.proc.stdin.flush()
        # It leaks and exits: its summary holds the leak.
        check_eq(lk.proc.wait(timeout=30), 0, "leaker exit status")

        def summary():
            for p in d.ctl("exited")[0]["processes"]:
                if p["pid"] == lk.pid:
                    return p
            return None
        s = d.poll("the leaker's exit summary", summary)
        heap = [st for st in s["stacks"] if st["level"] == "heap" and
                frame_function(st["frames"][0]) == "plugin_leak"]
        check(heap, f"no plugin_leak stack in the summary: {s['stacks']}")
        names = [frame_function(f) for f in heap[0]["frames"] if not is_system_frame(f)]
        check_eq(names[:3], ["plugin_leak", "call_plugin", "main"], "the plugin's stack")
        check_eq(heap[0]["bytes"], 5 * 321, "the plugin's leak")


def case_static_binary():
    """A statically linked program is its own allocator: traced all the same."""
    d = Daemon()
    lk = Leaker([leaker("leak_ctl_static")])
    with run(d, lk):
        d.ctl("trace", str(lk.pid), "--exact")
        lk.do("malloc 4 2500")
        wait_site(d, lk.pid, "heap", "leak_ctl_static", "heap_leak", 10000, 4)


def preloaded(lib):
    d = Daemon()
    path = f"/usr/lib/x86_64-linux-gnu/{lib}"
    check(os.path.exists(path), f"{path} missing (setup.sh installs it)")
    lk = Leaker(env=dict(os.environ, LD_PRELOAD=path))
    with run(d, lk):
        check(path in open(f"/proc/{lk.pid}/maps").read(), f"{lib} not mapped")
        d.ctl("trace", str(lk.pid), "--exact")
        lk.do("malloc 6 1500")
        s = wait_site(d, lk.pid, "heap", "leak_ctl", "heap_leak", 9000, 6)
        check_eq(s["stacks"][0]["frames"][0]["module"], "leak_ctl", "frame 0's module")


def case_jemalloc():
    """Debian's jemalloc preloaded: traced through jemalloc's own malloc."""
    preloaded("libjemalloc.so.2")


def case_tcmalloc():
    """Debian's tcmalloc preloaded: traced through tcmalloc's own malloc."""
    preloaded("libtcmalloc.so.4")


def case_mimalloc():
    """Debian's mimalloc preloaded: traced through mimalloc's own malloc."""
    preloaded("libmimalloc.so.2")


def case_short_names_ctl():
    """leakctl top --short-names on a traced Rust program built with v0 mangling:
    text without generic arguments, JSON with them, exact figures."""
    from cases_stacks import rust_leaker
    d = Daemon()
    lk = Leaker([rust_leaker("v0"), "serve"])
    with run(d, lk):
        d.ctl("trace", str(lk.pid), "--exact")
        lk.do("leak")
        wait_site(d, lk.pid, "heap", "leak_rust_v0", "leak_rust::leaky_generic::<u64>", 2400, 1)
        wait_site(d, lk.pid, "heap", "leak_rust_v0", "leak_rust::leaky_fn", 3000, 3)
        sel = ("--pid", str(lk.pid), "-n", "0")
        full, _ = d.ctl("top", *sel, json_out=False)
        short, _ = d.ctl("top", *sel, "--short-names", json_out=False)
        also, _ = d.ctl("--short-names", "top", *sel, json_out=False)
        check("\tleak_rust::leaky_generic::<u64>+0x" in full, full)
        for text in (short, also):
            check("\tleak_rust::leaky_generic+0x" in text, text)
            check("\tleak_rust::leaky_fn+0x" in text, text)
            check("::<" not in text, f"generic arguments left:\n{text}")
        answer = d.ctl("top", *sel, "--short-names")[0]
        names = {frame_function(f) for st in answer["stacks"] for f in st["frames"]}
        check("leak_rust::leaky_generic::<u64>" in names, f"JSON lost the whole name: {names}")


def case_fork_churn():
    """Forked children that exit at once leave nothing behind in the tables."""
    d = Daemon()
    lk = Leaker()
    with run(d, lk):
        before = d.ctl("status")[0]["processes"]["watched"]
        pids = [int(p) for p in lk.do("fork 200")]
        check_eq(len(pids), 200, "children forked")

        def settled():
            ps = d.ctl("ps")[0]
            left = [p["pid"] for p in ps["processes"] if p["pid"] in pids]
            return not left
        d.poll("the children to leave the tables", settled)
        after = d.ctl("status")[0]["processes"]["watched"]
        check(after <= before + 5, f"{after} processes watched, {before} before the churn")


def real_uid(pid):
    """The real uid of a running process; None once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("Uid:"))
    except (OSError, StopIteration):
        return None


def case_non_root():
    """A user other than root sees only its own processes and cannot trace others'."""
    d = Daemon()
    mine = Leaker(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                   leaker("leak_ctl")])
    root = Leaker()
    with run(d, mine, root):
        ps, _ = d.ctl("ps", user=65534)
        uids = {p["uid"] for p in ps["processes"]}
        check_eq(uids, {65534}, "uids a non-root user sees")
        check(proc_of(ps, mine.pid), "the user's own process is missing")
        _, rc = d.ctl("trace", str(root.pid), user=65534, check_rc=False)
        check_eq(rc, 3, "leakctl status tracing another user's process")
        root.do("mmap 2 65536")         # something of root's to see, or not
        top_all, _ = d.ctl("top", "-n", "0", user=65534)
        # The user's processes: the leaker, leakctl itself run as the user, and any
        # other process of that user's on the host (not the test's: checked by uid).
        others = {(st["pid"], st["comm"]) for st in top_all["stacks"]
                  if st["pid"] != mine.pid and st["comm"] != "leakctl"}
        foreign = {o for o in others if real_uid(o[0]) not in (65534, None)}
        check(not foreign, f"top shows other users' processes: {foreign}")
        check(all(st["pid"] != root.pid for st in top_all["stacks"]), "top shows root's leaker")
        ans, _ = d.ctl("trace", str(mine.pid), user=65534)
        check_eq(ans["traced"], [mine.pid], "a user tracing its own process")


def request(sock_path, raw, read=True):
    """Sends raw bytes to the daemon; returns (status, body) of its answer."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path)
    s.sendall(raw)
    if not read:
        s.close()
        return None
    data = b""
    while len(data) < 16:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    check(len(data) >= 16, f"no answer to {raw[:32]!r}")
    magic, version, status, length, _ = struct.unpack("=IHHII", data[:16])
    while len(data) < 16 + length:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return status, data[16:16 + length].decode()


MAGIC, VERSION = 0x4c4b4431, 2


def header(command, length, magic=MAGIC, version=VERSION, fmt=0, flags=0):
    return struct.pack("=IHHIHH", magic, version, command, length, fmt, flags)


# The layouts of include/leakd/protocol.h.
TOP_SIZE, TRACE_SIZE = 576, 560
TRACE_SIZE_UNSAMPLED = 544  # the layout before the trace mode: selector and duration


def selector(pid=0, comm=b"", unit=b"", cgroup=b"", pad=0):
    return struct.pack("=II16s256s256s", pid, pad, comm, unit, cgroup)


def top_rest(limit=0, level=0, min_age=0, since=0, window=0, by=0, flags=0):
    """The fields of a top request after its selector."""
    return struct.pack("=IIQQQII", limit, level, min_age, since, window, by, flags)


def case_bad_requests():
    """Malformed requests get an error answer; the daemon lives on."""
    d = Daemon()
    with run(d):
        cases = [
            (header(1, 0, magic=0xdeadbeef), 2, "magic"),
            (header(1, 0, version=7), 2, "version"),
            (header(1, 1 << 20), 1, "too large"),
            (header(99, 0), 3, "unknown command"),
            (header(2, 3) + b"abc", 4, "payload size"),
            (header(3, TOP_SIZE) + selector(pid=1, comm=b"x") + top_rest(0, 0, 0), 4,
             "two selectors"),
            (header(3, TOP_SIZE) + selector(comm=b"A" * 16) + top_rest(0, 0, 0), 4,
             "unterminated name"),
            (header(3, TOP_SIZE) + selector() + top_rest(0, 9, 0), 4, "level"),
            (header(4, TRACE_SIZE) + selector() + trace_tail(), 4, "trace without selector"),
            (header(4, TRACE_SIZE) + selector(pid=2147483647) + trace_tail(), 4, "pid range"),
            (header(4, TRACE_SIZE_UNSAMPLED) + selector(pid=1) + struct.pack("=Q", 0), 4,
             "a trace request of the layout before its mode"),
            (header(4, TRACE_SIZE) + selector(pid=1) + trace_tail(mode=9), 4,
             "unknown trace mode"),
            (header(4, TRACE_SIZE) + selector(pid=1) + trace_tail(mode=1, sample=8), 4,
             "sampling interval too small"),
            (header(4, TRACE_SIZE) + selector(comm=b"x") + trace_tail(mode=1), 4,
             "a rule sampled without an interval"),
            (header(5, TRACE_SIZE) + selector(comm=b"x") + trace_tail(mode=1, sample=4096), 4,
             "a mode with untrace of a rule"),
            (header(5, TRACE_SIZE) + selector(pid=1) + trace_tail(mode=2), 4,
             "a mode with untrace"),
            (header(1, 0, flags=0x80), 4, "unknown flags"),
            (header(1, 0, fmt=0x80), 4, "unknown format"),
        ]
        for raw, want, what in cases:
            status, body = request(d.sock, raw)
            check_eq(status, want, f"status for {what} ({body.strip()})")
        # Half a header, then gone; a header promising a payload that never comes.
        request(d.sock, b"\x31\x44", read=False)
        request(d.sock, header(2, 8), read=False)
        # A client that asks and never reads, and one that says nothing, stay
        # connected: neither holds up the daemon or the others.
        idle = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        idle.connect(d.sock)
        slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        slow.connect(d.sock)
        for _ in range(20):
            slow.sendall(header(3, TOP_SIZE) + selector() + top_rest(0, 0, 0))
        st, _ = d.ctl("status")
        check(st["clients"]["connected"] >= 3, f"{st['clients']['connected']} clients connected")
        st, _ = d.ctl("status")
        check(st["clients"]["bad_requests"] >= len(cases), "bad requests not counted")
        idle.close()
        slow.close()
        _, rc = d.ctl("top", "--pid", "2147483", check_rc=False)
        check_eq(rc, 1, "leakctl's status for an unknown pid")


def case_exited_summary():
    """A traced process that exits leaves a summary with its outstanding stacks."""
    d = Daemon()
    lk = Leaker()
    with run(d):
        d.ctl("trace", str(lk.pid), "--exact")
        lk.do("malloc 3 4444")
        wait_site(d, lk.pid, "heap", "leak_ctl", "heap_leak", 3 * 4444, 3)
        lk.end()

        def summary():
            return next((p for p in d.ctl("exited")[0]["processes"] if p["pid"] == lk.pid),
                        None)
        s = d.poll("the exit summary", summary)
        check(s["heap_bytes"] >= 3 * 4444, f"summary heap bytes {s['heap_bytes']}")
        text, _ = d.ctl("exited", json_out=False)
        check(f"pid {lk.pid} (leak_ctl) exited" in text and "heap_leak" in text, text)


def case_reload():
    """SIGHUP reads the configuration again."""
    d = Daemon()
    with run(d):
        check_eq(d.ctl("status")[0]["drilldown"]["max"], 1, "drill-down budget")
        with open(d.config, "a") as f:
            f.write("drilldown-max = 3\n")
        d.proc.send_signal(signal.SIGHUP)
        d.wait_log("configuration reloaded", "the reload")
        check_eq(d.ctl("status")[0]["drilldown"]["max"], 3, "drill-down budget after reload")


def case_trace_by_name():
    """leakctl trace --comm traces the running processes of that name and those
    that start later; untrace --comm ends both.  The leaker runs under a name of
    its own, so that the rule touches no other process on the host."""
    d = Daemon()
    comm = f"lk{os.urandom(5).hex()}"
    exe = d.wd.file(comm)
    shutil.copy(leaker("leak_ctl"), exe)
    first = Leaker([exe])
    with run(d, first):
        # Every call, for exact figures (a rule samples by default: see rule_modes).
        ans, _ = d.ctl("trace", "--comm", comm, "--exact")
        check_eq(ans["traced"], [first.pid], "processes traced by the rule")
        later = Leaker([exe])
        try:
            d.poll("the later process traced by the rule",
                   lambda: (proc_of(d.ctl("ps")[0], later.pid) or {}).get("traced") == "rule")
            later.do("malloc 2 1234")
            wait_site(d, later.pid, "heap", comm, "heap_leak", 2468, 2)
            ans, _ = d.ctl("untrace", "--comm", comm)
            check_eq(ans["rules"], 1, "rules removed")
            check_eq(sorted(ans["untraced"]), sorted([first.pid, later.pid]), "untraced pids")
        finally:
            later.end()


def case_mmap_inside_malloc():
    """glibc's malloc maps a large block itself: at the mapping level that memory is
    the caller of malloc's, not sysmalloc's."""
    d = Daemon()
    lk = Leaker()
    with run(d, lk):
        wait_watched(d, lk.pid)
        d.ctl("trace", str(lk.pid), "--exact")
        lk.do(f"malloc 3 {2 * MiB}")
        wait_site(d, lk.pid, "heap", "leak_ctl", "heap_leak", 3 * 2 * MiB, 3)
        # Each block is one mapping of the block plus glibc's header, rounded to pages.
        def mapped():
            s = sites(top(d, lk.pid, "mapping"), lk.pid, "mapping", "leak_ctl").get("heap_leak")
            return s if s and s["count"] == 3 else None
        s = d.poll("heap_leak's mappings", mapped)
        check(3 * 2 * MiB <= s["bytes"] <= 3 * (2 * MiB + 4096), f"{s['bytes']} bytes mapped")
        for st in s["stacks"]:
            check_eq(frame_function(st["frames"][0]), "heap_leak",
                     "frame 0 of a mapping made inside malloc")


def trace_tail(duration=0, mode=0, sample=0):
    """The fields of a trace request after its selector."""
    return struct.pack("=QIIQ", duration, mode, 0, sample)


def trace_comm_request(comm):
    return header(4, TRACE_SIZE) + selector(comm=comm) + trace_tail()


def case_rules_flood():
    """Trace rules are bounded, deduplicated and counted: a flood of unique and of
    identical requests keeps at most max-rules, and status says what happened."""
    d = Daemon(config="max-rules = 50\n")
    with run(d):
        statuses = {}
        for i in range(2000):
            st, _ = request(d.sock, trace_comm_request(f"flood{i}".encode()))
            statuses[st] = statuses.get(st, 0) + 1
        check_eq(statuses, {0: 50, 7: 1950}, "answers to 2000 unique rules (ok, limit)")
        for i in range(2000):
            st, body = request(d.sock, trace_comm_request(b"flood0"))
            check_eq(st, 0, f"the same rule again ({body.strip()})")
        rules = d.ctl("status")[0]["rules"]
        check_eq((rules["count"], rules["limit"], rules["added"], rules["refused"],
                  rules["extended"]), (50, 50, 50, 1950, 2000), "rule counters")
        text, _ = d.ctl("status", json_out=False)
        check("rules: 50 (limit 50); 50 added, 2000 extended, 1950 refused" in text, text)
        ans, _ = d.ctl("untrace", "--comm", "flood0")
        check_eq(ans["rules"], 1, "rules removed")
        rules = d.ctl("status")[0]["rules"]
        check_eq((rules["count"], rules["removed"]), (49, 1), "after untrace")
        # Room again: one more unique rule is taken.
        st, _ = request(d.sock, trace_comm_request(b"another"))
        check_eq(st, 0, "a rule once there is room")


def case_exited_by_importance():
    """A traced leaker's exit summary outlives a storm of trivial exits that
    fills every other slot again and again, and is listed first.  Only what the
    test traces is traced (max-sampler 0: others' sampler processes would rank as
    traced too)."""
    d = Daemon(config="max-exited = 8\nmax-sampler = 0\n")
    lk = Leaker()
    with run(d):
        d.ctl("trace", str(lk.pid), "--exact")
        lk.do("malloc 3 4444")
        wait_site(d, lk.pid, "heap", "leak_ctl", "heap_leak", 3 * 4444, 3)
        lk.end()

        def summary():
            return next((p for p in d.ctl("exited")[0]["processes"] if p["pid"] == lk.pid),
                        None)
        d.poll("the leaker's summary", summary)
        # Trivial exits that still leave something (64 KiB mapped): kept while there
        # is room, then evicting one another, never the leaker's.
        for _ in range(200):
            subprocess.run([leaker("leak_ctl")], input=b"mmap 1 65536\nexit\n", check=True,
                           stdout=subprocess.DEVNULL, timeout=TIMEOUT)
        d.poll("the storm's exits evicting one another",
               lambda: d.ctl("status")[0]["limits"]["exited_evicted"] >= 100)
        kept = d.ctl("exited")[0]["processes"]
        check_eq(len(kept), 8, "summaries kept")
        s = next((p for p in kept if p["pid"] == lk.pid), None)
        check(s is not None, f"the traced leaker's summary is gone: {[p['comm'] for p in kept]}")
        check(s["traced"], "the summary says it was traced")
        check_eq(kept[0]["pid"], lk.pid, "the first listed (the traced one, older than the rest)")
        check_eq(s["heap_bytes"], 3 * 4444, "its heap bytes")
