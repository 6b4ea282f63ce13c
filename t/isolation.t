# wasm_isolation: one instance per module per worker (state persists between requests), or
# a fresh instance for each request (no state survives).
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: worker isolation (the default): guest state persists between requests
--- config
    location /count {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm count;
    }
--- request eval
["GET /count", "GET /count", "GET /count"]
--- response_body eval
["count=1\n", "count=2\n", "count=3\n"]
--- no_error_log
[error]



=== TEST 2: request isolation: every request starts from a fresh instance
--- config
    location /count {
        wasm_isolation request;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm count;
    }
--- request eval
["GET /count", "GET /count", "GET /count"]
--- response_body eval
["count=1\n", "count=1\n", "count=1\n"]
--- no_error_log
[error]



=== TEST 3: both in one server: the worker instance keeps counting, request instances do not
--- config
    location /worker {
        wasm_isolation worker;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm count;
    }
    location /request {
        wasm_isolation request;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm count;
    }
--- request eval
["GET /worker", "GET /request", "GET /worker", "GET /request", "GET /worker"]
--- response_body eval
["count=1\n", "count=1\n", "count=2\n", "count=1\n", "count=3\n"]



=== TEST 4: isolation is inherited from http and server, and a location can override it
--- http_config
    wasm_isolation request;
--- config
    location /inherited {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm count;
    }
    location /overridden {
        wasm_isolation worker;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm count;
    }
--- request eval
["GET /inherited", "GET /inherited", "GET /overridden", "GET /overridden"]
--- response_body eval
["count=1\n", "count=1\n", "count=1\n", "count=2\n"]



=== TEST 5: request isolation with a large module (8 MiB of initial memory), many times
--- config
    location /t {
        wasm_isolation request;
        content_by_wasm $TEST_NGINX_GUESTS/memory.wasm touch_big;
    }
--- request eval
["GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t", "GET /t"]
--- response_body eval
["pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n", "pages>=128:true sum=261120\n"]
--- no_error_log
[error]



=== TEST 6: a trap in a request instance does not affect the next request
--- config
    wasm_isolation request;
    location /trap {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm on_content;
    }
    location /fine {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm fine;
    }
--- request eval
["GET /trap", "GET /fine", "GET /trap", "GET /fine"]
--- error_code eval
[500, 200, 500, 200]
--- error_log
wasm guest trapped: wasm trap: wasm `unreachable` instruction executed
