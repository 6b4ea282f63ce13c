# Budgets: wasm_timeout and wasm_fuel stop a guest that runs too long, the request gets 500
# (or wasm_budget_status), the log names module, export, engine and the limit, and the
# worker goes on serving. Crash-loop protection: summarised logs and backoff.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: an endless loop is stopped by wasm_timeout; the next request on the worker succeeds
--- config
    wasm_timeout 50ms;
    location /spin {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm spin;
    }
    location /fine {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm fine;
    }
--- request eval
["GET /spin", "GET /fine", "GET /spin", "GET /fine"]
--- error_code eval
[500, 200, 500, 200]
--- response_body_like eval
["500 Internal Server Error", "fine", "500 Internal Server Error", "fine"]
--- error_log
wasm guest stopped: timeout 50ms exceeded (module: "
limits.wasm", export: "spin", engine: 
phase: content



=== TEST 2: wasm_budget_status sets the status of a budget stop
--- config
    location /spin {
        wasm_timeout 20ms;
        wasm_budget_status 503;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm spin;
    }
--- request
GET /spin
--- error_code: 503
--- error_log
wasm guest stopped: timeout 20ms exceeded



=== TEST 3: the tightest loop (a branch to itself) is stopped too
--- config
    location /t {
        wasm_timeout 30ms;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm spin_tight;
    }
    location /fine {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm fine;
    }
--- request eval
["GET /t", "GET /fine"]
--- error_code eval
[500, 200]
--- error_log
timeout 30ms exceeded
export: "spin_tight"



=== TEST 4: a loop of host calls is stopped
--- config
    location /t {
        wasm_timeout 30ms;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm spin_host;
    }
--- request eval
["GET /t", "GET /t"]
--- error_code eval
[500, 500]
--- error_log
timeout 30ms exceeded
export: "spin_host"



=== TEST 5: wasm_fuel stops a guest that executes too many instructions
--- config
    location /work {
        wasm_fuel 100000;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm work;
    }
--- request eval
["GET /work/1000000", "GET /work/100", "GET /work/1000000"]
--- error_code eval
[500, 200, 500]
--- response_body_like eval
["500", "^work=100 sum=4950\n\$", "500"]
--- error_log
wasm guest stopped: fuel 100000 exhausted (module: "
export: "work"



=== TEST 6: handlers within their budgets are unaffected
--- config
    wasm_timeout 2s;
    wasm_fuel 10000000;
    location /work {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm work;
    }
    location /hello {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request eval
["GET /work/10000", "GET /hello", "GET /work/10000"]
--- response_body eval
["work=10000 sum=49995000\n", "hello\n", "work=10000 sum=49995000\n"]
--- no_error_log
[error]



=== TEST 7: budgets are inherited, and off in an inner block lifts them
--- config
    wasm_fuel 1000;
    location /limited {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm work;
    }
    location /free {
        wasm_fuel off;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm work;
    }
--- request eval
["GET /limited/100000", "GET /free/100000"]
--- error_code eval
[500, 200]
--- response_body_like eval
["500", "work=100000 sum=4999950000"]
--- error_log
fuel 1000 exhausted



=== TEST 8: a timeout in the rewrite phase
--- config
    location /t {
        wasm_timeout 30ms;
        rewrite_by_wasm $TEST_NGINX_GUESTS/limits.wasm spin;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- error_code: 500
--- error_log
timeout 30ms exceeded
phase: rewrite



=== TEST 9: per-request isolation: a stopped guest, then a fresh instance that answers
--- config
    wasm_isolation request;
    wasm_timeout 30ms;
    location /spin {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm spin;
    }
    location /fine {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm fine;
    }
--- request eval
["GET /spin", "GET /fine", "GET /spin", "GET /fine"]
--- error_code eval
[500, 200, 500, 200]



=== TEST 10: a module failing on every request: one full line, then one summary per interval
--- http_config
    wasm_trap_log_interval 1s;
--- config
    location /trap {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm on_content;
    }
--- request eval
["GET /trap", "GET /trap", "GET /trap", "GET /trap"]
--- error_code eval
[500, 500, 500, 500]
--- wait: 1.5
--- grep_error_log
wasm guest trapped:
--- grep_error_log_out
wasm guest trapped:
--- error_log
wasm guest trapped: wasm trap: wasm `unreachable` instruction executed (module: "
trap.wasm" failed 3 more times in the last 1s, not logged one by one (last: trapped: wasm trap: wasm `unreachable` instruction executed, export: "on_content", phase: content) (engine: 
--- no_error_log
logged as the worker exits



=== TEST 11: after the interval, the next failure is logged in full again
--- http_config
    wasm_trap_log_interval 200ms;
--- config
    wasm_timeout 300ms;
    location /trap {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm on_content;
    }
    location /delay {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm spin;
    }
--- request eval
["GET /trap", "GET /trap", "GET /delay", "GET /trap"]
--- error_code eval
[500, 500, 500, 500]
--- grep_error_log
wasm guest trapped:
--- grep_error_log_out
wasm guest trapped:
wasm guest trapped:
--- error_log
trap.wasm" failed 1 more time in the last 200ms



=== TEST 12: failures counted but not yet summarised are logged when the worker exits
--- config
    location /trap {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm on_content;
    }
--- request eval
["GET /trap", "GET /trap"]
--- error_code eval
[500, 500]
--- error_log
trap.wasm" failed 1 more time in the last
(logged as the worker exits), not logged one by one



=== TEST 13: an export failing on every call backs off at its 29th failure: 503 without running it, while another export of the same module answers; after the delay one request probes it, and its failure doubles the delay
--- config
    location /trap {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm on_content;
    }
    location /fine {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm fine;
    }
    location /delay {
        wasm_timeout 1100ms;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm spin;
    }
--- request eval
["GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /trap", "GET /fine", "GET /delay", "GET /trap", "GET /trap"]
--- error_code eval
[500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 503, 200, 500, 500, 503]
--- response_body_like eval
["500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "500", "503 Service", "fine", "500", "500", "503 Service"]
--- error_log
trap.wasm" export "on_content" is backing off: 29 of its 29 calls in the last 10s failed (at least 90%); not run for 1s, requests that need it are answered 503, then one request probes it
trap.wasm" export "on_content" is backing off: its probe failed; not run for 2s
trap.wasm" failed 29 more times
2 requests answered 503 while it backed off; backing off: "on_content" (next attempt after 2s)
--- no_error_log
export "fine" is backing off



=== TEST 14: an export failing on most calls but not nearly all (6 in 7, in runs longer than 5) is never refused
--- config
    location /flaky {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm flaky;
    }
--- request eval
["GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky?fail=1", "GET /flaky"]
--- error_code eval
[500, 500, 500, 500, 500, 500, 200, 500, 500, 500, 500, 500, 500, 200, 500, 500, 500, 500, 500, 500, 200, 500, 500, 500, 500, 500, 500, 200, 500, 500, 500, 500, 500, 500, 200]
--- no_error_log
is backing off
answered 503



=== TEST 15: a call nested in another (flush running the module's own body filter) keeps the outer timeout
--- config
    location /t {
        wasm_timeout 100ms;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm flush_then_spin;
        body_filter_by_wasm $TEST_NGINX_GUESTS/limits.wasm pass;
    }
    location /fine {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm fine;
    }
--- request eval
["GET /t HTTP/1.0", "GET /fine"]
--- response_body eval
["flushed\n", "fine\n"]
--- error_log
wasm guest stopped: timeout 100ms exceeded
export: "flush_then_spin"
--- timeout: 10



=== TEST 16: inside a log window, the first failure of each other export and kind is logged in full too; repeats are counted
--- config
    location /trap {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm on_content;
    }
    location /div {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm div_by_zero;
    }
--- request eval
["GET /trap", "GET /div", "GET /trap", "GET /div"]
--- error_code eval
[500, 500, 500, 500]
--- grep_error_log
wasm guest trapped:
--- grep_error_log_out
wasm guest trapped:
wasm guest trapped:
--- error_log
export: "on_content", engine:
export: "div_by_zero", engine:
trap.wasm" failed 2 more times



=== TEST 17: with no budget directive, a looping guest is stopped by the default wasm_timeout of 5s, and the worker goes on serving
--- config
    location /spin {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm spin;
    }
    location /fine {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm fine;
    }
--- request eval
["GET /spin", "GET /fine"]
--- error_code eval
[500, 200]
--- timeout: 15
--- error_log
wasm guest stopped: timeout 5s exceeded



=== TEST 18: a start function that never ends is stopped during instantiation (a fresh instance per request): 500, and the worker goes on serving
--- config
    location /t {
        wasm_timeout 200ms;
        wasm_isolation request;
        content_by_wasm $TEST_NGINX_GUESTS/start_loop.wasm on_content;
    }
    location /ok {
        return 200 "ok\n";
    }
--- request eval
["GET /t", "GET /ok"]
--- error_code eval
[500, 200]
--- timeout: 10
--- error_log
start_loop.wasm", export: "on_content"
