#!/usr/bin/env python3
"""`make bench-ab`: an ApacheBench sweep against the wasm endpoints (and `return 200` for
reference) of nginx with ngx_wasm, outside valgrind. Reports requests/s, mean and p99 latency,
failed and non-2xx responses per endpoint and concurrency. Wall-clock figures on a shared
2-core machine are noisy: compare them with `return 200` measured in the same run."""

import argparse
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (same directory)


def endpoints(engine, guests):
    wasm = f"{guests}/bench.wasm"
    return [
        bench.return200(),
        bench.Endpoint("hello_worker", "content_by_wasm hello (worker)", "",
                       f"content_by_wasm {wasm} hello;", "hello\n", engine, "worker"),
        bench.Endpoint("hello_request", "content_by_wasm hello (request)", "",
                       f"wasm_isolation request; content_by_wasm {wasm} hello;", "hello\n",
                       engine, "request"),
        bench.Endpoint("heavy_worker", "content_by_wasm heavy (worker)", "",
                       f"content_by_wasm {wasm} heavy;", "abc 500500\n", engine, "worker"),
    ]


def run_ab(port, path, requests, concurrency):
    r = subprocess.run(["ab", "-q", "-k", "-r", "-n", str(requests), "-c", str(concurrency),
                        "-H", "X-Echo: abc", f"http://127.0.0.1:{port}{path}"],
                       capture_output=True, text=True)
    out = r.stdout
    if r.returncode != 0:
        raise SystemExit(f"ab failed on {path} -c {concurrency}:\n{out}\n{r.stderr}")

    def num(pattern, default=None):
        m = re.search(pattern, out, re.M)
        if not m:
            if default is not None:
                return default
            raise SystemExit(f"ab output without {pattern!r}:\n{out}")
        return float(m.group(1))

    return {
        "rps": num(r"^Requests per second:\s+([\d.]+)"),
        "mean_ms": num(r"^Time per request:\s+([\d.]+) \[ms\] \(mean\)$"),
        "p99_ms": num(r"^\s+99%\s+(\d+)"),
        "failed": int(num(r"^Failed requests:\s+(\d+)")),
        "non2xx": int(num(r"^Non-2xx responses:\s+(\d+)", 0)),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--nginx", default="/usr/sbin/nginx")
    p.add_argument("--module", required=True)
    p.add_argument("--guests", required=True)
    p.add_argument("--engine", default="wasmtime")
    p.add_argument("--port", type=int, default=18081)
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--concurrencies", default="10 100 500")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--work-dir", default="build/bench-ab")
    args = p.parse_args()
    mods = "/usr/lib/nginx/modules"
    args.load_modules = [f"{mods}/ndk_http_module.so", f"{mods}/ngx_http_lua_module.so",
                         f"{mods}/ngx_http_js_module.so", os.path.abspath(args.module)]
    guests = os.path.abspath(args.guests)
    run_dir = Path(os.path.abspath(args.work_dir))
    eps = endpoints(args.engine, guests)
    bench.prepare_run_dir(run_dir)
    bench.assign_paths(eps)
    conf = run_dir / "conf" / "nginx.conf"
    text = bench.nginx_conf(args, run_dir, f"wasm_engine {args.engine};", eps, master=True)
    conf.write_text(text.replace("worker_processes 1;", f"worker_processes {args.workers};"))

    # ab opens one socket per concurrent client.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    need = max(int(c) for c in args.concurrencies.split()) + 64
    if hard < need:
        raise SystemExit(f"open files limit {hard} is below {need}: lower the concurrency")

    subprocess.run([args.nginx, "-p", str(run_dir), "-c", str(conf)], check=True)
    pid_file = run_dir / "logs" / "nginx.pid"
    try:
        for _ in range(100):
            ss = subprocess.run(["ss", "-ltnH", f"sport = :{args.port}"],
                                capture_output=True, text=True)
            if ss.stdout.strip():
                break
            time.sleep(0.1)
        client = bench.Client(args.port)
        for e in eps:
            bench.check_answer(client, e)
        client.close()
        print(f"ab -k, {args.requests} requests per run, nginx with {args.workers} workers, "
              f"engine {args.engine}, 127.0.0.1:{args.port}")
        print()
        print("| endpoint | concurrency | req/s | mean ms | p99 ms | failed | non-2xx |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        bad = 0
        for c in args.concurrencies.split():
            for e in eps:
                r = run_ab(args.port, e.path, args.requests, int(c))
                bad += r["failed"] + r["non2xx"]
                print(f"| {e.label} | {c} | {r['rps']:,.0f} | {r['mean_ms']:.2f} | "
                      f"{r['p99_ms']:.0f} | {r['failed']} | {r['non2xx']} |", flush=True)
        if bad:
            raise SystemExit(f"{bad} failed or non-2xx responses")
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGQUIT)


if __name__ == "__main__":
    main()
