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
(medians over the rounds), each daemon's ratio to the untraced loop (median of the
pairs of one round), and the daemon's own CPU time per iteration (median).
--keep N: each loop first makes N one-page mappings and keeps them (the daemon's
table of the process that large).  --leakd PATH: another daemon binary (an older
build, say), with this tree's leakctl and loops.  Run as root from the source tree:

    bench/watch.py [--build build] [--rounds 5] [--pairs 200000] [--size 64K]
                   [--loops map,touch,sys] [--syscall-probes auto] [--keep 0] [--leakd PATH]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpfstats import bpf_stats  # noqa: E402
from footprint import settle  # noqa: E402


def loop(args, what):
    out = subprocess.run([os.path.join(args.build, "bench/mmapbench"), str(args.pairs),
                          str(args.size), what, str(args.keep)],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    return float(out)


def cpu_s(pid):
    """User and system time of pid so far, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def drained_cpu_s(pid):
    """pid's CPU time once it stops growing: the daemon has applied what was sent."""
    last = cpu_s(pid)
    while True:
        time.sleep(0.3)         # a measurement settling, not a synchronization
        now = cpu_s(pid)
        if now == last:
            return now
        last = now


def with_daemon(args, probes):
    """Each loop's ns per iteration, and the daemon's CPU ns per iteration of it."""
    with tempfile.TemporaryDirectory(prefix="leakd-watch-") as tmp:
        sock = os.path.join(tmp, "leakd.sock")
        conf = os.path.join(tmp, "leakd.conf")
        with open(conf, "w") as f:
            f.write(f"socket = {sock}\ncache-dir = {tmp}/cache\nstate-dir = {tmp}/state\n"
                    f"no-drilldown\nrestart-grace = 0\nsyscall-probes = {probes}\n")
        exe = args.leakd or os.path.join(args.build, "src/leakd")
        proc = subprocess.Popen([exe, "--config", conf],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            settle(args.build, sock, proc)
            times, cpu = {}, {}
            for w in args.whats:
                before = drained_cpu_s(proc.pid)
                times[w] = loop(args, w)
                cpu[w] = (drained_cpu_s(proc.pid) - before) * 1e9 / args.pairs
            return times, cpu
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
    ap.add_argument("--keep", type=int, default=0)
    ap.add_argument("--leakd", help="the daemon binary (default: the build's)")
    args = ap.parse_args()
    if os.geteuid():
        sys.exit("watch.py: run as root (the daemon loads BPF programs)")
    whats = args.whats = args.loops.split(",")
    modes = args.syscall_probes.split(",")
    times = {m: {w: [] for w in whats} for m in [None] + modes}
    ratios = {m: {w: [] for w in whats} for m in modes}
    cpus = {m: {w: [] for w in whats} for m in modes}
    for r in range(args.rounds):
        order = [None] + modes
        if r % 2:
            order.reverse()
        got = {}
        for m in order:
            if m is None:
                got[m] = {w: loop(args, w) for w in whats}
            else:
                got[m], cpu = with_daemon(args, m)
                for w in whats:
                    cpus[m][w].append(cpu[w])
        for m in [None] + modes:
            for w in whats:
                times[m][w].append(got[m][w])
                if m is not None:
                    ratios[m][w].append(got[m][w] / got[None][w])
        print(f"round {r + 1}: " + "; ".join(
            f"{w} {got[None][w]:.0f} ns untraced, " + ", ".join(
                f"{got[m][w]:.0f} {m}" for m in modes) for w in whats), flush=True)
    print("| loop | untraced | " + " | ".join(f"watched ({m})" for m in modes) + " | " +
          " | ".join(f"ratio ({m})" for m in modes) + " | " +
          " | ".join(f"daemon CPU ({m})" for m in modes) + " |")
    print("|---" * (2 + 3 * len(modes)) + "|")
    for w in whats:
        print(f"| {w} | {statistics.median(times[None][w]):.0f} | " +
              " | ".join(f"{statistics.median(times[m][w]):.0f}" for m in modes) + " | " +
              " | ".join(f"{statistics.median(ratios[m][w]):.3f}" for m in modes) + " | " +
              " | ".join(f"{statistics.median(cpus[m][w]):.0f}" for m in modes) + " |")


def main():
    with bpf_stats(False):
        run()


if __name__ == "__main__":
    main()
