# proxy_wasm response bodies (guests/proxy-wasm/pw_body): Content-Length is removed in
# on_http_response_headers, then every chunk is read and replaced by its upper-cased bytes in
# on_http_response_body, chunk by chunk, without buffering.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: a proxied response is upper-cased; Content-Length is gone
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_body.wasm;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/up;
    }
    location /up {
        return 200 "upstream says hi\n";
    }
--- request
GET /t
--- response_headers
!Content-Length
--- response_body
UPSTREAM SAYS HI
--- no_error_log
[error]



=== TEST 2: each flushed chunk of a streamed response passes through the filter
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_body.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: say first|flush|say second|flush|print third
--- response_headers
Transfer-Encoding: chunked
--- response_body chomp
FIRST
SECOND
THIRD
--- no_error_log
[error]



=== TEST 3: a static file is filtered too
--- user_files
>>> page.txt
a static page
--- config
    location /page.txt {
        proxy_wasm $TEST_NGINX_GUESTS/pw_body.wasm;
    }
--- request
GET /page.txt
--- response_headers
!Content-Length
--- response_body
A STATIC PAGE
--- no_error_log
[error]



=== TEST 4: a response without a body (HEAD) goes through without a body callback failing
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_body.wasm;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/up;
    }
    location /up {
        return 200 "upstream says hi\n";
    }
--- request
HEAD /t
--- response_body chomp

--- no_error_log
[error]
