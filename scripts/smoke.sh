#!/usr/bin/env bash
# `make smoke`: does the module build for this nginx and answer? Checks the configuration
# with `nginx -t`, starts nginx (master + 1 worker) with one wasm location, asks it over
# HTTP, and stops it. Exits non-zero, saying why, on any failure.
# Usage: smoke.sh NGINX_BIN MODULE_SO GUESTS_DIR RUN_DIR PORT
set -euo pipefail
nginx_bin=$1 module_so=$2 guests=$3 run_dir=$4 port=$5

rm -rf "$run_dir" && mkdir -p "$run_dir"/{conf,logs,tmp}
cat > "$run_dir/conf/nginx.conf" <<CONF
load_module $module_so;
worker_processes 1;
error_log logs/error.log notice;
pid logs/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $run_dir/tmp/client_body;
    proxy_temp_path $run_dir/tmp/proxy;
    fastcgi_temp_path $run_dir/tmp/fastcgi;
    uwsgi_temp_path $run_dir/tmp/uwsgi;
    scgi_temp_path $run_dir/tmp/scgi;
    server {
        listen 127.0.0.1:$port;
        location /hello { content_by_wasm $guests/hello_world.wasm on_content; }
    }
}
CONF
nginx=("$nginx_bin" -p "$run_dir" -c "$run_dir/conf/nginx.conf")
echo "smoke: $("$nginx_bin" -v 2>&1) with $module_so"
"${nginx[@]}" -t -q || { echo "smoke FAILED: nginx -t"; exit 1; }
"${nginx[@]}"
stop() { "${nginx[@]}" -s quit 2>/dev/null || true; }
trap stop EXIT
body=
for _ in $(seq 50); do
  body=$(curl -sS --max-time 2 "http://127.0.0.1:$port/hello" 2>/dev/null) && break
  sleep 0.1
done
if [ "$body" != "hello" ]; then
  echo "smoke FAILED: GET /hello answered '${body}' (expected 'hello'); error log:"
  tail -n 20 "$run_dir/logs/error.log"
  exit 1
fi
engine=$(grep -o 'ngx_wasm: engine [^,]*' "$run_dir/logs/error.log" | tail -n 1)
echo "smoke passed: GET /hello -> hello (${engine#ngx_wasm: })"
