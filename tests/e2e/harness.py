# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Helpers of the end-to-end tests: run the real leakd on real leakers, read the
reports and the leakers' ground truth, and compare them."""

import ctypes
import errno
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

BUILD = os.environ.get("LEAKD_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
LEAKD = os.path.join(BUILD, "src", "leakd")
LEAKERS = os.path.join(BUILD, "tests", "leakers")
TIMEOUT = 60


class TestFailure(Exception):
    pass


class Skip(Exception):
    pass


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def check_eq(actual, expected, what):
    if actual != expected:
        raise TestFailure(f"{what}: expected {expected!r}, got {actual!r}")


def leaker(name):
    return os.path.join(LEAKERS, name)


# Every process and directory a test makes, for cleanup() however the test ends.
_spawned = []
_workdirs = []


def spawn(argv, **kwargs):
    """subprocess.Popen, and the process is killed at cleanup() if still running."""
    p = subprocess.Popen(argv, **kwargs)
    _spawned.append(p)
    return p


def become_subreaper():
    """Orphaned descendants (a leaker's children, a command leakd started) become
    this process's children, so that the test sees and ends them."""
    PR_SET_CHILD_SUBREAPER = 36
    if _libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def cleanup(remove_workdirs):
    """Kills each process the test started that still runs, by its own pid, then
    any other descendant left (orphans come to us as the subreaper); returns their
    descriptions.  Removes the test's directories if remove_workdirs."""
    left = []
    for p in reversed(_spawned):
        if p.poll() is None:
            left.append(f"pid {p.pid} ({os.path.basename(str(p.args[0]))})")
            p.kill()
        try:
            p.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            left.append(f"pid {p.pid} did not die")
    _spawned.clear()
    rest = sorted(test_processes() - {os.getpid()})
    for pid in rest:
        left.append(f"pid {pid} (a descendant)")
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in rest:        # orphans are ours to reap; others' parents reap them
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
    while True:             # and whatever else came to us
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break
    if remove_workdirs:
        for d in _workdirs:
            shutil.rmtree(d, ignore_errors=True)
    _workdirs.clear()
    return left


def need_private_mounts():
    """Cases that need a private mount namespace: where unshare cannot make one (a
    chroot, whose root is not a mount point), they cannot run, and say why."""
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "true"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       timeout=TIMEOUT)
    if p.returncode:
        why = (p.stderr.strip().splitlines() or [f"exit status {p.returncode}"])[-1]
        raise Skip(f"needs a private mount namespace, which unshare cannot make here "
                   f"(a chroot?): {why}")


