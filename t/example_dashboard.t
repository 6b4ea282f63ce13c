# guests/examples/dashboard: one answer from two backend calls made in parallel
# (ngx.location.capture_multi) through proxy_pass.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: both backends answer: their bodies are combined into one JSON document
--- config
    location /backend/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream/;
    }
    location /upstream/user {
        default_type application/json;
        return 200 '{"id":"$arg_id","name":"Ada"}\n';
    }
    location /upstream/orders {
        default_type application/json;
        return 200 '[{"user":"$arg_user","total":42}]';
    }
    location /dashboard {
        content_by_wasm $TEST_NGINX_GUESTS/dashboard.wasm dashboard;
    }
--- request
GET /dashboard?id=u7
--- response_headers
Content-Type: application/json
--- response_body
{"user":{"id":"u7","name":"Ada"},"orders":[{"user":"u7","total":42}]}
--- no_error_log
[error]



=== TEST 2: a backend failing answers 502, logged; a bad id 400, without any backend call
--- config
    location /backend/ {
        internal;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream/;
    }
    location /upstream/user {
        return 200 '{"id":"$arg_id"}';
    }
    location /upstream/orders {
        return 503;
    }
    location /dashboard {
        content_by_wasm $TEST_NGINX_GUESTS/dashboard.wasm dashboard;
    }
--- request eval
["GET /dashboard?id=u7", "GET /dashboard?id=..%2F"]
--- error_code eval
[502, 400]
--- error_log
dashboard: backend answered 200 and 503
