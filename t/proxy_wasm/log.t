# proxy_wasm in the log phase (guests/proxy-wasm/pw_log): on_log reads properties
# (request.path, request.method, response.code, an nginx variable as ngx.<name>, plugin_name)
# after the response is sent.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: request and response properties, an nginx variable and the plugin's name
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_log.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t?a=1
--- response_body
hello
--- error_log
pw_log: path=/t?a=1 method=GET status=200 uri_var=/t
pw_log: plugin_name=pw_log
--- no_error_log
[error]



=== TEST 2: on_log runs for a response nginx made itself (404), with its status
--- config
    location / {
        proxy_wasm $TEST_NGINX_GUESTS/pw_log.wasm;
    }
--- request
GET /nothing/here?x=y
--- error_code: 404
--- error_log
pw_log: path=/nothing/here?x=y method=GET status=404 uri_var=/nothing/here



=== TEST 3: once per request, with each request's own values
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_log.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request eval
["GET /t?n=1", "POST /t?n=2\nbody", "GET /t?n=3"]
--- response_body eval
["hello\n", "hello\n", "hello\n"]
--- error_log
pw_log: path=/t?n=1 method=GET status=200 uri_var=/t
pw_log: path=/t?n=2 method=POST status=200 uri_var=/t
pw_log: path=/t?n=3 method=GET status=200 uri_var=/t
--- grep_error_log
pw_log: plugin_name=pw_log
--- grep_error_log_out
pw_log: plugin_name=pw_log
pw_log: plugin_name=pw_log
pw_log: plugin_name=pw_log



=== TEST 4: after an earlier filter in the chain answered, on_log sees the status it sent
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_config.wasm '{"status": 403, "body": "no", "header": "x-config"}';
        proxy_wasm $TEST_NGINX_GUESTS/pw_log.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- error_code: 403
--- response_body chomp
no
--- error_log
pw_log: path=/t method=GET status=403 uri_var=/t
