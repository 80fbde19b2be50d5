#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Cost of leakd's allocator probes and stack walks, measured in one run as ratios.

For each round and stack depth: the malloc+free loop untraced, under the
bare-uprobe floor (empty BPF programs on the same probe points), under leakd --pid
(stacks unwound with .eh_frame tables) and under leakd --pid --frame-pointers,
sampled, under heaptrack; and, with many more pairs (their cost is a few ns), the
loop untraced again, with libleakd-sampler.so preloaded and nobody listening, and
with leakd --pid attached to the sampler's probes.  Prints ns per pair (medians
over the rounds), the ratios pair by pair, and the cost of a frame: the slope over
the depths.  Run as root from the source tree:

    bench/run.py [--build build] [--rounds 5] [--pairs 500000] [--size 64] [--depths 0,16,32]
                 [--sample 512K] [--sampler-pairs 20000000]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpfstats import bpf_stats  # noqa: E402


def read_line(stream, what):
    line = stream.readline()
    if not line:
        sys.exit(f"no {what}")
    return line


class Preload:
    """The loop with a library preloaded, and tracer (as for traced()) or none."""

    def __init__(self, lib, tracer=None):
        self.lib, self.tracer = lib, tracer


def traced(build, tracer, pairs, size, depth, sites=1):
    """ns per pair with tracer(pid) attached; None for no tracer; a list: a command
    that runs the loop itself (heaptrack); a Preload: the loop with a library."""
    bench_cmd = [os.path.abspath(os.path.join(build, "bench/mallocbench")), str(pairs), str(size),
                 str(depth), str(sites)]
    env = None
    if isinstance(tracer, Preload):
        env = dict(os.environ, LD_PRELOAD=tracer.lib)
        tracer = tracer.tracer
    if tracer is None:
        return float(subprocess.run(bench_cmd, stdout=subprocess.PIPE, text=True, env=env,
                                    check=True).stdout)
    if isinstance(tracer, list):
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(tracer + bench_cmd, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True, cwd=tmp,
                                 check=True).stdout
        return float([line for line in out.splitlines() if line.strip()
                      and line.strip().replace(".", "", 1).isdigit()][-1])
    bench = subprocess.Popen(bench_cmd[:1] + ["--wait"] + bench_cmd[1:], env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
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


def slope(depths, values):
    """Least-squares ns per extra frame."""
    n = len(depths)
    mx, my = sum(depths) / n, sum(values) / n
    den = sum((d - mx) ** 2 for d in depths)
    return sum((d - mx) * (v - my) for d, v in zip(depths, values)) / den if den else 0.0


def run():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pairs", type=int, default=500000)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--depths", default="0,16,32")
    ap.add_argument("--sites", type=int, default=1)
    ap.add_argument("--sample", default="512K")
    ap.add_argument("--sampler-pairs", type=int, default=20000000)
    args = ap.parse_args()
    b = args.build
    depths = [int(d) for d in args.depths.split(",")]

    def floor(pid, *extra):
        return subprocess.Popen([os.path.join(b, "bench/floor"), str(pid), *extra],
                                stderr=subprocess.PIPE, text=True)

    def leakd(*extra):
        def start(pid):
            return subprocess.Popen([os.path.join(b, "src/leakd"), "--pid", str(pid), "-i", "0",
                                     "-o", "/dev/null", *extra], stderr=subprocess.PIPE,
                                    text=True)
        return start

    modes = {"untraced": None, "floor": floor, "leakd": leakd(),
             "leakd --frame-pointers": leakd("--frame-pointers"),
             "floor --no-return": lambda pid: floor(pid, "--no-return"),
             f"leakd --sample {args.sample}": leakd("--sample", args.sample)}
    if shutil.which("heaptrack"):
        # LD_PRELOAD, in process: its data file goes to a directory of each run's own.
        modes["heaptrack"] = ["heaptrack", "-o", "ht"]
    lib = os.path.abspath(os.path.join(b, "src/sampler/libleakd-sampler.so"))
    fast = {"untraced": None, "sampler": Preload(lib), "sampler + leakd": Preload(lib, leakd())}
    ns = {(m, d): [] for m in modes for d in depths}
    fns = {(m, d): [] for m in fast for d in depths}
    for _ in range(args.rounds):
        for d in depths:
            for m, tracer in modes.items():
                ns[(m, d)].append(traced(b, tracer, args.pairs, args.size, d, args.sites))
            for m, tracer in fast.items():
                fns[(m, d)].append(traced(b, tracer, args.sampler_pairs, args.size, d, args.sites))
    # Where the probes sit: the same floor with every probe on a function's first byte.
    entry = [traced(b, lambda pid: floor(pid, "--at-entry"), args.pairs, args.size, depths[0],
                    args.sites)
             for _ in range(args.rounds)]
    med = {k: statistics.median(v) for k, v in ns.items()}

    print(f"command: bench/run.py --rounds {args.rounds} --pairs {args.pairs} "
          f"--size {args.size} --depths {args.depths} --sites {args.sites} --sample {args.sample} "
          f"--sampler-pairs {args.sampler_pairs}")
    print("\nns per malloc+free pair, median of the rounds (frames walked: depth + 6)\n")
    print("| depth | " + " | ".join(modes) + " | leakd / floor | leakd / untraced |")
    print("|---" * (len(modes) + 3) + "|")
    for d in depths:
        r_floor = statistics.median(l / f for l, f in zip(ns[("leakd", d)], ns[("floor", d)]))
        r_untr = statistics.median(l / u for l, u in zip(ns[("leakd", d)], ns[("untraced", d)]))
        print(f"| {d} | " + " | ".join(f"{med[(m, d)]:.0f}" for m in modes) +
              f" | {r_floor:.2f} | {r_untr:.0f} |")
    if len(depths) > 1:
        tab = slope(depths, [med[("leakd", d)] for d in depths])
        fp = slope(depths, [med[("leakd --frame-pointers", d)] for d in depths])
        print(f"\nper frame: {tab:.0f} ns with tables, {fp:.0f} ns by frame pointers; "
              f"tables cost {tab - fp:.0f} ns per frame more")
    sampled = f"leakd --sample {args.sample}"
    for d in depths:
        r_s = statistics.median(s / f for s, f in zip(ns[(sampled, d)],
                                                      ns[("floor --no-return", d)]))
        r_u = statistics.median(s / u for s, u in zip(ns[(sampled, d)], ns[("untraced", d)]))
        print(f"depth {d}: {sampled} = {r_s:.2f} x the floor of its probes (entries only), "
              f"{r_u:.0f} x untraced")
    base = depths[0]
    print(f"leakd above the floor at depth {base}: "
          f"{med[('leakd', base)] - med[('floor', base)]:.0f} ns per pair")
    r_entry = statistics.median(e / f for e, f in zip(entry, ns[("floor", base)]))
    print(f"floor with probes at function entries: {statistics.median(entry):.0f} ns per pair, "
          f"{r_entry:.2f} x the floor at leakd's probe points")

    print(f"\nthe in-process sampler, {args.sampler_pairs} pairs a run: ns per pair, medians; "
          "ratios to the untraced run of the same round, medians\n")
    print("| depth | " + " | ".join(fast) + " | sampler / untraced | sampler + leakd / untraced |")
    print("|---" * (len(fast) + 3) + "|")
    for d in depths:
        r = [statistics.median(x / u for x, u in zip(fns[(m, d)], fns[("untraced", d)]))
             for m in ("sampler", "sampler + leakd")]
        print(f"| {d} | " + " | ".join(f"{statistics.median(fns[(m, d)]):.1f}" for m in fast) +
              f" | {r[0]:.2f} | {r[1]:.2f} |")


def main():
    with bpf_stats(False):
        run()


if __name__ == "__main__":
    main()
