#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Time spent in leakd's BPF programs per call, from the kernel's own BPF run-time
statistics (kernel.bpf_stats_enabled): the part of the cost leakd controls, apart
from the traps, and steady where wall-clock figures are not on a shared host.

For each depth: the malloc+free loop under leakd --pid (and --frame-pointers, and
--sample), ns per run of each allocator program; the cost of a frame is the
slope over the depths.  Run as root from the source tree:

    bench/progtime.py [--build build] [--pairs 300000] [--depths 0,16,32] [--rounds 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpfstats import bpf_stats  # noqa: E402

PROGS = ("alloc_enter", "alloc_exit", "free_enter", "alloc_sample", "free_sample")


def prog_stats():
    out = subprocess.run(["bpftool", "-j", "prog", "show"], stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    return {p["id"]: p for p in json.loads(out)}


def prog_ids_of(pid):
    """The BPF programs process pid holds, by id (its fds say): another leakd on
    the host has programs of the same names."""
    ids = set()
    fdinfo = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(fdinfo):
        try:
            with open(os.path.join(fdinfo, fd)) as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


def measure(build, depth, pairs, extra):
    """{program: ns per run} for one run of the loop under leakd."""
    bench = subprocess.Popen([os.path.join(build, "bench/mallocbench"), "--wait", str(pairs),
                              "64", str(depth)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    pid = int(bench.stdout.readline().split()[1])
    leakd = subprocess.Popen([os.path.join(build, "src/leakd"), "--pid", str(pid), "-i", "0",
                              "-o", "/dev/null", *extra], stderr=subprocess.PIPE, text=True)
    while True:
        line = leakd.stderr.readline()
        if not line:
            sys.exit("leakd ended before attaching")
        if "tracing pid" in line:
            break
    mine = prog_ids_of(leakd.pid)
    ours = {i for i, p in prog_stats().items() if i in mine and p.get("name") in PROGS}
    bench.stdin.write("go\n")
    bench.stdin.flush()
    last = {}
    while bench.poll() is None:
        for i, p in prog_stats().items():
            if i in ours and p.get("run_cnt"):
                last[p["name"]] = p["run_time_ns"] / p["run_cnt"]
        time.sleep(0.05)
    leakd.wait(timeout=60)
    return last


def run():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--pairs", type=int, default=300000)
    ap.add_argument("--depths", default="0,16,32")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    depths = [int(d) for d in args.depths.split(",")]
    modes = {"tables": [], "frame pointers": ["--frame-pointers"],
             "sampled 512K": ["--sample", "512K"]}
    res = {(m, d): [] for m in modes for d in depths}
    for _ in range(args.rounds):
        for d in depths:
            for m, extra in modes.items():
                res[(m, d)].append(measure(args.build, d, args.pairs, extra))
    print(f"command: bench/progtime.py --pairs {args.pairs} --depths {args.depths} "
          f"--rounds {args.rounds}\n")
    print("ns per program run, median of the rounds (frames walked: depth + 6)\n")
    print("| mode | depth | " + " | ".join(PROGS) + " |")
    print("|---" * (len(PROGS) + 2) + "|")
    med = {}
    for m in modes:
        for d in depths:
            cells = []
            for p in PROGS:
                v = [r[p] for r in res[(m, d)] if p in r]
                med[(m, d, p)] = statistics.median(v) if v else None
                cells.append(f"{med[(m, d, p)]:.0f}" if v else "-")
            print(f"| {m} | {d} | " + " | ".join(cells) + " |")
    if len(depths) > 1:
        for m in ("tables", "frame pointers"):
            lo, hi = med[(m, depths[0], "alloc_enter")], med[(m, depths[-1], "alloc_enter")]
            print(f"\nper frame ({m}): {(hi - lo) / (depths[-1] - depths[0]):.0f} ns of "
                  "alloc_enter")


def main():
    with bpf_stats(True):
        run()


if __name__ == "__main__":
    main()
