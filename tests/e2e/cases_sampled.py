# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Sampled tracing (leakd --sample): estimates against the ground truth over
repeated runs, never a single-run bound; frees of sampled blocks net to zero;
allocations far above the interval come out exact."""

import math
import os
import signal
import statistics
import subprocess

from harness import LEAKD, check, check_eq, check_truth, leaker, run_command

INTERVAL = 16384
ROUNDS = 8


def estimates_per_round(rep, truth):
    """{(site, round): (bytes, bytes_se, count, count_se, samples)}: the rows of each
    site summed per round (the caller roundN below it), standard errors in
    quadrature."""
    names = {t["function"] for t in truth["sites"]}
    got = {}
    for st in rep["stacks"]:
        fns = [fr.get("function") or "" for fr in st["frames"]]
        site = next((f for f in fns if f in names), None)
        rnd = next((f for f in fns if f.startswith("round")), None)
        if site is None or rnd is None:
            continue
        b, bse, c, cse, n = got.get((site, rnd), (0, 0.0, 0, 0.0, 0))
        got[(site, rnd)] = (b + st["bytes"], math.hypot(bse, st.get("bytes_se", 0.0)),
                            c + st["allocs"], math.hypot(cse, st.get("allocs_se", 0.0)),
                            n + st.get("samples", 0))
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


def family_z(family):
    """The bound of each of family checks of means made together, widened (Bonferroni)
    so that the whole family holds the 3-standard-error level, 99.73 %, instead of
    failing once in a few dozen runs of an unbiased estimator."""
    return statistics.NormalDist().inv_cdf(1 - 0.0027 / (2 * max(family, 1)))


def outside_3se(ests, want):
    """How many of the (estimate, standard error) pairs miss want by more than 3 of it."""
    return sum(abs(e - want) > 3 * se for e, se in ests)


def check_mean(ests, want, z, what):
    """The mean of independent (estimate, standard error) pairs, against its own
    standard error: within z of them of want."""
    n = len(ests)
    mean = sum(e for e, _ in ests) / n
    se = math.sqrt(sum(x ** 2 for _, x in ests)) / n
    check(abs(mean - want) <= z * se + 1e-6 * want,
          f"{what}: mean {mean:.1f} over {n} estimates, truth {want:.1f}, "
          f"standard error {se:.1f}")


def poisson_cdf(k, lam):
    """P(K <= k) for K Poisson with mean lam."""
    term = total = math.exp(-lam)
    for i in range(1, k + 1):
        term *= lam / i
        total += term
    return min(total, 1.0)


def check_misses(missed, lam, alpha, what):
    """A site whose blocks are nearly all sampled: its estimates are off by the
    blocks missed, a count that is Poisson with mean lam and skewed where lam is
    small (a normal bound would fail an unbiased estimator a few times in a
    thousand).  Within the two-sided alpha level of that distribution."""
    check(missed >= 0, f"{what}: {-missed} samples more than blocks allocated")
    low = poisson_cdf(missed, lam)
    high = 1.0 - (poisson_cdf(missed - 1, lam) if missed > 0 else 0.0)
    check(min(low, high) >= alpha / 2,
          f"{what}: {missed} blocks not sampled where {lam:.2f} are expected "
          f"(P = {min(low, high):.2g})")


def check_within_3se(outside, checks, what):
    """Within 3 standard errors in about 99.7 % of estimates: far fewer may miss (one
    in 20, and one of fewer than 20)."""
    check(outside <= max(1, checks // 20),
          f"{what}: {outside} of {checks} estimates outside 3 standard errors")


def check_estimates(reps):
    truth = reps[0][1]
    per_site = {t["function"]: t for t in truth["sites"]}
    outside, checks = 0, 0
    # The means of all sites, bytes and blocks, are checked together.
    z_family = 2 * sum(1 for t in truth["sites"] if not t["balanced"])
    z = family_z(z_family)
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
                ests.append(est.get((fn, f"round{r}"), (0, 0.0, 0, 0.0, 0)))
        by_bytes = [(b, bse) for b, bse, _, _, _ in ests]
        by_count = [(c, cse) for _, _, c, cse, _ in ests]
        checks += 2 * len(ests)
        outside += outside_3se(by_bytes, want_b) + outside_3se(by_count, want_c)
        # Each site allocates blocks of one size: p = 1 - e^(-size/interval).
        miss = math.exp(-(t["bytes"] / t["count"]) / INTERVAL)
        blocks = round(want_c * len(ests))
        if blocks * miss < 30:
            check_misses(blocks - sum(n for *_, n in ests), blocks * miss, 0.0027 / z_family,
                         f"{fn} over {len(ests)} estimates")
        else:
            check_mean(by_bytes, want_b, z, f"{fn} bytes")
            check_mean(by_count, want_c, z, f"{fn} blocks")
        if fn == "site_huge":
            # 1 MiB at a 16 KiB interval: p = 1 - e^-64, it stands for itself.
            for b, bse, c, cse, _ in ests:
                check_eq((b, c), (want_b, want_c), f"{fn} bytes, blocks (exact)")
    check_within_3se(outside, checks, "all sites")


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
        # Not both.
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


def foreign_samplers():
    """Processes not of this test that have an in-process sampler (libleakd-sampler.so)
    mapped: the daemon finds theirs as it finds ours."""
    from harness import test_processes
    ours, n = test_processes(), 0
    for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
        if pid in ours:
            continue
        try:
            with open(f"/proc/{pid}/maps") as f:
                n += any("libleakd-sampler" in line for line in f)
        except OSError:
            pass
    return n


def case_daemon_finds_sampler():
    """The daemon traces a process whose sampler emits otel_memory probes by itself,
    started before or after the daemon, within max-sampler and apart from max-traced."""
    from cases_daemon import run, wait_site
    from cases_sampler import SAMPLER
    from harness import Daemon, Leaker, proc_of

    env = dict(os.environ, LD_PRELOAD=SAMPLER, LEAKD_SAMPLER_INTERVAL="1")
    # The daemon watches the whole host: others' sampler processes (another
    # checkout's tests, say) take slots of the budget too; ours get two more.
    others = foreign_samplers()
    before = Leaker(env=env)
    try:
        d = Daemon(config=f"max-traced = 1\nmax-sampler = {2 + others}\n")
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
        check_eq(st["processes"]["sampler"], 2 + others, "traced by the sampler budget")
        # max-traced (1) is still free for a request.
        ans, _ = d.ctl("trace", str(plain.pid), "--exact")
        check_eq(ans["traced"], [plain.pid], "a trace within max-traced")
        got = kinds()
        # Which two of the three were first found is a race: any one traced will do.
        lk = next(p for p in (before, after, third) if got[p.pid][0] == "sampler")
        lk.do("malloc 3 5000")
        wait_site(d, lk.pid, "heap", "leak_ctl", "heap_leak", 15000, 3)


def heap_leak_estimate(d, pid):
    """heap_leak's estimate in pid: bytes and their standard error, summed over its rows."""
    from cases_daemon import sites, top
    s = sites(top(d, pid, "heap"), pid, "heap", "leak_ctl").get("heap_leak")
    if not s:
        return 0, 0.0, 0
    return (s["bytes"], math.sqrt(sum(st.get("bytes_se", 0.0) ** 2 for st in s["stacks"])),
            sum(st.get("samples", 0) for st in s["stacks"]))


