# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""The daemon on a shared host: who may see what, clients that hold on, the unwind
cache, a second daemon, and the command line as the documentation writes it."""

import os
import shutil
import signal
import struct
import subprocess
import tempfile

from harness import (LEAKCTL, LEAKD, TIMEOUT, Daemon, Leaker, Skip, TestFailure, check,
                     check_eq, leaker, proc_of, run_watched, spawn, wait_watched)
from cases_daemon import run, wait_site

NOBODY = 65534
AS_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


def setuid_copy(name):
    """A setuid-root copy of leak_ctl under a new name, in a directory anyone reaches."""
    d = tempfile.mkdtemp(prefix="leakd-e2e-suid-")
    os.chmod(d, 0o755)
    path = os.path.join(d, name)
    shutil.copy(leaker("leak_ctl"), path)
    os.chown(path, 0, 0)
    os.chmod(path, 0o4755)
    return path


def case_setuid_invisible():
    """A setuid-root program a user started, and a process of the user's that made
    itself not dumpable, are root's alone: the kernel's rule for /proc/PID/maps."""
    d = Daemon()
    # A name of its own: the user's rule by name touches no other process on the host.
    suid_comm = f"lks{os.urandom(5).hex()}"
    suid_path = setuid_copy(suid_comm)
    suid = Leaker([*AS_NOBODY, suid_path])
    nodump = Leaker([*AS_NOBODY, leaker("leak_ctl")])
    mine = Leaker([*AS_NOBODY, leaker("leak_ctl")])
    hidden = (suid.pid, nodump.pid)
    try:
        with run(d, suid, nodump, mine):
            with open(f"/proc/{suid.pid}/status") as f:
                uids = next(line.split()[1:4] for line in f if line.startswith("Uid:"))
            if uids[1] != "0":
                raise Skip(f"{os.path.dirname(suid_path)} is on a file system mounted nosuid")
            nodump.do("nodump")
            d.poll("the three watched", lambda: all(
                proc_of(d.ctl("ps")[0], p) for p in (*hidden, mine.pid)))
            check_eq(proc_of(d.ctl("ps")[0], suid.pid)["uid"], NOBODY,
                     "the setuid program's (real) uid as root sees it")
            # Root traces all three; each leaks something.
            for lk in (suid, nodump, mine):
                d.ctl("trace", str(lk.pid), "--exact")
                lk.do("malloc 2 5555")
            for lk in (suid, nodump, mine):
                wait_site(d, lk.pid, "heap", os.path.basename(lk.proc.args[-1]), "heap_leak",
                          2 * 5555, 2)

            ps, _ = d.ctl("ps", user=NOBODY)
            check(proc_of(ps, mine.pid), "the user's own process is missing from ps")
            for pid in hidden:
                check(proc_of(ps, pid) is None, f"ps shows pid {pid} to the user")
            top, _ = d.ctl("top", "-n", "0", user=NOBODY)
            pids = {st["pid"] for st in top["stacks"]}
            check(mine.pid in pids, "top does not show the user's own leaker")
            check(not pids & set(hidden), f"top shows {pids & set(hidden)} to the user")
            for pid in hidden:
                _, rc = d.ctl("top", "--pid", str(pid), user=NOBODY, check_rc=False)
                check_eq(rc, 1, f"leakctl top --pid {pid} as the user")
                for verb in ("trace", "untrace"):
                    _, rc = d.ctl(verb, str(pid), user=NOBODY, check_rc=False)
                    check_eq(rc, 3, f"leakctl {verb} {pid} as the user")
            # A rule of the user's by name leaves the setuid program alone.
            ans, _ = d.ctl("untrace", str(suid.pid))
            ans, _ = d.ctl("trace", "--comm", suid_comm, user=NOBODY)
            check_eq(ans["traced"], [], "processes the user's rule traced")
            check_eq(ans["denied"], 1, "processes the user's rule left alone")
            check_eq(proc_of(d.ctl("ps")[0], suid.pid)["traced"], "no",
                     "the setuid program after the user's rule")
            d.ctl("untrace", "--comm", suid_comm, user=NOBODY)
            d.ctl("trace", str(suid.pid), "--exact")

            # Exited: the summaries remember who could see the process when it exited.
            for lk in (suid, nodump, mine):
                lk.end()
            # A summary by pid, exit time and name: pids are reused on a busy host,
            # and another process of the user's may have had one of these pids.
            def summaries(ans):
                return {(p["pid"], p["exited"], p["comm"]) for p in ans["processes"]}
            ours = d.poll("the three exit summaries", lambda: (lambda s: s if {
                p[0] for p in s} >= {*hidden, mine.pid} else None)(
                    {e for e in summaries(d.ctl("exited")[0])
                     if e[0] in (*hidden, mine.pid) and e[2] in (suid_comm, "leak_ctl")}))
            seen = summaries(d.ctl("exited", user=NOBODY)[0])
            check({e for e in ours if e[0] == mine.pid} <= seen,
                  "the user's own exited process is missing")
            shown = {e for e in ours if e[0] in hidden} & seen
            check(not shown, f"exited shows {shown} to the user")
    finally:
        shutil.rmtree(os.path.dirname(suid_path), ignore_errors=True)


def documented_leakctl_examples():
    """The leakctl command lines of the README's and the man pages' examples."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    lines = []
    in_block = False
    for line in open(os.path.join(root, "README.md")):
        if line.startswith("```"):
            in_block = not in_block
        elif in_block and line.startswith("leakctl "):
            lines.append(line.split("#")[0])
    for page in ("leakctl.1", "leakd.8"):
        in_ex = in_block = False
        for line in open(os.path.join(root, "man", page)):
            if line.startswith(".SH"):
                in_ex = line.strip() == ".SH EXAMPLES"
            elif line.startswith(".nf"):
                in_block = True
            elif line.startswith(".fi"):
                in_block = False
            elif in_ex and in_block and line.startswith("leakctl "):
                lines.append(line.replace("\\-", "-").split("|")[0])
    return [line.split()[1:] for line in lines]


