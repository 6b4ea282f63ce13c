# rewrite_by_wasm and server_rewrite_by_wasm: answering, continuing, and several handlers.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: rewrite_by_wasm answers when the guest sets a status and a body
--- http_config
    wasm_rewrite_no_postpone on;
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/phases.wasm deny_unless_allowed;
        return 200 "passed\n";
    }
--- request
GET /t
--- error_code: 403
--- response_body
denied
--- no_error_log
[error]



=== TEST 2: rewrite_by_wasm continues when the guest produces no response
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/phases.wasm deny_unless_allowed;
        return 200 "passed\n";
    }
--- request
GET /t
--- more_headers
X-Allow: yes
--- response_body
passed



=== TEST 3: headers set by a continuing rewrite handler reach the final response
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/phases.wasm mark_rewrite;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- response_headers
X-Wasm-Rewrite: 1
--- response_body
hello



=== TEST 4: a status without a body gets nginx's own answer for it
--- http_config
    wasm_rewrite_no_postpone on;
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/phases.wasm status_only;
        return 200 "not reached\n";
    }
--- request
GET /t
--- error_code: 204
--- response_body



=== TEST 5: server_rewrite_by_wasm answers before any location is chosen
--- config
    server_rewrite_by_wasm $TEST_NGINX_GUESTS/phases.wasm deny_unless_allowed;
    location /t {
        return 200 "passed\n";
    }
--- request
GET /t
--- error_code: 403
--- response_body
denied



=== TEST 6: server_rewrite_by_wasm at http level is inherited by servers and continues
--- http_config
    server_rewrite_by_wasm $TEST_NGINX_GUESTS/phases.wasm mark_server_rewrite;
--- config
    location /t {
        return 200 "passed\n";
    }
--- request
GET /t
--- response_headers
X-Wasm-Server-Rewrite: 1
--- response_body
passed



=== TEST 7: three handlers in one request: server rewrite, rewrite, content
--- config
    server_rewrite_by_wasm $TEST_NGINX_GUESTS/phases.wasm mark_server_rewrite;
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/phases.wasm mark_rewrite;
        content_by_wasm $TEST_NGINX_GUESTS/echo.wasm on_content;
    }
--- request
GET /t
--- more_headers
X-Echo: 3
--- response_headers
X-Wasm-Server-Rewrite: 1
X-Wasm-Rewrite: 1
--- response_body
uri=/t
x-echo=3



=== TEST 8: rewrite_by_wasm at server level is inherited; a location may replace it
--- http_config
    wasm_rewrite_no_postpone on;
--- config
    rewrite_by_wasm $TEST_NGINX_GUESTS/phases.wasm deny_unless_allowed;
    location /inherits {
        return 200 "passed\n";
    }
    location /replaces {
        rewrite_by_wasm $TEST_NGINX_GUESTS/phases.wasm mark_rewrite;
        return 200 "passed\n";
    }
--- request eval
["GET /inherits", "GET /replaces"]
--- error_code eval
[403, 200]
--- response_body eval
["denied\n", "passed\n"]
