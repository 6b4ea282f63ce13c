# Linear memory: growth, large memories, state kept by the per-worker instance.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: memory.grow succeeds and the instance keeps its grown memory across requests
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/memory.wasm grow;
    }
--- request eval
["GET /t", "GET /t"]
--- response_body eval
["grew=16\n", "grew=16\n"]
--- no_error_log
[error]



=== TEST 2: a module with more than 8 MiB of initial memory
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/memory.wasm touch_big;
    }
--- request eval
["GET /t", "GET /t"]
--- response_body eval
["pages>=128:true sum=261120\n", "pages>=128:true sum=260096\n"]



=== TEST 3: one instance per worker: guest state persists between requests
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/memory.wasm count;
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["count=1\n", "count=2\n", "count=3\n"]



=== TEST 4: a module importing every host function links and runs
--- config
    location /all {
        content_by_wasm $TEST_NGINX_GUESTS/abi_all.wasm on_content;
    }
--- request
GET /all/of/it
--- error_code: 201
--- response_headers
X-All: 1
--- response_body
log=Ok(()) status=Ok(()) header=Ok(()) uri=/all/of/it host=true uri_len=10
--- error_log
[wasm] abi_all
