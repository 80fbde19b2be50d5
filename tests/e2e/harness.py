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
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


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
        self.leaker = subprocess.Popen(leaker_argv or [leaker("leak_wait")], env=env,
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
                "alloc_enter", "alloc_exit", "free_enter"):
            ours.append(link)
    return ours