class Workdir:
    """A temporary directory per test for reports and truth files."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="leakd-e2e-")
        _workdirs.append(self.path)

    def file(self, name):
        return os.path.join(self.path, name)


def read_json_lines(path):
    """The reports in a file leakd may still be writing: whole lines only."""
    with open(path) as f:
        return [json.loads(line) for line in f if line.endswith("\n") and line.strip()]


def read_truth(path):
    with open(path) as f:
        return json.load(f)


class Result:
    def __init__(self, returncode, stderr, reports, truth, truth_path=None):
        self.returncode = returncode
        self.stderr = stderr
        self.reports = reports
        self.truth = truth
        self.truth_path = truth_path    # $LEAKER_TRUTH: processes of many write beside it

    def final(self):
        finals = [r for r in self.reports if r.get("final")]
        check_eq(len(finals), 1, "number of final reports")
        return finals[0]


def run_command(argv, leakd_args=(), json_out=True, timeout=TIMEOUT, env=None):
    """leakd -- argv: returns the result once leakd exits."""
    wd = Workdir()
    out, truth = wd.file("report"), wd.file("truth.json")
    env = dict(os.environ if env is None else env, LEAKER_TRUTH=truth)
    args = [LEAKD, "-i", "0", "-n", "0", "-o", out, *leakd_args]
    if json_out:
        args.append("--json")
    p = run_watched([*args, "--", *argv], env=env, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True, timeout=timeout)
    reports = []
    if os.path.exists(out):
        reports = read_json_lines(out) if json_out else open(out).read()
    t = read_truth(truth) if os.path.exists(truth) else None
    return Result(p.returncode, p.stderr, reports, t, truth)


def run_watched(argv, **kwargs):
    """subprocess.run of a command that runs a leakd to its end (leakd itself, or a
    shell that execs it): fails unless the BPF links and programs it made went with
    it."""
    bpf = BpfWatch()
    p = subprocess.run(argv, **kwargs)
    bpf.check_released()
    return p


def read_line(stream, deadline, what):
    """One line from a pipe, waiting at most until deadline."""
    buf = b""
    fd = stream.fileno()
    while not buf.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TestFailure(f"timed out waiting for {what}")
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        c = os.read(fd, 1)
        if not c:
            raise TestFailure(f"end of output while waiting for {what}; got {buf!r}")
        buf += c
    return buf.decode()


def wait_for_line(stream, needle, what, timeout=TIMEOUT, seen=()):
    """Reads lines until one contains needle (or one of seen did); returns the lines
    read."""
    deadline = time.monotonic() + timeout
    lines = []
    if any(needle in line for line in seen):
        return lines
    while True:
        line = read_line(stream, deadline, what)
        lines.append(line)
        if needle in line:
            return lines


class Attached:
    """A waiting leaker (leak_wait) with leakd --pid attached to it."""

    def __init__(self, leakd_args=(), leaker_argv=None, json_out=True, ready="ready"):
        self.wd = Workdir()
        self.out, self.truth = self.wd.file("report"), self.wd.file("truth.json")
        env = dict(os.environ, LEAKER_TRUTH=self.truth)
        # In the test's own directory: whatever the leaker writes (V8 logs) goes there.
        self.leaker = spawn(leaker_argv or [leaker("leak_wait")], env=env, cwd=self.wd.path,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = read_line(self.leaker.stdout, time.monotonic() + TIMEOUT, "leaker ready")
        check(line.startswith(ready + " "), f"leaker said {line!r}")
        self.pid = int(line.split()[1])
        args = [LEAKD, "-n", "0", "-o", self.out, "--pid", str(self.pid), *leakd_args]
        if json_out:
            args.append("--json")
        self.bpf = BpfWatch()
        self.leakd = spawn(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.stderr_lines = wait_for_line(self.leakd.stderr, "tracing pid", "leakd attached")
        self.bpf.note(self.leakd.pid)

    def send(self, line=b"go\n"):
        self.leaker.stdin.write(line)
        self.leaker.stdin.flush()

    def leaker_line(self, what):
        return read_line(self.leaker.stdout, time.monotonic() + TIMEOUT, what)

    def release(self, line=b"go\n"):
        self.leaker.stdin.write(line)
        self.leaker.stdin.close()
        check_eq(self.leaker.wait(timeout=TIMEOUT), 0, "leaker exit status")

    def finish(self):
        """Waits for leakd to end; checks that its links and programs went with it."""
        rc = self.leakd.wait(timeout=TIMEOUT)
        rest = self.leakd.stderr.read().decode()
        self.bpf.check_released()
        reports = read_json_lines(self.out) if os.path.exists(self.out) else []
        truth = read_truth(self.truth) if os.path.exists(self.truth) else None
        return Result(rc, "".join(self.stderr_lines) + rest, reports, truth, self.truth)

    def kill(self):
        for p in (self.leakd, self.leaker):
            if p.poll() is None:
                p.kill()
                p.wait()


def frame_function(frame):
    return frame.get("function") or ""


def first_frame_in(stack, module):
    """The first frame of the stack that lies in module (a file's base name)."""
    for i, fr in enumerate(stack["frames"]):
        if fr.get("module") == module:
            return i, fr
    return None, None


def sites_by_function(report, module):
    """Outstanding bytes and blocks per function: each stack counted under its
    first frame in module."""
    sites = {}
    for st in report["stacks"]:
        i, fr = first_frame_in(st, module)
        if fr is None:
            continue
        s = sites.setdefault(frame_function(fr), {"bytes": 0, "count": 0, "stacks": []})
        s["bytes"] += st["bytes"]
        s["count"] += st["allocs"]
        s["stacks"].append((i, st))
    return sites


def is_system_frame(fr):
    path = fr.get("path") or ""
    return path.startswith("/usr/") or path.startswith("/lib")


def sites_in(report, module):
    return sites_by_function(report, module)


def check_truth(report, truth, module):
    """Every site of the truth has exactly its bytes and blocks; balanced sites none.
    A direct leak's function is the first frame of its stacks; a leak through a
    library function has that function as frame 0 and the leaking one after.
    Where the truth gives the callers, the frames below the site that are not in
    system libraries are exactly those callers, in order."""
    check(truth is not None, "the leaker wrote no ground truth")
    sites = sites_by_function(report, module)
    for t in truth["sites"]:
        fn = t["function"]
        got = sites.get(fn)
        if t["balanced"]:
            check(got is None, f"{fn} should hold nothing, holds {got and got['bytes']} bytes")
            continue
        check(got is not None, f"no stack from {fn}; sites: {sorted(sites)}")
        check_eq((got["bytes"], got["count"]), (t["bytes"], t["count"]), f"{fn} bytes, blocks")
        for i, st in got["stacks"]:
            if t["via"]:
                check_eq(frame_function(st["frames"][0]), t["via"], f"frame 0 of {fn}'s stack")
                check_eq(i, 1, f"depth of {fn} below {t['via']}")
            else:
                check_eq(i, 0, f"{fn} is not the first frame of its stack")
            if t.get("stack"):
                below = [frame_function(fr) for fr in st["frames"][i + 1:]
                         if not is_system_frame(fr)]
                check_eq(below[:len(t["stack"])], t["stack"], f"callers of {fn}")


# A link made by the process is "bpf_link"; one it opened from a pin (a restart's
# handover) "bpf-link".
LINK_INODES = ("anon_inode:bpf_link", "anon_inode:bpf-link")

# The bpf(2) commands the checks below need (include/uapi/linux/bpf.h).
BPF_OBJ_GET, BPF_PROG_GET_NEXT_ID, BPF_LINK_GET_NEXT_ID = 7, 11, 31
BPFFS = "/sys/fs/bpf"
_libc = ctypes.CDLL(None, use_errno=True)
_SYS_BPF = {"x86_64": 321, "aarch64": 280}.get(os.uname().machine)


def _bpf_next_id(cmd, start):
    """The first id above start of a live BPF object of that kind, None past the
    last; a failure other than "no more" fails the test (the check cannot be made)."""
    check(_SYS_BPF is not None, f"no bpf(2) number known for {os.uname().machine}")
    attr = (ctypes.c_uint32 * 4)(start, 0, 0, 0)
    if _libc.syscall(_SYS_BPF, cmd, ctypes.byref(attr), ctypes.sizeof(attr)) == 0:
        return attr[1]
    err = ctypes.get_errno()
    if err == errno.ENOENT:
        return None
    raise TestFailure(f"cannot list BPF objects (bpf command {cmd}): {os.strerror(err)}")


def _bpf_ids(cmd, above=0):
    ids, cur = [], above
    while True:
        cur = _bpf_next_id(cmd, cur)
        if cur is None:
            return ids
        ids.append(cur)


def bpf_exists(cmd, obj_id):
    return _bpf_next_id(cmd, obj_id - 1) == obj_id


def pinned_link_id(path):
    """The id of the link pinned at path, or None (not a link, not ours to open, gone)."""
    buf = ctypes.create_string_buffer(os.fsencode(path))
    attr = (ctypes.c_uint64 * 2)(ctypes.addressof(buf), 0)
    fd = _libc.syscall(_SYS_BPF, BPF_OBJ_GET, ctypes.byref(attr), ctypes.sizeof(attr))
    if fd < 0:
        return None
    try:
        with open(f"/proc/self/fdinfo/{fd}") as f:
            info = dict(line.split(":", 1) for line in f if ":" in line)
        return int(info["link_id"]) if "link_id" in info else None
    finally:
        os.close(fd)


def pinned_links():
    """Links pinned anywhere in the BPF file system: someone keeps them on purpose."""
    out = set()
    for root, _, files in os.walk(BPFFS):
        for name in files:
            lid = pinned_link_id(os.path.join(root, name))
            if lid is not None:
                out.add(lid)
    return out


def bpf_fds(pid, strict=True):
    """The BPF links and programs a process holds open: ({link_id}, {prog_id}), from
    /proc/PID/fd and fdinfo.  strict: a process that cannot be read fails the test;
    otherwise (a process that exited meanwhile) it holds nothing."""
    links, progs = set(), set()
    fd_dir = f"/proc/{pid}/fd"
    try:
        fds = os.listdir(fd_dir)
    except OSError as e:
        if strict:
            raise TestFailure(f"cannot read the descriptors of pid {pid}: {e}")
        return links, progs
    for fd in fds:
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
            if target not in LINK_INODES + ("anon_inode:bpf-prog",):
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                info = dict(line.split(":", 1) for line in f if ":" in line)
        except FileNotFoundError:
            continue            # closed meanwhile
        except OSError as e:
            if strict:
                raise TestFailure(f"cannot read fd {fd} of pid {pid}: {e}")
            continue
        if target in LINK_INODES and "link_id" in info:
            links.add(int(info["link_id"]))
        elif target == "anon_inode:bpf-prog" and "prog_id" in info:
            progs.add(int(info["prog_id"]))
        elif strict:
            raise TestFailure(f"no id in the fdinfo of {target} (fd {fd} of pid {pid})")
    return links, progs


def bpf_map_id(pid, name):
    """The id of the BPF map called name that process pid holds open; fails the test
    when it holds none or several."""
    ids = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") != "anon_inode:bpf-map":
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                info = dict(line.split(":", 1) for line in f if ":" in line)
        except FileNotFoundError:
            continue
        ids.add(int(info["map_id"]))
    found = [i for i in ids
             if json.loads(subprocess.run(["bpftool", "-j", "map", "show", "id", str(i)],
                                          stdout=subprocess.PIPE, text=True,
                                          check=True).stdout).get("name") == name]
    check_eq(len(found), 1, f"maps called {name} of pid {pid}")
    return found[0]


def _parents():
    """pid -> parent pid of every process that still runs (not a zombie)."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
        if state not in ("Z", "X"):
            out[int(name)] = int(ppid)
    return out


def test_processes():
    """This test's processes: this one and its descendants (orphans among them:
    the test is their subreaper)."""
    parents = _parents()
    ours = {os.getpid()}
    grew = True
    while grew:
        more = {p for p, pp in parents.items() if pp in ours} - ours
        ours |= more
        grew = bool(more)
    return ours


def test_processes_running(path):
    """Processes of this test (not this one) running the program at path."""
    out, path = [], os.path.realpath(path)
    for pid in sorted(test_processes() - {os.getpid()}):
        try:
            if os.readlink(f"/proc/{pid}/exe") == path:
                out.append(pid)
        except OSError:
            continue            # gone, or a kernel thread
    return out


class BpfWatch:
    """The BPF links and programs of this test's own processes, never another
    leakd's on the same host.  Made before the test starts leakd; note(pid) while
    a leakd runs records what it holds; check_released() after it ended fails
    unless all of that is gone, no process the test started since holds a link or
    program, and no link made since the start is left that no other process holds
    (pinned or held by a process that escaped the test).  Processes of the test
    that ran before the watch began (a daemon the test keeps running meanwhile)
    are another watch's to check."""

    def __init__(self):
        ids = _bpf_ids(BPF_LINK_GET_NEXT_ID)
        self.first_link = max(ids, default=0)
        self.links, self.progs = set(), set()
        self.before = test_processes() - {os.getpid()}

    def note(self, pid, expect_links=True):
        links, progs = bpf_fds(pid)
        if expect_links:
            check(links, f"pid {pid} holds no BPF link: nothing to check for release")
        self.links |= links
        self.progs |= progs
        return links, progs

    def left(self):
        """What is left now: a list of reasons, empty when nothing is."""
        reasons = []
        tree = test_processes()
        for pid in sorted(tree - self.before):
            if pid == os.getpid():
                continue
            links, progs = bpf_fds(pid, strict=False)
            if links or progs:
                reasons.append(f"pid {pid} of the test holds links {sorted(links)} "
                               f"and programs {sorted(progs)}")
        for i in sorted(self.links):
            if bpf_exists(BPF_LINK_GET_NEXT_ID, i):
                reasons.append(f"link {i} of leakd still exists")
        for i in sorted(self.progs):
            if bpf_exists(BPF_PROG_GET_NEXT_ID, i):
                reasons.append(f"program {i} of leakd still exists")
        new = set(_bpf_ids(BPF_LINK_GET_NEXT_ID, self.first_link)) - self.links
        if new:
            # Links made meanwhile by other processes (another leakd, or one of the
            # test's that ran before the watch) are theirs.
            held = set()
            for pid in (set(_parents()) - tree) | self.before:
                held |= bpf_fds(pid, strict=False)[0]
            orphans = sorted(new - held - (pinned_links() if new - held else set()))
            if orphans:
                reasons.append(f"links {orphans} made during the test are held by no process")
        return reasons

    def check_released(self, timeout=10):
        """Waits (links are freed after their last holder closes them) until nothing
        is left; fails with what is, after timeout."""
        deadline = time.monotonic() + timeout
        while True:
            reasons = self.left()
            if not reasons:
                return
            if time.monotonic() >= deadline:
                raise TestFailure("BPF objects left behind: " + "; ".join(reasons))
            time.sleep(0.05)


