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
                     [--requests 100000] [--no-redis]
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


def stop(p):
    p.send_signal(2)
    p.wait(timeout=60)


def loop_ns(build, mode, pairs, size, tmp):
    bench = os.path.join(build, "bench/mallocbench")
    sampler = os.path.join(build, "src/sampler/libleakd-sampler.so")
    env = dict(os.environ)
    if mode in ("sampler", "sampler+leakd"):
        env["LD_PRELOAD"] = sampler
    if mode == "heaptrack":
        out = subprocess.run(["heaptrack", "-o", os.path.join(tmp, "ht"), bench, str(pairs),
                              str(size)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True, check=True, cwd=tmp).stdout
        return float([ln for ln in out.split("\n") if ln.replace(".", "").isdigit()][-1])
    if mode != "sampler+leakd":
        return float(subprocess.run([bench, str(pairs), str(size)], env=env, check=True,
                                    stdout=subprocess.PIPE, text=True).stdout)
    b = subprocess.Popen([bench, "--wait", str(pairs), str(size)], env=env,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pid = int(b.stdout.readline().split()[1])
    t = leakd_attach(build, pid)
    b.stdin.write("go\n")
    b.stdin.flush()
    ns = float(b.stdout.readline())
    b.wait()
    t.wait(timeout=60)
    return ns


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def redis_rps(build, mode, requests, tmp):
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
                              "--csv", "-n", str(requests), "-t", "set,get,lpush,lpop"],
                             stdout=subprocess.PIPE, text=True, check=True).stdout
        rps = 0.0
        for line in out.strip().split("\n")[1:]:
            rps += float(line.split(",")[1].strip('"'))
        return rps
    finally:
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            srv.wait(timeout=30)
        except subprocess.TimeoutExpired:
            srv.kill()
            srv.wait()
        if tracer:
            tracer.wait(timeout=60)


def table(title, unit, modes, results, better_low):
    print(f"\n{title} (median of {len(results[modes[0]])} rounds, {unit})\n")
    print("| " + " | ".join(modes) + " |")
    print("|" + "---|" * len(modes))
    med = {m: statistics.median(results[m]) for m in modes}
    print("| " + " | ".join(f"{med[m]:.1f}" if med[m] < 1000 else f"{med[m]:.0f}"
                            for m in modes) + " |")
    base = med[modes[0]]
    what = "× untraced (time)" if better_low else "× untraced (throughput)"
    print("| " + " | ".join(f"{med[m] / base:.3f}" for m in modes) + f" |  ← {what}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--pairs", type=int, default=4000000)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--no-redis", action="store_true")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    have_ht = shutil.which("heaptrack") is not None
    tmp = tempfile.mkdtemp(prefix="leakd-bench-")
    loop_modes = ["untraced", "sampler", "sampler+leakd"] + (["heaptrack"] if have_ht else [])
    redis_modes = ["untraced", "sampler", "sampler+leakd"] + (["heaptrack"] if have_ht else [])
    loop = {m: [] for m in loop_modes}
    redis = {m: [] for m in redis_modes}
    try:
        for r in range(args.rounds):
            for m in loop_modes:
                # heaptrack is ~100x slower per pair: fewer pairs, same per-pair figure.
                n = args.pairs // 40 if m == "heaptrack" else args.pairs
                loop[m].append(loop_ns(args.build, m, n, args.size, tmp))
            if not args.no_redis:
                for m in redis_modes:
                    redis[m].append(redis_rps(args.build, m, args.requests, tmp))
            print(f"round {r + 1}: loop " +
                  ", ".join(f"{m} {loop[m][-1]:.1f}" for m in loop_modes) +
                  ("" if args.no_redis else "; redis " +
                   ", ".join(f"{m} {redis[m][-1]:.0f}" for m in redis_modes)),
                  file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    table(f"malloc({args.size})+free loop, ns per pair", "ns", loop_modes, loop, True)
    if not args.no_redis:
        table("redis-benchmark -t set,get,lpush,lpop, requests/s summed", "req/s",
              redis_modes, redis, False)


if __name__ == "__main__":
    main()
