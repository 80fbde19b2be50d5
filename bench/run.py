#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Cost of leakd's allocator probes, measured in one run as ratios.

For each round: the malloc+free loop untraced, under the bare-uprobe floor (empty
BPF programs on the same probe points), and under leakd --pid.  Prints ns per
pair and the ratios, medians over the rounds.  Run as root from the source tree:

    bench/run.py [--build build] [--rounds 5] [--pairs 2000000] [--size 64]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time


def read_line(stream, what, timeout=30):
    deadline = time.monotonic() + timeout
    line = stream.readline()
    if not line or time.monotonic() > deadline:
        sys.exit(f"no {what}")
    return line


def traced(build, tracer, pairs, size):
    """ns per pair of mallocbench with tracer (a function of the pid) attached."""
    bench = subprocess.Popen([os.path.join(build, "bench/mallocbench"), "--wait", str(pairs),
                              str(size)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    pid = int(read_line(bench.stdout, "ready line").split()[1])
    t = tracer(pid)
    while True:
        line = t.stderr.readline()
        if not line:
            sys.exit("tracer ended before attaching")
        if "attached" in line or "tracing pid" in line:
            break
    bench.stdin.write("go\n")
    bench.stdin.flush()
    ns = float(bench.stdout.readline())
    bench.wait()
    t.wait(timeout=60)
    return ns


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pairs", type=int, default=2000000)
    ap.add_argument("--size", type=int, default=64)
    args = ap.parse_args()
    b = args.build

    def untraced():
        p = subprocess.run([os.path.join(b, "bench/mallocbench"), str(args.pairs),
                            str(args.size)], stdout=subprocess.PIPE, text=True, check=True)
        return float(p.stdout)

    def floor(pid):
        return subprocess.Popen([os.path.join(b, "bench/floor"), str(pid)],
                                stderr=subprocess.PIPE, text=True)

    def leakd(pid):
        return subprocess.Popen([os.path.join(b, "src/leakd"), "--pid", str(pid), "-i", "0",
                                 "-o", "/dev/null"], stderr=subprocess.PIPE, text=True)

    rows = {"untraced": [], "floor": [], "leakd": []}
    for _ in range(args.rounds):
        rows["untraced"].append(untraced())
        rows["floor"].append(traced(b, floor, args.pairs, args.size))
        rows["leakd"].append(traced(b, leakd, args.pairs, args.size))
    med = {k: statistics.median(v) for k, v in rows.items()}
    ratio_floor = statistics.median(l / f for l, f in zip(rows["leakd"], rows["floor"]))
    ratio_untraced = statistics.median(l / u for l, u in zip(rows["leakd"], rows["untraced"]))
    print(f"command: bench/run.py --rounds {args.rounds} --pairs {args.pairs} "
          f"--size {args.size}")
    print("| run | ns per malloc+free pair (median) | all rounds |")
    print("|---|---|---|")
    for k in rows:
        print(f"| {k} | {med[k]:.1f} | {', '.join(f'{x:.0f}' for x in rows[k])} |")
    print(f"\nleakd / floor: {ratio_floor:.2f}  (per-pair ratios, median)")
    print(f"leakd / untraced: {ratio_untraced:.1f}")
    print(f"leakd above the floor: {med['leakd'] - med['floor']:.0f} ns per pair")


if __name__ == "__main__":
    main()
