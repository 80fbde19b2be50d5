#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""The man pages say what the programs do: the SYNOPSIS of leakd(8) and leakctl(1) is
the usage of --help; every option, command and exit status of --help has its item,
with the same default; and leakd.conf(5), the example configuration and what
options.c accepts in a configuration file (asked of conf_check) list the same
settings, of the same kinds, with the same defaults and the same reload rules."""
import argparse
import os
import re
import sys
import tempfile

from lintlib import ManPage, check, finish, help_exit_codes, help_usage_lines, need, run

ap = argparse.ArgumentParser()
ap.add_argument("--leakd", required=True)
ap.add_argument("--leakctl", required=True)
ap.add_argument("--conf-check", required=True)
ap.add_argument("--man-dir", required=True)
ap.add_argument("--example", required=True)
args = ap.parse_args()
need("mandoc")


def help_of(prog):
    r = run([prog, "--help"])
    check(r.returncode == 0, f"{prog} --help exits {r.returncode}")
    return r.stdout


def block(help_text, title):
    """The lines of a "Title:" block of --help, up to the next blank line."""
    lines = help_text.splitlines()
    if f"{title}:" not in lines:
        check(False, f"--help has no '{title}:' block")
        return []
    i = lines.index(f"{title}:") + 1
    out = []
    while i < len(lines) and lines[i].strip():
        out.append(lines[i])
        i += 1
    return out


def help_options(help_text):
    """{long name: (left column, help text)} of the Options: block."""
    out = {}
    lines = block(help_text, "Options")
    for i, line in enumerate(lines):
        m = re.match(r"^ {2}(?: {4})?((?:-\w, )?--([a-z][a-z-]*)(?: \S+)?)(?: {2,}(.*))?$", line)
        if not m:
            continue
        text = m.group(3) or (lines[i + 1].strip() if i + 1 < len(lines) else "")
        out[m.group(2)] = (m.group(1).strip(), text)
    return out


def help_default(text):
    m = re.search(r"\(default ([^;),]+)", text) or re.search(r"\((\d+[KMGsmhd]?)\)", text)
    return m.group(1).strip() if m else None


def has_default(body, value):
    return re.search(r"Default: " + re.escape(value) + r"(?![\w/-])", body) is not None


def check_synopsis(page, help_text):
    rows = page.section("SYNOPSIS").rows
    usage = help_usage_lines(help_text)
    check(rows == usage, f"{page.path}: SYNOPSIS {rows} is not the usage of --help {usage}")


def check_exit_status(page, help_text):
    codes = help_exit_codes(help_text)
    tags = [t for t, _, _ in page.section("EXIT STATUS").items]
    check(codes and tags == [str(c) for c in codes],
          f"{page.path}: EXIT STATUS lists {tags}, --help {codes}")


def check_options(page, opts, both_ways):
    """Every option of --help is an item of OPTIONS, tagged as --help shows it and
    with its default; with both_ways, OPTIONS has no option --help lacks."""
    items = page.section("OPTIONS").items
    tags = {t: body for t, body, _ in items}
    for name, (left, text) in opts.items():
        if not check(left in tags, f"{page.path}: OPTIONS has no item '{left}'"):
            continue
        d = help_default(text)
        if d is not None:
            check(has_default(tags[left], d),
                  f"{page.path}: '{left}' does not say 'Default: {d}' as --help does")
    if both_ways:
        documented = {n for t in tags for n in re.findall(r"--([a-z][a-z-]*)", t)}
        for extra in sorted(documented - set(opts)):
            check(False, f"{page.path}: OPTIONS documents --{extra}, which --help lacks")


man = args.man_dir
leakd_help = help_of(args.leakd)
leakctl_help = help_of(args.leakctl)

# leakd(8)
leakd8 = ManPage(os.path.join(man, "leakd.8"))
check_synopsis(leakd8, leakd_help)
check_exit_status(leakd8, leakd_help)
leakd_opts = help_options(leakd_help)
check(len(leakd_opts) > 30, f"only {len(leakd_opts)} options found in leakd --help")
check_options(leakd8, leakd_opts, both_ways=True)

# leakctl(1): its options, and every command's grammar as an item of COMMANDS.
leakctl1 = ManPage(os.path.join(man, "leakctl.1"))
check_synopsis(leakctl1, leakctl_help)
check_exit_status(leakctl1, leakctl_help)
check_options(leakctl1, help_options(leakctl_help), both_ways=False)
option_tags = " ".join(t for t, _, _ in leakctl1.section("OPTIONS").items)
for name in sorted(set(re.findall(r"--([a-z][a-z-]*)", leakctl_help))):
    check(re.search(rf"--{name}\b", option_tags),
          f"{leakctl1.path}: OPTIONS has no item for --{name} of --help")
command_tags = [t for t, _, _ in leakctl1.section("COMMANDS").items]
commands = [re.split(r" {2,}", line.strip())[0]
            for line in block(leakctl_help, "Commands") if re.match(r"^ {2}\S", line)]
check(len(commands) >= 6, f"only {len(commands)} commands found in leakctl --help")
for c in commands:
    check(c in command_tags, f"{leakctl1.path}: COMMANDS has no item '{c}' (as in --help)")

# leakd.conf(5), the example configuration, and options.c.
settings_man = {}
for tag, body, _ in ManPage(os.path.join(man, "leakd.conf.5")).section("SETTINGS").items:
    name = tag.split()[0]
    d = re.search(r"Default: (.+?)\.(?:\s|$)", body)
    r = re.search(r"Reload: (at once|at the next start)\.", body)
    check(d and r, f"leakd.conf.5: '{tag}' lacks 'Default: X.' or 'Reload: ...'")
    settings_man[name] = ("value" if " = " in tag else "switch", d and d.group(1),
                          r and r.group(1) == "at the next start")

settings_example = {}
comment = ""
with open(args.example) as f:
    for line in f:
        line = line.rstrip("\n")
        m = re.match(r"^#([a-z][a-z0-9-]*)(?:\s*=\s*(\S+))?\s*$", line)
        if m:
            check(m.group(1) not in settings_example, f"{args.example}: {m.group(1)} twice")
            settings_example[m.group(1)] = ("value" if m.group(2) else "switch",
                                            m.group(2) or "off", "(restart)" in comment)
            comment = ""
        elif line.startswith("#"):
            comment += line
        else:
            comment = ""

r = run([args.conf_check, "accepted"] + sorted(leakd_opts))
check(r.returncode == 0, f"conf_check accepted: {r.stderr}")
accepted = dict(line.split() for line in r.stdout.splitlines())
check(len(accepted) > 20, f"only {len(accepted)} settings accepted")

for name in sorted(set(accepted) | set(settings_man) | set(settings_example)):
    kind = accepted.get(name)
    check(kind, f"{name}: in leakd.conf.5 or the example, but the file does not accept it")
    check(name in settings_man, f"leakd.conf.5: no item for '{name}', which the file accepts")
    check(name in settings_example, f"{args.example}: no '{name}', which the file accepts")
    if not (kind and name in settings_man and name in settings_example):
        continue
    mk, md, mr = settings_man[name]
    ek, ed, er = settings_example[name]
    check(mk == kind and ek == kind,
          f"{name}: a {kind}, but leakd.conf.5 shows a {mk} and the example a {ek}")
    check(md == ed, f"{name}: default '{md}' in leakd.conf.5, '{ed}' in the example")
    check(mr == er, f"{name}: leakd.conf.5 and the example disagree on reloading")
    hd = help_default(leakd_opts[name][1])
    if hd is not None and kind == "value":
        check(hd == ed, f"{name}: default '{hd}' in --help, '{ed}' in the example")

# The example's values, uncommented, load and are the defaults.
with tempfile.NamedTemporaryFile("w", suffix=".conf") as tmp:
    for name, (kind, value, _) in settings_example.items():
        if kind == "value":
            tmp.write(f"{name} = {value}\n")
    tmp.flush()
    r = run([args.conf_check, "defaults", tmp.name])
    check(r.returncode == 0, f"the example's values are not leakd's defaults: {r.stderr}")

finish()
