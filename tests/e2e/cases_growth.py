# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""What grew, how fast, and whether it still grows: growth ranking and its classes,
ages, time windows."""
import json
import shutil
import subprocess
import time

from cases_daemon import run, sites, wait_site, wait_watched
from harness import (LEAKCTL, Attached, Daemon, Leaker, Workdir, check, check_eq,
                     first_frame_in, frame_function, leaker)

GROWTH_CONFIG = """
growth-window = 4s
history-points = 64
"""


def function_of(stack):
    _, fr = first_frame_in(stack, "leak_growth")
    return frame_function(fr) if fr else None


def by_growth(d, pid):
    ans, _ = d.ctl("top", "--pid", str(pid), "--level", "heap", "--by", "growth",
                   "--window", "4s", "-n", "10")
    return [(function_of(st), st["trend"]["class"]) for st in ans["stacks"]]


def case_growth_ranking():
    """A steady leak, a cache that fills and then stays, and a table allocated once:
    by growth the leak ranks first (growing), the cache after it (plateaued), and
    the table not at all (stable); by bytes the table is largest."""
    d = Daemon(config=GROWTH_CONFIG)
    lk = Leaker([leaker("leak_growth")])
    with run(d, lk):
        wait_watched(d, lk.pid)
        d.ctl("trace", str(lk.pid), "--exact")
        lk.do("start")

        def ranked():
            rows = by_growth(d, lk.pid)
            fns = [f for f, _ in rows]
            if ("leak_request", "growing") in rows and ("fill_cache", "plateaued") in rows:
                return rows if fns.index("leak_request") < fns.index("fill_cache") else None
            return None
        rows = d.poll("the leak growing above the plateaued cache", ranked, timeout=40)
        check("startup_table" not in [f for f, _ in rows],
              f"the start-up table ranked by growth: {rows}")
        check_eq(rows[0], ("leak_request", "growing"), "the first row by growth")
        # By bytes, the table holds the most, and its trend says it never grew.
        ans, _ = d.ctl("top", "--pid", str(lk.pid), "--level", "heap", "-n", "3")
        first = ans["stacks"][0]
        check_eq(function_of(first), "startup_table", "the largest holder")
        check_eq(first["bytes"], 8 << 20, "the table's bytes")
        check_eq(first["trend"]["class"], "stable", "the table's trend")
        check(first["ages"]["oldest_s"] >= first["ages"]["median_s"], "oldest before median")
        # The leak's rate: 32 KiB every 100 ms is about 1.1 GiB an hour.
        leak = [st for st in ans["stacks"] if function_of(st) == "leak_request"]
        if leak:
            rate = leak[0]["trend"]["bytes_per_hour"]
            check(0.5 * 1.1e9 < rate < 2 * 1.1e9, f"leak rate {rate} B/h")
        # The process as a whole grows: its resident memory, read every sample.
        def growing():
            ps, _ = d.ctl("ps")
            mine = [p for p in ps["processes"] if p["pid"] == lk.pid][0]
            return mine if mine["trend"] == "growing" else None
        mine = d.poll("the process's trend 'growing'", growing, timeout=20)
        # Rows carry the process's unit and container, as ps says them.
        check_eq(first.get("unit", ""), mine["unit"], "the row's unit")
        check_eq(first.get("container"), mine["container"], "the row's container")
        check(mine["growth_per_hour"] > 0, "the process's growth rate")
        lk.do("pause")


def case_growth_ages_and_since():
    """--since shows only what was allocated lately; --ages gives a histogram whose
    counts add up to the row's allocations."""
    d = Daemon(config=GROWTH_CONFIG)
    lk = Leaker([leaker("leak_growth")])
    with run(d, lk):
        wait_watched(d, lk.pid)
        d.ctl("trace", str(lk.pid), "--exact")
        lk.do("start")
        steps, blocks = (int(x) for x in lk.do("pause"))
        # Everything so far, exactly; then the workload rests for 3 s.
        wait_site(d, lk.pid, "heap", "leak_growth", "startup_table", 8 << 20, 8)
        wait_site(d, lk.pid, "heap", "leak_growth", "fill_cache", steps * 256 * 1024, steps)
        if blocks:
            wait_site(d, lk.pid, "heap", "leak_growth", "leak_request", blocks * 32 * 1024,
                      blocks)
        time.sleep(3)   # the workload: let what exists age, not a synchronization
        lk.do("leak 5")
        wait_site(d, lk.pid, "heap", "leak_growth", "leak_request",
                  (blocks + 5) * 32 * 1024, blocks + 5)
        recent = sites(d.ctl("top", "--pid", str(lk.pid), "--level", "heap", "-n", "0", "--since",
                             "2s")[0], lk.pid, "heap", "leak_growth")
        check_eq(set(recent), {"leak_request"}, "functions with memory from the last 2 s")
        check_eq((recent["leak_request"]["bytes"], recent["leak_request"]["count"]),
                 (5 * 32 * 1024, 5), "the leak's memory of the last 2 s")
        ans, _ = d.ctl("top", "--pid", str(lk.pid), "--level", "heap", "-n", "0", "--ages")
        for st in ans["stacks"]:
            hist = st["ages"]["histogram"]
            check_eq(sum(b["count"] for b in hist), st["allocs"], "histogram counts")
            check_eq(sum(b["bytes"] for b in hist), st["bytes"], "histogram bytes")
        text, _ = d.ctl("top", "--pid", str(lk.pid), "--level", "heap", "--ages", json_out=False)
        check("ages: oldest" in text and "<10s:" in text, f"ages in the text:\n{text}")


