# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Sampled tracing (leakd --sample): estimates against the ground truth over
repeated runs, never a single-run bound; frees of sampled blocks net to zero;
allocations far above the interval come out exact."""

import math
import os
import statistics
import subprocess

from harness import LEAKD, check, check_eq, check_truth, leaker, run_command

INTERVAL = 16384
ROUNDS = 8


def estimates_per_round(rep, truth):
    """{(site, round): (bytes, bytes_se, count, count_se)}: the rows of each site
    summed per round (the caller roundN below it), standard errors in quadrature."""
    names = {t["function"] for t in truth["sites"]}
    got = {}
    for st in rep["stacks"]:
        fns = [fr.get("function") or "" for fr in st["frames"]]
        site = next((f for f in fns if f in names), None)
        rnd = next((f for f in fns if f.startswith("round")), None)
        if site is None or rnd is None:
            continue
        b, bse, c, cse = got.get((site, rnd), (0, 0.0, 0, 0.0))
        got[(site, rnd)] = (b + st["bytes"], math.hypot(bse, st.get("bytes_se", 0.0)),
                            c + st["allocs"], math.hypot(cse, st.get("allocs_se", 0.0)))
    return got


def sampled_runs(runs, env):
    reps = []
    for _ in range(runs):
        r = run_command([leaker("leak_sampled"), str(ROUNDS)],
                        leakd_args=["--sample", str(INTERVAL)], env=env)
        check_eq(r.returncode, 0, "leakd exit status")
        rep = r.final()
        check(rep["complete"], f"report incomplete: {rep['counters']}")
        check_eq(rep["mode"], "sampled", "report mode")
        check_eq(rep["sample_interval"], INTERVAL, "sample interval in the report")
        check(rep["counters"]["sampled_allocs"] > 0, "nothing sampled")
        reps.append((rep, r.truth))
    return reps


def check_estimates(reps):
    truth = reps[0][1]
    per_site = {t["function"]: t for t in truth["sites"]}
    outside, checks = 0, 0
    # The means of all sites, bytes and blocks, are checked together: the bound of each
    # is widened (Bonferroni) so that the whole family holds the 3-standard-error
    # level, 99.73 %, instead of failing once in a few dozen runs of an unbiased estimator.
    family = 2 * sum(1 for t in truth["sites"] if not t["balanced"])
    z = statistics.NormalDist().inv_cdf(1 - 0.0027 / (2 * max(family, 1)))
    for fn, t in per_site.items():
        if t["balanced"]:
            # Every sampled block of the churn was freed, and each free seen.
            for rep, _ in reps:
                est = estimates_per_round(rep, truth)
                held = [k for k in est if k[0] == fn and est[k][0]]
                check(not held, f"{fn} holds {[est[k][0] for k in held]} bytes")
            continue
        want_b, want_c = t["bytes"] / ROUNDS, t["count"] / ROUNDS
        ests = []
        for rep, _ in reps:
            est = estimates_per_round(rep, truth)
            for r in range(ROUNDS):
                ests.append(est.get((fn, f"round{r}"), (0, 0.0, 0, 0.0)))
        n = len(ests)
        for b, bse, c, cse in ests:
            checks += 2
            outside += abs(b - want_b) > 3 * bse
            outside += abs(c - want_c) > 3 * cse
        # The mean of n independent estimates, against its own standard error.
        mean_b = sum(e[0] for e in ests) / n
        se_b = math.sqrt(sum(e[1] ** 2 for e in ests)) / n
        mean_c = sum(e[2] for e in ests) / n
        se_c = math.sqrt(sum(e[3] ** 2 for e in ests)) / n
        check(abs(mean_b - want_b) <= z * se_b + 1e-6 * want_b,
              f"{fn}: mean {mean_b:.0f} bytes over {n} estimates, truth {want_b:.0f}, "
              f"standard error {se_b:.0f}")
        check(abs(mean_c - want_c) <= z * se_c + 1e-6 * want_c,
              f"{fn}: mean {mean_c:.1f} blocks, truth {want_c:.1f}, standard error {se_c:.1f}")
        if fn == "site_huge":
            # 1 MiB at a 16 KiB interval: p = 1 - e^-64, it stands for itself.
            for b, bse, c, cse in ests:
                check_eq((b, c), (want_b, want_c), f"{fn} bytes, blocks (exact)")
    # Within 3 standard errors in about 99.7 % of estimates: far fewer may miss.
    check(outside <= checks // 20, f"{outside} of {checks} estimates outside 3 standard errors")


def case_sampled_estimates():
    """--sample: per site, estimates within 3 standard errors of the truth in nearly
    every run and their mean within 3 standard errors; by uprobe sessions and by
    entry and return probes."""
    reps = sampled_runs(5, None)
    reps += sampled_runs(3, dict(os.environ, LEAKD_NO_UPROBE_SESSION="1"))
    check_estimates(reps)


def case_sampled_exact_mode():
    """The same leaker traced exactly: every figure exact, and the report says so."""
    r = run_command([leaker("leak_sampled"), "2"])
    check_eq(r.returncode, 0, "leakd exit status")
    rep = r.final()
    check_eq(rep["mode"], "exact", "report mode")
    check("sample_interval" not in rep, "an exact report with a sampling interval")
    check_truth(rep, r.truth, "leak_sampled")


def case_sampled_mechanism():
    """leakd --version says how sampled tracing runs: uprobe sessions on this kernel,
    entry and return probes when they are not to be used."""
    def version(env):
        p = subprocess.run([LEAKD, "--version"], stdout=subprocess.PIPE, text=True, env=env)
        check_eq(p.returncode, 0, "leakd --version status")
        return p.stdout
    # Uprobe sessions came with Linux 6.13.
    release = tuple(int(x) for x in os.uname().release.split("-")[0].split(".")[:2])
    want = "by uprobe sessions" if release >= (6, 13) else "by entry and return probes"
    check(f"sampled tracing (--sample) {want}" in version(None),
          f"kernel {os.uname().release}: leakd should say '{want}'")
    check("by entry and return probes" in
          version(dict(os.environ, LEAKD_NO_UPROBE_SESSION="1")), "the fallback is not named")


def case_daemon_trace_modes():
    """leakctl trace PID samples by default (512 KiB), --sample SIZE sets the interval,
    --exact traces every call; ps and status say which. An interval far below the
    sizes allocated samples every block: the figures come out exact."""
    from cases_daemon import run, wait_site
    from harness import Daemon, Leaker, proc_of, wait_watched

    d = Daemon()
    lk = Leaker()
    with run(d, lk):
        wait_watched(d, lk.pid)
        st, _ = d.ctl("status")
        check(st["kernel"]["sampling"] in ("uprobe sessions", "entry and return probes"),
              f"sampling mechanism {st['kernel']['sampling']!r}")
        check_eq(st["trace_sample_bytes"], 512 * 1024, "the default interval of traces")
        ans, _ = d.ctl("trace", str(lk.pid))
        check_eq(ans["traced"], [lk.pid], "traced pids")
        p = proc_of(d.ctl("ps")[0], lk.pid)
        check_eq((p["traced"], p["sampling"], p.get("sample_bytes")),
                 ("manual", "sampled", 512 * 1024), "a trace by default")
        # Another interval: the process is traced afresh.
        d.ctl("trace", str(lk.pid), "--sample", "16")
        p = proc_of(d.ctl("ps")[0], lk.pid)
        check_eq((p["sampling"], p.get("sample_bytes")), ("sampled", 16), "--sample 16")
        lk.do("malloc 5 1000")
        s = wait_site(d, lk.pid, "heap", "leak_ctl", "heap_leak", 5000, 5)
        check(all(x.get("samples") for x in s["stacks"]), "rows of sampled blocks unmarked")
        top_text, _ = d.ctl("top", "--pid", str(lk.pid), json_out=False)
        check("estimated from" in top_text, f"text rows do not say they are estimates:\n{top_text}")
        # Exact from now on: what was sampled goes, what follows counts one by one.
        d.ctl("trace", str(lk.pid), "--exact")
        p = proc_of(d.ctl("ps")[0], lk.pid)
        check_eq((p["sampling"], p.get("sample_bytes")), ("exact", None), "--exact")
        lk.do("malloc 3 77")
        s = wait_site(d, lk.pid, "heap", "leak_ctl", "heap_leak", 231, 3)
        check(not any(x.get("samples") for x in s["stacks"]), "exact rows marked as samples")
        # Neither with a rule, and not both.
        _, rc = d.ctl("trace", "--comm", "leak_ctl", "--exact", check_rc=False)
        check_eq(rc, 2, "leakctl's status for --exact with a rule")
        _, rc = d.ctl("trace", str(lk.pid), "--exact", "--sample", "1M", check_rc=False)
        check_eq(rc, 2, "leakctl's status for --exact and --sample")
        _, rc = d.ctl("trace", str(lk.pid), "--sample", "8", check_rc=False)
        check_eq(rc, 2, "leakctl's status for an interval below 16 bytes")


def case_daemon_trace_sampler():
    """A process whose in-process sampler emits otel_memory probes is traced through
    them (ps: sampler); with --exact its allocator is probed instead."""
    from cases_daemon import run, wait_site
    from cases_sampler import SAMPLER
    from harness import Daemon, Leaker, proc_of, wait_watched

    d = Daemon()
    # Every allocation sampled (interval 1): the weights are the sizes, the figures exact.
    lk = Leaker(env=dict(os.environ, LD_PRELOAD=SAMPLER, LEAKD_SAMPLER_INTERVAL="1"))
    with run(d, lk):
        wait_watched(d, lk.pid)
        d.ctl("trace", str(lk.pid))
        p = proc_of(d.ctl("ps")[0], lk.pid)
        check_eq((p["traced"], p["sampling"]), ("manual", "sampler"), "traced through its probes")
        lk.do("malloc 4 2000")
        s = wait_site(d, lk.pid, "heap", "leak_ctl", "heap_leak", 8000, 4)
        for st in s["stacks"]:
            check(st["frames"][0].get("module") != "libleakd-sampler.so",
                  f"the sampler's own frame leads the stack: {st['frames'][0]}")
        d.ctl("trace", str(lk.pid), "--exact")
        p = proc_of(d.ctl("ps")[0], lk.pid)
        check_eq(p["sampling"], "exact", "--exact probes the allocator")
        lk.do("malloc 2 3000")
        wait_site(d, lk.pid, "heap", "leak_ctl", "heap_leak", 6000, 2)


def case_daemon_finds_sampler():
    """The daemon traces a process whose sampler emits otel_memory probes by itself,
    started before or after the daemon, within max-sampler and apart from max-traced."""
    from cases_daemon import run, wait_site
    from cases_sampler import SAMPLER
    from harness import Daemon, Leaker, proc_of

    env = dict(os.environ, LD_PRELOAD=SAMPLER, LEAKD_SAMPLER_INTERVAL="1")
    before = Leaker(env=env)
    try:
        d = Daemon(config="max-traced = 1\nmax-sampler = 2\n")
    except BaseException:
        before.end()
        raise
    after = Leaker(env=env)
    third = Leaker(env=env)
    plain = Leaker()
    with run(d, before, after, third, plain):
        def kinds():
            ps = d.ctl("ps")[0]
            return {lk.pid: ((proc_of(ps, lk.pid) or {}).get("traced"),
                             (proc_of(ps, lk.pid) or {}).get("sampling"))
                    for lk in (before, after, third, plain)}
        # Two of the three samplers, in their own budget; the plain process not.
        d.poll("two samplers traced by the daemon",
               lambda: sum(k == ("sampler", "sampler") for k in kinds().values()) == 2)
        check_eq(kinds()[plain.pid], ("no", "-"), "the process without probes")
        st = d.ctl("status")[0]
        check_eq(st["processes"]["sampler"], 2, "traced by the sampler budget")
        # max-traced (1) is still free for a request.
        ans, _ = d.ctl("trace", str(plain.pid), "--exact")
        check_eq(ans["traced"], [plain.pid], "a trace within max-traced")
        got = kinds()
        # Which two of the three were first found is a race: any one traced will do.
        lk = next(p for p in (before, after, third) if got[p.pid][0] == "sampler")
        lk.do("malloc 3 5000")
        wait_site(d, lk.pid, "heap", "leak_ctl", "heap_leak", 15000, 3)
