#!/usr/bin/env python3
"""Measures what docs/safety.md reports about budgets, per engine.

  precision  how long after a 50 ms wasm_timeout a spinning guest is stopped (client-side
             response time of /spin minus the timeout, minus a /fine baseline), for three
             loop shapes: computing, a branch to itself, host calls;
  cost       user-space instructions per request of the nginx worker thread (callgrind,
             the method of /work/shared/notes/performance.md; the epoch/watchdog thread is
             left out: its cost is per millisecond of wall time, not per request, and
             valgrind's slowdown would inflate it) for a trivial handler and a compute
             loop, without budgets and with wasm_timeout, wasm_fuel, both, and
             wasm_isolation request (an instantiation per request).
  time       wall time of a compute loop (/work/20000000, 20 million iterations), median
             of 5, without budgets, with wasm_timeout, wasm_fuel and both: what the
             compiled-in checks cost in time rather than instructions;
  instantiate  CPU time of the nginx worker thread per request (from
             /proc/PID/task/PID/schedstat, user and kernel, so mmap/madvise count; best of
             3 runs of 20000 keep-alive requests with ab) for a trivial handler with
             wasm_isolation worker and request: the difference is what making and
             dropping an instance costs per request;
  fuel       the smallest wasm_fuel (within 5%) that lets /work/100000 finish: how much
             one engine's fuel unit buys compared with another's.

Usage: scripts/budget-bench.py NGINX MODULE.so GUESTS_DIR [precision|cost|time|fuel|all]
       [ENGINE...]
Needs curl, ab (apache2-utils) and valgrind. Runs nginx on 127.0.0.1:18190-18199.
"""

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

PORT = 18190
ENGINES = ["wasmtime", "wasmer", "wasmer-singlepass", "wasmi"]


def conf(prefix, module, engine, locations, http_extra=""):
    return f"""
load_module {module};
daemon off;
master_process off;
worker_processes 1;
error_log {prefix}/logs/error.log error;
pid {prefix}/logs/nginx.pid;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/tmp;
    proxy_temp_path {prefix}/tmp;
    fastcgi_temp_path {prefix}/tmp;
    uwsgi_temp_path {prefix}/tmp;
    scgi_temp_path {prefix}/tmp;
    wasm_engine {engine};
    {http_extra}
    server {{
        listen 127.0.0.1:{PORT};
        {locations}
    }}
}}
"""


