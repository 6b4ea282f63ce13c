# content_by_wasm: answering from a guest, in location, server and http, with inheritance.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: content_by_wasm in a location writes the body
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- response_body
hello
--- response_headers
Content-Length: 6
Content-Type: text/plain
--- no_error_log
[error]



=== TEST 2: content_by_wasm at server level is inherited by locations
--- config
    content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    location /a {
    }
--- request
GET /a/anything
--- response_body
hello
--- no_error_log
[error]



=== TEST 3: content_by_wasm at http level is inherited down to locations
--- http_config
    content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
--- config
    location /b {
    }
--- request
GET /b
--- response_body
hello



=== TEST 4: a location's own content_by_wasm replaces the inherited one
--- config
    content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    location /echo {
        content_by_wasm $TEST_NGINX_GUESTS/echo.wasm on_content;
    }
--- request eval
["GET /echo", "GET /other"]
--- response_body eval
["uri=/echo\nx-echo=(none)\n", "hello\n"]



=== TEST 5: the guest reads the URI and a request header
--- config
    location /echo {
        content_by_wasm $TEST_NGINX_GUESTS/echo.wasm on_content;
    }
--- request
GET /echo/some%20path?a=1
--- more_headers
X-Echo: hello from the client
--- response_body
uri=/echo/some path
x-echo=hello from the client



=== TEST 6: a location with its own content handler is not taken over
--- config
    content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    location /static {
        return 200 "from return\n";
    }
--- request
GET /static
--- response_body
from return



=== TEST 7: the same module in several directives is compiled once
--- config
    location /a {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
    location /b {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /b
--- response_body
hello
--- error_log
1 module(s)



=== TEST 8: a request body is read and discarded before the guest answers
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
POST /t
--- request_body
some body the guest does not read
--- response_body
hello



=== TEST 9: HEAD gets the headers only
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
HEAD /t
--- response_headers
Content-Length: 6
--- response_body
