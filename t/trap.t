# A failing guest gets a 500 for its request, a log line naming module, export and engine,
# and the worker keeps serving.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: unreachable: 500, logged, and the next request on the same worker succeeds
--- config
    location /trap {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm on_content;
    }
    location /hello {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request eval
["GET /trap", "GET /hello", "GET /trap", "GET /hello"]
--- error_code eval
[500, 200, 500, 200]
--- error_log
wasm guest trapped: wasm trap: wasm `unreachable` instruction executed
trap.wasm", export: "on_content", engine: 
phase: content



=== TEST 2: after a trap the module's instance is rebuilt and serves its other exports
--- config
    location /trap {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm on_content;
    }
    location /fine {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm fine;
    }
--- request eval
["GET /fine", "GET /trap", "GET /fine", "GET /trap", "GET /fine"]
--- error_code eval
[200, 500, 200, 500, 200]
--- response_body_like eval
["fine", "500", "fine", "500", "fine"]



=== TEST 3: nothing the guest wrote before trapping reaches the client
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm write_then_trap;
    }
--- request
GET /t
--- error_code: 500
--- response_body_like
500 Internal Server Error
--- error_log
export: "write_then_trap"



=== TEST 4: a pointer outside guest memory is a trap, not a crash
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm bad_pointer;
    }
--- request
GET /t
--- error_code: 500
--- error_log
host function ngx.resp_print: memory access out of bounds (ptr=2147418112, len=16



=== TEST 5: a pointer + length that overflows 32 bits is a trap
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm overflowing_length;
    }
--- request eval
["GET /t", "GET /t"]
--- error_code eval
[500, 500]
--- error_log
memory access out of bounds (ptr=4294967280, len=32



=== TEST 6: a trap in rewrite phase answers 500 without running the content handler
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/trap.wasm on_content;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- error_code: 500
--- response_body_like
500 Internal Server Error
--- error_log
phase: rewrite



=== TEST 7: integer division by zero
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm div_by_zero;
    }
    location /fine {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm fine;
    }
--- request eval
["GET /t", "GET /fine"]
--- error_code eval
[500, 200]
--- error_log
wasm guest trapped: wasm trap: integer divide by zero



=== TEST 8: out-of-bounds load and store
--- config
    location /load {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm oob_load;
    }
    location /store {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm oob_store;
    }
    location /fine {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm fine;
    }
--- request eval
["GET /load", "GET /store", "GET /fine"]
--- error_code eval
[500, 500, 200]
--- error_log
wasm trap: out of bounds memory access (module: 
export: "oob_load"
export: "oob_store"



=== TEST 9: unbounded recursion exhausts the guest stack, not the worker's
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm stack_overflow;
    }
    location /fine {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm fine;
    }
--- request eval
["GET /t", "GET /fine"]
--- error_code eval
[500, 200]
--- error_log
wasm trap: call stack exhausted



=== TEST 10: an indirect call with the wrong signature
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm bad_indirect_call;
    }
    location /fine {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm fine;
    }
--- request eval
["GET /t", "GET /fine"]
--- error_code eval
[500, 200]
--- error_log
wasm trap: indirect call type mismatch



=== TEST 11: a start function that traps: every request answered 500, with the trap on one line in the words of a call's, on every engine; the worker goes on
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/start_trap.wasm on_content;
    }
    location /ok {
        return 200 "ok\n";
    }
--- request eval
["GET /t", "GET /t", "GET /ok"]
--- error_code eval
[500, 500, 200]
--- error_log
wasm guest instantiation failed: wasm trap: wasm `unreachable` instruction executed (module: "
start_trap.wasm", export: "on_content", engine:
--- no_error_log
RuntimeError
