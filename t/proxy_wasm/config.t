# proxy_wasm's configuration string (guests/proxy-wasm/pw_config): the root context reads it
# in on_configure as JSON and each request's context answers with it; a configuration the
# filter refuses (on_configure returns false) stops nginx from starting.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: the configuration string reaches on_configure; the request answers with it
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_config.wasm '{"status": 403, "body": "denied by config", "header": "x-config"}';
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- error_code: 403
--- response_headers
x-config: 1
--- response_body chomp
denied by config
--- no_error_log
[error]



=== TEST 2: each proxy_wasm directive is its own plugin with its own configuration
--- config
    location /a {
        proxy_wasm $TEST_NGINX_GUESTS/pw_config.wasm '{"status": 403, "body": "from a", "header": "x-a"}';
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
    location /b {
        proxy_wasm $TEST_NGINX_GUESTS/pw_config.wasm '{"status": 429, "body": "from b", "header": "x-b"}';
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request eval
["GET /a", "GET /b", "GET /a"]
--- error_code eval
[403, 429, 403]
--- response_body eval
["from a", "from b", "from a"]



=== TEST 3: bad JSON: on_configure refuses it and nginx does not start
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_config.wasm '{"status": 403, "body": ';
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
pw_config: bad configuration: EOF while parsing
refused its configuration



=== TEST 4: no configuration at all is refused too
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_config.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
pw_config: a JSON configuration is required
refused its configuration



=== TEST 5: well-formed JSON with a value the filter rejects (a status outside 100-599)
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_config.wasm '{"status": 42, "body": "x", "header": "x-config"}';
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
pw_config: status 42 is not an HTTP status
refused its configuration
