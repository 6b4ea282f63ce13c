# Several proxy_wasm directives in one block form a chain, run in directive order; a filter that
# answers (send_http_response + Pause) stops the chain's request-headers step. A block with
# proxy_wasm lines of its own replaces the chain it would inherit.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: pw_headers runs, then pw_hello answers
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_headers.wasm;
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
--- error_log
pw_headers: GET /t localhost
--- no_error_log
[error]



=== TEST 2: the other order: pw_hello answers first, pw_headers' request callback does not run
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_hello.wasm;
        proxy_wasm $TEST_NGINX_GUESTS/pw_headers.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- response_body
hello from proxy-wasm
--- no_error_log
pw_headers: GET
[error]



=== TEST 3: a location with its own proxy_wasm replaces the server's chain; others inherit it
--- config
    proxy_wasm $TEST_NGINX_GUESTS/pw_hello.wasm;

    location /own {
        proxy_wasm $TEST_NGINX_GUESTS/pw_lifecycle.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
    location /inherit {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request eval
["GET /own", "GET /inherit", "GET /own"]
--- response_body eval
["hello\n", "hello from proxy-wasm\n", "hello\n"]
--- grep_error_log
pw_lifecycle: request_headers
--- grep_error_log_out
pw_lifecycle: request_headers
pw_lifecycle: request_headers



=== TEST 4: headers and body filters compose on one proxied response
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_headers.wasm;
        proxy_wasm $TEST_NGINX_GUESTS/pw_body.wasm;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/up;
    }
    location /up {
        add_header x-upstream orig;
        add_header x-drop 1;
        return 200 "x-added=$http_x_added\n";
    }
--- request
GET /t
--- response_headers
x-filter: pw_headers
x-upstream: replaced
!x-drop
!Content-Length
--- response_body
X-ADDED=YES
--- no_error_log
[error]



=== TEST 5: one module twice in a chain: two plugins, each with its configuration, both run
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_lifecycle.wasm one;
        proxy_wasm $TEST_NGINX_GUESTS/pw_lifecycle.wasm two;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- response_body
hello
--- error_log
pw_lifecycle: on_configure one
pw_lifecycle: on_configure two
--- grep_error_log
pw_lifecycle: log
--- grep_error_log_out
pw_lifecycle: log
pw_lifecycle: log



=== TEST 6: the answer a filter sent passes the header filter: the chain's response callbacks see it
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_headers.wasm;
        proxy_wasm $TEST_NGINX_GUESTS/pw_hello.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- response_headers
x-powered-by: ngx_wasm
x-filter: pw_headers
x-status: 200
--- response_body
hello from proxy-wasm
