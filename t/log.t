# Logging from guests, and host functions refusing bad arguments with status codes.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: a guest logs at error level in the request's log context
--- http_config
    wasm_rewrite_no_postpone on;
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/phases.wasm log_error;
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body
ok
--- error_log
[error]
[wasm] guest says hi
request: "GET /t HTTP/1.1"



=== TEST 2: invalid arguments are refused with status codes, not traps
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/phases.wasm bad_arguments;
    }
--- request
GET /t
--- response_body
status=Err(BadArgument) header=Err(BadArgument) level=-2
--- no_error_log
[error]



=== TEST 3: the engine is logged when a worker starts
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- error_log
[notice]
ngx_wasm: engine



=== TEST 4: a request's guests may log 1,000 lines; then one warning, and log returns -3 (the next request starts afresh)
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm log_flood;
    }
--- request eval
["GET /t?n=1500", "GET /t?n=10"]
--- response_body eval
["accepted 1000, refused 500\n", "accepted 10, refused 0\n"]
--- error_log
[wasm] flood line 999
log limit reached: this request's guests logged 1000 lines or 1024 KiB; further lines are dropped
--- no_error_log
[wasm] flood line 1000
