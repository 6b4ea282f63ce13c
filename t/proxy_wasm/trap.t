# A Proxy-Wasm filter that panics (guests/proxy-wasm/pw_trap): the SDK's panic hook logs the
# message through proxy_log, the instance traps; the host logs the callback that failed and
# answers 500 while it still can. The worker goes on serving.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: a panic in on_http_request_headers: 500, the message and the callback logged
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_trap.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- error_code: 500
--- response_body_like
500 Internal Server Error
--- error_log
pw_trap: boom in request_headers
proxy_on_request_headers



=== TEST 2: a panic in on_log: the response was already sent whole; the trap is logged
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_trap.wasm log;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- error_code: 200
--- response_body
hello
--- error_log
pw_trap: boom in log
proxy_on_log



=== TEST 3: a panic in on_http_response_headers: the header is not sent yet, so 500
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_trap.wasm response_headers;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- error_code: 500
--- error_log
pw_trap: boom in response_headers
proxy_on_response_headers



=== TEST 4: a panic in on_http_response_body: the response is cut short, the trap logged
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_trap.wasm response_body;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- ignore_response
--- error_log
pw_trap: boom in response_body
proxy_on_response_body



=== TEST 5: after a trap the worker serves other requests, and the rebuilt instance is configured again
--- config
    location /trap {
        proxy_wasm $TEST_NGINX_GUESTS/pw_trap.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
    location /late {
        proxy_wasm $TEST_NGINX_GUESTS/pw_trap.wasm log;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
    location /ok {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request eval
["GET /trap", "GET /ok", "GET /late", "GET /late", "GET /trap", "GET /ok"]
--- error_code eval
[500, 200, 200, 200, 500, 200]
--- error_log
pw_trap: boom in request_headers
pw_trap: boom in log
--- no_error_log
exited on signal



=== TEST 6: an unknown callback name is refused at configuration time
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_trap.wasm nowhere;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
pw_trap: unknown callback "nowhere"
refused its configuration