LEAKCTL = os.path.join(BUILD, "src", "leakctl")
# Unwind tables shared by the daemon tests of this build, so that each starts fast
# (not with other builds' leakd, whose cache may differ).
CACHE_DIR = os.path.join(BUILD, "tests", "e2e", "cache")


class Daemon:
    """The real daemon from the build tree, with a socket and configuration of
    its own; fast sampling so that growth shows within seconds.  Automatic
    tracing is off unless the test is about it (drilldown=True): it would trace
    whatever else grows on the host.  So is the event budget unless a test sets
    one: it would widen the samplers of other tests' processes."""

    CONFIG = """
sample-interval = 200ms
growth-window = 60s
drilldown-bytes = 24M
drilldown-window = 3s
drilldown-for = 60s
drilldown-max = 1
socket-group = nogroup
restart-grace = 0
event-budget = off
"""

    def __init__(self, config="", args=(), drilldown=False, launcher=None):
        self.wd = Workdir()
        self.launcher = launcher        # a service manager it runs under (servicemgr.py)
        os.chmod(self.wd.path, 0o755)   # other users reach the socket through it
        os.makedirs(CACHE_DIR, mode=0o755, exist_ok=True)
        self.sock = self.wd.file("leakd.sock")
        self.config = self.wd.file("leakd.conf")
        with open(self.config, "w") as f:
            f.write(self.CONFIG + f"socket = {self.sock}\ncache-dir = {CACHE_DIR}\n"
                    f"state-dir = {self.wd.file('state')}\n" +
                    ("" if drilldown else "no-drilldown\n") + config)
        self.args = args
        self.bpf = BpfWatch()
        self.start()

    def start(self):
        """Starts the daemon (again, after stop(release=False) or kill())."""
        argv = [LEAKD, "--config", self.config, "-v", *self.args]
        # Never the service manager this test itself may run under: its store is not ours.
        env = {k: v for k, v in os.environ.items()
               if k not in ("NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES")}
        kwargs = dict(stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        if self.launcher:
            argv, kwargs = self.launcher.launch(argv, kwargs)
        self.proc = spawn(argv, **kwargs)
        self.log = wait_for_line(self.proc.stderr, "listening on", "the daemon ready")
        self.bpf.note(self.proc.pid)

    def ctl(self, *args, json_out=True, user=None, check_rc=True):
        """leakctl ARGS: the parsed JSON answer (or text), and its exit status."""
        prefix = []
        if user is not None:
            prefix = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups",
                      "--inh-caps=-all"]
        cmd = [*prefix, LEAKCTL, "--socket", self.sock, *(["--json"] if json_out else []), *args]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=TIMEOUT)
        if check_rc:
            # A refusal comes as JSON on standard output under --json.
            check_eq(p.returncode, 0, f"leakctl {' '.join(args)} status "
                     f"({(p.stderr.strip() or p.stdout.strip())[:400]})")
        if json_out and p.stdout.strip():
            return json.loads(p.stdout), p.returncode
        return p.stdout + p.stderr, p.returncode

    def poll(self, what, fn, timeout=30, interval=0.1):
        """Asks fn() until it returns something true; fails after timeout."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            check(self.proc.poll() is None, f"the daemon died while waiting for {what}")
            last = fn()
            if last:
                return last
            time.sleep(interval)
        raise TestFailure(f"timed out waiting for {what}; last: {last!r}")

    def wait_log(self, needle, what):
        self.log += wait_for_line(self.proc.stderr, needle, what, seen=self.log)

    def stop(self, release=True):
        """SIGTERM; the daemon ends with status 0 and takes its socket, links and
        programs with it (release=False: a restart follows; it may hand them over).
        Returns what it said."""
        if self.proc.poll() is None:
            self.bpf.note(self.proc.pid)     # links of the processes it traces now
            self.proc.send_signal(signal.SIGTERM)
        _, err = self.proc.communicate(timeout=TIMEOUT)
        check(self.proc.returncode == 0, f"the daemon's exit status: {self.proc.returncode}; "
              f"it said: {err.decode(errors='replace')[-2000:]}")
        check(not os.path.exists(self.sock), "the socket was left behind")
        if release:
            self.bpf.check_released()
        return err.decode(errors="replace")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Leaker:
    """leak_ctl (or another leaker speaking its language) under our control."""

    def __init__(self, argv=None, env=None, preexec=None, stderr=None):
        self.proc = spawn(argv or [leaker("leak_ctl")], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=stderr, env=env, text=True)
        line = self.proc.stdout.readline()
        check(line.startswith("ready "), f"leaker said {line!r}")
        self.pid = int(line.split()[1])

    def do(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        check(line.strip().endswith("ok"), f"leaker answered {line!r} to {command!r}")
        return line.split()[:-1]

    def end(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("exit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def wait_watched(d, pid):
    """Until the daemon watches pid and has the unwind tables of its code."""
    d.poll(f"pid {pid} watched with its unwind tables",
           lambda: (proc_of(d.ctl("ps")[0], pid) or {}).get("unwind") == "ready")


def proc_of(answer, pid):
    for p in answer["processes"]:
        if p["pid"] == pid:
            return p
    return None