def case_ages_before_watching():
    """Memory a process had before the daemon watched it is no older than the
    process: its age is the process's (not the time since boot), and --min-age
    leaves it out while the process is young."""
    born = time.monotonic()
    lk = Leaker()
    ready = time.monotonic()
    lk.do("mmap 4 262144")
    d = Daemon()
    with run(d, lk):
        wait_watched(d, lk.pid)
        before = time.monotonic()
        ans, _ = d.ctl("top", "--pid", str(lk.pid), "--level", "all", "-n", "0")
        after = time.monotonic()
        old = [st for st in ans["stacks"] if st["preexisting"]]
        check(sum(st["bytes"] for st in old) >= 4 * 262144,
              f"the mappings made before the daemon: {old}")
        for st in old:
            oldest = st["ages"]["oldest_s"]
            check(int(before - ready) - 1 <= oldest <= after - born + 1,
                  f"{st['level']} from before watching aged {oldest} s; the process is "
                  f"{after - born:.1f} s old")
        ans, _ = d.ctl("top", "--pid", str(lk.pid), "--level", "all", "-n", "0",
                       "--min-age", "1h")
        check_eq([st for st in ans["stacks"] if st["preexisting"]], [],
                 "memory from before watching older than an hour")


def leak_sites(d, pid):
    return sites(d.ctl("top", "--pid", str(pid), "--level", "heap", "-n", "0")[0], pid, "heap",
                 "leak_growth")


def diff_rows(ans):
    return {function_of(r["stack"]): (r["delta_bytes"], r["delta_count"]) for r in ans["rows"]}


