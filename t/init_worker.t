# init_worker_by_wasm: once per worker at start, without a request.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: runs at worker start; only logging, time and phase are available
--- http_config
    init_worker_by_wasm $TEST_NGINX_GUESTS/api.wasm init_worker;
--- config
    location /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- error_log
op phase -> 11 "init_worker"
op now -> 0 "sane"
[wasm] init_worker ran
op uri -> -3 ""
op header -> -3 ""
op ctx_set -> -3



=== TEST 2: a trap at worker start is logged and the worker serves
--- http_config
    init_worker_by_wasm $TEST_NGINX_GUESTS/trap.wasm on_content;
--- config
    location /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- error_log
wasm guest trapped: wasm trap: wasm `unreachable` instruction executed
phase: init_worker



=== TEST 3: only in the http block
--- config
    location /t {
        init_worker_by_wasm $TEST_NGINX_GUESTS/api.wasm init_worker;
    }
--- must_die
--- error_log
"init_worker_by_wasm" directive is not allowed here
