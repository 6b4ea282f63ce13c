#!/usr/bin/env bash
# Starts nginx for `make start`: /hello answered by a wasm guest, /health by nginx itself.
# Usage: start.sh NGINX_BIN MODULE_SO GUESTS_DIR RUN_DIR PORT
# WASM_ENGINE=<name> in the environment adds `wasm_engine <name>;`.
set -euo pipefail
nginx_bin=$1 module_so=$2 guests=$3 run_dir=$4 port=$5

mkdir -p "$run_dir"/{conf,logs,tmp}
if [ -f "$run_dir/logs/nginx.pid" ] && kill -0 "$(cat "$run_dir/logs/nginx.pid")" 2>/dev/null; then
  echo "nginx is already running (pid $(cat "$run_dir/logs/nginx.pid")); make stop first"
  exit 1
fi
# The same four ports in every other guest language built (issue 15): /as/..., /go/...,
# /zig/...
ports=""
for lang in as go zig; do
  [ -f "$guests/${lang}_routing.wasm" ] || continue
  ports+="
        location /$lang/api {
            rewrite_by_wasm $guests/${lang}_routing.wasm route;
        }
        location /$lang/private {
            set \$api_key \"s3cret\";
            access_by_wasm $guests/${lang}_api_key.wasm check;
            content_by_wasm $guests/hello_world.wasm on_content;
        }
        location /$lang/info {
            content_by_wasm $guests/${lang}_json_info.wasm info;
        }
        location /$lang/page {
            body_filter_by_wasm $guests/${lang}_body_rewrite.wasm rewrite;
            return 200 \"powered by nginx\\n\";
        }"
done

cat > "$run_dir/conf/nginx.conf" <<CONF
load_module $module_so;
worker_processes 1;
error_log logs/error.log notice;
pid logs/nginx.pid;

events {
    worker_connections 1024;
}

http {
    access_log logs/access.log;
    default_type text/plain;
    wasm_shared_dict limits 1m;
    wasm_shared_dict cache 10m;
    ${WASM_ENGINE:+wasm_engine $WASM_ENGINE;}
    client_body_temp_path $run_dir/tmp/client_body;
    proxy_temp_path $run_dir/tmp/proxy;
    fastcgi_temp_path $run_dir/tmp/fastcgi;
    uwsgi_temp_path $run_dir/tmp/uwsgi;
    scgi_temp_path $run_dir/tmp/scgi;

    server {
        listen 127.0.0.1:$port;

        # Budgets (docs/safety.md): a guest call may run 1 s and its instance hold 64 MiB.
        wasm_timeout 1s;
        wasm_max_memory 64m;

        location = /health {
            return 200 "ok\n";
        }

        location /hello {
            content_by_wasm $guests/hello_world.wasm on_content;
        }

        # The same guest on a fresh instance for every request.
        location /fresh {
            wasm_isolation request;
            content_by_wasm $guests/hello_world.wasm on_content;
        }

        location /echo {
            rewrite_by_wasm $guests/phases.wasm mark_rewrite;
            content_by_wasm $guests/echo.wasm on_content;
        }

        # guests/examples: ports of common OpenResty snippets
        location /api {
            rewrite_by_wasm $guests/routing.wasm route;
        }
        location /internal/v1 {
            internal;
            return 200 "v1 \$uri \$args\n";
        }
        location /internal/v2 {
            internal;
            return 200 "v2 \$uri \$args\n";
        }
        location /private {
            set \$api_key "s3cret";
            access_by_wasm $guests/api_key.wasm check;
            content_by_wasm $guests/hello_world.wasm on_content;
        }
        location /info {
            content_by_wasm $guests/json_info.wasm info;
        }
        location /page {
            body_filter_by_wasm $guests/body_rewrite.wasm rewrite;
            return 200 "powered by nginx\n";
        }
$ports
        location /c-hello {
            content_by_wasm $guests/hello_c.wasm on_content;
        }
        location /greet {
            set \$users_port $port;
            content_by_wasm $guests/user_greeting.wasm greet;
        }
        location /users/ {
            default_type application/json;
            return 200 '{"id":"7","name":"Ada Lovelace"}';
        }
        # 5 requests per second and client, shared by every worker.
        location /limited {
            set \$rate_limit 5;
            set \$rate_window_ms 1000;
            access_by_wasm $guests/rate_limit.wasm limit;
            content_by_wasm $guests/hello_world.wasm on_content;
        }
        # Answers of /origin/ cached for 10 s, shared by every worker (X-Cache: HIT/MISS).
        location /cached/ {
            set \$cache_ttl_ms 10000;
            content_by_wasm $guests/cache.wasm cached;
        }
        location /origin/ {
            internal;
            return 200 "origin answer made at \$time_iso8601\n";
        }
        location /dashboard {
            content_by_wasm $guests/dashboard.wasm dashboard;
        }
        location /backend/ {
            internal;
            proxy_pass http://127.0.0.1:$port/upstream/;
        }
        location /upstream/user {
            default_type application/json;
            return 200 '{"id":"\$arg_id","name":"Ada"}';
        }
        location /upstream/orders {
            default_type application/json;
            return 200 '[{"user":"\$arg_user","total":42}]';
        }
    }
}
CONF
"$nginx_bin" -p "$run_dir" -c conf/nginx.conf -t -q
"$nginx_bin" -p "$run_dir" -c conf/nginx.conf
for _ in $(seq 100); do
  if curl -sf "http://127.0.0.1:$port/health" >/dev/null; then
    echo "nginx is serving on http://127.0.0.1:$port (config: $run_dir/conf/nginx.conf)"
    echo "  curl http://127.0.0.1:$port/hello"
    echo "  curl -H 'X-Echo: hi' http://127.0.0.1:$port/echo/path"
    echo "  examples: see README (curl .../api/x -H 'X-Version: v2', .../private, .../info?name=x, .../page, .../c-hello, .../dashboard?id=u7, .../greet?id=7, .../limited, .../cached/x)"
    echo "  the same ports in AssemblyScript, Go and Zig: .../as/info?name=x, .../go/api/x, .../zig/page"
    exit 0
  fi
  sleep 0.1
done
echo "nginx did not answer on port $port; see $run_dir/logs/error.log" >&2
exit 1
