# Response headers set by guests.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: Content-Type, replacing and removing headers; Content-Length stays nginx's
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/phases.wasm headers_demo;
    }
--- request
GET /t
--- response_headers
Content-Type: application/json
X-Replaced: second
!X-Removed
Content-Length: 37
--- response_body
{"content_length":"Err(NotAllowed)"}
--- no_error_log
[error]



=== TEST 2: a request header that is absent reads as absent
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/echo.wasm on_content;
    }
--- request
GET /t
--- response_body
uri=/t
x-echo=(none)



=== TEST 3: request header names match case-insensitively
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/echo.wasm on_content;
    }
--- request
GET /t
--- more_headers
x-ECHO: MiXeD
--- response_body
uri=/t
x-echo=MiXeD