def case_snapshot_diff():
    """snapshot save, then diff against now and against a later snapshot: the leak's
    growth exactly, nothing else changed; list, delete, and names checked."""
    d = Daemon(config=GROWTH_CONFIG)
    lk = Leaker([leaker("leak_growth")])
    with run(d, lk):
        wait_watched(d, lk.pid)
        d.ctl("trace", str(lk.pid), "--exact")
        lk.do("start")
        d.poll("the worker leaking", lambda: "leak_request" in leak_sites(d, lk.pid))
        steps, blocks = (int(x) for x in lk.do("pause"))
        wait_site(d, lk.pid, "heap", "leak_growth", "leak_request", blocks * 32 * 1024, blocks)
        wait_site(d, lk.pid, "heap", "leak_growth", "startup_table", 8 << 20, 8)
        saved, _ = d.ctl("snapshot", "save", "before", "--pid", str(lk.pid), "--level", "heap")
        check_eq([s["name"] for s in saved["snapshots"]], ["before"], "snapshots after a save")
        lk.do("leak 7")
        wait_site(d, lk.pid, "heap", "leak_growth", "leak_request", (blocks + 7) * 32 * 1024,
                  blocks + 7)
        ans, _ = d.ctl("diff", "before", "now", "--pid", str(lk.pid), "--level", "heap")
        check_eq(diff_rows(ans), {"leak_request": (7 * 32 * 1024, 7)}, "before -> now")
        check_eq(ans["delta_bytes"], 7 * 32 * 1024, "the total's change")
        d.ctl("snapshot", "save", "after", "--pid", str(lk.pid), "--level", "heap")
        ans, _ = d.ctl("diff", "before", "after")
        check_eq(diff_rows(ans), {"leak_request": (7 * 32 * 1024, 7)}, "before -> after")
        ans, _ = d.ctl("diff", "after", "before")
        check_eq(diff_rows(ans), {"leak_request": (-7 * 32 * 1024, -7)}, "after -> before")
        text, _ = d.ctl("diff", "before", "after", json_out=False)
        check("+224.0 KiB (+7 allocations)" in text and "leak_request" in text,
              f"the diff as text:\n{text}")
        # Another user sees none of root's snapshots.
        other, _ = d.ctl("snapshot", "list", user=65534)
        check_eq(other["snapshots"], [], "nobody's snapshots")
        _, rc = d.ctl("diff", "before", "now", user=65534, check_rc=False)
        check_eq(rc, 1, "nobody diffing root's snapshot")
        listed, _ = d.ctl("snapshot", "delete", "before")
        check_eq([s["name"] for s in listed["snapshots"]], ["after"], "after a delete")
        _, rc = d.ctl("snapshot", "delete", "before", check_rc=False)
        check_eq(rc, 1, "deleting what is gone")
        for bad in ("../x", ".hidden", "now", "a" * 64, "sp ace"):
            _, rc = d.ctl("snapshot", "save", bad, check_rc=False)
            check_eq(rc, 2, f"saving as {bad!r}")


def case_snapshot_limit():
    """max-snapshots: one more is refused with a clear error, replacing one is not."""
    d = Daemon(config=GROWTH_CONFIG + "max-snapshots = 2\n")
    with run(d):
        d.ctl("snapshot", "save", "one")
        d.ctl("snapshot", "save", "two")
        out, rc = d.ctl("snapshot", "save", "three", json_out=False, check_rc=False)
        check_eq(rc, 1, "a third snapshot")
        check("max-snapshots" in out, f"the refusal says why: {out!r}")
        d.ctl("snapshot", "save", "two")


