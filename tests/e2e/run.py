#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Runs one end-to-end case: run.py NAME.  Exit 0 pass, 1 fail, 77 skip.  Under
CI=true a case that cannot run fails instead of skipping.  However the case ends
(a failure, a time-out's SIGTERM), every process it started is killed by its pid;
a case that passed but left one running fails."""

import importlib
import os
import signal
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Skip, TestFailure  # noqa: E402

MODULES = ["cases_adhoc", "cases_errors", "cases_stacks", "cases_daemon", "cases_watch",
           "cases_hardening", "cases_exports", "cases_growth",
           "cases_metrics", "cases_drilldown", "cases_sampled", "cases_sampler",
           "cases_restart", "cases_forks",
           "cases_inject"]


def find(name):
    for m in MODULES:
        fn = getattr(importlib.import_module(m), "case_" + name, None)
        if fn:
            return fn
    raise SystemExit(f"no case named {name}")


class Terminated(Exception):
    pass


def on_sigterm(signum, frame):
    raise Terminated(f"signal {signum} (the test timed out?)")


def run(name, ci):
    try:
        if os.geteuid() != 0:
            raise Skip("needs root: the tests load BPF programs")
        harness.become_subreaper()
        find(name)()
    except Skip as e:
        print(f"SKIP {name}: {e}")
        return 1 if ci else 77
    except TestFailure as e:
        print(f"FAIL {name}: {e}")
        return 1
    except Exception:
        traceback.print_exc()
        print(f"FAIL {name}: unexpected error")
        return 1
    return 0


def main():
    name = sys.argv[1]
    ci = os.environ.get("CI") == "true"
    signal.signal(signal.SIGTERM, on_sigterm)
    rc = 1
    try:
        rc = run(name, ci)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        left = harness.cleanup(remove_workdirs=rc == 0)
    if left:
        print(f"{name}: killed what it left running: {', '.join(left)}")
        if rc == 0:
            print(f"FAIL {name}: left processes running")
            rc = 1
    if rc == 0:
        print(f"PASS {name}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