def wait_mapping(d, lk, n, module="leak_ctl"):
    """Until the daemon has seen lk's n-th mapping from map_leak: the ring buffer keeps a
    thread's records in order, so everything lk did before is in the tables too."""
    from cases_daemon import sites, top
    d.poll(f"pid {lk.pid}'s mapping {n}",
           lambda: (sites(top(d, lk.pid, "mapping"), lk.pid, "mapping", module)
                    .get("map_leak", {}).get("count") == n))


BUDGET_RUNS = 3
BUDGET_LEAKERS = 3
BUDGET_INTERVAL = 4096
BUDGET_BLOCKS, BUDGET_SIZE = 2000, 300


def budget_run():
    """One daemon under a budget of 2000 events/s: leakers leak at their asked interval,
    a churner's sampled events push the budget over until sampled intervals are at
    least 4 times wider, then the leakers leak as much again.  Returns each leaker's
    estimate of heap_leak (bytes, standard error)."""
    from cases_daemon import run
    from harness import Daemon, Leaker, proc_of, wait_watched

    d = Daemon(config="event-budget = 2000\n")
    lks = []
    try:
        churner = Leaker()
        lks = [churner] + [Leaker() for _ in range(BUDGET_LEAKERS)]
    except BaseException:
        for lk in lks:
            lk.end()
        d.kill()
        raise
    leakers = lks[1:]
    with run(d, *lks):
        for lk in lks:
            wait_watched(d, lk.pid)
            d.ctl("trace", str(lk.pid), "--sample", str(BUDGET_INTERVAL))
        st = d.ctl("status")[0]["budget"]
        check_eq((st["on"], st["events_per_s"]), (True, 2000), "the budget in status")
        for lk in leakers:
            lk.do(f"malloc {BUDGET_BLOCKS} {BUDGET_SIZE}")
        churner.do(f"churn {BUDGET_SIZE}")
        st = d.poll("sampled traces widened by the budget",
                    lambda: (lambda b: b if b["factor"] >= 4 else None)(
                        d.ctl("status")[0]["budget"]), timeout=60)
        churner.do("stop")
        check(st["exceeded"] and st["sampled_rate"] > 2000 and not st["exceeded_by_exempt"],
              f"the budget while widening: {st}")
        # Narrowing takes calm steps: the factor holds while the leakers leak again.
        ps = d.ctl("ps")[0]
        factor = d.ctl("status")[0]["budget"]["factor"]
        for lk in leakers:
            p = proc_of(ps, lk.pid)
            check_eq(p["sample_bytes"], BUDGET_INTERVAL, "the asked interval in ps")
            check(p["interval_bytes"] >= 4 * BUDGET_INTERVAL and
                  p["interval_bytes"] % BUDGET_INTERVAL == 0,
                  f"the interval in force in ps: {p['interval_bytes']}")
            lk.do(f"malloc {BUDGET_BLOCKS} {BUDGET_SIZE}")
            lk.do("mmap 1 4096")
        text, _ = d.ctl("status", json_out=False)
        check("sampled intervals x" in text and "exceeded" in text or
              f"sampled intervals x{factor}" in text, f"status text:\n{text}")
        check(d.ctl("status")[0]["budget"]["factor"] >= 4, "narrowed while leaking")
        ests = []
        for lk in leakers:
            wait_mapping(d, lk, 1)
            b, se, samples = heap_leak_estimate(d, lk.pid)
            check(0 < samples < 2 * BUDGET_BLOCKS, f"pid {lk.pid}: {samples} samples")
            ests.append((b, se))
    return ests