def case_documented_examples():
    """Every leakctl example of the README and the man pages runs as written:
    options after the selector, in any order (a leaker's pid for 4242)."""
    examples = documented_leakctl_examples()
    check(len(examples) >= 10, f"only {len(examples)} examples found")
    check(["trace", "4242", "--for", "10m"] in examples, "the README's trace example")
    check(["top", "4242", "--level", "mapping"] in examples, "leakctl(1)'s top example")
    d = Daemon()
    lk = Leaker()
    with run(d, lk):
        for args in examples:
            args = [str(lk.pid) if a == "4242" else a for a in args]
            out, rc = d.ctl(*args, json_out=False, check_rc=False)
            check_eq(rc, 0, f"leakctl {' '.join(args)} ({out.strip()[:200]!r})")
        check_eq(proc_of(d.ctl("ps")[0], lk.pid)["traced"], "manual",
                 "the leaker after 'trace PID --for 10m'")


def case_second_daemon():
    """A second daemon on the same socket refuses to start (exit status 8) and
    leaves the first one reachable; once the first stops, another may start."""
    d = Daemon()
    with run(d):
        p = run_watched([LEAKD, "--config", d.config], stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
        check_eq(p.returncode, 8, f"the second daemon's exit status ({p.stderr.strip()})")
        check("another leakd is running on" in p.stderr, f"its message: {p.stderr!r}")
        check_eq(len(p.stderr.strip().splitlines()), 1, "lines of its message")
        check(os.path.exists(d.sock), "the first daemon's socket is gone")
        st, _ = d.ctl("status")
        check(st["uptime_s"] >= 0, "the first daemon does not answer")
    again = Daemon(args=["--socket", d.sock])
    again.sock = d.sock
    with run(again):
        again.ctl("status")


SLOW_CLIENTS = r"""
import socket, sys, time
conns = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    conns.append(s)
print("connected", flush=True)
while True:
    for s in conns:
        try:
            s.send(b"\x31")     # a byte of a request header, every two seconds
        except OSError:
            pass
    time.sleep(2)
"""


def case_slow_clients():
    """16 clients of one user trickling a byte every two seconds keep neither
    another user nor root out, and hold their slots no longer than a request's
    deadline: then the same user gets in too."""
    d = Daemon()
    slow = spawn([*AS_NOBODY, "python3", "-c", SLOW_CLIENTS, d.sock, "16"],
                 stdout=subprocess.PIPE, text=True)
    try:
        with run(d):
            check_eq(slow.stdout.readline().strip(), "connected", "the slow clients")
            # max-clients 16: one slot kept for root, nobody holds at most 7.
            st = d.poll("the slow clients refused beyond their share", lambda: (
                lambda s: s if s["clients"]["refused_share"] >= 9 else None)(
                d.ctl("status")[0]))
            check_eq(st["clients"]["connected"], 8, "clients connected (7 slow, and root's)")
            out, rc = d.ctl("status", user=NOBODY, json_out=False, check_rc=False)
            check_eq(rc, 1, f"leakctl's status for a user beyond its share ({out.strip()})")
            check("too many clients of this user" in out, f"leakctl said {out!r}")
            # Another member of the socket's group, and root, get in at once.
            other = ["setpriv", "--reuid=4242", f"--regid={NOBODY}", "--clear-groups"]
            p = subprocess.run([*other, LEAKCTL, "--socket", d.sock, "status"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=TIMEOUT)
            check_eq(p.returncode, 0, f"another user's leakctl ({p.stderr.strip()})")
            d.ctl("status")
            # Within the deadline of a request (10 s) the trickling clients are gone.
            d.poll("the slow clients timed out", lambda: d.ctl("status")[0][
                "clients"]["timed_out"] >= 7, timeout=20, interval=0.5)
            d.ctl("status", user=NOBODY)
    finally:
        slow.kill()
        slow.wait()


def section(path, name):
    """(offset, size) of an ELF64 file's section."""
    with open(path, "rb") as f:
        data = f.read()
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3a)

    def shdr(i):
        return struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
    stroff = shdr(shstrndx)[4]
    for i in range(shnum):
        sh_name, _, _, _, off, size = shdr(i)
        end = data.index(b"\0", stroff + sh_name)
        if data[stroff + sh_name:end].decode() == name:
            return off, size
    raise TestFailure(f"{path} has no {name}")


def forge_unwind_info(path):
    """Halves the range of every FDE of the file's .eh_frame: still valid call frame
    information (the program runs as before), but another table, under the same
    build-id."""
    off, size = section(path, ".eh_frame")
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        pos, forged = off, 0
        while pos < off + size:
            length, cie_ptr = struct.unpack_from("<II", data, pos)
            if length == 0:
                break
            check(length != 0xffffffff, "a 64-bit .eh_frame record")
            if cie_ptr:
                pc_range, = struct.unpack_from("<I", data, pos + 12)
                if pc_range > 1:
                    struct.pack_into("<I", data, pos + 12, pc_range // 2)
                    forged += 1
            pos += 4 + length
        check(forged > 0, "no FDE to forge")
        f.seek(0)
        f.write(data)


def cache_entry_ino(path):
    """The inode of the file a cache entry says it was built from."""
    with open(path, "rb") as f:
        head = f.read(136)
    check_eq(head[:8], b"LEAKDUWT", "cache file magic")
    return struct.unpack_from("<QQ", head, 96)[1]


def case_cache_poisoning():
    """A forged copy of a program carrying the real one's build-id: owned by a user,
    its table is not cached at all; owned by root, its table is cached for itself
    alone: the real program's table is rebuilt, the mismatch counted."""
    cache = tempfile.mkdtemp(prefix="leakd-e2e-cache-")
    forged_dir = tempfile.mkdtemp(prefix="leakd-e2e-forged-")
    os.chmod(forged_dir, 0o755)
    forged = os.path.join(forged_dir, "leak_ctl")
    shutil.copy(leaker("leak_ctl"), forged)
    forge_unwind_info(forged)
    os.chown(forged, NOBODY, NOBODY)
    os.chmod(forged, 0o755)
    d = Daemon(config=f"cache-dir = {cache}\n")
    procs = []
    try:
        with run(d):
            st = d.ctl("status")[0]["unwind"]
            check_eq(st["cache"], "ok", "the cache's state")
            # A user's forged copy: its table is built, but never saved.
            users = Leaker([*AS_NOBODY, forged])
            procs.append(users)
            wait_watched(d, users.pid)
            entries = lambda: sorted(f for f in os.listdir(cache) if f.endswith(".unw"))
            before = entries()
            build_id = None
            # The build-id of leak_ctl (and of its copy): the cache file's name.
            p = subprocess.run(["readelf", "-n", leaker("leak_ctl")], stdout=subprocess.PIPE,
                               text=True, check=True)
            for line in p.stdout.splitlines():
                if "Build ID:" in line:
                    build_id = line.split()[-1]
            check(build_id, "leak_ctl has no build-id")
            entry = os.path.join(cache, build_id + ".unw")
            check(not os.path.exists(entry), f"a user's forged copy was cached: {before}")
            users.end()
            # Root's copy of the forgery (a file of its own): cached, for itself.
            forged = os.path.join(forged_dir, "root", "leak_ctl")
            os.mkdir(os.path.dirname(forged), 0o755)
            shutil.copy(os.path.join(forged_dir, "leak_ctl"), forged)
            os.chmod(forged, 0o755)
            roots = Leaker([forged])
            procs.append(roots)
            wait_watched(d, roots.pid)
            d.poll("the forged copy's table saved", lambda: os.path.exists(entry))
            check_eq(cache_entry_ino(entry), os.stat(forged).st_ino, "the entry's file")
            roots.end()
            check_eq(d.ctl("status")[0]["unwind"]["cache_mismatches"], 0, "mismatches so far")
            # The real program: the entry is not its own; rebuilt, counted, saved anew.
            real = Leaker()
            procs.append(real)
            wait_watched(d, real.pid)
            st = d.ctl("status")[0]["unwind"]
            check_eq(st["cache_mismatches"], 1, "mismatches after the real program")
            d.poll("the real program's table saved", lambda: cache_entry_ino(entry) ==
                   os.stat(leaker("leak_ctl")).st_ino)
            # Its stacks come out whole.
            d.ctl("trace", str(real.pid), "--exact")
            real.do("malloc 2 3333")
            wait_site(d, real.pid, "heap", "leak_ctl", "heap_leak", 6666, 2)
            text, _ = d.ctl("status", json_out=False)
            check("built from another file (rebuilt)" in text, text)
    finally:
        for lk in procs:
            lk.end()
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(forged_dir, ignore_errors=True)


def tmpfs(options):
    """A fresh tmpfs mounted with these options; Skip where mounting is not allowed."""
    d = tempfile.mkdtemp(prefix="leakd-e2e-fs-")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", d],
                       stderr=subprocess.PIPE, text=True)
    if p.returncode:
        os.rmdir(d)
        raise Skip(f"cannot mount a tmpfs here ({p.stderr.strip()})")
    return d


def unmount(d):
    subprocess.run(["umount", d], check=False)
    os.rmdir(d)


def case_operator_warnings():
    """A cache directory that is read-only, full, or not root's alone, and a socket
    group that does not exist: a warning at start and a line in status."""
    mounts = []
    open_dir = tempfile.mkdtemp(prefix="leakd-e2e-open-")
    os.chmod(open_dir, 0o777)
    try:
        mounts.append(tmpfs("ro,mode=0700,size=64k"))
        mounts.append(tmpfs("mode=0700,size=64k"))
        ro, full = mounts
        try:
            with open(os.path.join(full, "filler"), "wb") as f:
                while True:
                    f.write(b"\0" * 4096)
                    f.flush()
        except OSError:
            pass
        cases = [(ro, "read-only: tables not saved"), (full, "full: tables not saved"),
                 (open_dir, "not used: the directory must be root's and written by no one")]
        for cache, state in cases:
            d = Daemon(config=f"cache-dir = {cache}\nsocket-group = leakd-no-such-group\n")
            with run(d):
                log = "".join(d.log)
                check(f"unwind table cache {cache}: {state}" in log, f"no warning: {log}")
                check("no group 'leakd-no-such-group': only root may use" in log,
                      f"no warning of the group: {log}")
                st, _ = d.ctl("status")
                check(st["unwind"]["cache"].startswith(state), f"status: {st['unwind']}")
                check_eq(st["clients"]["socket_group"], False, "status: the socket's group")
                text, _ = d.ctl("status", json_out=False)
                check(f"unwind cache: {state}" in text, text)
                check("root only (no such socket group)" in text, text)
        # And all well: no warning, status says so.
        d = Daemon()
        with run(d):
            log = "".join(d.log)
            check("unwind table cache" not in log and "no group" not in log, log)
            st, _ = d.ctl("status")
            check_eq(st["unwind"]["cache"], "ok", "the cache's state")
            check_eq(st["clients"]["socket_group"], True, "the socket's group")
    finally:
        for m in mounts:
            unmount(m)
        shutil.rmtree(open_dir, ignore_errors=True)


def case_huge_limits():
    """Sizes in requests past their maximum are refused before use: a top limit of
    4 billion stacks once sized a 118 GB table."""
    from cases_daemon import (TOP_SIZE, TRACE_SIZE, header, request, selector, top_rest,
                              trace_tail)
    d = Daemon()
    with run(d):
        for limit, min_age, want in ((0xffffffff, 0, 4), (65537, 0, 4), (0, 1 << 63, 4),
                                     (65536, 0, 0)):
            raw = header(3, TOP_SIZE) + selector() + top_rest(limit, 0, min_age)
            status, body = request(d.sock, raw)
            check_eq(status, want, f"top with limit {limit}, min-age {min_age} ({body.strip()})")
        raw = header(4, TRACE_SIZE) + selector(pid=1) + trace_tail(duration=(1 << 64) - 1)
        status, body = request(d.sock, raw)
        check_eq(status, 4, f"trace for 2^64 ns ({body.strip()})")
        check("duration out of range" in body, body)
        st, _ = d.ctl("status")
        check(st["daemon"]["rss_bytes"] < 1 << 30, f"the daemon's RSS {st['daemon']['rss_bytes']}")
        _, rc = d.ctl("top", "-n", "70000", check_rc=False)
        check_eq(rc, 2, "leakctl top -n 70000")


def case_repeated_reloads():
    """40 reloads of a configuration of 1 MiB keep no copy of it: the daemon's
    memory grows by much less than one more copy each."""
    d = Daemon(config="#" * (1 << 20) + "\n")
    with run(d):
        def rss():
            with open(f"/proc/{d.proc.pid}/status") as f:
                return next(int(line.split()[1]) * 1024 for line in f
                            if line.startswith("VmRSS:"))
        d.proc.send_signal(signal.SIGHUP)
        d.wait_log("configuration reloaded", "the first reload")
        before = rss()
        for i in range(40):
            d.log = []
            d.proc.send_signal(signal.SIGHUP)
            d.wait_log("configuration reloaded", f"reload {i + 2}")
        grown = rss() - before
        check(grown < 8 << 20, f"the daemon grew {grown} bytes over 40 reloads of 1 MiB")
        check_eq(d.ctl("status")[0]["drilldown"]["max"], 1, "settings after the reloads")
