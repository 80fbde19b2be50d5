#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Cost of the in-process sampler (libleakd-sampler.so), measured in one run as
ratios, rounds interleaved.

1. The malloc(SIZE)+free loop (bench/mallocbench, depth 0): untraced; the sampler
   preloaded with nobody listening; the sampler with leakd --pid attached (its
   otel_memory probes live); heaptrack (LD_PRELOAD, in-process) for comparison.
2. redis-server (Debian's, jemalloc) on loopback under redis-benchmark
   (-t set,get,lpush,lpop): untraced, sampler alone, sampler with leakd attached,
   and under heaptrack; throughput in requests per second (sum over the tests).

Run as root from the source tree (apt-get install heaptrack redis-server redis-tools):

    bench/sampler.py [--build build] [--rounds 5] [--pairs 4000000] [--size 64]
                     [--requests 100000] [--pipeline 1] [--no-redis]
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def leakd_attach(build, pid):
    """leakd --pid attached to pid; returns it once it says it traces."""
    t = subprocess.Popen([os.path.join(build, "src/leakd"), "--pid", str(pid), "-i", "0",
                          "-o", "/dev/null"], stderr=subprocess.PIPE, text=True)
    while True:
        line = t.stderr.readline()
        if not line:
            sys.exit("leakd ended before attaching")
        if "tracing pid" in line:
            if "otel_memory" not in line:
                sys.exit(f"leakd did not use the sampler: {line.strip()}")
            return t


def reap(p):
    """Waits for p; its CPU time (user + system, of it and the children it waited
    for), in ns: unlike wall time, not inflated when other work preempts it."""
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        sys.exit(f"{p.args[0]} failed: {p.returncode}")
    return (ru.ru_utime + ru.ru_stime) * 1e9


def loop_ns(build, mode, pairs, size, tmp):
    """(wall ns, CPU ns) per malloc+free pair."""
    bench = os.path.join(build, "bench/mallocbench")
    sampler = os.path.join(build, "src/sampler/libleakd-sampler.so")
    env = dict(os.environ)
    if mode in ("sampler", "sampler+leakd"):
        env["LD_PRELOAD"] = sampler
    argv = [bench, str(pairs), str(size)]
    if mode == "heaptrack":
        argv = ["heaptrack", "-o", os.path.join(tmp, "ht")] + argv
    elif mode == "sampler+leakd":
        argv = [bench, "--wait", str(pairs), str(size)]
    b = subprocess.Popen(argv, env=env, cwd=tmp, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    t = None
    if mode == "sampler+leakd":
        pid = int(b.stdout.readline().split()[1])
        t = leakd_attach(build, pid)
        b.stdin.write("go\n")
        b.stdin.flush()
    out = b.stdout.read()
    cpu = reap(b)
    if t:
        t.wait(timeout=60)
    wall = float([ln for ln in out.split("\n") if ln.replace(".", "").isdigit()][-1])
    return wall, cpu / pairs


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def redis_rps(build, mode, requests, tmp, pipeline=1):
    """(requests/s summed over the tests, the server's CPU µs per request)."""
    sampler = os.path.join(build, "src/sampler/libleakd-sampler.so")
    port = free_port()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", tmp]
    env = dict(os.environ)
    if mode in ("sampler", "sampler+leakd"):
        env["LD_PRELOAD"] = sampler
    if mode == "heaptrack":
        argv = ["heaptrack", "-o", os.path.join(tmp, "htr")] + argv
    srv = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           cwd=tmp)
    rps = 0.0
    tracer = None
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(["redis-cli", "-p", str(port), "ping"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True).stdout.strip() != "PONG":
            if time.monotonic() > deadline:
                sys.exit("redis-server did not start")
            time.sleep(0.05)
        if mode == "sampler+leakd":
            tracer = leakd_attach(build, srv.pid)
        out = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-q",
                              "--csv", "-n", str(requests), "-P", str(pipeline),
                              "-t", "set,get,lpush,lpop"],
                             stdout=subprocess.PIPE, text=True, check=True).stdout
        rps = 0.0
        for line in out.strip().split("\n")[1:]:
            rps += float(line.split(",")[1].strip('"'))
    finally:
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cpu = reap(srv)
        if tracer:
            tracer.wait(timeout=60)
    return rps, cpu / (4 * requests) / 1000


def table(title, modes, results, better_low):
    """Medians of the figures, and the median of the ratios to the untraced run of
    the same round (rounds are interleaved: a busy moment hits both)."""
    rounds = len(results[modes[0]])
    print(f"\n{title} (median of {rounds} rounds)\n")
    print("| | " + " | ".join(modes) + " |")
    print("|---|" + "---|" * len(modes))
    med = {m: statistics.median(results[m]) for m in modes}
    print("| median | " + " | ".join(f"{med[m]:.1f}" if med[m] < 1000 else f"{med[m]:.0f}"
                                   for m in modes) + " |")
    ratios = {m: statistics.median(results[m][i] / results[modes[0]][i] for i in range(rounds))
              for m in modes}
    what = "time" if better_low else "throughput"
    print(f"| × untraced ({what}), median of per-round ratios | " +
          " | ".join(f"{ratios[m]:.3f}" for m in modes) + " |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pairs", type=int, default=4000000)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--pipeline", type=int, default=1,
                    help="redis-benchmark -P: with 1 the client is often the bottleneck")
    ap.add_argument("--no-redis", action="store_true")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    have_ht = shutil.which("heaptrack") is not None
    tmp = tempfile.mkdtemp(prefix="leakd-bench-")
    loop_modes = ["untraced", "sampler", "sampler+leakd"] + (["heaptrack"] if have_ht else [])
    redis_modes = ["untraced", "sampler", "sampler+leakd"] + (["heaptrack"] if have_ht else [])
    loop = {m: [] for m in loop_modes}
    loop_cpu = {m: [] for m in loop_modes}
    redis = {m: [] for m in redis_modes}
    redis_cpu = {m: [] for m in redis_modes}
    try:
        for r in range(args.rounds):
            for m in loop_modes:
                # heaptrack is ~100x slower per pair: fewer pairs (its start-up then weighs
                # on its CPU figure; the wall figure is timed inside the loop).
                n = args.pairs // 10 if m == "heaptrack" else args.pairs
                wall, cpu = loop_ns(args.build, m, n, args.size, tmp)
                loop[m].append(wall)
                loop_cpu[m].append(cpu)
            if not args.no_redis:
                for m in redis_modes:
                    rps, cpu = redis_rps(args.build, m, args.requests, tmp, args.pipeline)
                    redis[m].append(rps)
                    redis_cpu[m].append(cpu)
            print(f"round {r + 1}: loop " +
                  ", ".join(f"{m} {loop[m][-1]:.1f}" for m in loop_modes) +
                  ("" if args.no_redis else "; redis " +
                   ", ".join(f"{m} {redis[m][-1]:.0f}" for m in redis_modes)),
                  file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    table(f"malloc({args.size})+free loop, wall ns per pair", loop_modes, loop, True)
    table(f"malloc({args.size})+free loop, CPU ns per pair (user + system)", loop_modes,
          loop_cpu, True)
    if not args.no_redis:
        table(f"redis-benchmark -t set,get,lpush,lpop -P {args.pipeline}, requests/s summed",
              redis_modes, redis, False)
        table("redis-server CPU µs per request (user + system)", redis_modes, redis_cpu, True)


if __name__ == "__main__":
    main()
