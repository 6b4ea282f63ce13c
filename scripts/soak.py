#!/usr/bin/env python3
"""`make soak`: a bounded soak test of nginx with ngx_wasm, loopback only.

1. nginx (master + 2 workers) serves two handlers that allocate on every request, under a
   budget and a memory cap, and the load alternates between them: /soak (guests/fixtures/bench
   `soak`, one instance per worker) and /soak-phases (guests/fixtures/soak: rewrite and
   content sharing ngx.ctx, a fresh instance for every call with `wasm_isolation request`).
2. Warm-up (WARMUP requests), then the workers' RSS is read from /proc.
3. REQUESTS keep-alive requests at CONCURRENCY: every answer must be 2xx, and each worker's
   RSS may grow by at most MAX_GROWTH_KIB after the warm-up.
4. RELOAD_REQUESTS more while `nginx -s reload` runs RELOADS times: no request may fail, and
   each reload must replace both workers within 10 s.
5. Crash-loop protection under load (guests/fixtures/trap): CRASH_REQUESTS to an export
   that traps on one request in ten (worker and request isolation) must get no 503 at all;
   then CRASH_REQUESTS alternating between an export that always traps and a healthy export
   of the same module: every healthy request is answered 200, and the trapping export backs
   off within its bound (each worker runs it at most 29 times plus one probe per backoff
   delay; the rest get 503).
Each load run must end within MAX_SECONDS. Prints the figures; exits 1 when a limit is broken.

Usage: soak.py NGINX MODULE_SO GUESTS_DIR RUN_DIR LOADGEN PORT ENGINE
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

REQUESTS = int(os.environ.get("SOAK_REQUESTS", 1_000_000))
WARMUP = int(os.environ.get("SOAK_WARMUP", 50_000))
CONCURRENCY = int(os.environ.get("SOAK_CONCURRENCY", 100))
RELOADS = int(os.environ.get("SOAK_RELOADS", 20))
RELOAD_REQUESTS = int(os.environ.get("SOAK_RELOAD_REQUESTS", 800_000))
MAX_GROWTH_KIB = int(os.environ.get("SOAK_MAX_GROWTH_KIB", 2048))
MAX_SECONDS = int(os.environ.get("SOAK_MAX_SECONDS", 300))
CRASH_REQUESTS = int(os.environ.get("SOAK_CRASH_REQUESTS", 40_000))
# engine_api::health: an export backs off once 29 calls, 90% of its calls in 10 s, failed.
TRIP_FAILURES = 29
# Requests go to each handler in turn; {n} gives each request its own seed. The last three
# wait: a sleep(0), a subrequest captured in memory, a socket GET on a pooled connection.
PATHS = "/soak,/soak-phases?seed={n},/soak-sleep,/soak-capture,/soak-socket"


def conf(module, guests, run_dir, port, engine):
    return f"""load_module {module};
worker_processes 2;
worker_rlimit_nofile 4096;
error_log {run_dir}/logs/error.log notice;
pid {run_dir}/logs/nginx.pid;
events {{ worker_connections 2048; }}
http {{
    access_log off;
    default_type text/plain;
    wasm_engine {engine};
    client_body_temp_path {run_dir}/tmp/body;
    proxy_temp_path {run_dir}/tmp/proxy;
    fastcgi_temp_path {run_dir}/tmp/fastcgi;
    uwsgi_temp_path {run_dir}/tmp/uwsgi;
    scgi_temp_path {run_dir}/tmp/scgi;
    wasm_timeout 1s;
    wasm_max_memory 64m;
    server {{
        listen 127.0.0.1:{port};
        keepalive_requests 1000000;
        location = /soak {{ content_by_wasm {guests}/bench.wasm soak; }}
        location = /soak-phases {{
            wasm_isolation request;
            rewrite_by_wasm {guests}/soak.wasm rewrite;
            content_by_wasm {guests}/soak.wasm content;
        }}
        location = /soak-sleep {{ content_by_wasm {guests}/bench_io.wasm sleep_hello; }}
        location = /soak-capture {{ content_by_wasm {guests}/bench_io.wasm capture_hello; }}
        location = /soak-socket {{ content_by_wasm {guests}/bench_io.wasm socket_hello; }}
        location = /ret {{ return 200 "hello\\n"; }}
        location = /flaky {{ content_by_wasm {guests}/trap.wasm flaky; }}
        location = /flaky-request {{
            wasm_isolation request;
            content_by_wasm {guests}/trap.wasm flaky;
        }}
        location = /broken {{ content_by_wasm {guests}/trap.wasm on_content; }}
        location = /broken-fine {{ content_by_wasm {guests}/trap.wasm fine; }}
    }}
}}
"""


def workers(master):
    """The master's worker processes (excluding those shutting down: their title says so)."""
    out = []
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_text()
        except FileNotFoundError:
            continue
        if "worker process" in cmd and "shutting down" not in cmd:
            out.append(int(pid))
    return sorted(out)


