#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Runs one end-to-end case: run.py NAME.  Exit 0 pass, 1 fail, 77 skip.  Under
CI=true a case that cannot run fails instead of skipping."""

import importlib
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Skip, TestFailure  # noqa: E402

MODULES = ["cases_adhoc", "cases_errors", "cases_stacks", "cases_daemon", "cases_watch",
           "cases_hardening", "cases_exports", "cases_growth",
           "cases_metrics", "cases_sampled", "cases_sampler"]


def find(name):
    for m in MODULES:
        fn = getattr(importlib.import_module(m), "case_" + name, None)
        if fn:
            return fn
    raise SystemExit(f"no case named {name}")


def main():
    name = sys.argv[1]
    ci = os.environ.get("CI") == "true"
    try:
        if os.geteuid() != 0:
            raise Skip("needs root: the tests load BPF programs")
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
    print(f"PASS {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
