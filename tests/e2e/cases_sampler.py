# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""The otel_memory probes: a program's own library that emits them, and leakd's
in-process sampler (libleakd-sampler.so) preloaded, alone and in front of jemalloc
and tcmalloc, with leakd attached after the process started."""

import math
import os
import subprocess
import time

from harness import (LEAKD, TIMEOUT, Attached, Result, Skip, Workdir, check, check_eq,
                     check_truth, leaker, read_json_lines, read_line, read_truth, run_command,
                     sites_by_function, wait_for_line)

SAMPLER = os.path.join(os.path.dirname(leaker("x")), "..", "..", "src", "sampler",
                       "libleakd-sampler.so")
LIBDIR = "/usr/lib/x86_64-linux-gnu"
JEMALLOC = os.path.join(LIBDIR, "libjemalloc.so.2")
TCMALLOC = os.path.join(LIBDIR, "libtcmalloc.so.4")
# Small enough for a few dozen samples per site in a short run.
INTERVAL = 65536
LEAK_SITES = ("leak_small", "leak_large", "leak_grown")


def case_otel_probes():
    """A program whose own library emits otel_memory probes is traced through them:
    each allocation stands for the weight it gives, exactly."""
    r = run_command([leaker("leak_otel")])
    check_eq(r.returncode, 0, f"leakd exit status ({r.stderr.strip()})")
    check("reporting through the otel_memory sampler" in r.stderr,
          f"leakd does not say it uses the probes: {r.stderr!r}")
    check("probes in /usr/lib" not in r.stderr, "the allocator was probed as well")
    rep = r.final()
    check_eq(rep["sampled_allocs"], 10 + 3 + 100, "sampled allocations")
    check_truth(rep, r.truth, "leak_otel")
    # The probes' own library is not in the stacks: they start at its caller.
    for st in rep["stacks"]:
        check(st["frames"][0].get("module") != "libotelprobe.so",
              "a stack starts in the library that emits the probes")


def case_otel_probes_in_program():
    """Probes in the program's own code: no frame is left out, the emitting function
    comes first and the leaking one right below it."""
    r = run_command([leaker("leak_otel_self")])
    check_eq(r.returncode, 0, f"leakd exit status ({r.stderr.strip()})")
    check("reporting through the otel_memory sampler" in r.stderr,
          f"leakd does not say it uses the probes: {r.stderr!r}")
    rep = r.final()
    t = r.truth["sites"][0]
    got = [0, 0]
    for st in rep["stacks"]:
        names = [fr.get("function") for fr in st["frames"]]
        check_eq(names[:2], ["self_alloc", t["function"]], "the first frames")
        got[0] += st["bytes"]
        got[1] += st["allocs"]
    check_eq(tuple(got), (t["bytes"], t["count"]), "bytes, allocations")


def case_otel_probes_dlopen():
    """Probes in a library loaded at run time, after leakd attached to the process
    with allocator probes: leakd finds them, switches to them (their semaphores go
    from 0 to 1 while the process runs) and reports their weights."""
    a = Attached(leaker_argv=[leaker("leak_otel_dlopen")])
    try:
        check("otel_memory" not in "".join(a.stderr_lines), "probes found before the dlopen")
        a.send()
        check(a.leaker_line("listening").startswith("listening"),
              "the leaker's probes never got a listener")
        a.stderr_lines += wait_for_line(a.leakd.stderr, "otel_memory probes in",
                                        "leakd attached to the probes", seen=a.stderr_lines)
        a.release()
        r = a.finish()
    finally:
        a.kill()
    check_eq(r.returncode, 0, f"leakd exit status ({r.stderr.strip()})")
    check("reporting through the otel_memory sampler from now on" in r.stderr,
          f"leakd does not say it switched to the probes: {r.stderr!r}")
    rep = r.final()
    check_eq(rep["sampled_allocs"], 5, "sampled allocations")
    check_truth(rep, r.truth, "leak_otel_dlopen")


def case_otel_probes_exact():
    """--exact: the allocator is probed instead, and figures are the plain blocks."""
    r = run_command([leaker("leak_otel")], leakd_args=["--exact"])
    check_eq(r.returncode, 0, f"leakd exit status ({r.stderr.strip()})")
    check("otel_memory" not in r.stderr, "--exact still used the probes")
    rep = r.final()
    check_eq(rep["sampled_allocs"], 0, "sampled allocations under --exact")
    sites = sites_by_function(rep, "leak_otel")
    check_eq((sites["leak_weighted"]["bytes"], sites["leak_weighted"]["count"]), (1000, 10),
             "leak_weighted, exact")


class Preloaded:
    """leak_sampler waiting, with the sampler (and maybe an allocator) preloaded,
    then leakd --pid attached while it runs."""

    def __init__(self, preload, interval=INTERVAL, max_live=200000):
        self.wd = Workdir()
        self.out, self.truth = self.wd.file("report"), self.wd.file("truth.json")
        env = dict(os.environ, LEAKER_TRUTH=self.truth, LD_PRELOAD=" ".join(preload),
                   LEAKD_SAMPLER_INTERVAL=str(interval),
                   LEAKD_SAMPLER_MAX_LIVE=str(max_live))
        self.leakd = None
        self.leaker = subprocess.Popen([leaker("leak_sampler"), "wait"], env=env,
                                       cwd=self.wd.path, stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE)
        try:
            line = read_line(self.leaker.stdout, time.monotonic() + TIMEOUT, "leaker ready")
            check(line.startswith("ready "), f"leaker said {line!r}")
            self.pid = int(line.split()[1])
            self.leakd = subprocess.Popen([LEAKD, "-n", "0", "-i", "0", "-o", self.out,
                                           "--json", "--pid", str(self.pid)],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self.log = wait_for_line(self.leakd.stderr, "tracing pid", "leakd attached")
        except BaseException:
            self.kill()
            raise

    def run(self):
        try:
            self.leaker.stdin.write(b"go\n")
            self.leaker.stdin.close()
            check_eq(self.leaker.wait(timeout=TIMEOUT), 0, "leaker exit status")
            rc = self.leakd.wait(timeout=TIMEOUT)
            err = "".join(self.log) + self.leakd.stderr.read().decode()
            reports = read_json_lines(self.out) if os.path.exists(self.out) else []
            truth = read_truth(self.truth) if os.path.exists(self.truth) else None
            return Result(rc, err, reports, truth)
        finally:
            self.kill()

    def kill(self):
        for p in (self.leakd, self.leaker):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()


def sampled_run(preload):
    r = Preloaded(preload).run()
    check_eq(r.returncode, 0, f"leakd exit status ({r.stderr.strip()})")
    check("reporting through the otel_memory sampler" in r.stderr,
          f"leakd does not say it uses the sampler: {r.stderr!r}")
    check(r.truth is not None, "the leaker wrote no ground truth")
    notes = r.truth["notes"]
    # The semaphore was 0 before leakd came: nothing reached a probe; 1 after.
    check_eq(notes["sampled_before"], 0, "samples reported before leakd attached")
    check(notes["sampled_after"] > 0, "no sample reported once leakd attached")
    rep = r.final()
    check(rep["sampled_allocs"] > 0, "the report has no sampled allocation")
    sites = sites_by_function(rep, "leak_sampler")
    check("churn" not in sites,
          f"churn frees all it allocates, yet holds {sites.get('churn', {}).get('bytes')} B")
    for st in rep["stacks"]:
        check(st["frames"][0].get("module") != "libleakd-sampler.so",
              "a stack starts in the sampler")
    return rep, sites, r.truth


def sampling_variance(size, count, interval):
    """Variance of the estimates of count blocks of size bytes, each sampled with
    p = 1 - exp(-size/interval) and standing for size/p bytes and 1/p blocks."""
    p = -math.expm1(-size / interval)
    return count * size * size * (1 - p) / p, count * (1 - p) / p


def case_sampler_attach_late():
    """The sampler preloaded, leakd attached while the process runs: the leaking
    sites are found from the first frame outside the sampler."""
    rep, sites, truth = sampled_run([SAMPLER])
    for fn in LEAK_SITES:
        check(fn in sites, f"no stack from {fn}; sites: {sorted(sites)}")
        check(sites[fn]["bytes"] > 0, f"{fn} holds nothing")


def case_sampler_estimates():
    """Per site, the mean of the estimates over runs is within 3 standard errors of
    the truth (the error of that mean, from the sampling's own variance)."""
    runs = 6
    got = {fn: [] for fn in LEAK_SITES}
    truth = None
    for _ in range(runs):
        _, sites, truth = sampled_run([SAMPLER])
        for fn in LEAK_SITES:
            s = sites.get(fn, {"bytes": 0, "count": 0})
            got[fn].append((s["bytes"], s["count"]))
    for t in truth["sites"]:
        fn = t["function"]
        if fn not in got:
            continue
        size = t["bytes"] // t["count"]
        var_b, var_n = sampling_variance(size, t["count"], INTERVAL)
        mean_b = sum(b for b, _ in got[fn]) / runs
        mean_n = sum(n for _, n in got[fn]) / runs
        se_b, se_n = math.sqrt(var_b / runs), math.sqrt(var_n / runs)
        check(abs(mean_b - t["bytes"]) <= 3 * se_b,
              f"{fn}: mean estimate {mean_b:.0f} B over {runs} runs, truth {t['bytes']}, "
              f"standard error {se_b:.0f}; runs: {got[fn]}")
        check(abs(mean_n - t["count"]) <= 3 * se_n + 1,
              f"{fn}: mean count {mean_n:.1f} over {runs} runs, truth {t['count']}, "
              f"standard error {se_n:.1f}; runs: {got[fn]}")


def needs(path):
    if not os.path.exists(path):
        raise Skip(f"{path} is not installed (setup.sh installs it)")


def case_sampler_jemalloc():
    """The sampler in front of jemalloc (preloaded after it): forwarded, sampled."""
    needs(JEMALLOC)
    _, sites, _ = sampled_run([SAMPLER, JEMALLOC])
    for fn in LEAK_SITES:
        check(fn in sites, f"no stack from {fn} under jemalloc; sites: {sorted(sites)}")


def case_sampler_tcmalloc():
    """The sampler in front of tcmalloc (gperftools)."""
    needs(TCMALLOC)
    _, sites, _ = sampled_run([SAMPLER, TCMALLOC])
    for fn in LEAK_SITES:
        check(fn in sites, f"no stack from {fn} under tcmalloc; sites: {sorted(sites)}")


def case_sampler_untraced():
    """Nobody listens: the program runs with the sampler as without it and no
    sample reaches a probe."""
    wd = Workdir()
    truth = wd.file("truth.json")
    env = dict(os.environ, LEAKER_TRUTH=truth, LD_PRELOAD=SAMPLER)
    p = subprocess.run([leaker("leak_sampler")], env=env, timeout=TIMEOUT)
    check_eq(p.returncode, 0, "leaker exit status")
    check_eq(read_truth(truth)["notes"]["sampled_after"], 0, "samples with nobody listening")


def case_sampler_every_byte():
    """LEAKD_SAMPLER_INTERVAL=1 samples every allocation, each standing for itself:
    the figures through the sampler are then exact, realloc and calloc included."""
    p = Preloaded([SAMPLER], interval=1)
    r = p.run()
    check_eq(r.returncode, 0, f"leakd exit status ({r.stderr.strip()})")
    check_eq(r.truth["notes"]["sampler_dropped"], 0, "samples the sampler could not keep")
    check_truth(r.final(), r.truth, "leak_sampler")


def case_sampler_cxx():
    """C++ operator new and delete through the sampler (libstdc++ forwards new to
    malloc: counted once), every allocation sampled: exact figures."""
    env = dict(os.environ, LD_PRELOAD=SAMPLER, LEAKD_SAMPLER_INTERVAL="1")
    r = run_command([leaker("leak_cxx")], env=env)
    check_eq(r.returncode, 0, f"leakd exit status ({r.stderr.strip()})")
    check("reporting through the otel_memory sampler" in r.stderr,
          f"leakd does not say it uses the sampler: {r.stderr!r}")
    check_truth(r.final(), r.truth, "leak_cxx")


def case_sampler_threads():
    """Threads that free each other's blocks, every allocation sampled: the sampler's
    set of live samples, shared lock-free, loses none and invents none."""
    env = dict(os.environ, LD_PRELOAD=SAMPLER, LEAKD_SAMPLER_INTERVAL="1",
               LEAKD_SAMPLER_MAX_LIVE="200000")
    r = run_command([leaker("leak_threads")], env=env)
    check_eq(r.returncode, 0, f"leakd exit status ({r.stderr.strip()})")
    check("reporting through the otel_memory sampler" in r.stderr,
          f"leakd does not say it uses the sampler: {r.stderr!r}")
    rep = r.final()
    check(rep["complete"], f"report incomplete: {rep['counters']}")
    check_truth(rep, r.truth, "leak_threads")
    check(rep["total_frees"] >= r.truth["notes"]["cross_thread_frees"],
          f"only {rep['total_frees']} frees seen")
    # Frees reach a probe only for blocks the sampler saw allocated.
    check_eq(rep["unmatched_frees"], 0, "frees of blocks never seen allocated")
