# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""metrics-listen: /metrics read by promtool and scraped by a real Prometheus on
loopback; /debug/pprof/heap read by go tool pprof with a traced leaker's exact
figures."""
import json
import re
import shutil
import socket
import subprocess
import urllib.error
import urllib.request

from cases_daemon import run, wait_site
from cases_exports import go_pprof, json_leaves, need, pprof_flat
from harness import TIMEOUT, Daemon, Leaker, Workdir, check, check_eq, spawn

METRICS = "metrics-listen = 127.0.0.1:0\nmetrics-top = 5\n"


def port_of(d):
    m = re.search(r"metrics on 127\.0\.0\.1:0 \(port (\d+)\)", "".join(d.log))
    check(m, f"the daemon's log names its metrics port: {d.log}")
    return int(m.group(1))


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=TIMEOUT) as r:
        return r.status, r.headers.get("Content-Type"), r.read()


def case_metrics_promtool():
    """/metrics is what promtool accepts, with the daemon's figures and the top
    processes' series; bad paths and parameters get 404 and 400."""
    need("promtool", "prometheus")
    d = Daemon(config=METRICS)
    lk = Leaker()
    with run(d, lk):
        port = port_of(d)
        status, ctype, body = get(port, "/metrics")
        check_eq(status, 200, "GET /metrics")
        check(ctype.startswith("text/plain; version=0.0.4"), f"content type {ctype}")
        text = body.decode()
        p = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
        check_eq(p.returncode, 0, f"promtool check metrics: {p.stdout}{p.stderr}")
        check(re.search(r"^leakd_processes_watched \d+$", text, re.M), "processes watched")
        check("leakd_dropped_events_total{cause=" in text, "drops by cause")
        # Series per process are bounded by metrics-top (twice: growers and largest).
        pids = set(re.findall(r'leakd_process_memory_bytes\{pid="(\d+)"', text))
        check(0 < len(pids) <= 10, f"{len(pids)} processes with series")
        st, _ = d.ctl("status")
        check_eq(st["metrics"]["listen"], "127.0.0.1:0", "status names the listener")
        check(st["metrics"]["requests"] >= 1, "requests counted")
        for path, want in (("/nope", 404), ("/debug/pprof/heap", 400),
                           ("/debug/pprof/heap?pid=x", 400),
                           ("/debug/pprof/heap?pid=1&level=bogus", 400)):
            try:
                get(port, path)
                code = 200
            except urllib.error.HTTPError as e:
                code = e.code
            check_eq(code, want, f"GET {path}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def case_metrics_prometheus():
    """A real Prometheus, on loopback, scrapes leakd and answers queries of its series."""
    need("prometheus", "prometheus")
    d = Daemon(config=METRICS)
    wd = Workdir()
    with run(d):
        port = port_of(d)
        web = free_port()
        cfg = wd.file("prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n"
                    f"  - job_name: leakd\n    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{port}']\n")
        prom = spawn([shutil.which("prometheus"), f"--config.file={cfg}",
                                 f"--storage.tsdb.path={wd.file('data')}",
                                 f"--web.listen-address=127.0.0.1:{web}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            def scraped():
                check(prom.poll() is None, "prometheus ended")
                try:
                    _, _, body = get(web, "/api/v1/query?query=leakd_processes_watched")
                except OSError:
                    return None
                ans = json.loads(body)
                return ans["data"]["result"] if ans.get("status") == "success" else None
            result = d.poll("leakd's series in Prometheus", scraped, timeout=60, interval=0.5)
            check_eq(result[0]["metric"]["job"], "leakd", "the series' job")
            check(int(result[0]["value"][1]) >= 1, f"processes watched: {result}")
            _, _, body = get(web, "/api/v1/query?query=up%7Bjob%3D%22leakd%22%7D")
            check_eq(json.loads(body)["data"]["result"][0]["value"][1], "1", "the target is up")
        finally:
            prom.terminate()
            try:
                prom.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                prom.kill()
                prom.wait()


def case_metrics_pprof_heap():
    """/debug/pprof/heap?pid=PID of a traced exact leaker: go tool pprof shows its
    bytes per leaf as leakctl --json top does."""
    need("go", "golang-go")
    d = Daemon(config=METRICS)
    lk = Leaker()
    wd = Workdir()
    with run(d, lk):
        port = port_of(d)
        d.ctl("trace", str(lk.pid), "--exact")
        lk.do("malloc 5 1000")
        wait_site(d, lk.pid, "heap", "leak_ctl", "heap_leak", 5000, 5)
        top, _ = d.ctl("top", "--pid", str(lk.pid), "--level", "heap", "-n", "0")
        status, ctype, body = get(port, f"/debug/pprof/heap?pid={lk.pid}")
        check_eq(status, 200, "GET /debug/pprof/heap")
        check_eq(body[:2], b"\x1f\x8b", "gzip magic")
        path = wd.file("heap.pb.gz")
        with open(path, "wb") as f:
            f.write(body)
        flat = pprof_flat(go_pprof(["-top", "-unit=B", "-nodefraction=0", "-nodecount=1000",
                                    "-sample_index=inuse_space"], path, wd))
        check_eq(flat.get("heap_leak"), 5000, "heap_leak's bytes")
        check_eq(flat, json_leaves(top, "bytes"), "pprof vs top, per leaf")
        try:
            get(port, "/debug/pprof/heap?pid=4194303")
            code = 200
        except urllib.error.HTTPError as e:
            code = e.code
        check_eq(code, 404, "a pid not watched")


def case_metrics_off_by_default():
    """Without metrics-listen nothing listens, and status says so."""
    d = Daemon()
    with run(d):
        st, _ = d.ctl("status")
        check_eq(st["metrics"]["listen"], None, "metrics listener")
        text, _ = d.ctl("status", json_out=False)
        check("metrics: off" in text, "status text says metrics are off")
