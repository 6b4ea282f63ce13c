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



=== TEST 4: the SDK's wrappers and a raw import with a zero-capacity buffer link and run
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



=== TEST 5: memory.grow past wasm_max_memory returns -1 inside the guest
--- config
    location /t {
        wasm_max_memory 2m;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm grow_to_cap;
    }
--- request
GET /t
--- response_body
pages=32 grow=-1
--- no_error_log
[error]



=== TEST 6: a larger limit lets the same guest grow further
--- config
    location /t {
        wasm_max_memory 4m;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm grow_to_cap;
    }
--- request
GET /t
--- response_body
pages=64 grow=-1



=== TEST 7: a guest whose allocator gives up at the limit traps: 500, and the next request succeeds
--- config
    wasm_max_memory 2m;
    location /oom {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm oom;
    }
    location /fine {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm fine;
    }
--- request eval
["GET /oom", "GET /fine", "GET /oom", "GET /fine"]
--- error_code eval
[500, 200, 500, 200]
--- response_body_like eval
["500", "fine", "500", "fine"]
--- error_log
wasm guest trapped: wasm trap: wasm `unreachable` instruction executed, after growth was refused during the call (
bytes of linear memory exceed wasm_max_memory (2097152 bytes)) (module: "
export: "oom"



=== TEST 8: nginx -t refuses a module whose initial memory exceeds the wasm_max_memory where it is used (no instance could ever be made)
--- config
    location /t {
        wasm_max_memory 1m;
        content_by_wasm $TEST_NGINX_GUESTS/memory.wasm count;
    }
--- request
GET /t
--- must_die
--- error_log
wasm module "
memory.wasm": its initial memory of 9502720 bytes exceeds wasm_max_memory (1048576 bytes) where content_by_wasm uses it: no instance could be made, every call would fail (raise wasm_max_memory there, or give the module less initial memory) in
nginx.conf:31



=== TEST 9: the limit applies to per-request instances too
--- config
    location /t {
        wasm_max_memory 2m;
        wasm_isolation request;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm grow_to_cap;
    }
--- request eval
["GET /t", "GET /t"]
--- response_body eval
["pages=32 grow=-1\n", "pages=32 grow=-1\n"]



=== TEST 10: locations with different limits use different worker instances
--- config
    location /small {
        wasm_max_memory 2m;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm count;
    }
    location /large {
        wasm_max_memory 4m;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm count;
    }
--- request eval
["GET /small", "GET /small", "GET /large", "GET /small"]
--- response_body eval
["count=1\n", "count=2\n", "count=1\n", "count=3\n"]



=== TEST 11: the limit is inherited from the http block
--- http_config
    wasm_max_memory 2m;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm grow_to_cap;
    }
--- request
GET /t
--- response_body
pages=32 grow=-1



=== TEST 12: without wasm_max_memory, an instance is capped at 256 MiB: memory.grow then returns -1
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm grow_to_cap;
    }
--- request
GET /t
--- response_body
pages=4096 grow=-1
--- timeout: 30



=== TEST 13: the check sees the limits after inheritance: a nested location that lowers wasm_max_memory under an inherited handler is refused too, naming the handler's directive
--- config
    location / {
        rewrite_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
        location /inner {
            wasm_max_memory 1m;
        }
    }
--- request
GET /inner
--- must_die
--- error_log
hello_world.wasm": its initial memory of 1114112 bytes exceeds wasm_max_memory (1048576 bytes) where rewrite_by_wasm uses it
nginx.conf:30



=== TEST 14: ... and init_worker_by_wasm against the http level's limit
--- http_config
    wasm_max_memory 1m;
    init_worker_by_wasm $TEST_NGINX_GUESTS/api.wasm init_worker;
--- config
    location /t {
        wasm_max_memory 16m;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
api.wasm": its initial memory of
exceeds wasm_max_memory (1048576 bytes) where init_worker_by_wasm uses it
nginx.conf:24
