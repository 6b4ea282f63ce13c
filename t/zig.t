# The Zig guests: the SDK (guests/zig/ngx.zig) through its fixture (guests/zig/fixtures/sdk.zig),
# and the four OpenResty ports of guests/examples in Zig (guests/zig/examples), which must pass
# the same blocks as the Rust ones (t/example_*.t). Built by scripts/build-zig-guests.sh.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: routing: X-Version picks the internal location; the URI and arguments follow
--- config
    location /api {
        rewrite_by_wasm $TEST_NGINX_GUESTS/zig_routing.wasm route;
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
        rewrite_by_wasm $TEST_NGINX_GUESTS/zig_routing.wasm route;
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
        access_by_wasm $TEST_NGINX_GUESTS/zig_api_key.wasm check;
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
        access_by_wasm $TEST_NGINX_GUESTS/zig_api_key.wasm check;
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
        content_by_wasm $TEST_NGINX_GUESTS/zig_json_info.wasm info;
    }
--- request eval
["GET /info?name=a%22b%5Cc%0A", "GET /info"]
--- more_headers
User-Agent: tester/1.0
--- response_headers
Content-Type: application/json
--- response_body eval
["{\"name\":\"a\\\"b\\\\c\\n\",\"agent\":\"tester/1.0\",\"method\":\"GET\"}\n", "{\"name\":null,\"agent\":\"tester/1.0\",\"method\":\"GET\"}\n"]



=== TEST 6: json_info: control characters and ill-formed UTF-8 come out as the Rust example's
--- config
    location /rust {
        content_by_wasm $TEST_NGINX_GUESTS/json_info.wasm info;
    }
    location /zig {
        content_by_wasm $TEST_NGINX_GUESTS/zig_json_info.wasm info;
    }
--- request eval
["GET /rust?name=%08%0C%01%FF%C3%28%E2%82%AC%F0%9F%98%80%E2%82", "GET /zig?name=%08%0C%01%FF%C3%28%E2%82%AC%F0%9F%98%80%E2%82"]
--- more_headers
User-Agent: tester/1.0
--- response_body eval
["{\"name\":\"\\u0008\\u000c\\u0001��(€😀�\",\"agent\":\"tester/1.0\",\"method\":\"GET\"}\n", "{\"name\":\"\\u0008\\u000c\\u0001��(€😀�\",\"agent\":\"tester/1.0\",\"method\":\"GET\"}\n"]



=== TEST 7: body_rewrite: a static response is rewritten
--- config
    location /page {
        body_filter_by_wasm $TEST_NGINX_GUESTS/zig_body_rewrite.wasm rewrite;
        return 200 "powered by nginx, nginx!\n";
    }
--- request
GET /page
--- response_body
powered by NGINX+wasm, NGINX+wasm!



=== TEST 8: body_rewrite: the word split across two flushed chunks is still replaced
--- config
    location /page {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        body_filter_by_wasm $TEST_NGINX_GUESTS/zig_body_rewrite.wasm rewrite;
    }
--- request
GET /page
--- more_headers
X-Ops-Content: print see ngi|flush|print nx run|flush|print  - ng
--- response_body chomp
see NGINX+wasm run - ng



=== TEST 9: sdk: the request line, arguments, time and phase
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm request_line;
    }
--- request
GET /t?name=a%20b+c&x=1
--- response_body
method GET
uri /t
query name=a%20b+c&x=1
arg name a b c, missing null, in 2 bytes BufferTooSmall
http 11 internal false
started true before now true
phase content
--- no_error_log
[error]



=== TEST 10: sdk: setters in rewrite (method, URI, query); bad values are refused
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm rewrite_line;
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm request_line;
    }
--- request
GET /t?name=old
--- response_body
method POST
uri /rewritten
query name=from%20rewrite&x=1
arg name from rewrite, missing null, in 2 bytes BufferTooSmall
http 11 internal false
started true before now true
phase content
--- error_log
[wasm] setUri no-slash: error.BadArgument
[wasm] setMethod BREW: error.BadArgument
--- no_error_log
[error]



=== TEST 11: sdk: setUri with jump makes nginx choose the location again
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm jump;
    }
    location /landed {
        return 200 "landed $uri\n";
    }
--- request
GET /t
--- response_body
landed /landed
--- no_error_log
[error]



=== TEST 12: sdk: request headers (joined, iterated, larger than the first buffer) and response headers
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm req_headers_rewrite;
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm headers;
    }
--- request
GET /t
--- more_headers
X-Multi: one
X-Multi: two
X-Gone: bye
X-Long: 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789
--- response_body
x-multi: one, two, three
x-gone: null
x-long: 280 bytes
X-Multi = one
X-Multi = two
X-Set = set by zig
X-Multi = three
resp set-cookie: a=1, b=2
resp x-temp: null
content-length: NotAllowed
resp headers: 2 set-cookie
--- response_headers
X-Out: one
!X-Temp
--- error_log
[wasm] setHeader bad name: error.BadArgument
--- no_error_log
[error]



=== TEST 13: sdk: variables read, set, unset, unknown and not changeable
--- config
    location /t {
        set $foo "declared";
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm variables;
    }
