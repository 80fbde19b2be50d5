#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Runs the libFuzzer harnesses of tests/fuzz for a bounded time each.

  tools/fuzz.py [--time 4h] BUILD_DIR [NAME...]   by hand: every harness (or those
                                                   named) of a -Dfuzz=true build
  tools/fuzz.py --one NAME --exe EXE --corpus DIR --work DIR
                                                   one harness: a test of the suite
                                                   'fuzz' (meson test -C BUILD_DIR)

Each run starts from the committed seeds (tests/fuzz/corpus/NAME) and a working
corpus kept in WORK/NAME/corpus, so that long runs by hand build on each other.
The time is --time, else $FUZZ_SECONDS, else 20 s.  A crash, leak, sanitizer
report, time-out or memory blow-up fails the run; its input is kept as
WORK/NAME/crash-* (or leak-*, timeout-*, oom-*) and the command that replays it is
printed.  Exit status: 0 none found, 1 found (or the harness could not run)."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STATS = re.compile(r"stat::(number_of_executed_units|new_units_added|peak_rss_mb):\s*(\d+)")


def seconds(text):
    m = re.fullmatch(r"(\d+)\s*([smhd]?)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (e.g. 20, 90s, 10m, 4h)")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def run_one(name, exe, seeds, work, secs):
    """One harness for secs seconds; True when it found nothing."""
    out = os.path.join(work, name)
    corpus = os.path.join(out, "corpus")
    os.makedirs(corpus, exist_ok=True)
    if not os.path.isdir(seeds) or not os.listdir(seeds):
        print(f"fuzz {name}: no seed corpus in {seeds}")
        return False
    tmp = tempfile.mkdtemp(prefix="tmp-", dir=out)
    cmd = [exe, f"-max_total_time={secs}", "-timeout=10", "-rss_limit_mb=2048",
           "-malloc_limit_mb=1024", "-error_exitcode=1", "-timeout_exitcode=1",
           "-print_final_stats=1", f"-artifact_prefix={out}/", corpus, seeds]
    env = dict(os.environ, TMPDIR=tmp,
               ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:symbolize=1",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    start = time.monotonic()
    try:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace", timeout=secs + 300)
        log, rc = p.stdout, p.returncode
    except subprocess.TimeoutExpired as e:
        log, rc = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) \
            else (e.stdout or ""), "hung"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    took = time.monotonic() - start
    stats = dict(STATS.findall(log))
    with open(os.path.join(out, "last.log"), "w") as f:
        f.write(log)
    summary = (f"{stats.get('number_of_executed_units', '?')} runs in {took:.0f} s, "
               f"{len(os.listdir(corpus))} inputs in the corpus, "
               f"peak RSS {stats.get('peak_rss_mb', '?')} MB")
    if rc == 0:
        print(f"fuzz {name}: nothing found ({summary})")
        return True
    found = re.findall(r"Test unit written to (\S+)", log)
    print(f"fuzz {name}: FOUND a failure (exit {rc}; {summary})")
    report = [line for line in log.splitlines()
              if re.search(r"ERROR|SUMMARY|runtime error|invariant failed|^\s+#\d", line)]
    print("\n".join(report[:40]))
    for path in found:
        print(f"  replay: {exe} {path}")
    if not found:
        print(f"  log: {os.path.join(out, 'last.log')}")
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--time", type=seconds,
                    default=seconds(os.environ.get("FUZZ_SECONDS", "20")))
    ap.add_argument("--one", metavar="NAME")
    ap.add_argument("--exe")
    ap.add_argument("--corpus")
    ap.add_argument("--work")
    ap.add_argument("build_dir", nargs="?")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    if a.one:
        if not (a.exe and a.corpus and a.work):
            ap.error("--one needs --exe, --corpus and --work")
        return 0 if run_one(a.one, a.exe, a.corpus, a.work, a.time) else 1
    if not a.build_dir:
        ap.error("give the build directory of a -Dfuzz=true build")
    bindir = os.path.join(a.build_dir, "tests", "fuzz")
    if not os.path.isdir(bindir):
        ap.error(f"no {bindir}: configure with CC=clang-19 meson setup -Dfuzz=true")
    names = a.names or sorted(f[len("fuzz_"):] for f in os.listdir(bindir)
                              if f.startswith("fuzz_") and os.access(os.path.join(bindir, f),
                                                                     os.X_OK)
                              and os.path.isfile(os.path.join(bindir, f)))
    failed = 0
    for name in names:
        ok = run_one(name, os.path.join(bindir, "fuzz_" + name),
                     os.path.join(SRC, "tests", "fuzz", "corpus", name),
                     os.path.join(bindir, "work"), a.time)
        failed += not ok
    print(f"{len(names) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
