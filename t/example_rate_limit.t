# guests/examples/rate_limit: a fixed-window limit per client, in a shared dictionary.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: three requests per window pass, the rest get nginx's 429 page
--- http_config
    wasm_shared_dict limits 1m;
--- config
    location /limited {
        set $rate_limit 3;
        set $rate_window_ms 60000;
        access_by_wasm $TEST_NGINX_GUESTS/rate_limit.wasm limit;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request eval
["GET /limited", "GET /limited", "GET /limited", "GET /limited", "GET /limited"]
--- error_code eval
[200, 200, 200, 429, 429]
--- response_body_like eval
["^hello", "^hello", "^hello", "429 Too Many Requests", "429 Too Many Requests"]
--- no_error_log
[error]



=== TEST 2: the 429 says when to retry: the window, in seconds, rounded up
--- http_config
    wasm_shared_dict limits 1m;
--- config
    location /limited {
        set $rate_limit 1;
        set $rate_window_ms 1500;
        access_by_wasm $TEST_NGINX_GUESTS/rate_limit.wasm limit;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
    location /t {
        set $rate_limit 1;
        set $rate_window_ms 1500;
        access_by_wasm $TEST_NGINX_GUESTS/rate_limit.wasm limit;
        error_page 429 = /retry;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
    location /retry {
        return 200 "429, retry after $sent_http_retry_after\n";
    }
--- request eval
["GET /limited", "GET /t"]
--- response_body eval
["hello\n", "429, retry after 2\n"]



=== TEST 3: a missing zone fails open and logs why
--- config
    location /limited {
        access_by_wasm $TEST_NGINX_GUESTS/rate_limit.wasm limit;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request eval
["GET /limited", "GET /limited"]
--- error_code eval
[200, 200]
--- error_log
rate limit: BadArgument