def case_daemon_event_budget():
    """A small event budget: a fast allocator's sampled trace pushes the rate over it,
    sampled intervals are widened (status: the factor, the rates; ps: the interval in
    force), and what was leaked before and after the widening is estimated without
    bias: over repeated runs, nearly every estimate within 3 standard errors of the
    truth and their mean within 3 of its own (weights of the asked interval would
    miss the second half by 4 times or more)."""
    want = 2 * BUDGET_BLOCKS * BUDGET_SIZE
    ests = []
    for _ in range(BUDGET_RUNS):
        ests += budget_run()
    check_within_3se(outside_3se(ests, want), len(ests), "heap_leak across a widening")
    check_mean(ests, want, family_z(1), "heap_leak across a widening")


def case_rule_modes():
    """A rule carries a mode: --exact traces a process that starts after it exactly;
    --sample SIZE samples it (an interval far below the blocks: every block sampled,
    figures exact; a wider one: estimates); the same rule again with another mode is
    one rule, in the new mode, and so is the process it traces.  status lists the
    rules with their modes.  The leaker runs under a name of its own."""
    import shutil
    from cases_daemon import run, wait_site
    from harness import Daemon, Leaker, proc_of

    d = Daemon()
    comm = f"lk{os.urandom(5).hex()}"
    exe = d.wd.file(comm)
    shutil.copy(leaker("leak_ctl"), exe)

    def rule():
        rules = d.ctl("status")[0]["rules"]["list"]
        mine = [r for r in rules if r["comm"] == comm]
        check_eq(len(mine), 1, f"rules of {comm}: {rules}")
        return mine[0]

    def traced(lk):
        d.poll(f"pid {lk.pid} traced by the rule",
               lambda: (proc_of(d.ctl("ps")[0], lk.pid) or {}).get("traced") == "rule")
        return proc_of(d.ctl("ps")[0], lk.pid)

    with run(d):
        # Exact: a process started after the rule, every figure exact.
        d.ctl("trace", "--comm", comm, "--exact")
        check_eq((rule()["mode"], rule().get("sample_bytes")), ("exact", None), "the rule")
        lk = Leaker([exe])
        try:
            p = traced(lk)
            check_eq((p["sampling"], p.get("sample_bytes")), ("exact", None), "its trace")
            lk.do("malloc 3 1234")
            s = wait_site(d, lk.pid, "heap", comm, "heap_leak", 3702, 3)
            check(not any(x.get("samples") for x in s["stacks"]), "exact rows marked samples")
        finally:
            lk.end()
        # The same rule sampled: one rule, in the mode asked last.
        ans, _ = d.ctl("trace", "--comm", comm, "--sample", "16")
        check_eq(ans["rules"], 1, "the rule again")
        check_eq((rule()["mode"], rule()["sample_bytes"]), ("sampled", 16), "the rule now")
        check_eq(d.ctl("status")[0]["rules"]["count"], 1, "rules in status")
        lk = Leaker([exe])
        try:
            p = traced(lk)
            check_eq((p["sampling"], p["sample_bytes"]), ("sampled", 16), "its trace")
            # 1000-byte blocks at 16 bytes: p = 1 - e^-62, each stands for itself.
            lk.do("malloc 5 1000")
            s = wait_site(d, lk.pid, "heap", comm, "heap_leak", 5000, 5)
            check(all(x.get("samples") for x in s["stacks"]), "sampled rows unmarked")
            # The rule asked exact again: the process it traces follows.
            d.ctl("trace", "--comm", comm, "--exact")
            p = proc_of(d.ctl("ps")[0], lk.pid)
            check_eq((p["traced"], p["sampling"]), ("rule", "exact"), "after --exact")
        finally:
            lk.end()
        # Without a mode, a rule samples at the daemon's default interval.
        d.ctl("trace", "--comm", comm)
        check_eq((rule()["mode"], rule()["sample_bytes"]), ("sampled", 512 * 1024),
                 "a rule by default")
        d.ctl("trace", "--comm", comm, "--sample", "4096")
        lk = Leaker([exe])
        try:
            check_eq(traced(lk)["sample_bytes"], 4096, "its trace")
            # 300-byte blocks at 4 KiB: about one in 14 sampled, an estimate with its error.
            lk.do("malloc 2000 300")
            lk.do("mmap 1 4096")
            wait_mapping(d, lk, 1, comm)
            from cases_daemon import sites, top
            s = sites(top(d, lk.pid, "heap"), lk.pid, "heap", comm).get("heap_leak")
            check(s is not None, "no estimate of heap_leak")
            samples = sum(x.get("samples", 0) for x in s["stacks"])
            check(0 < samples < 2000 and all(x.get("bytes_se", 0) > 0 for x in s["stacks"]),
                  f"sampled estimate: {samples} samples, rows {s['stacks']}")
        finally:
            lk.end()
        text, _ = d.ctl("status", json_out=False)
        check(f"rule name {comm} of uid 0: sampled every 4.0 KiB, until removed" in text,
              f"status text lists the rule:\n{text}")
        ans, _ = d.ctl("untrace", "--comm", comm)
        check_eq(ans["rules"], 1, "rules removed")


