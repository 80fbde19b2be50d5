#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""The unit as installed passes systemd-analyze verify (with its man pages there to
be found) and systemd-analyze security rates its exposure 2.5 or lower; the
sysusers file creates group leakd."""
import argparse
import os
import re
import shutil
import tempfile

from lintlib import check, finish, need, run

MAX_EXPOSURE = 2.5

ap = argparse.ArgumentParser()
ap.add_argument("--unit", required=True, help="the configured leakd.service")
ap.add_argument("--leakd", required=True, help="the leakd built, for ExecStart=")
ap.add_argument("--sysusers", required=True)
ap.add_argument("--man-dir", required=True)
args = ap.parse_args()
need("systemd-analyze", "systemd-sysusers", "man")

text = open(args.unit).read()
check(not re.search(r"@[a-z_]+@", text), f"{args.unit}: a placeholder was left unsubstituted")
exec_start = re.search(r"(?m)^ExecStart=(\S+)", text)
check(exec_start and os.path.isabs(exec_start.group(1)) and
      exec_start.group(1).endswith("/leakd"), f"{args.unit}: ExecStart= is not an absolute leakd")

with tempfile.TemporaryDirectory() as tmp:
    # verify wants the binary where ExecStart= says: the one just built.
    unit = os.path.join(tmp, "leakd.service")
    with open(unit, "w") as f:
        f.write(re.sub(r"(?m)^ExecStart=\S+", "ExecStart=" + os.path.abspath(args.leakd), text))
    # And the pages of Documentation= (verify runs man(1) on them).
    for page in ("leakd.8", "leakctl.1", "leakd.conf.5"):
        d = os.path.join(tmp, "man", "man" + page[-1])
        os.makedirs(d, exist_ok=True)
        src = os.path.join(args.man_dir, page)
        if check(os.path.exists(src), f"no {src}"):
            shutil.copy(src, d)
    env = dict(os.environ, MANPATH=os.path.join(tmp, "man"), SYSTEMD_LOG_COLOR="0")

    r = run(["systemd-analyze", "verify", unit], env=env, cwd=tmp)
    out = (r.stdout + r.stderr).strip()
    check(r.returncode == 0 and "leakd" not in out,
          f"systemd-analyze verify (exit {r.returncode}):\n{out}")

    r = run(["systemd-analyze", "security", "--offline=true", "--no-pager", unit], env=env,
            cwd=tmp)
    m = re.search(r"Overall exposure level for leakd\.service: (\d+(?:\.\d+)?)", r.stdout)
    if check(m, f"systemd-analyze security: no overall exposure level:\n{r.stdout}{r.stderr}"):
        level = float(m.group(1))
        print(f"exposure {level} (at most {MAX_EXPOSURE})")
        check(level <= MAX_EXPOSURE,
              f"exposure {level} > {MAX_EXPOSURE}; what counts most:\n" +
              "\n".join(l for l in r.stdout.splitlines() if l.startswith("✗")))

    root = os.path.join(tmp, "root")
    os.makedirs(os.path.join(root, "etc"))
    r = run(["systemd-sysusers", "--dry-run", "--root", root, os.path.abspath(args.sysusers)])
    check(r.returncode == 0 and "group 'leakd'" in r.stdout + r.stderr,
          f"systemd-sysusers --dry-run (exit {r.returncode}):\n{r.stdout}{r.stderr}")
finish()
