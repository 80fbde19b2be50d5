#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Counts every test that ran, from meson's test log: each check of a unit test
executable (from check's "Checks: N, Failures: F, Errors: E" line) and each
end-to-end case.  Prints the failures, then "N passed, N failed" last."""

import json
import re
import sys

CHECK = re.compile(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)")


def main():
    passed = failed = 0
    failures = []
    with open(sys.argv[1]) as f:
        for line in f:
            t = json.loads(line)
            name = t["name"]
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
    for f in failures:
        print("FAILED", f)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
