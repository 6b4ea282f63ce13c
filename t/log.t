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
