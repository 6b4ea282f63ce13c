# proxy_wasm: a Proxy-Wasm filter built with the Rust SDK (guests/proxy-wasm/pw_hello) answers
# every request itself from on_http_request_headers (send_http_response, then Pause); nginx's
# content handler does not run.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: the filter answers with its status, header and body; the content handler does not run
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_hello.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- error_code: 200
--- response_headers
x-powered-by: ngx_wasm
--- response_body
hello from proxy-wasm
--- no_error_log
[error]
[crit]



=== TEST 2: many requests on one worker: each gets its own HTTP context and the same answer
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_hello.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request eval
["GET /t", "GET /t?a=1", "GET /t", "GET /t?b=2"]
--- error_code eval
[200, 200, 200, 200]
--- response_body eval
["hello from proxy-wasm\n", "hello from proxy-wasm\n", "hello from proxy-wasm\n", "hello from proxy-wasm\n"]
--- no_error_log
[error]



=== TEST 3: a filter set at the http or server level is inherited by locations without their own
--- http_config
    proxy_wasm $TEST_NGINX_GUESTS/pw_hello.wasm;
--- config
    location /a {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
    location /b {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request eval
["GET /a", "GET /b"]
--- response_body eval
["hello from proxy-wasm\n", "hello from proxy-wasm\n"]
--- response_headers
x-powered-by: ngx_wasm



=== TEST 4: only the location with the filter is answered by it
--- config
    location /filtered {
        proxy_wasm $TEST_NGINX_GUESTS/pw_hello.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
    location /plain {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request eval
["GET /plain", "GET /filtered", "GET /plain"]
--- response_body eval
["hello\n", "hello from proxy-wasm\n", "hello\n"]



=== TEST 5: a request body the filter never reads is discarded; the answer is the filter's
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_hello.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
POST /t
some request body nobody reads
--- error_code: 200
--- response_body
hello from proxy-wasm
--- no_error_log
[error]