SAMPLER_ROUNDS = 3
SAMPLER_LEAKERS = 4
SAMPLER_BEFORE, SAMPLER_AFTER = 2000, 8000     # blocks of BUDGET_SIZE, at factor 1 and wider


def sampler_block_at(pid):
    """Where the control block of the sampler in pid is: the symbol's value among
    the library's dynamic symbols (readelf), plus where the library is mapped, as
    the loader placed it."""
    from cases_inject import SAMPLER, mapping
    out = subprocess.run(["readelf", "--dyn-syms", "-W", SAMPLER], stdout=subprocess.PIPE,
                         text=True, check=True).stdout
    value = next(int(p[1], 16) for p in (line.split() for line in out.splitlines())
                 if len(p) >= 8 and p[7] == "leakd_sampler_control")
    base = next((lo for lo, _, off in mapping(pid, SAMPLER) if off == 0), None)
    check(base is not None, f"pid {pid} does not map the sampler")
    return base + value


def sampler_slots(pid):
    """The daemons' slots of pid's sampler block, from its memory: [(pid, factor)],
    after its version and interval are checked."""
    import struct
    with open(f"/proc/{pid}/mem", "rb") as mem:
        mem.seek(sampler_block_at(pid))
        f = struct.unpack("<IIQ8I", mem.read(48))
    check_eq((f[0], f[2]), (2, BUDGET_INTERVAL), f"pid {pid}'s sampler block")
    return [(f[3 + 2 * i], f[4 + 2 * i]) for i in range(4)]


