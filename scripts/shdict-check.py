#!/usr/bin/env python3
"""Shared dictionaries and timers across workers and reloads, in nginx's real process model.

Starts nginx (daemon, master + 4 workers, `reuseport` so connections spread over the
workers) with a `wasm_shared_dict`, sends REQUESTS requests (default 100,000) over 16
keep-alive connections, each doing `incr("hits", 1)`, and checks that
  * the final count is exactly the number of requests (every incr atomic across workers),
  * more than one worker answered (the count is shared, not per worker), each with a
    worker id (`worker_id`) from 0 to 3,
  * the count survives `nginx -s reload` (the zone is kept when name and size are unchanged),
    and a reload that changes the zone's size starts it empty (a new zone, as for
    lua_shared_dict),
  * at that reload, each old worker runs its pending timers at once (a `timer_every` and a
    `timer_at` a minute away, added by init_worker) with `worker_exiting` true, lets the
    one that sleeps finish, does not re-add the repeating one, and exits: the dictionary
    then counts exactly one run of each per old worker.

Usage: shdict-check.py NGINX_BIN MODULE_SO GUESTS_DIR WORK_DIR PORT ENGINE [REQUESTS]
"""

import http.client
import os
import shutil
import subprocess
import sys
import threading
import time

CONNECTIONS = 16


def conf(module_so, guests, engine, port, counters_size="1m"):
    return f"""load_module {module_so};
worker_processes 4;
error_log logs/error.log notice;
pid logs/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    wasm_engine {engine};
    wasm_shared_dict counters {counters_size};
    wasm_shared_dict timers 1m;
    init_worker_by_wasm {guests}/timer.wasm init_shutdown;
    server {{
        listen 127.0.0.1:{port} reuseport;
        location /incr {{ content_by_wasm {guests}/shdict.wasm incr_hits; }}
        location /get {{ content_by_wasm {guests}/shdict.wasm show_hits; }}
        location /timer {{ content_by_wasm {guests}/timer.wasm show; }}
    }}
}}
"""


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path)
    body = c.getresponse().read().decode()
    c.close()
    return body.strip()


def load(port, n, pids, errors):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for _ in range(n):
            c.request("GET", "/incr")
            r = c.getresponse()
            body = r.read().decode().split()
            if r.status != 200 or len(body) != 2:
                errors.append(f"{r.status} {body}")
                return
            pids.add(body[1])
        c.close()
    except Exception as e:  # a failed request is a failed check, reported below
        errors.append(repr(e))


def workers(master):
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return set(out.stdout.split())


def reload(base, master):
    """`nginx -s reload`, then waits (10 s at most) until no old worker is left: (seconds
    taken, the workers now, the workers before)."""
    before = workers(master)
    subprocess.run(base + ["-s", "reload"], check=True)
    started = time.time()
    now = before
    for _ in range(100):
        now = workers(master)
        if now and not (now & before):
            break
        time.sleep(0.1)
    return time.time() - started, now, before


def main():
    nginx, module_so, guests, work, port, engine = sys.argv[1:7]
    port = int(port)
    total = int(sys.argv[7]) if len(sys.argv) > 7 else 100_000
    run = os.path.join(work, f"shdict-{engine}")
    shutil.rmtree(run, ignore_errors=True)
    os.makedirs(os.path.join(run, "conf"))
    os.makedirs(os.path.join(run, "logs"))
    with open(os.path.join(run, "conf", "nginx.conf"), "w") as f:
        f.write(conf(module_so, guests, engine, port))
    base = [nginx, "-p", run, "-c", "conf/nginx.conf"]
    subprocess.run(base, check=True)
    pidfile = os.path.join(run, "logs", "nginx.pid")
    ok = True
    try:
        for _ in range(100):
            try:
                if get(port, "/get") == "Ok(None)":
                    break
            except OSError:
                pass
            time.sleep(0.1)
        master = int(open(pidfile).read())
        per = total // CONNECTIONS
        pids, errors = set(), []
        start = time.time()
        threads = [
            threading.Thread(target=load, args=(port, per + (1 if i < total % CONNECTIONS else 0), pids, errors))
            for i in range(CONNECTIONS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.time() - start
        count = get(port, "/get")
        if errors:
            print(f"not ok - shdict on {engine}: {len(errors)} failed connections, first: {errors[0]}")
            ok = False
        if count != str(total):
            print(f"not ok - shdict on {engine}: {total} incr from 16 connections gave {count}")
            ok = False
        if len(pids) < 2:
            print(f"not ok - shdict on {engine}: only workers {sorted(pids)} answered")
            ok = False
        if not pids <= {"0", "1", "2", "3"}:
            print(f"not ok - shdict on {engine}: worker ids {sorted(pids)} are not 0 to 3")
            ok = False
        if ok:
            print(f"ok - shdict on {engine}: {total} incr over {len(pids)} workers (ids {','.join(sorted(pids))}), count exact ({took:.1f} s)")
        gone, now, before = reload(base, master)
        if now & before:
            print(f"not ok - timers on {engine}: old workers still running {gone:.1f} s after nginx -s reload")
            ok = False
        runs = [get(port, f"/timer?k={k}") for k in ("shutdown", "200:shutdown")]
        want = ["shutdown: Some(Number(4.0))", "200:shutdown: Some(Number(4.0))"]
        log = open(os.path.join(run, "logs", "error.log"), errors="replace").read()
        exiting = sum(1 for line in log.splitlines() if "tick shutdown run Ok(" in line and "exiting true" in line)
        if runs != want or exiting != 4:
            print(f"not ok - timers on {engine}: at reload the old workers' pending timers gave {runs}, {exiting} runs with worker_exiting true (want {want}, 4)")
            ok = False
        else:
            print(f"ok - timers on {engine}: 4 old workers ran their pending timers at reload with worker_exiting true and exited in {gone:.1f} s")
        after = get(port, "/get")
        if after != str(total):
            print(f"not ok - shdict on {engine}: after nginx -s reload the count is {after}")
            ok = False
        else:
            print(f"ok - shdict on {engine}: the count survives nginx -s reload")
        with open(os.path.join(run, "conf", "nginx.conf"), "w") as f:
            f.write(conf(module_so, guests, engine, port, counters_size="2m"))
        _, now, before = reload(base, master)
        resized = get(port, "/get")
        if now & before or resized != "Ok(None)":
            print(f"not ok - shdict on {engine}: after a reload that resizes the zone the count is {resized}")
            ok = False
        else:
            print(f"ok - shdict on {engine}: a reload that changes the zone's size starts it empty")
    finally:
        try:
            master = int(open(pidfile).read())
            os.kill(master, 3)
            time.sleep(0.5)
        except (OSError, ValueError):
            pass
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