def wait_port(up=True, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", PORT))
            s.close()
            if up:
                return
        except OSError:
            if not up:
                return
        time.sleep(0.02)
    raise RuntimeError(f"port {PORT} not {'up' if up else 'down'}")


class Nginx:
    def __init__(self, nginx, text, wrapper=()):
        self.prefix = tempfile.mkdtemp(prefix="ngx-wasm-bench-")
        for d in ("logs", "tmp", "conf"):
            os.makedirs(os.path.join(self.prefix, d))
        path = os.path.join(self.prefix, "conf", "nginx.conf")
        with open(path, "w") as f:
            f.write(text.replace("{prefix}", self.prefix))
        self.proc = subprocess.Popen(
            [*wrapper, nginx, "-p", self.prefix, "-c", path],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(True, 60.0)

    def stop(self):
        while self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        wait_port(False)

    def log(self):
        with open(os.path.join(self.prefix, "logs", "error.log")) as f:
            return f.read()

    def cleanup(self):
        shutil.rmtree(self.prefix, ignore_errors=True)


def curl_time(path):
    out = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
         f"http://127.0.0.1:{PORT}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    return int(out[0]), float(out[1])


def precision(nginx, module, guests, engine, rounds=15):
    locs = "\n".join(
        f"location /{name} {{ wasm_timeout 50ms; content_by_wasm {guests}/limits.wasm {export}; }}"
        for name, export in (("spin", "spin"), ("tight", "spin_tight"), ("host", "spin_host"))
    ) + f"\nlocation /fine {{ content_by_wasm {guests}/limits.wasm fine; }}"
    n = Nginx(nginx, conf("{prefix}", module, engine, locs))
    try:
        base = []
        result = {}
        for shape in ("spin", "tight", "host"):
            over = []
            for _ in range(rounds):
                code, t = curl_time(f"/{shape}")
                assert code == 500, (shape, code)
                over.append(t * 1000 - 50)
                # A success between stops keeps the module out of crash-loop backoff.
                code, t = curl_time("/fine")
                assert code == 200
                base.append(t * 1000)
            result[shape] = over
        b = statistics.median(base)
        print(f"{engine:18} baseline /fine {b:.2f} ms")
        for shape, over in result.items():
            o = [x - b for x in over]
            print(f"{engine:18} {shape:6} stopped after timeout +{statistics.median(o):.2f} ms "
                  f"median, +{min(o):.2f}..+{max(o):.2f} ms ({len(o)} runs)")
    finally:
        n.stop()
        n.cleanup()


def callgrind_total(out):
    """Instructions of the main thread (the single-process nginx worker)."""
    out = out + "-01"
    with open(out) as f:
        for line in f:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {out}")


def instr_per_request(nginx, module, engine, location, path, n, warm=200):
    """(Ir(B) - Ir(A)) / n: run A warms up only, run B adds n keep-alive requests."""
    totals = []
    for extra in (0, n):
        out = tempfile.mktemp(prefix="callgrind-", suffix=".out")
        ng = Nginx(nginx, conf("{prefix}", module, engine, location),
                   wrapper=("valgrind", "--tool=callgrind", "--separate-threads=yes",
                            f"--callgrind-out-file={out}"))
        try:
            subprocess.run(["ab", "-q", "-k", "-n", str(warm), "-c", "1",
                            f"http://127.0.0.1:{PORT}{path}"],
                           capture_output=True, check=True)
            if extra:
                r = subprocess.run(["ab", "-k", "-n", str(extra), "-c", "1",
                                    f"http://127.0.0.1:{PORT}{path}"],
                                   capture_output=True, text=True, check=True)
                m = re.search(r"Non-2xx responses:\s+(\d+)", r.stdout)
                assert not m, f"{path}: {m.group(0)}"
        finally:
            ng.stop()
            ng.cleanup()
        totals.append(callgrind_total(out))
        for f in os.listdir(os.path.dirname(out)):
            if f.startswith(os.path.basename(out)):
                os.unlink(os.path.join(os.path.dirname(out), f))
    return (totals[1] - totals[0]) / n


def cost(nginx, module, guests, engine):
    variants = [
        ("no budget", ""),
        ("wasm_timeout 1s", "wasm_timeout 1s;"),
        ("wasm_fuel 1e9", "wasm_fuel 1000000000;"),
        ("timeout + fuel", "wasm_timeout 1s; wasm_fuel 1000000000;"),
        ("isolation request", "wasm_isolation request;"),
    ]
    for label, directives in variants:
        row = []
        for path, n in (("/fine", 2000), ("/work/100000", 200)):
            export = "fine" if path == "/fine" else "work"
            loc = f"location /{export if export == 'fine' else 'work'} {{ {directives} " \
                  f"content_by_wasm {guests}/limits.wasm {export}; }}"
            row.append(instr_per_request(nginx, module, engine, loc, path, n))
        print(f"{engine:18} {label:18} /fine {row[0]:10.0f} instr/req   "
              f"/work/100000 {row[1]:12.0f} instr/req")


def wall_time(nginx, module, guests, engine, n=20_000_000, rounds=5):
    variants = [
        ("no budget", ""),
        ("wasm_timeout 10s", "wasm_timeout 10s;"),
        ("wasm_fuel 1e12", "wasm_fuel 1000000000000;"),
        ("timeout + fuel", "wasm_timeout 10s; wasm_fuel 1000000000000;"),
    ]
    base = None
    for label, directives in variants:
        loc = f"location /work {{ {directives} content_by_wasm {guests}/limits.wasm work; }}"
        ng = Nginx(nginx, conf("{prefix}", module, engine, loc))
        try:
            curl_time(f"/work/{n}")
            times = []
            for _ in range(rounds):
                code, t = curl_time(f"/work/{n}")
                assert code == 200, (label, code)
                times.append(t * 1000)
        finally:
            ng.stop()
            ng.cleanup()
        med = statistics.median(times)
        base = base or med
        print(f"{engine:18} {label:18} /work/{n} {med:9.1f} ms median ({med / base:.2f}x)")


def cpu_ns(pid):
    with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
        return int(f.read().split()[0])


def worker_cpu_us(proc, path, n=20000):
    before = cpu_ns(proc.pid)
    r = subprocess.run(["ab", "-k", "-n", str(n), "-c", "1", f"http://127.0.0.1:{PORT}{path}"],
                       capture_output=True, text=True, check=True)
    assert "Non-2xx" not in r.stdout, r.stdout
    return (cpu_ns(proc.pid) - before) / n / 1000


def instantiate_cost(nginx, module, guests, engine):
    res = {}
    for iso in ("worker", "request"):
        for guest, export in (("limits.wasm", "fine"), ("hello_world.wasm", "on_content")):
            loc = (f"location /t {{ wasm_isolation {iso}; "
                   f"content_by_wasm {guests}/{guest} {export}; }}")
            ng = Nginx(nginx, conf("{prefix}", module, engine, loc))
            try:
                worker_cpu_us(ng.proc, "/t", 1000)
                res[(iso, guest)] = min(worker_cpu_us(ng.proc, "/t") for _ in range(3))
            finally:
                ng.stop()
                ng.cleanup()
    for guest in ("hello_world.wasm", "limits.wasm"):
        w, r = res[("worker", guest)], res[("request", guest)]
        print(f"{engine:18} {guest:17} worker {w:6.2f} us/req, request {r:6.2f} us/req "
              f"(worker CPU): an instance per request costs {r - w:6.2f} us")


def fuel_threshold(nginx, module, guests, engine):
    values = []
    v = 100_000
    while v < 50_000_000:
        values.append(v)
        v = int(v * 1.05)
    locs = "\n".join(
        f"location /f{v}/ {{ wasm_fuel {v}; content_by_wasm {guests}/limits.wasm work; }}"
        for v in values
    )
    ng = Nginx(nginx, conf("{prefix}", module, engine, locs))
    try:
        lo, hi = 0, len(values) - 1
        if curl_time(f"/f{values[hi]}/100000")[0] != 200:
            print(f"{engine:18} /work/100000 needs more than {values[hi]} fuel")
            return
        while lo < hi:
            mid = (lo + hi) // 2
            if curl_time(f"/f{values[mid]}/100000")[0] == 200:
                hi = mid
            else:
                lo = mid + 1
                # A success between failures keeps the module out of crash-loop backoff.
                curl_time(f"/f{values[-1]}/1")
        print(f"{engine:18} /work/100000 finishes with wasm_fuel {values[lo]} "
              f"(not with {values[lo - 1] if lo else 'less'})")
    finally:
        ng.stop()
        ng.cleanup()


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        sys.exit(2)
    nginx, module, guests = (os.path.abspath(a) for a in sys.argv[1:4])
    what = sys.argv[4] if len(sys.argv) > 4 else "all"
    engines = sys.argv[5:] or ENGINES
    for e in engines:
        if what in ("precision", "all"):
            precision(nginx, module, guests, e)
        if what in ("cost", "all"):
            cost(nginx, module, guests, e)
        if what in ("time", "all"):
            wall_time(nginx, module, guests, e)
        if what in ("instantiate", "all"):
            instantiate_cost(nginx, module, guests, e)
        if what in ("fuel", "all"):
            fuel_threshold(nginx, module, guests, e)


if __name__ == "__main__":
    main()