def sampler_block(pid):
    """{daemon pid: factor} of the slots taken in pid's sampler block."""
    return {p: f for p, f in sampler_slots(pid) if p}


def write_slot(pid, i, slot_pid, factor):
    """Writes slot i of pid's sampler block as a daemon would."""
    import struct
    with open(f"/proc/{pid}/mem", "r+b", buffering=0) as mem:
        mem.seek(sampler_block_at(pid) + 16 + 8 * i)
        mem.write(struct.pack("<II", slot_pid, factor))


def sampler_factor(pid, d):
    """The factor daemon d wrote into pid's sampler (1 when it holds no slot there):
    other leakd daemons on the host write slots of their own."""
    return sampler_block(pid).get(d.proc.pid) or 1


def sampler_in_force(pid):
    """The factor the sampler takes: the largest of every daemon's."""
    return max([1, *sampler_block(pid).values()])


def budget_of(d):
    return d.ctl("status")[0]["budget"]


def events_per_s(d, pid, steps=3):
    """pid's events per second over the budget's next steps (ps): their median."""
    import time
    from harness import proc_of
    rates = []
    for _ in range(steps):
        time.sleep(1.1)         # a measurement, not a wait: a budget step is a second
        rates.append(proc_of(d.ctl("ps")[0], pid)["events_per_s"])
    return statistics.median(rates)


