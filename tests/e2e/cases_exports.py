# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Exports other tools read: `leakd --format pprof|folded|svg` on exact leakers and
`leakctl export` of a traced one, read back by go tool pprof, xmllint and
rsvg-convert, with the figures of the leaker's own ground truth and of leakd's JSON
answers about the same program."""

import os
import re
import shutil
import subprocess

from harness import (LEAKCTL, LEAKD, TIMEOUT, Daemon, Leaker, Skip, Workdir, check, check_eq,
                     check_truth, frame_function, leaker, read_truth, run_command, run_watched,
                     test_processes_running)


def need(tool, package):
    if not shutil.which(tool):
        raise Skip(f"{tool} is missing (Debian package {package})")


def run_export(argv, fmt, name, leakd_args=()):
    """leakd --format fmt -o FILE -- argv: the file's path, and the leaker's truth."""
    wd = Workdir()
    out, truth = wd.file(name), wd.file("truth.json")
    env = dict(os.environ, LEAKER_TRUTH=truth)
    p = run_watched([LEAKD, "--format", fmt, "-o", out, *leakd_args, "--", *argv], env=env,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    check_eq(p.returncode, 0, f"leakd --format {fmt} exit status ({p.stderr.strip()})")
    check(os.path.exists(out), f"no {fmt} file written")
    return out, read_truth(truth), wd


def go_pprof(args, path, wd):
    """go tool pprof, offline, with its home and caches in the test's directory."""
    need("go", "golang-go")
    env = dict(os.environ, HOME=wd.path, GOCACHE=wd.file("gocache"), GOPATH=wd.file("gopath"),
               GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local", PPROF_TMPDIR=wd.path,
               PPROF_BINARY_PATH=wd.path)
    p = subprocess.run(["go", "tool", "pprof", *args, path], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    check_eq(p.returncode, 0, f"go tool pprof {' '.join(args)} exit status ({p.stderr.strip()})")
    return p.stdout


def pprof_flat(text):
    """{function: flat figure} of `go tool pprof -top -unit=B` (or of a count index),
    functions with a flat figure only."""
    flat = {}
    for line in text.splitlines():
        m = re.match(r"^\s*(\d+)B?\s+[\d.]+%\s+[\d.]+%\s+(\d+)B?\s+[\d.]+%\s+(.+)$", line)
        if m and int(m.group(1)):
            flat[m.group(3)] = flat.get(m.group(3), 0) + int(m.group(1))
    return flat


def pprof_traces(text):
    """[(figure, [functions, leaf first])] of `go tool pprof -traces -unit=B`."""
    traces = []
    for block in text.split("-----------+-------------------------------------------------------"):
        lines = [ln for ln in block.splitlines() if ln.strip()]
        if not lines:
            continue
        m = re.match(r"^\s*(\d+)B?\s+(.+)$", lines[0])
        if not m:
            continue
        traces.append((int(m.group(1)), [m.group(2).strip()] + [ln.strip() for ln in lines[1:]]))
    return traces


def json_leaves(rep, key):
    """{function of frame 0: figure} of a JSON report's stacks."""
    out = {}
    for st in rep["stacks"]:
        fn = frame_function(st["frames"][0]) if st["frames"] else "?"
        if st[key]:
            out[fn] = out.get(fn, 0) + st[key]
    return out


def pprof_lines(frame):
    """The lines go tool pprof shows for a frame of the JSON report: the functions
    inlined at its pc, innermost first, then its own."""
    return [i["function"] + " (inline)" for i in frame.get("inlined", [])] + \
        [frame_function(frame)]


def check_gone(path):
    """No leaker of this test is left running: leakd reaped it (one it left would have
    come to the test, their subreaper)."""
    check_eq(test_processes_running(path), [], f"processes of {path} left behind")


def case_pprof_export():
    """go tool pprof reads leakd's profile of an exact leaker: per site, the leaker's
    own bytes and blocks, equal to leakd --json's figures of another run of it (an
    exact leaker gives the same figures every run)."""
    need("go", "golang-go")
    path, truth, wd = run_export([leaker("leak_entry")], "pprof", "heap.pb.gz")
    with open(path, "rb") as f:
        check_eq(f.read(2), b"\x1f\x8b", "gzip magic of the profile")
    r = run_command([leaker("leak_entry")])
    check_eq(r.returncode, 0, "leakd --json exit status")
    rep = r.final()
    check_truth(rep, r.truth, "leak_entry")

    top = go_pprof(["-top", "-unit=B", "-nodefraction=0", "-nodecount=1000",
                    "-sample_index=inuse_space"], path, wd)
    check("Type: inuse_space" in top, "pprof's sample type")
    flat = pprof_flat(top)
    check_eq(flat, json_leaves(rep, "bytes"), "pprof flat bytes vs leakd --json's, per leaf")
    counts = pprof_flat(go_pprof(["-top", "-nodefraction=0", "-nodecount=1000",
                                  "-sample_index=inuse_objects"], path, wd))
    check_eq(counts, json_leaves(rep, "allocs"), "pprof flat blocks vs leakd --json's")
    for t in truth["sites"]:
        fn = t["function"]
        if t["balanced"]:
            check(fn not in flat, f"{fn} should hold nothing")
        elif not t["via"]:
            check_eq((flat.get(fn), counts.get(fn)), (t["bytes"], t["count"]),
                     f"{fn} bytes, blocks in pprof")
    check_eq(sum(flat.values()), rep["live_bytes"], "total live bytes")
    m = re.search(r"of (\d+)B total", top)
    check(m and int(m.group(1)) == rep["live_bytes"], "pprof's total")

    # Traces: the same stacks, leaf first, as the JSON report's.
    traces = pprof_traces(go_pprof(["-traces", "-unit=B"], path, wd))
    live = sorted((b, fns) for b, fns in traces if b)
    want = sorted((st["bytes"], [fn for fr in st["frames"] for fn in pprof_lines(fr)])
                  for st in rep["stacks"] if st["bytes"])
    check_eq(live, want, "pprof -traces vs leakd --json's stacks")
    # Through strdup: strdup is the leaf, the leaking function its caller.
    check(any(fns[:2] == ["strdup", "leak_strdup"] for _, fns in live), "strdup's stack")
    raw = go_pprof(["-raw"], path, wd)
    check(re.search(r"/leak_entry [0-9a-f]{40} \[FN\]", raw) is not None,
          "the program's mapping with its build-id")
    check_gone(leaker("leak_entry"))


def case_exports_inline():
    """An inlined function in each export: its own pprof line of one location, a frame
    of the folded line, a frame of the flame graph; SVGs well-formed and rendered."""
    path, truth, wd = run_export([leaker("leak_inline")], "folded", "stacks.folded")
    with open(path) as f:
        lines = f.read().splitlines()
    check_eq(len(lines), 1, f"folded lines: {lines}")
    check(lines[0].endswith(";main;inline_caller;inline_helper_[i] 700"),
          f"folded line: {lines[0]}")

    pb, _, wd2 = run_export([leaker("leak_inline")], "pprof", "heap.pb.gz")
    traces = pprof_traces(go_pprof(["-traces", "-unit=B"], pb, wd2))
    check_eq([(b, fns[:3]) for b, fns in traces if b],
             [(700, ["inline_helper (inline)", "inline_caller", "main"])], "pprof traces")
    raw = go_pprof(["-raw"], pb, wd2)
    check(re.search(r"inline_helper \S*leak_inline\.c:\d+ s=0\n\s+inline_caller "
                    r"\S*leak_inline\.c:\d+ s=0\n", raw) is not None,
          "inline_helper and inline_caller: lines of one location, with source lines")

    need("xmllint", "libxml2-utils")
    need("rsvg-convert", "librsvg2-bin")
    svg, _, wd3 = run_export([leaker("leak_inline")], "svg", "flame.svg")
    subprocess.run(["xmllint", "--noout", svg], check=True, timeout=TIMEOUT)
    png = wd3.file("flame.png")
    subprocess.run(["rsvg-convert", "-o", png, svg], check=True, timeout=TIMEOUT)
    with open(png, "rb") as f:
        check_eq(f.read(4), b"\x89PNG", "rendered PNG")
    with open(svg) as f:
        text = f.read()
    for name in ("main", "inline_caller"):
        check(f"<title>{name}: 700 bytes" in text, f"{name}'s frame in the flame graph")
    check("<title>inline_helper (inlined): 700 bytes" in text, "the inlined frame")
    check_gone(leaker("leak_inline"))


def case_export_errors():
    """A bad format, --json against another format, and pprof to a terminal-less
    stdout: clear errors and documented exit codes, or a profile on stdout."""
    p = run_watched([LEAKD, "--format", "png", "--", "true"], stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    check_eq(p.returncode, 2, "exit status of a bad --format")
    check_eq(p.stderr.strip().count("\n"), 0, "one line of error")
    check("invalid --format 'png'" in p.stderr, f"error: {p.stderr}")
    p = run_watched([LEAKD, "--json", "--format", "folded", "--", "true"],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
    check_eq(p.returncode, 2, "exit status of --json with --format folded")
    # To a pipe, the profile goes to standard output.
    p = run_watched([LEAKD, "--format", "pprof", "--", leaker("leak_inline")],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT,
                    env=dict(os.environ, LEAKER_TRUTH=os.devnull))
    check_eq(p.returncode, 0, "exit status of pprof to a pipe")
    check_eq(p.stdout[:2], b"\x1f\x8b", "gzip magic on standard output")


def case_export_incomplete():
    """Allocations dropped by a full table: the profile and the flame graph say that
    their figures may be short; a complete run's do not."""
    need("go", "golang-go")
    path, _, wd = run_export([leaker("leak_entry")], "pprof", "heap.pb.gz",
                             leakd_args=["--max-allocs", "4"])
    raw = go_pprof(["-raw"], path, wd)
    check("Comment: INCOMPLETE: events were lost" in raw, "no INCOMPLETE comment")
    svg, _, _ = run_export([leaker("leak_entry")], "svg", "flame.svg",
                           leakd_args=["--max-allocs", "4"])
    with open(svg) as f:
        check(">INCOMPLETE: events were lost" in f.read(), "no INCOMPLETE line in the SVG")
    path, _, wd = run_export([leaker("leak_entry")], "pprof", "heap.pb.gz")
    check("INCOMPLETE" not in go_pprof(["-raw"], path, wd), "a complete run marked INCOMPLETE")


# Marker frames of a profile, as the JSON answers name what they mark.
CUT_MARKERS = {
    "truncated": "[deeper frames cut: depth limit]",
    "table_pending": "[cut short: an unwind table was not ready]",
    "bad_frame": "[walk stopped at an implausible frame]",
    "read_failed": "[walk stopped: stack memory unreadable]",
}


def pprof_trace(st):
    """The functions go tool pprof -traces shows for a stack of a JSON answer, leaf
    first: a marker for a stack without frames, its frames' lines (an unnamed frame
    by its module), a marker at the root of a walk cut short."""
    if not st["frames"]:
        fns = ["[stacks past the stack table's limit]" if st["overflow"] else
               "[mapped before leakd began watching]" if st["preexisting"] else
               "[stack not captured]"]
    else:
        fns = [fn or f"[{fr.get('module', '')}]" for fr in st["frames"]
               for fn in pprof_lines(fr)]
    return fns + [CUT_MARKERS[c] for c in st["cut"][:1]]


def ctl_export(d, *args, stdout=subprocess.PIPE):
    """leakctl export ARGS against d: the completed process (stdout as bytes)."""
    return subprocess.run([LEAKCTL, "--socket", d.sock, "export", *args], stdout=stdout,
                          stderr=subprocess.PIPE, timeout=TIMEOUT)


def case_ctl_export():
    """leakctl export --format pprof of a traced exact leaker: go tool pprof shows the
    stacks, bytes and blocks of leakctl --json top, leaf by leaf and stack by stack;
    folded stacks on standard output and an SVG flame graph agree with it; bad
    requests get clear errors and no file."""
    need("go", "golang-go")
    d = Daemon()
    lk = Leaker()
    wd = Workdir()
    try:
        ans, _ = d.ctl("trace", str(lk.pid), "--exact")
        check_eq(ans["traced"], [lk.pid], "traced pids")
        lk.do("malloc 7 333")
        lk.do("malloc 2 4096")
        want = 7 * 333 + 2 * 4096

        def settled():
            t = d.ctl("top", "--pid", str(lk.pid), "--level", "heap", "-n", "0")[0]
            return t if json_leaves(t, "bytes").get("heap_leak") == want else None
        top = d.poll("heap_leak's bytes in top", settled, timeout=20)

        path = wd.file("heap.pb.gz")
        p = ctl_export(d, "--format", "pprof", str(lk.pid), "-o", path)
        check_eq(p.returncode, 0, f"leakctl export status ({p.stderr.decode().strip()})")
        check_eq(p.stdout, b"", "nothing on standard output with -o")
        # The leaker is idle: top asked again has not changed since.
        again = d.ctl("top", "--pid", str(lk.pid), "--level", "heap", "-n", "0")[0]
        # Trends and ages change with the clock, not with the stacks: compare the rest.
        def still(stacks):
            return [{k: v for k, v in st.items() if k not in ("trend", "ages")}
                    for st in stacks]
        check_eq(still(again["stacks"]), still(top["stacks"]), "top while exporting")
        with open(path, "rb") as f:
            check_eq(f.read(2), b"\x1f\x8b", "gzip magic of the profile")

        out = go_pprof(["-top", "-unit=B", "-nodefraction=0", "-nodecount=1000",
                        "-sample_index=inuse_space"], path, wd)
        check("Type: inuse_space" in out, "pprof's sample type")
        flat = pprof_flat(out)
        check_eq(flat, json_leaves(top, "bytes"), "pprof flat bytes vs top's, per leaf")
        check_eq(flat.get("heap_leak"), want, "heap_leak's bytes")
        total = sum(st["bytes"] for st in top["stacks"])
        m = re.search(r"of (\d+)B total", out)
        check(m and int(m.group(1)) == total, f"pprof's total, want {total}: {out}")
        counts = pprof_flat(go_pprof(["-top", "-nodefraction=0", "-nodecount=1000",
                                      "-sample_index=inuse_objects"], path, wd))
        check_eq(counts, json_leaves(top, "allocs"), "pprof flat blocks vs top's")
        check_eq(counts.get("heap_leak"), 9, "heap_leak's blocks")
        traces = pprof_traces(go_pprof(["-traces", "-unit=B"], path, wd))
        live = sorted((b, fns) for b, fns in traces if b)
        want_traces = sorted((st["bytes"], pprof_trace(st)) for st in top["stacks"] if st["bytes"])
        check_eq(live, want_traces, "pprof -traces vs top's stacks")
        raw = go_pprof(["-raw"], path, wd)
        check(re.search(r"/leak_ctl [0-9a-f]{40} \[FN\]", raw) is not None,
              "the program's mapping with its build-id")
        check(f"Comment: pid {lk.pid} (leak_ctl)" in raw, "the process in a comment")

        # Folded stacks to a pipe: the same bytes per stack.
        p = ctl_export(d, "--format", "folded", "--pid", str(lk.pid))
        check_eq(p.returncode, 0, f"folded status ({p.stderr.decode().strip()})")
        folded = sorted(int(line.rsplit(" ", 1)[1]) for line in p.stdout.decode().splitlines())
        check_eq(folded, sorted(st["bytes"] for st in top["stacks"] if st["bytes"]),
                 "folded figures vs top's")
        leaves = [line.rsplit(" ", 1)[0].split(";")[-1] for line in p.stdout.decode().splitlines()]
        check("heap_leak" in leaves, f"heap_leak's folded line: {p.stdout.decode()}")
        # An SVG flame graph, by process name, well-formed.
        svg = wd.file("flame.svg")
        p = ctl_export(d, "--format", "svg", "--comm", "leak_ctl", "-o", svg)
        check_eq(p.returncode, 0, f"svg status ({p.stderr.decode().strip()})")
        with open(svg) as f:
            text = f.read()
        check(f"<title>heap_leak: {want} bytes" in text, "heap_leak's frame in the flame graph")
        if shutil.which("xmllint"):
            subprocess.run(["xmllint", "--noout", svg], check=True, timeout=TIMEOUT)

        # Errors: a clear line, the documented status, no file.
        bad = wd.file("bad.pb.gz")
        p = ctl_export(d, "--format", "pprof", "4194000", "-o", bad)
        check_eq(p.returncode, 1, "exit status for a process not watched")
        check("no process 4194000 watched" in p.stderr.decode(), f"error: {p.stderr}")
        check(not os.path.exists(bad), "a file written for a refused export")
        for args, msg in ((["--format", "json"], "export needs --format pprof"),
                          ([], "export needs --format pprof"),
                          (["--format", "pprof", "--level", "all"], "one level"),
                          (["--format", "png"], "invalid format 'png'"),
                          (["--format", "svg", "-n", "3"], "does not go with this command")):
            p = ctl_export(d, *args)
            check_eq(p.returncode, 2, f"exit status of export {args}")
            check(msg in p.stderr.decode(), f"export {args}: {p.stderr}")
        p = subprocess.run([LEAKCTL, "--socket", d.sock, "--format", "folded", "top"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
        check_eq(p.returncode, 2, "a profile format for top")
        check("go with export only" in p.stderr.decode(), f"error: {p.stderr}")
        # pprof is binary: never to a terminal, from leakctl or leakd.
        master, slave = os.openpty()
        try:
            p = ctl_export(d, "--format", "pprof", str(lk.pid), stdout=slave)
            check_eq(p.returncode, 2, "leakctl export --format pprof to a terminal")
            check("-o FILE" in p.stderr.decode(), f"error: {p.stderr}")
            p = run_watched([LEAKD, "--format", "pprof", "--", "true"], stdout=slave,
                            stderr=subprocess.PIPE, text=True, timeout=TIMEOUT)
            check_eq(p.returncode, 2, "leakd --format pprof to a terminal")
            check("give -o FILE" in p.stderr, f"error: {p.stderr}")
        finally:
            os.close(master)
            os.close(slave)
    finally:
        lk.end()
        d.stop()
