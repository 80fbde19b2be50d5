#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""What the watch tier adds to a process that maps and unmaps anonymous memory.

The daemon watches every process (mmap, munmap, mremap, brk, mprotect, madvise
and their stacks) without tracing any allocator.  In each round, in alternating
order: the loops of bench/mmapbench with no daemon, then under a private daemon
(its own socket, state and cache directories, no drill-down) that has settled, once
per way of probing the system calls asked for (--syscall-probes).  Loops: `map`
(mmap+munmap pairs, nothing touched: the worst case), `touch` (one byte written
per page first), `sys` (getppid: a system call the watch tier does not probe, what
every other call of every process on the host pays).  Prints ns per iteration
(medians over the rounds) and each daemon's ratio to the untraced loop (median of
the pairs of one round).  Run as root from the source tree:

    bench/watch.py [--build build] [--rounds 5] [--pairs 200000] [--size 64K]
                   [--loops map,touch,sys] [--syscall-probes auto]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpfstats import bpf_stats  # noqa: E402
from footprint import settle  # noqa: E402


def loop(build, what, pairs, size):
    out = subprocess.run([os.path.join(build, "bench/mmapbench"), str(pairs), str(size), what],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    return float(out)


def loops(build, whats, pairs, size):
    return {w: loop(build, w, pairs, size) for w in whats}


def with_daemon(build, probes, whats, pairs, size):
    with tempfile.TemporaryDirectory(prefix="leakd-watch-") as tmp:
        sock = os.path.join(tmp, "leakd.sock")
        conf = os.path.join(tmp, "leakd.conf")
        with open(conf, "w") as f:
            f.write(f"socket = {sock}\ncache-dir = {tmp}/cache\nstate-dir = {tmp}/state\n"
                    f"no-drilldown\nrestart-grace = 0\nsyscall-probes = {probes}\n")
        proc = subprocess.Popen([os.path.join(build, "src/leakd"), "--config", conf],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            settle(build, sock, proc)
            return loops(build, whats, pairs, size)
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def size_arg(s):
    units = {"K": 1 << 10, "M": 1 << 20}
    return int(s[:-1]) * units[s[-1].upper()] if s[-1].upper() in units else int(s)


def run():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pairs", type=int, default=200000)
    ap.add_argument("--size", type=size_arg, default=64 << 10)
    ap.add_argument("--loops", default="map,touch,sys")
    ap.add_argument("--syscall-probes", default="auto",
                    help="daemons to compare, comma-separated (auto, tracepoints, raw)")
    args = ap.parse_args()
    if os.geteuid():
        sys.exit("watch.py: run as root (the daemon loads BPF programs)")
    whats = args.loops.split(",")
    modes = args.syscall_probes.split(",")
    times = {m: {w: [] for w in whats} for m in [None] + modes}
    ratios = {m: {w: [] for w in whats} for m in modes}
    for r in range(args.rounds):
        order = [None] + modes
        if r % 2:
            order.reverse()
        got = {}
        for m in order:
            got[m] = (loops(args.build, whats, args.pairs, args.size) if m is None else
                      with_daemon(args.build, m, whats, args.pairs, args.size))
        for m in [None] + modes:
            for w in whats:
                times[m][w].append(got[m][w])
                if m is not None:
                    ratios[m][w].append(got[m][w] / got[None][w])
        print(f"round {r + 1}: " + "; ".join(
            f"{w} {got[None][w]:.0f} ns untraced, " + ", ".join(
                f"{got[m][w]:.0f} {m}" for m in modes) for w in whats), flush=True)
    print("| loop | untraced | " + " | ".join(f"watched ({m})" for m in modes) + " | " +
          " | ".join(f"ratio ({m})" for m in modes) + " |")
    print("|---" * (2 + 2 * len(modes)) + "|")
    for w in whats:
        print(f"| {w} | {statistics.median(times[None][w]):.0f} | " +
              " | ".join(f"{statistics.median(times[m][w]):.0f}" for m in modes) + " | " +
              " | ".join(f"{statistics.median(ratios[m][w]):.3f}" for m in modes) + " |")


def main():
    with bpf_stats(False):
        run()


if __name__ == "__main__":
    main()
