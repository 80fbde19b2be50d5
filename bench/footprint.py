#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""The daemon's own memory with nothing traced, broken down.

Starts a private daemon (its own socket, state and cache directories, no
drill-down), waits until it has settled -- every process found, no unwind table
pending, its resident size unchanged over a few polls of `leakctl status` -- and
prints its resident memory by kind (/proc/PID/smaps), its BPF maps (memory the
kernel holds for them, and whether mapped into the daemon), and what status says.
With --forks N it then runs N short-lived /bin/true processes and measures again:
what a process leaves behind once it has exited.  Run as root from the source tree:

    bench/footprint.py [--build build] [--forks 500] [--keep-cache] [--config-line LINE]...
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time

KB = 1024
MB = 1 << 20


def ctl(build, sock, *args):
    p = subprocess.run([os.path.join(build, "src/leakctl"), "--socket", sock, "--json", *args],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    return json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else None


def settle(build, sock, proc, polls=5, interval=0.5, timeout=120):
    """Polls status until nothing is pending and the resident size held for `polls`
    answers in a row; returns the last status."""
    deadline = time.monotonic() + timeout
    last, same = None, 0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the daemon exited ({proc.returncode}): {proc.stderr.read()}")
        st = ctl(build, sock, "status")
        if st and not st["unwind"]["pending"]:
            # Resident size held within 512 KiB (a busy host's processes come and go).
            rss = st["daemon"]["rss_bytes"]
            same = same + 1 if last is not None and abs(rss - last) <= 512 * KB else 0
            last = rss if not same else last
            if same >= polls:
                return st
        time.sleep(interval)
    sys.exit("the daemon did not settle")


def own_libs(exe, cache={}):
    """The shared libraries leakd itself loads (ldd's list)."""
    if exe not in cache:
        out = subprocess.run(["ldd", exe], stdout=subprocess.PIPE, text=True).stdout
        cache[exe] = {os.path.realpath(w) for line in out.splitlines()
                      for w in line.split() if w.startswith("/")}
        cache[exe] |= {w for line in out.splitlines() for w in line.split() if w.startswith("/")}
    return cache[exe]


def smaps(pid):
    """Resident kB per kind of mapping."""
    kinds = collections.Counter()
    files = collections.Counter()
    name = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split(None, 5)
                name = parts[5].strip() if len(parts) > 5 else ""
            elif line.startswith("Rss:"):
                kb = int(line.split()[1])
                exe = os.readlink(f"/proc/{pid}/exe")
                if name == "[heap]":
                    kinds["heap (malloc, main arena)"] += kb
                elif name == "":
                    kinds["anonymous (thread arenas, stacks, large blocks)"] += kb
                elif name.startswith("anon_inode:bpf"):
                    kinds["BPF maps mapped in (ring buffer, unwind rows)"] += kb
                elif name == exe or name.startswith("[") or name in own_libs(exe):
                    kinds["leakd's code and libraries"] += kb
                else:
                    kinds["files of watched programs (ELF, DWARF)"] += kb
                    files[name] += kb
    return kinds, files


def bpf_maps(pid):
    """(name, bytes the kernel holds) of the daemon's BPF maps, largest first."""
    out = {}
    fd_dir = f"/proc/{pid}/fd"
    for fd in os.listdir(fd_dir):
        try:
            if os.readlink(f"{fd_dir}/{fd}") != "anon_inode:bpf-map":
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                info = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
        except OSError:
            continue
        mid = info.get("map_id", "").strip()
        name = f"id {mid}"
        try:
            show = json.loads(subprocess.run(["bpftool", "-j", "map", "show", "id", mid],
                                             stdout=subprocess.PIPE, text=True).stdout)
            name = show.get("name", name)
        except (OSError, ValueError):
            pass
        out[mid] = (name, int(info.get("memlock", "0").strip() or 0))
    return sorted(out.values(), key=lambda m: -m[1])


def status_line(pid):
    with open(f"/proc/{pid}/status") as f:
        return {k: int(v.split()[0]) for k, v in
                (line.split(":", 1) for line in f) if k in ("VmRSS", "RssAnon", "RssFile")}


def report(title, pid, st):
    kinds, files = smaps(pid)
    s = status_line(pid)
    print(f"\n## {title}\n")
    print(f"VmRSS {s['VmRSS'] / 1024:.1f} MB (anon {s['RssAnon'] / 1024:.1f}, "
          f"file {s['RssFile'] / 1024:.1f}); {st['processes']['watched']} processes watched, "
          f"{st['processes']['traced']} traced\n")
    print("| resident | MB |\n|---|---|")
    for k, v in kinds.most_common():
        print(f"| {k} | {v / 1024:.1f} |")
    if files:
        print("\nlargest files of watched programs resident: " +
              ", ".join(f"{os.path.basename(n)} {kb / 1024:.1f}"
                        for n, kb in files.most_common(5)))
    maps = bpf_maps(pid)
    print(f"\nBPF maps: {sum(m[1] for m in maps) / MB:.1f} MB held by the kernel, largest: " +
          ", ".join(f"{n} {b / MB:.1f}" for n, b in maps[:6]))
    u, sym, d = st["unwind"], st["symbols"], st["daemon"]
    print(f"\nstatus: rss {d['rss_bytes'] / MB:.1f} MB, tables {d['tables_bytes'] / MB:.1f} MB" +
          (f", BPF maps {d['bpf_map_bytes'] / MB:.1f} MB (mapped in "
           f"{d['bpf_mapped_bytes'] / MB:.1f}), ring buffer {d['ringbuf_bytes'] / MB:g} MB"
           if "bpf_map_bytes" in d else "") +
          f"; unwind tables {u['tables']} ({u['rows']} of {u['rows_limit']} rows), "
          f"symbol modules {sym['modules']}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--forks", type=int, default=0, help="short-lived processes to run after")
    ap.add_argument("--keep-cache", action="store_true",
                    help="a cache directory that persists (/var/cache/leakd), not a fresh one")
    ap.add_argument("--config-line", action="append", default=[],
                    help="another line of the daemon's configuration")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="leakd-footprint.") as wd:
        sock = os.path.join(wd, "leakd.sock")
        conf = os.path.join(wd, "leakd.conf")
        cache = "/var/cache/leakd" if args.keep_cache else os.path.join(wd, "cache")
        lines = [f"socket = {sock}", f"cache-dir = {cache}",
                 f"state-dir = {os.path.join(wd, 'state')}", "no-drilldown",
                 # Nothing traced: not even processes that report through otel_memory probes.
                 "max-sampler = 0",
                 *args.config_line]
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        cmd = [os.path.join(args.build, "src/leakd"), "--config", conf]
        print("    " + " ".join(sys.argv))
        print("configuration: " + "; ".join(lines[3:]))
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        try:
            started = time.monotonic()
            st = settle(args.build, sock, proc)
            report(f"settled after {time.monotonic() - started:.0f} s", proc.pid, st)
            if args.forks:
                before = status_line(proc.pid)["VmRSS"]
                for _ in range(args.forks):
                    subprocess.run(["/bin/true"], check=True)
                st = settle(args.build, sock, proc)
                after = status_line(proc.pid)["VmRSS"]
                report(f"after {args.forks} runs of /bin/true", proc.pid, st)
                print(f"\nresident size {before / 1024:.1f} -> {after / 1024:.1f} MB "
                      f"({(after - before) / args.forks:+.2f} kB per process)")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
