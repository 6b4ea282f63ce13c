#!/usr/bin/env bash
# Checks that nginx with the module survives `nginx -s reload` on each engine, in the real
# process model (daemon, master + worker): the master must recompile the modules and start
# a new worker that answers. Engines that compile on a thread pool made before nginx forks
# would hang the master here.
# Usage: reload-check.sh NGINX_BIN MODULE_SO GUESTS_DIR WORK_DIR PORT ENGINE...
set -uo pipefail
nginx_bin=$1 module_so=$2 guests=$3 work=$4 port=$5
shift 5
failed=0
for engine in "$@"; do
  run="$work/reload-$engine"
  rm -rf "$run"
  if ! WASM_ENGINE=$engine "$(dirname "$0")/start.sh" "$nginx_bin" "$module_so" "$guests" "$run" "$port" >/dev/null; then
    echo "not ok - reload on $engine: nginx did not start"; failed=1; continue
  fi
  master=$(cat "$run/logs/nginx.pid")
  ok=1
  for i in 1 2; do
    before=$(pgrep -P "$master" | sort | tr '\n' ' ')
    "$nginx_bin" -p "$run" -c conf/nginx.conf -s reload
    new=""
    # The master compiles every module again before it forks: with the Go ports (2-4.5 MB
    # each) that takes ~9 s on wasmtime and wasmer, so the bound is 60 s, not 10.
    for _ in $(seq 600); do
      now=$(pgrep -P "$master" | sort | tr '\n' ' ')
      for pid in $now; do case " $before " in *" $pid "*) ;; *) new=$pid ;; esac; done
      [ -n "$new" ] && break
      sleep 0.1
    done
    if [ -z "$new" ]; then echo "not ok - reload $i on $engine: no new worker within 60 s (master stuck?)"; ok=0; break; fi
  done
  # /hello runs under a timeout (the worker's epoch ticker or watchdog thread), /fresh on a
  # per-request instance (wasmtime's pool): both are made in the new worker, after fork.
  for path in /hello /fresh; do
    body=$(curl -s -m 5 "http://127.0.0.1:$port$path")
    [ "$body" = "hello" ] || { echo "not ok - reload on $engine: $path answered '$body'"; ok=0; }
  done
  children=$(pgrep -P "$master")
  kill -QUIT "$master" 2>/dev/null; sleep 0.3
  kill -9 "$master" $children 2>/dev/null
  if [ $ok = 1 ]; then echo "ok - nginx -s reload twice on $engine, new worker answers"; else failed=1; grep -E 'emerg|alert|crit' "$run/logs/error.log" | tail -3; fi
done
exit $failed
