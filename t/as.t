# The AssemblyScript SDK (guests/assemblyscript/ngx): the four example ports, which must
# answer exactly as the Rust originals in t/example_*.t (the same blocks, with the
# as_<name>.wasm builds), and one block per SDK group with guests/assemblyscript/fixtures/sdk.ts.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: routing: X-Version picks the internal location; the URI and arguments follow
--- config
    location /api {
        rewrite_by_wasm $TEST_NGINX_GUESTS/as_routing.wasm route;
    }
    location /internal/v1 {
        internal;
        return 200 "v1 $uri $args\n";
    }
    location /internal/v2 {
        internal;
        return 200 "v2 $uri $args\n";
    }
--- request eval
["GET /api/users?id=7", "GET /api/users?id=7", "GET /internal/v1/x"]
--- more_headers
X-Version: v2
--- error_code eval
[200, 200, 404]
--- response_body_like eval
["^v2 /internal/v2/api/users id=7\n\$", "^v2 /internal/v2/api/users id=7\n\$", "404 Not Found"]



=== TEST 2: routing: without the header, v1
--- config
    location /api {
        rewrite_by_wasm $TEST_NGINX_GUESTS/as_routing.wasm route;
    }
    location /internal/v1 {
        internal;
        return 200 "v1 $uri\n";
    }
--- request
GET /api/x
--- response_body
v1 /internal/v1/api/x



=== TEST 3: api_key: the right key passes
--- config
    location /private {
        set $api_key "s3cret";
        access_by_wasm $TEST_NGINX_GUESTS/as_api_key.wasm check;
        return 200 "secret stuff\n";
    }
--- request
GET /private
--- more_headers
X-API-Key: s3cret
--- error_code: 200



=== TEST 4: api_key: a wrong or missing key gets 401 with WWW-Authenticate, before the content
--- config
    location /private {
        set $api_key "s3cret";
        access_by_wasm $TEST_NGINX_GUESTS/as_api_key.wasm check;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request eval
["GET /private", "GET /private"]
--- more_headers
X-API-Key: wrong
--- error_code eval
[401, 401]
--- response_headers
WWW-Authenticate: ApiKey realm="private"
--- response_body_like: 401 Authorization Required
--- error_log
[wasm] api key rejected for GET



=== TEST 5: json_info: values are escaped; a missing argument is null
--- config
    location /info {
        content_by_wasm $TEST_NGINX_GUESTS/as_json_info.wasm info;
    }
--- request eval
["GET /info?name=a%22b%5Cc%0A", "GET /info"]
--- more_headers
User-Agent: tester/1.0
--- response_headers
Content-Type: application/json
--- response_body eval
["{\"name\":\"a\\\"b\\\\c\\n\",\"agent\":\"tester/1.0\",\"method\":\"GET\"}\n", "{\"name\":null,\"agent\":\"tester/1.0\",\"method\":\"GET\"}\n"]



=== TEST 6: body_rewrite: a static response is rewritten
--- config
    location /page {
        body_filter_by_wasm $TEST_NGINX_GUESTS/as_body_rewrite.wasm rewrite;
        return 200 "powered by nginx, nginx!\n";
    }
--- request
GET /page
--- response_body
powered by NGINX+wasm, NGINX+wasm!



=== TEST 7: body_rewrite: the word split across two flushed chunks is still replaced
--- config
    location /page {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        body_filter_by_wasm $TEST_NGINX_GUESTS/as_body_rewrite.wasm rewrite;
    }
--- request
GET /page
--- more_headers
X-Ops-Content: print see ngi|flush|print nx run|flush|print  - ng
--- response_body chomp
see NGINX+wasm run - ng



=== TEST 8: the request line, arguments and headers
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/as_sdk.wasm request;
    }
--- request
GET /t?a=%C3%A9t%C3%A9&b=2
--- more_headers
X-Echo: héllo
--- response_body
GET /t ? a=%C3%A9t%C3%A9&b=2
a=été x-echo=héllo
http 11 phase content
missing=null
--- no_error_log
[error]



=== TEST 9: variables both ways, the status and response headers
--- config
    location /t {
        set $target "";
        content_by_wasm $TEST_NGINX_GUESTS/as_sdk.wasm vars;
    }
--- request
GET /t
--- error_code: 201
--- response_headers
X-AS: yes
--- response_body
target=from-as status=201
bad=-2
--- no_error_log
[error]



=== TEST 10: the request body, read without blocking the worker
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/as_sdk.wasm body;
    }
--- request
POST /t
hello body
--- response_body
read 0: hello body
--- no_error_log
[error]



=== TEST 11: a global survives across requests in a worker instance, not in request isolation
--- config
    location /worker {
        content_by_wasm $TEST_NGINX_GUESTS/as_sdk.wasm counter;
    }
    location /request {
        wasm_isolation request;
        content_by_wasm $TEST_NGINX_GUESTS/as_sdk.wasm counter;
    }
--- request eval
["GET /worker", "GET /worker", "GET /request", "GET /request", "GET /worker"]
--- response_body eval
["calls 1\n", "calls 2\n", "calls 1\n", "calls 1\n", "calls 3\n"]
--- no_error_log
[error]



=== TEST 12: exit with a status; redirect
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/as_sdk.wasm exits;
    }
--- request eval
["GET /t", "GET /t?to=/elsewhere"]
--- error_code eval
[403, 302]
--- no_error_log
[error]



=== TEST 13: the context carries bytes from rewrite to content; a request header set in rewrite is seen later
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/as_sdk.wasm ctx_set;
        access_by_wasm $TEST_NGINX_GUESTS/as_sdk.wasm set_req_header;
        content_by_wasm $TEST_NGINX_GUESTS/as_sdk.wasm ctx_get;
        add_header X-Seen $http_x_set;
    }
--- request
GET /t
--- response_headers
X-Seen: by-as
--- response_body
ctx kept
--- no_error_log
[error]



=== TEST 14: log lines at their levels
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/as_sdk.wasm logs;
    }
--- request
GET /t
--- response_body
logged
--- error_log
[wasm] as warns
[wasm] as informs



=== TEST 15: a failed assertion: abort logs the reason and traps, the call answers 500, the worker goes on
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/as_sdk.wasm fails;
    }
--- request eval
["GET /t", "GET /t?ok=1"]
--- error_code eval
[500, 200]
--- error_log
[wasm] abort: the ok argument is required at fixtures/sdk.ts:
wasm guest trapped: wasm trap: wasm `unreachable` instruction executed (module: "