--- request
GET /t
--- response_body
foo declared
foo changed by zig
unset null
unknown BadArgument
remote_addr NotAllowed
--- no_error_log
[error]



=== TEST 14: sdk: the request body, read in pieces and whole; discarded
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm body;
    }
    location /d {
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm discard;
    }
--- request eval
["POST /t\r\nhello zig body", "POST /d\r\nthrown away"]
--- response_body eval
["len 14\npieces [hell] [o zi] [g bo] [dy]\nwhole hello zig body\n", "discarded, body len null\n"]
--- no_error_log
[error]



=== TEST 15: sdk: status, print and say; an out-of-range status is refused
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm answer;
    }
--- request
GET /t?do=status
--- error_code: 201
--- response_body
print 42 say
status 201
status 42 BadArgument
--- no_error_log
[error]



=== TEST 16: sdk: exit with a status keeps the headers set; later output is refused
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm answer;
    }
--- request
GET /t?do=exit
--- error_code: 403
--- response_headers
X-Before-Exit: kept
--- response_body_like: 403 Forbidden
--- error_log
[wasm] say after exit: error.NotAllowed



=== TEST 17: sdk: redirect and exec
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm answer;
    }
    location /target {
        return 200 "target $uri $args\n";
    }
--- request eval
["GET /t?do=redirect", "GET /t?do=exec"]
--- error_code eval
[301, 200]
--- response_body_like eval
["301 Moved Permanently", "^target /target from=exec\n\$"]
--- no_error_log
[error]



=== TEST 18: sdk: formatted output longer than the stack buffer is allocated
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm answer;
    }
--- request
GET /t?do=big
--- response_body_like: ^z{3000}\n\z
--- no_error_log
[error]



=== TEST 19: sdk: flush streams; a status after it is refused and ngx.run logs the error
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm answer;
    }
--- request
GET /t?do=flush
--- response_body
first
second
--- error_log
[wasm] handler failed: error.NotAllowed



=== TEST 20: sdk: the body filter replaces chunks and sees the last one
--- config
    location /t {
        body_filter_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm upper;
        return 200 "hello zig\n";
    }
--- request
GET /t
--- response_body
HELLO ZIG
[LAST]
--- no_error_log
[error]



=== TEST 21: sdk: ctx carries a value from rewrite to content; delete and an empty key
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm ctx_rewrite;
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm ctx_content;
    }
--- request
GET /t
--- response_body
ctx zig: from rewrite
after delete: null
delete again: NotFound
empty key: BadArgument
--- no_error_log
[error]



=== TEST 22: sdk: the phase, the status and ctx in every phase of a request
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm ctx_rewrite;
        access_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm phase_log;
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm count;
        header_filter_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm phase_log;
        body_filter_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm phase_log;
        log_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm phase_log;
    }
--- request
GET /t
--- response_body
count 1
--- error_log
[wasm] phase access, status 0, ctx from rewrite
[wasm] phase header_filter, status 200, ctx from rewrite
[wasm] phase body_filter, status 200, ctx from rewrite
[wasm] phase log, status 200, ctx from rewrite
--- no_error_log
[error]



=== TEST 23: sdk: log lines at their levels; an error returned to ngx.run is logged
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm logs;
    }
--- request
GET /t
--- response_body
logged
--- error_log
[error]
[wasm] zig says err
[warn]
[wasm] zig says warn 7
[wasm] zig says notice
[wasm] zig says info
[wasm] zig says debug in content
[wasm] handler failed: error.NotAllowed



=== TEST 24: sdk: sleep waits on a timer; it is refused in a filter
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm sleeper;
        header_filter_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm sleep_refused;
    }
--- request
GET /t?ms=20
--- response_body
slept twice 20 ms: true
--- error_log
[wasm] sleep in header_filter: NotAllowed
--- no_error_log
[error]



=== TEST 25: sdk: @panic logs its message and traps (500); the worker goes on serving
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm crash;
    }
    location /ok {
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm answer;
    }
--- request eval
["GET /t", "GET /ok"]
--- error_code eval
[500, 200]
--- response_body_like eval
["500 Internal Server Error", "^nothing to do\n\$"]
--- error_log
[wasm] panic: zig gave up
wasm `unreachable` instruction executed



=== TEST 26: sdk: @trap is a wasm unreachable (500); the worker goes on serving
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm crash_trap;
    }
    location /ok {
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm answer;
    }
--- request eval
["GET /t", "GET /ok", "GET /t", "GET /ok"]
--- error_code eval
[500, 200, 500, 200]
--- error_log
wasm `unreachable` instruction executed



=== TEST 27: sdk: a global counter grows across requests in the worker's instance
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm count;
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["count 1\n", "count 2\n", "count 3\n"]



=== TEST 28: sdk: with wasm_isolation request, every request sees a fresh counter
--- config
    location /t {
        wasm_isolation request;
        content_by_wasm $TEST_NGINX_GUESTS/zig_sdk.wasm count;
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- response_body eval
["count 1\n", "count 1\n", "count 1\n"]
