# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Helpers of the end-to-end tests: run the real leakd on real leakers, read the
reports and the leakers' ground truth, and compare them."""

import json
import os
import select
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


class Workdir:
    """A temporary directory per test for reports and truth files."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="leakd-e2e-")

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
    def __init__(self, returncode, stderr, reports, truth):
        self.returncode = returncode
        self.stderr = stderr
        self.reports = reports
        self.truth = truth

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
    p = subprocess.run([*args, "--", *argv], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    reports = []
    if os.path.exists(out):
        reports = read_json_lines(out) if json_out else open(out).read()
    t = read_truth(truth) if os.path.exists(truth) else None
    return Result(p.returncode, p.stderr, reports, t)


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
        self.leaker = subprocess.Popen(leaker_argv or [leaker("leak_wait")], env=env,
                                       cwd=self.wd.path,
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = read_line(self.leaker.stdout, time.monotonic() + TIMEOUT, "leaker ready")
        check(line.startswith(ready + " "), f"leaker said {line!r}")
        self.pid = int(line.split()[1])
        args = [LEAKD, "-n", "0", "-o", self.out, "--pid", str(self.pid), *leakd_args]
        if json_out:
            args.append("--json")
        self.leakd = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.stderr_lines = wait_for_line(self.leakd.stderr, "tracing pid", "leakd attached")

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
        rc = self.leakd.wait(timeout=TIMEOUT)
        rest = self.leakd.stderr.read().decode()
        reports = read_json_lines(self.out) if os.path.exists(self.out) else []
        truth = read_truth(self.truth) if os.path.exists(self.truth) else None
        return Result(rc, "".join(self.stderr_lines) + rest, reports, truth)

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


def bpf_links_of_leakd():
    """Links whose program is one of leakd's allocator programs."""
    p = subprocess.run(["bpftool", "-j", "link", "show"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    if p.returncode:
        return []
    links = json.loads(p.stdout or "[]")
    ours = []
    for link in links:
        prog = subprocess.run(["bpftool", "-j", "prog", "show", "id", str(link["prog_id"])],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if prog.returncode == 0 and json.loads(prog.stdout).get("name") in (
                "alloc_enter", "alloc_exit", "free_enter", "alloc_sample", "alloc_sample_en",
                "alloc_sample_ex", "free_sample"):
            ours.append(link)
    return ours


LEAKCTL = os.path.join(BUILD, "src", "leakctl")
# Unwind tables shared by the daemon tests, so that each starts fast.
CACHE_DIR = os.path.join(tempfile.gettempdir(), "leakd-e2e-cache")


class Daemon:
    """The real daemon from the build tree, with a socket and configuration of
    its own; fast sampling so that growth shows within seconds."""

    CONFIG = """
sample-interval = 200ms
growth-window = 60s
drilldown-bytes = 24M
drilldown-window = 3s
drilldown-for = 60s
drilldown-max = 1
socket-group = nogroup
"""

    def __init__(self, config="", args=()):
        self.wd = Workdir()
        os.chmod(self.wd.path, 0o755)   # other users reach the socket through it
        self.sock = self.wd.file("leakd.sock")
        self.config = self.wd.file("leakd.conf")
        with open(self.config, "w") as f:
            f.write(self.CONFIG + f"socket = {self.sock}\ncache-dir = {CACHE_DIR}\n"
                    f"state-dir = {self.wd.file('state')}\n" + config)
        self.proc = subprocess.Popen([LEAKD, "--config", self.config, "-v", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.log = wait_for_line(self.proc.stderr, "listening on", "the daemon ready")

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
            check_eq(p.returncode, 0, f"leakctl {' '.join(args)} status ({p.stderr.strip()})")
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

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=TIMEOUT)
        check_eq(rc, 0, "the daemon's exit status")
        check(not os.path.exists(self.sock), "the socket was left behind")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Leaker:
    """leak_ctl (or another leaker speaking its language) under our control."""

    def __init__(self, argv=None, env=None, preexec=None):
        self.proc = subprocess.Popen(argv or [leaker("leak_ctl")], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, text=True)
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
