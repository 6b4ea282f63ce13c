# guests/examples/cache: an upstream's answers cached in a shared dictionary with a TTL. The
# origin counts its calls in another zone (`incr_hits` of the shdict fixture says the count).
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: a miss asks the origin, the next request is a hit: one origin call per key
--- http_config
    wasm_shared_dict cache 1m;
    wasm_shared_dict counters 1m;
--- config
    location /cached/ {
        set $cache_ttl_ms 60000;
        content_by_wasm $TEST_NGINX_GUESTS/cache.wasm cached;
    }
    location /origin/ {
        internal;
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm incr_hits;
    }
--- request eval
["GET /cached/page", "GET /cached/page", "GET /cached/other", "GET /cached/page"]
--- response_body eval
["1 0\n", "1 0\n", "2 0\n", "1 0\n"]
--- no_error_log
[error]



=== TEST 2: an error status is passed on and not cached (X-Cache: MISS every time)
--- http_config
    wasm_shared_dict cache 1m;
--- config
    location /cached/ {
        content_by_wasm $TEST_NGINX_GUESTS/cache.wasm cached;
    }
    location /origin/cached/missing {
        internal;
        return 404 "gone\n";
    }
--- request eval
["GET /cached/missing", "GET /cached/missing"]
--- error_code eval
[404, 404]
--- response_headers
X-Cache: MISS
--- response_body eval
["gone\n", "gone\n"]



=== TEST 3: an entry expires after its time to live
--- http_config
    wasm_shared_dict cache 1m;
    wasm_shared_dict counters 1m;
--- config
    location /cached/ {
        set $cache_ttl_ms 100;
        content_by_wasm $TEST_NGINX_GUESTS/cache.wasm cached;
    }
    location /origin/ {
        internal;
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm incr_hits;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_say;
    }
--- request eval
["GET /cached/a", "GET /cached/a", "GET /t?ms=200", "GET /cached/a"]
--- response_body eval
["1 0\n", "1 0\n", "sleep(200) -> Ok(()), waited at least 200 ms\n", "2 0\n"]
