#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Counts every test that ran, from meson's test logs (one per build: the release
build's unit, lint and end-to-end suites, the sanitizer build's unit suite, the
fuzzers): each check of a unit test executable (from check's "Checks: N,
Failures: F, Errors: E" line), each end-to-end case, each fuzzer.  A log that is
missing (its build failed, its tests never ran) counts as a failure.  Prints the
failures and a line per log, then "N passed, N failed" last.

  tools/test-summary.py BUILD/meson-logs/testlog.json [MORE_LOGS...]"""

import json
import os
import re
import sys

CHECK = re.compile(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)")


def count(path, failures):
    """(passed, failed) of one log; its failures appended to failures."""
    passed = failed = 0
    where = os.path.basename(os.path.dirname(os.path.dirname(os.path.abspath(path))))
    with open(path) as f:
        for line in f:
            t = json.loads(line)
            name = f"{where}: {t['name']}"
            ok = t["result"] in ("OK", "EXPECTEDFAIL")
            if t["result"] == "SKIP":
                failures.append(f"{name}: skipped")
                failed += 1
                continue
            m = CHECK.search(t.get("stdout") or "")
            if m:
                n, fails = int(m.group(1)), int(m.group(2)) + int(m.group(3))
                passed += n - fails
                failed += fails
                if fails or not ok:
                    failures.append(f"{name}: {fails} of {n} checks failed")
                    if not fails:
                        failed += 1
            else:
                passed += ok
                failed += not ok
                if not ok:
                    failures.append(f"{name}: {t['result']}")
    return passed, failed


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    passed = failed = 0
    failures, lines = [], []
    for path in sys.argv[1:]:
        if not os.path.exists(path):
            failures.append(f"{path}: no test log (the build failed, or its tests never ran)")
            failed += 1
            continue
        p, f = count(path, failures)
        lines.append(f"{path}: {p} passed, {f} failed")
        passed += p
        failed += f
    for f in failures:
        print("FAILED", f)
    for line in lines:
        print(line)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
