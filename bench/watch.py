#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""What the watch tier adds to a process that maps and unmaps anonymous memory.

The daemon watches every process (mmap, munmap, mremap, brk, mprotect, madvise
and their stacks) without tracing any allocator.  In each round, in alternating
order: bench/mmapbench with no daemon, and with a private daemon running (its own
socket, state and cache directories, no drill-down) that has settled.  Prints ns
per mmap+munmap pair (medians over the rounds) and the ratio pair by pair.  Run as
root from the source tree:

    bench/watch.py [--build build] [--rounds 5] [--pairs 200000] [--size 64K]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from footprint import settle  # noqa: E402


def loop(build, pairs, size):
    out = subprocess.run([os.path.join(build, "bench/mmapbench"), str(pairs), str(size)],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    return float(out)


def with_daemon(build, pairs, size):
    with tempfile.TemporaryDirectory(prefix="leakd-watch-") as tmp:
        sock = os.path.join(tmp, "leakd.sock")
        conf = os.path.join(tmp, "leakd.conf")
        with open(conf, "w") as f:
            f.write(f"socket = {sock}\ncache-dir = {tmp}/cache\nstate-dir = {tmp}/state\n"
                    "no-drilldown\nrestart-grace = 0\n")
        proc = subprocess.Popen([os.path.join(build, "src/leakd"), "--config", conf],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            settle(build, sock, proc)
            return loop(build, pairs, size)
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def size_arg(s):
    units = {"K": 1 << 10, "M": 1 << 20}
    return int(s[:-1]) * units[s[-1].upper()] if s[-1].upper() in units else int(s)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pairs", type=int, default=200000)
    ap.add_argument("--size", type=size_arg, default=64 << 10)
    args = ap.parse_args()
    if os.geteuid():
        sys.exit("watch.py: run as root (the daemon loads BPF programs)")
    bare, watched, ratios = [], [], []
    for r in range(args.rounds):
        if r % 2:
            w = with_daemon(args.build, args.pairs, args.size)
            b = loop(args.build, args.pairs, args.size)
        else:
            b = loop(args.build, args.pairs, args.size)
            w = with_daemon(args.build, args.pairs, args.size)
        bare.append(b)
        watched.append(w)
        ratios.append(w / b)
        print(f"round {r + 1}: {b:.0f} ns untraced, {w:.0f} ns watched, {w / b:.3f}",
              flush=True)
    print(f"median: {statistics.median(bare):.0f} ns untraced, "
          f"{statistics.median(watched):.0f} ns watched; ratio (median of pairs) "
          f"{statistics.median(ratios):.3f}")


if __name__ == "__main__":
    main()
