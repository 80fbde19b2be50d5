#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""Every man page renders without a warning: mandoc's lint, and groff through man(1)
at 80 columns."""
import os
import sys

from lintlib import check, finish, need, run

need("mandoc", "man", "nroff")
env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
for page in sys.argv[1:]:
    r = run(["mandoc", "-T", "lint", "-W", "warning", page])
    check(r.returncode == 0 and not (r.stdout + r.stderr).strip(),
          f"mandoc -T lint -W warning {page} (exit {r.returncode}):\n{r.stdout}{r.stderr}")
    r = run(["man", "--warnings", "-l", page], env=env)
    check(r.returncode == 0 and not r.stderr.strip(),
          f"man --warnings -l {page} (exit {r.returncode}):\n{r.stderr}")
    check(len(r.stdout.splitlines()) > 10, f"man -l {page} rendered next to nothing")
finish()