def case_diff_report_files():
    """leakctl diff on two ad-hoc report files: no daemon, exact growth per stack."""
    outs = []
    for n in (3, 10):
        a = Attached(leaker_argv=[leaker("leak_growth")])
        try:
            a.send(f"leak {n}\n".encode())
            check_eq(a.leaker_line("leak done").strip(), "ok", "the leaker's answer")
            a.release(b"exit\n")
            r = a.finish()
            check_eq(r.returncode, 0, "leakd's exit status")
            outs.append(a.out)
        except BaseException:
            a.kill()
            raise
    p = subprocess.run([LEAKCTL, "--json", "diff", outs[0], outs[1]], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=30)
    check_eq(p.returncode, 0, f"leakctl diff of two files ({p.stderr.strip()})")
    ans = json.loads(p.stdout)
    check_eq(diff_rows(ans).get("leak_request"), (7 * 32 * 1024, 7), "the leak's growth")
    p = subprocess.run([LEAKCTL, "diff", outs[0], "/nonexistent/x.json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    check_eq(p.returncode, 2, "a missing file")
    check("/nonexistent/x.json" in p.stderr, f"the error names the file: {p.stderr!r}")


def case_growth_flamegraph():
    """export --by growth: folded stacks and an SVG flame graph weighed by growth, where
    the leak is and the start-up table is not."""
    d = Daemon(config=GROWTH_CONFIG)
    lk = Leaker([leaker("leak_growth")])
    wd = Workdir()
    with run(d, lk):
        wait_watched(d, lk.pid)
        d.ctl("trace", str(lk.pid))
        lk.do("start")
        d.poll("the leak growing", lambda: ("leak_request", "growing") in by_growth(d, lk.pid),
               timeout=40)
        def weighed():
            folded, _ = d.ctl("export", "--format", "folded", "--by", "growth", "--window",
                              "4s", "--pid", str(lk.pid), json_out=False)
            weights = {}
            for line in folded.splitlines():
                frames, _, weight = line.rpartition(" ")
                leaf = [f for f in frames.split(";") if f in ("leak_request", "fill_cache",
                                                              "startup_table")]
                if leaf:
                    weights[leaf[-1]] = weights.get(leaf[-1], 0) + int(weight)
            return weights if weights.get("leak_request", 0) > 0 else None
        # Each export weighs by the trends of that moment: the leak's shows in one.
        weights = d.poll("the leak's growth in folded stacks", weighed, timeout=30)
        check(weights.get("leak_request", 0) > 0, f"the leak's growth in folded: {weights}")
        check("startup_table" not in weights, f"the start-up table ranks by growth: {weights}")
        path = wd.file("growth.svg")

        def drawn():
            d.ctl("export", "--format", "svg", "--by", "growth", "--window", "4s", "--pid",
                  str(lk.pid), "-o", path, json_out=False)
            with open(path) as f:
                svg = f.read()
            return svg if "leak_request" in svg else None
        svg = d.poll("the leak in the flame graph of growth", drawn, timeout=30)
        check("Growth (bytes an hour)" in svg, "the flame graph says it weighs growth")
        if shutil.which("xmllint"):
            p = subprocess.run(["xmllint", "--noout", path], stderr=subprocess.PIPE, text=True)
            check_eq(p.returncode, 0, f"xmllint: {p.stderr}")
        _, rc = d.ctl("export", "--format", "pprof", "--by", "growth", "--pid", str(lk.pid),
                      "-o", wd.file("x.pb.gz"), json_out=False, check_rc=False)
        check_eq(rc, 2, "pprof by growth")
        lk.do("pause")


def case_timeline():
    """leakctl timeline PID: the process's memory over time with its growing stacks
    under it, as JSON, as a table, and as an SVG chart that xmllint and rsvg-convert
    take."""
    d = Daemon(config=GROWTH_CONFIG)
    lk = Leaker([leaker("leak_growth")])
    wd = Workdir()
    with run(d, lk):
        wait_watched(d, lk.pid)
        d.ctl("trace", str(lk.pid))
        lk.do("start")
        d.poll("the leak growing", lambda: ("leak_request", "growing") in by_growth(d, lk.pid),
               timeout=40)
        tl, _ = d.ctl("timeline", str(lk.pid))
        check_eq(tl["pid"], lk.pid, "the timeline's pid")
        check(len(tl["points"]) >= 4, f"{len(tl['points'])} points")
        fns = [s["function"] for s in tl["stacks"]]
        check("leak_request" in fns, f"the leak under the timeline: {fns}")
        check("startup_table" not in fns, f"the start-up table grows? {fns}")
        leak = tl["stacks"][fns.index("leak_request")]
        check_eq(len(leak["bytes"]), len(tl["points"]), "a value per point")
        check(leak["bytes"] == sorted(leak["bytes"]) and leak["bytes"][-1] > leak["bytes"][0],
              f"the leak's bytes rise: {leak['bytes']}")
        check(all(p["traced"] >= leak["bytes"][i] for i, p in enumerate(tl["points"])),
              "a stack's bytes are within the traced bytes")
        # Resident = anonymous + file-backed (+ shared memory): the file part is there.
        check(all(p["file"] > 0 and p["file"] + p["anon"] <= p["rss"] + 4096
                  for p in tl["points"]), f"file-backed pages: {tl['points'][-1]}")
        text, _ = d.ctl("timeline", str(lk.pid), json_out=False)
        check("leak_request" in text and "T(ms)" in text, f"the timeline as text:\n{text}")
        path = wd.file("timeline.svg")
        d.ctl("timeline", str(lk.pid), "-o", path, json_out=False)
        with open(path) as f:
            svg = f.read()
        check(svg.startswith("<?xml") or "<svg" in svg[:200], "an SVG document")
        check("leak_request" in svg, "the chart names the leak")
        for tool, args in (("xmllint", ["--noout", path]),
                           ("rsvg-convert", ["-o", wd.file("timeline.png"), path])):
            if shutil.which(tool):
                p = subprocess.run([tool, *args], stderr=subprocess.PIPE, text=True)
                check_eq(p.returncode, 0, f"{tool}: {p.stderr}")
        _, rc = d.ctl("timeline", "4194303", check_rc=False)
        check_eq(rc, 1, "a timeline of a pid not watched")
        lk.do("pause")
