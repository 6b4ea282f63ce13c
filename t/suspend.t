# Calls that wait: a guest suspends inside a host function (ngx_test.suspend), the worker
# goes back to its event loop, and the call resumes from a timer on a later turn and
# completes the request, in every phase where a call may wait and on every engine.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: a content handler waits for the next event loop turn and completes the request
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm yield_once;
    }
--- request
GET /t
--- response_body
before
after 42
--- no_error_log
[error]



=== TEST 2: while the call waits the worker runs its event loop (nginx's clock moves)
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm yield_waits;
    }
--- request
GET /t
--- response_body
5: the event loop ran
--- no_error_log
[error]



=== TEST 3: a call waits many times; every result comes back; the instance serves the next request
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm yield_loop;
    }
--- request eval
["GET /t?n=100", "GET /t?n=3"]
--- response_body eval
["100 waits, sum 4950\n", "3 waits, sum 3\n"]
--- no_error_log
[error]



=== TEST 4: output flushed before the wait has gone out; the rest follows after it
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm yield_streaming;
    }
--- request
GET /t
--- response_body
part 1
part 2
--- response_headers
Transfer-Encoding: chunked
--- no_error_log
[error]



=== TEST 5: a rewrite handler waits, then the request goes on to its content handler
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/suspend.wasm rewrite_yield;
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm show_waited;
    }
--- request
GET /t
--- response_body
ctx Some("7"), header Some("rewrite")
--- no_error_log
[error]



=== TEST 6: an access handler waits, then denies
--- config
    location /t {
        access_by_wasm $TEST_NGINX_GUESTS/suspend.wasm access_yield_deny;
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm show_waited;
    }
--- request
GET /t
--- error_code: 403
--- no_error_log
[error]



=== TEST 7: a server-rewrite handler waits, then the request goes on
--- config
    server_rewrite_by_wasm $TEST_NGINX_GUESTS/suspend.wasm rewrite_yield;
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm show_waited;
    }
--- request
GET /t
--- response_body
ctx Some("7"), header Some("rewrite")
--- no_error_log
[error]



=== TEST 8: where a call cannot wait (header and body filters, log, init_worker) suspend returns -3
--- http_config
    init_worker_by_wasm $TEST_NGINX_GUESTS/suspend.wasm try_yield;
--- config
    location /t {
        header_filter_by_wasm $TEST_NGINX_GUESTS/suspend.wasm try_yield;
        body_filter_by_wasm $TEST_NGINX_GUESTS/suspend.wasm try_yield;
        log_by_wasm $TEST_NGINX_GUESTS/suspend.wasm try_yield;
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm yield_once;
    }
--- request
GET /t
--- response_body
before
after 42
--- error_log
suspend in InitWorker returned -3
suspend in HeaderFilter returned -3
suspend in BodyFilter returned -3
suspend in Log returned -3
--- no_error_log
[error]



=== TEST 9: waiting is not charged to wasm_timeout; running after the wait is
--- config
    wasm_timeout 50ms;
    location /answer {
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm yield_then_answer;
    }
    location /spin {
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm yield_then_spin;
    }
--- request eval
["GET /answer?ms=150", "GET /spin", "GET /answer?ms=0"]
--- error_code eval
[200, 500, 200]
--- response_body_like eval
["done", "500 Internal Server Error", "done"]
--- error_log
wasm guest stopped: timeout 50ms exceeded (module: "
suspend.wasm", export: "yield_then_spin", engine: 



=== TEST 10: wasm_fuel spans the wait too
--- config
    wasm_fuel 100000;
    location /spin {
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm yield_then_spin;
    }
--- request
GET /spin
--- error_code: 500
--- error_log
wasm guest stopped: fuel 100000 exhausted (module: "



=== TEST 11: a trap after the wait answers 500, names module, export, engine and phase; the next request succeeds
--- config
    location /trap {
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm yield_then_trap;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm yield_once;
    }
--- request eval
["GET /trap", "GET /t"]
--- error_code eval
[500, 200]
--- response_body_like eval
["500 Internal Server Error", "before\nafter 42\n"]
--- error_log
wasm guest trapped: wasm trap: wasm `unreachable` instruction executed (module: "
suspend.wasm", export: "yield_then_trap", engine: 
phase: content



=== TEST 12: per-request isolation: the fresh instance is kept for the whole waiting call
--- config
    wasm_isolation request;
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm yield_loop;
    }
--- request
GET /t?n=20
--- response_body
20 waits, sum 190
--- no_error_log
[error]



=== TEST 13: the client goes away while the call waits: the call is cancelled and its instance dropped
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm yield_once;
    }
--- request
GET /t?ms=60000
--- timeout: 0.3
--- abort
--- ignore_response
--- wait: 0.2
--- error_log
client prematurely closed connection
wasm call cancelled while it waited: the client closed the connection (module: "
suspend.wasm", export: "yield_once", engine: 
phase: content
--- no_error_log
[error]



=== TEST 14: each number type crosses the boundary both ways
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/suspend.wasm mixed;
    }
--- request
GET /t
--- response_body
1099511627777.75
--- no_error_log
[error]