def rss_kib(pid):
    m = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    return int(m.group(1)) if m else 0


def loadgen_cmd(loadgen, port, n, paths=PATHS):
    return [loadgen, f"127.0.0.1:{port}", paths, str(n), str(CONCURRENCY), "X-Echo: soak"]


def cpu_seconds(pid):
    """User + system CPU time of a process, to show that both workers served the load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(loadgen, port, n, paths=PATHS):
    try:
        r = subprocess.run(loadgen_cmd(loadgen, port, n, paths), capture_output=True, text=True,
                           timeout=MAX_SECONDS)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"soak FAILED: {n} requests did not finish within {MAX_SECONDS} s")
    if r.returncode != 0:
        raise SystemExit(f"loadgen failed: {r.stdout} {r.stderr}")
    counts = dict(kv.split("=") for kv in r.stdout.split())
    if r.stderr.strip():
        print(f"  loadgen: {r.stderr.strip()}")
    return counts


def crash_loop(loadgen, port):
    """Phase 5: returns the limits broken."""
    failures = []
    flaky = load(loadgen, port, CRASH_REQUESTS, "/flaky?n={n},/flaky-request?n={n}")
    print(f"  crash-loop, 10% trapping: {flaky['requests']} requests: {flaky['ok']} 2xx, "
          f"{flaky['s500']} x 500, {flaky['s503']} x 503, {flaky['failed']} failed")
    if flaky["s503"] != "0" or flaky["failed"] != "0":
        failures.append("a guest trapping on 10% of requests was refused (503) or failed")
    if int(flaky["s500"]) != CRASH_REQUESTS // 10:
        failures.append(f"expected {CRASH_REQUESTS // 10} x 500 from the 10% trapping guest")
    started = time.monotonic()
    broken = load(loadgen, port, CRASH_REQUESTS, "/broken,/broken-fine")
    seconds = time.monotonic() - started
    # Per worker: the failures that open the breaker, then one probe per delay (1 s, 2 s...).
    bound = 2 * (TRIP_FAILURES + 2 + int(seconds))
    print(f"  crash-loop, 100% trapping beside a healthy export: {broken['requests']} requests "
          f"in {seconds:.1f} s: {broken['ok']} 2xx, {broken['s500']} x 500 (bound {bound}), "
          f"{broken['s503']} x 503, {broken['failed']} failed")
    if int(broken["ok"]) != CRASH_REQUESTS // 2:
        failures.append("the healthy export of a module with a failing export was refused")
    if int(broken["s500"]) > bound or broken["s503"] == "0":
        failures.append(f"the always-trapping export did not back off within {bound} calls")
    return failures


def main():
    nginx, module, guests, run_dir, loadgen, port, engine = sys.argv[1:8]
    run_dir = Path(run_dir).resolve()
    for d in ("conf", "logs", "tmp"):
        (run_dir / d).mkdir(parents=True, exist_ok=True)
    # A fresh error log: the checks below read what this run logged only.
    (run_dir / "logs" / "error.log").write_text("")
    conf_file = run_dir / "conf" / "nginx.conf"
    conf_file.write_text(conf(os.path.abspath(module), os.path.abspath(guests), run_dir,
                              port, engine))
    base = [nginx, "-p", str(run_dir), "-c", str(conf_file)]
    subprocess.run(base + ["-t", "-q"], check=True)
    subprocess.run(base, check=True)
    master = None
    failures = []
    try:
        for _ in range(100):
            pid_file = run_dir / "logs" / "nginx.pid"
            if pid_file.exists() and pid_file.read_text().strip():
                master = int(pid_file.read_text())
                if len(workers(master)) == 2:
                    break
            time.sleep(0.1)
        print(f"soak: engine {engine}, {CONCURRENCY} keep-alive connections, nginx master "
              f"{master} with workers {workers(master)}")

        warm = load(loadgen, port, WARMUP)
        before = {pid: rss_kib(pid) for pid in workers(master)}
        print(f"  warm-up: {warm['requests']} requests, {warm['rps']} req/s; RSS after "
              f"warm-up (KiB): {before}")

        main_run = load(loadgen, port, REQUESTS)
        after = {pid: rss_kib(pid) for pid in workers(master)}
        cpu = {pid: cpu_seconds(pid) for pid in after}
        print(f"  soak: {main_run['requests']} requests in {main_run['seconds']} s "
              f"({main_run['rps']} req/s): {main_run['ok']} 2xx, {main_run['non_2xx']} other, "
              f"{main_run['failed']} failed, {main_run['retried']} retried")
        for pid, kib in before.items():
            grown = after.get(pid, 0) - kib
            print(f"  worker {pid}: RSS {kib} -> {after.get(pid)} KiB ({grown:+} KiB), "
                  f"{cpu.get(pid, 0):.1f} s CPU in all")
            if pid not in after:
                failures.append(f"worker {pid} exited during the soak")
            elif grown > MAX_GROWTH_KIB:
                failures.append(f"worker {pid} grew by {grown} KiB (> {MAX_GROWTH_KIB})")
        if main_run["non_2xx"] != "0" or main_run["failed"] != "0":
            failures.append("non-2xx or failed requests during the soak")

        # Reloads under load: the load runs in the background while nginx reloads.
        proc = subprocess.Popen(loadgen_cmd(loadgen, port, RELOAD_REQUESTS),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        reloads = 0
        time.sleep(0.5)
        for i in range(RELOADS):
            if proc.poll() is not None:
                break
            old = set(workers(master))
            subprocess.run(base + ["-s", "reload"], check=True)
            # The reload took effect once two workers run and none of them is an old one.
            for _ in range(100):
                now = set(workers(master))
                if len(now) == 2 and not now & old:
                    break
                time.sleep(0.1)
            else:
                failures.append(f"reload {i + 1}: the workers were not replaced within 10 s")
                break
            reloads += 1
            time.sleep(0.4)
        try:
            out, err = proc.communicate(timeout=MAX_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise SystemExit(f"soak FAILED: the load under reloads did not finish within "
                             f"{MAX_SECONDS} s")
        counts = dict(kv.split("=") for kv in out.split())
        print(f"  reloads: {reloads} (each replaced both workers) while {counts['requests']} requests ran "
              f"({counts['rps']} req/s): {counts['ok']} 2xx, {counts['non_2xx']} other, "
              f"{counts['failed']} failed, {counts['retried']} retried after a keep-alive "
              f"close")
        if err.strip():
            print(f"  loadgen: {err.strip()}")
        if reloads < RELOADS:
            failures.append(f"only {reloads} reloads happened before the load ended "
                            f"(raise SOAK_RELOAD_REQUESTS)")
        if counts["non_2xx"] != "0" or counts["failed"] != "0":
            failures.append("non-2xx or failed requests during reloads")
        alerts = [l for l in (run_dir / "logs" / "error.log").read_text().splitlines()
                  if re.search(r"\[(alert|crit|emerg)\]|wasm guest", l)]
        if alerts:
            failures.append(f"{len(alerts)} alert/crit/guest lines in the error log, first: "
                            f"{alerts[0]}")
        failures += crash_loop(loadgen, port)
    finally:
        if master:
            os.kill(master, signal.SIGQUIT)
            for _ in range(100):
                try:
                    os.kill(master, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
    if failures:
        print("soak FAILED:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("soak passed")


if __name__ == "__main__":
    main()
