# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Drill-down that is safe on a busy host: an excluded name is never traced, and an
untraced process is not traced again by drill-down for untrace-sticky."""
import os
import shutil

from cases_daemon import run
from harness import Daemon, Leaker, Workdir, check, check_eq, leaker, proc_of

FAST = """
drilldown-bytes = 8M
drilldown-window = 3s
drilldown-for = 2s
drilldown-max = 1
growth-window = 3s
"""


def renamed_leaker(name):
    """leak_ctl under another name, so that excluding it touches no other process."""
    wd = Workdir()
    path = wd.file(name)
    shutil.copy(leaker("leak_ctl"), path)
    os.chmod(path, 0o755)
    return path


def traced(d, pid):
    return (proc_of(d.ctl("ps")[0], pid) or {}).get("traced")


def case_drilldown_exclude():
    """A grower whose name drilldown-exclude lists is left alone, and counted."""
    path = renamed_leaker("lkd_excl")
    d = Daemon(config=FAST + "drilldown-exclude = other,lkd_excl\n", drilldown=True)
    lk = Leaker([path])
    with run(d, lk):
        lk.do("grow 1024 600 50")   # 1 MiB every 50 ms: a grower by every measure
        d.poll("the excluded grower counted",
               lambda: d.ctl("status")[0]["drilldown"]["excluded"] >= 1, timeout=30)
        check_eq(traced(d, lk.pid), "no", "the excluded grower's trace state")
        check_eq(d.ctl("status")[0]["drilldown"]["started"], 0, "automatic traces started")
        lk.do("stop")


def case_untrace_sticky():
    """After untrace, drill-down leaves a grower alone while it traces another, twice,
    well past its usual cool-down."""
    d = Daemon(config=FAST + "untrace-sticky = 1h\n", drilldown=True)
    a, b = Leaker([renamed_leaker("lkd_sticky_a")]), Leaker([renamed_leaker("lkd_sticky_b")])
    with run(d, a, b):
        a.do("grow 2048 600 50")    # a grows fastest: drill-down's first choice
        d.poll("a traced automatically", lambda: traced(d, a.pid) == "auto", timeout=30)
        d.ctl("untrace", str(a.pid))
        check_eq(traced(d, a.pid), "no", "a after untrace")
        b.do("grow 512 600 50")
        # b is traced, its trace ends, its cool-down passes, and it is traced again:
        # a's own cool-down has passed long before, and a still grows faster.
        d.poll("b traced automatically a second time",
               lambda: d.ctl("status")[0]["drilldown"]["started"] >= 3, timeout=60)
        check_eq(traced(d, a.pid), "no", "a, sticky after untrace")
        a.do("stop")
        b.do("stop")