def case_daemon_event_budget_sampler():
    """The event budget widens processes that report through leakd's own sampler
    (LD_PRELOAD, or trace --inject): the daemon writes its factor into the sampler's
    control block (read back here from /proc/PID/mem), ps shows the interval in
    force and the events each sends, and a fast allocator's event rate falls.  Another emitter of
    the otel_memory probes is shown as fixed.  Untrace, the load stopping and the
    daemon stopping each put the factor back to 1, and so does a fork while widened
    for the child nobody traces (its copy of the block was widened).  What leakers leak before and
    after a widening is estimated without bias: over rounds of fresh leakers,
    nearly every estimate within 3 standard errors and their mean within 3 of its
    own."""
    from cases_inject import SAMPLER, mapping
    from cases_daemon import run
    from harness import Daemon, Leaker, TestFailure, proc_of, spawn, wait_watched

    OTELPROBE = os.path.realpath(os.path.join(os.path.dirname(leaker("leak_otel_dlopen")),
                                              "libotelprobe.so"))
    env = dict(os.environ, LD_PRELOAD=SAMPLER, LEAKD_SAMPLER_INTERVAL=str(BUDGET_INTERVAL))
    # No budget to speak of at first: the churner's rate at its asked interval.  Only
    # what the test traces by pid counts: others' sampler processes on the host are
    # left alone (max-sampler 0), as their events would count against the budget.
    d = Daemon(config="event-budget = 100000000\nmax-sampler = 0\n"
               f"sampler = {SAMPLER}\nunwind-rows = 4194304\n")
    procs, otel = [], None
    try:
        churner, bystander = Leaker(env=env), Leaker(env=env)
        procs += [churner, bystander]
        injected = Leaker()     # the sampler loaded into it by the daemon
        procs.append(injected)
        otel = spawn([leaker("leak_otel_dlopen")], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, text=True)
    except BaseException:
        for lk in procs:
            lk.end()
        d.kill()
        raise

    def sampler_row(pid, ask=True):
        """Traced by pid (ask: asked here), through its sampler's probes."""
        seen = []

        def traced():
            seen[:] = [proc_of(d.ctl("ps")[0], pid)]
            return seen[0] if seen[0] and seen[0].get("sampling") == "sampler" else None
        if ask:
            wait_watched(d, pid)
            d.ctl("trace", str(pid))
        try:
            return d.poll(f"pid {pid} traced through its sampler", traced)
        except TestFailure:
            raise TestFailure(f"pid {pid} not traced through its sampler: {seen}")

    ests = []
    try:
        for lk in (churner, bystander):
            p = sampler_row(lk.pid)
            check_eq((p["sampling"], p["sample_bytes"], p["interval_bytes"]),
                     ("sampler", BUDGET_INTERVAL, BUDGET_INTERVAL * sampler_in_force(lk.pid)),
                     "ps before any widening (another leakd's widening in force too)")
            check_eq(sampler_factor(lk.pid, d), 1, "the factor in the sampler")
        # Injected (trace --inject): its interval in the same block, widened alike.
        wait_watched(d, injected.pid)
        d.ctl("trace", str(injected.pid), "--inject", "--sample", str(BUDGET_INTERVAL))
        p = sampler_row(injected.pid, ask=False)
        check_eq((p["sample_bytes"], sampler_factor(injected.pid, d)), (BUDGET_INTERVAL, 1),
                 "the injected sampler")
        # An emitter that is not leakd's sampler: traced, never widened, and said so.
        otel.stdout.readline()
        otel.stdin.write("go\n")
        otel.stdin.flush()
        d.poll("the other emitter's probes loaded", lambda: mapping(otel.pid, OTELPROBE))
        p = sampler_row(otel.pid)
        check(p.get("sampler_fixed") and "sample_bytes" not in p, f"the other emitter: {p}")
        st = budget_of(d)
        check(st["samplers_fixed"] >= 1 and st["samplers_widened"] >= 2, f"budget: {st}")
        text, _ = d.ctl("ps", json_out=False)
        check("sampler/fixed" in text and "sampler/4.0 KiB " in text, f"ps:\n{text}")
        otel.stdin.write("go\n")
        otel.stdin.flush()

        # The churner's events at its own interval; then the budget, small.
        churner.do(f"churn {BUDGET_SIZE}")
        before = events_per_s(d, churner.pid)
        churner.do("stop")
        check(before > 2000, f"the churner's events at its own interval: {before}/s")
        with open(d.config, "a") as f:
            f.write("event-budget = 2000\n")
        d.proc.send_signal(signal.SIGHUP)
        d.wait_log("configuration reloaded", "the reload")

        for _ in range(SAMPLER_ROUNDS):
            lks = [Leaker(env=env) for _ in range(SAMPLER_LEAKERS)]
            procs += lks
            for lk in lks:
                sampler_row(lk.pid)
                lk.do(f"malloc {SAMPLER_BEFORE} {BUDGET_SIZE}")
            churner.do(f"churn {BUDGET_SIZE}")
            d.poll("the samplers widened",
                   lambda: all(sampler_factor(lk.pid, d) >= 4 for lk in lks), timeout=60)
            churner.do("stop")
            # Narrowing takes calm steps: they leak while the factor holds.
            for lk in lks:
                lk.do(f"malloc {SAMPLER_AFTER} {BUDGET_SIZE}")
                lk.do("mmap 1 4096")
            check(all(sampler_factor(lk.pid, d) >= 2 for lk in lks), "narrowed while leaking")
            for lk in lks:
                wait_mapping(d, lk, 1)
                b, se, samples = heap_leak_estimate(d, lk.pid)
                check(samples > 0, f"pid {lk.pid}: nothing sampled")
                ests.append((b, se))
            # The load gone, the factor comes back to 1, in status and in the samplers.
            d.poll("the factor back to 1", lambda: budget_of(d)["factor"] == 1 and all(
                sampler_factor(lk.pid, d) == 1 for lk in [churner, bystander, *lks]), timeout=60)
            for lk in lks:
                lk.end()

        churner.do(f"churn {BUDGET_SIZE}")
        st = d.poll("the churner widened 64 times",
                    lambda: (lambda b: b if b["factor"] >= 64 and
                             sampler_factor(churner.pid, d) == b["factor"] else None)(
                        budget_of(d)), timeout=60)
        check(st["exceeded"] and st["samplers_widened"] >= 2, f"the budget widening: {st}")
        p = proc_of(d.ctl("ps")[0], churner.pid)
        check(p["interval_bytes"] >= 64 * BUDGET_INTERVAL and
              p["sample_bytes"] == BUDGET_INTERVAL, f"the churner in ps: {p}")
        text, _ = d.ctl("ps", json_out=False)
        check("sampler/4.0 KiB>" in text, f"ps:\n{text}")
        text, _ = d.ctl("status", json_out=False)
        check("event budget samplers:" in text and "leakd cannot widen" in text,
              f"status:\n{text}")
        after = events_per_s(d, churner.pid)
        print(f"the churner: {before} events/s at its own interval, {after}/s widened")
        check(after * 2 <= before, f"the churner's events: {before}/s at its own interval, "
              f"{after}/s at {st['factor']} times it")
        # A child forked now has the churner's widened block; nobody traces it: back to 1.
        child = int(churner.do("child")[0])
        d.poll("the forked child's factor back to 1", lambda: sampler_factor(child, d) == 1)
        check(proc_of(d.ctl("ps")[0], child) is not None, "the child watched")
        check(sampler_factor(churner.pid, d) >= 64, "the churner still widened after its fork")
        # Another leakd on the host traces the same samplers with no budget: it takes a
        # slot of its own (at 1), leaves ours alone, and its stop frees only its own.
        # Two daemons that died widened left slots (pids that are no leakd): it takes
        # one over and frees the other, or they would keep the sampler widened.
        empty = [i for i, (p, _) in enumerate(sampler_slots(churner.pid)) if not p]
        check(len(empty) >= 2, f"free slots in the churner's block: {empty}")
        for i in empty[:2]:
            write_slot(churner.pid, i, os.getpid(), 4096)
        d2 = Daemon(config=f"event-budget = off\nsampler = {SAMPLER}\n")
        with run(d2):
            d2.poll("the other daemon's slot in the churner's sampler",
                    lambda: sampler_block(churner.pid).get(d2.proc.pid) == 1)
            check(os.getpid() not in sampler_block(churner.pid),
                  f"dead daemons' slots left: {sampler_slots(churner.pid)}")
            check(sampler_factor(churner.pid, d) >= 64, "the churner widened beside the other")
            check(sampler_in_force(churner.pid) >= 64, "the factor in force: the largest")
        check(d2.proc.pid not in sampler_block(churner.pid), "the other daemon's slot kept")
        check(sampler_factor(churner.pid, d) >= 64, "the churner widened after the other's stop")
        # Untraced, a sampler is back at its interval at once; the others stay widened.
        check(sampler_factor(bystander.pid, d) >= 64, "the bystander widened")
        check(sampler_factor(injected.pid, d) >= 64, "the injected sampler widened")
        d.ctl("untrace", str(bystander.pid))
        check_eq(sampler_factor(bystander.pid, d), 1, "the untraced sampler's factor")
        check(sampler_factor(churner.pid, d) >= 64, "the churner still widened")
        # Stopped while widened: back at its own interval.
        said = d.stop()
        check_eq((sampler_factor(churner.pid, d), sampler_factor(injected.pid, d)), (1, 1),
                 "the factors after the daemon stopped")
        check(d.proc.pid not in sampler_block(churner.pid), "the daemon's slot kept at its stop")
        # Each step said, with the samplers it widened.
        check(" of leakd's samplers at 64x their intervals" in said,
              f"the daemon's log: {said[-3000:]}")
    finally:
        for lk in procs:
            lk.end()
        if otel.poll() is None:
            otel.kill()
            otel.wait()
        d.kill()
    want = (SAMPLER_BEFORE + SAMPLER_AFTER) * BUDGET_SIZE
    print("estimates (z):", " ".join(f"{(e - want) / se:+.2f}" for e, se in ests if se))
    check_within_3se(outside_3se(ests, want), len(ests), "heap_leak across a widening")
    check_mean(ests, want, family_z(1), "heap_leak across a widening")
