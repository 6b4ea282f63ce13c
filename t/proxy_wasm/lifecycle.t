# The Proxy-Wasm callbacks and their order (guests/proxy-wasm/pw_lifecycle): the root context's
# on_vm_start and on_configure (with the configuration string) before the first request, then
# per request a new HTTP context: created, request headers, response headers, log, done.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: every callback of one request, and the root context's before it
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_lifecycle.wasm "first config";
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- response_body
hello
--- error_log
pw_lifecycle: on_vm_start
pw_lifecycle: on_configure first config
pw_lifecycle: context
created
pw_lifecycle: request_headers
pw_lifecycle: response_headers
pw_lifecycle: log
pw_lifecycle: done
--- no_error_log
[error]
[crit]



=== TEST 2: one HTTP context per request, each done once
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_lifecycle.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["hello\n", "hello\n", "hello\n"]
--- grep_error_log
pw_lifecycle: request_headers
--- grep_error_log_out
pw_lifecycle: request_headers
pw_lifecycle: request_headers
pw_lifecycle: request_headers
--- error_log
pw_lifecycle: done
--- no_error_log
[error]



=== TEST 3: the context is done (and on_log ran) even when the client's request ends in a 404
--- config
    location / {
        proxy_wasm $TEST_NGINX_GUESTS/pw_lifecycle.wasm;
    }
--- request
GET /missing
--- error_code: 404
--- error_log
pw_lifecycle: request_headers
pw_lifecycle: response_headers
pw_lifecycle: log
pw_lifecycle: done
