# The Go SDK (guests/go, docs/guests/go.md): the four OpenResty ports of guests/examples
# rebuilt in Go (guests/go/examples, each block as in t/example_*.t with go_<name>.wasm),
# then the SDK fixture guests/go/fixtures/sdk: every group of package ngx (request line,
# headers, variables, body, response, body filter, ctx, log, shared dictionary, sleep,
# subrequests, timers), a panic (fatal, and recovered), an endless loop under wasm_timeout,
# and state kept or not by wasm_isolation. Built by scripts/build-go-guests.sh.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: routing: X-Version picks the internal location; the URI and arguments follow
--- config
    location /api {
        rewrite_by_wasm $TEST_NGINX_GUESTS/go_routing.wasm route;
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
        rewrite_by_wasm $TEST_NGINX_GUESTS/go_routing.wasm route;
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
        access_by_wasm $TEST_NGINX_GUESTS/go_api_key.wasm check;
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
        access_by_wasm $TEST_NGINX_GUESTS/go_api_key.wasm check;
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
        content_by_wasm $TEST_NGINX_GUESTS/go_json_info.wasm info;
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
        body_filter_by_wasm $TEST_NGINX_GUESTS/go_body_rewrite.wasm rewrite;
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
        body_filter_by_wasm $TEST_NGINX_GUESTS/go_body_rewrite.wasm rewrite;
    }
--- request
GET /page
--- more_headers
X-Ops-Content: print see ngi|flush|print nx run|flush|print  - ng
--- response_body chomp
see NGINX+wasm run - ng


=== TEST 8: sdk: request line and arguments
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm request_line;
    }
--- request
GET /t/x%20y?a=1&b=x+y%21&c
--- response_body
method GET uri /t/x y query a=1&b=x+y%21&c
a "1" b "x y!" c "" none <absent>
http 11 internal false start true phase content



=== TEST 9: sdk: the request line's setters in rewrite; set_uri with jump chooses the location again
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm rewrite_request;
    }
    location /final {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm request_line;
    }
--- request
GET /t?q=0
--- response_body
method POST uri /final query x=1&a=%41
a "A" b <absent> c <absent> none <absent>
http 11 internal false start true phase content
--- error_log
set_method FOO: ngx: bad argument
set_uri nope: ngx: bad argument
set_query: ngx: bad argument
set_uri /final: ok



=== TEST 10: sdk: request headers (repeated values joined, iteration, set/add/clear) and response headers (set/add/clear/get, managed refused)
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm headers;
    }
--- request
GET /t
--- more_headers
X-A: 1
X-B: two
X-A: 2
--- response_headers
X-Resp: r
!X-Gone
--- response_body
x-a "1, 2" x-missing <absent>
header X-A: 1
header X-B: two
header X-A: 2
set x-new "v" add x-a "1, 2, 3"
cleared x-a <absent> bad name ngx: bad argument
resp set-cookie "a=1, b=2" x-gone <absent> content-length ngx: not allowed
resp headers X-Resp=r Set-Cookie=a=1 Set-Cookie=b=2



=== TEST 11: sdk: variables: read, unset, unknown, set a declared one, built-ins and CR refused
--- config
    location /t {
        set $target "unchanged";
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm vars;
    }
--- request
GET /t/v
--- response_body
uri "/t/v" ok
arg_none ngx: not found
no_such_variable ngx: bad argument
set target ok
set request_method ngx: not allowed
set target CR ngx: bad argument
target "changed"



=== TEST 12: sdk: the request body, read in memory or from a temporary file; a discarded body is not there
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm body;
    }
    location /file {
        client_body_in_file_only clean;
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm body;
    }
    location /discard {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm discard;
    }
--- request eval
["POST /t\nhello, go body", "POST /file\n0123456789012345678901234567890123456789", "POST /discard\nxyz"]
--- response_body eval
["len 14 body \"hello, go body\" ok\n", "len 40 body \"01234567890123456789\" ok\n", "discard ok\nbody ngx: not found\n"]



=== TEST 13: sdk: status, print, say, an io.Writer; flush streams and fixes the status and headers
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm answer;
    }
--- request eval
["GET /t?op=print", "GET /t?op=flush"]
--- error_code eval
[201, 200]
--- response_body eval
["abc\nstatus 201 bad status ngx: bad argument\n", "before\nafter status ngx: not allowed header ngx: not allowed\n"]



=== TEST 14: sdk: exit with a status (nginx's page, or the body the guest printed), redirect, exec; calls after exit and bad arguments refused
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm answer;
    }
    location /target {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm target;
    }
--- request eval
["GET /t?op=exit", "GET /t?op=exit_body", "GET /t?op=redirect", "GET /t?op=exec"]
--- error_code eval
[403, 418, 301, 200]
--- response_body_like eval
["403 Forbidden", "^teapot\n\$", "301 Moved Permanently", "^target uri /target args c=3&a=1 internal true\n\$"]
--- error_log
say after exit: ngx: not allowed
redirect 200: ngx: bad argument
exec unsafe: ngx: bad argument



=== TEST 15: sdk: exit keeps the headers set before it
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm answer;
    }
--- request
GET /t?op=exit
--- error_code: 403
--- response_headers
X-Exit: yes



=== TEST 16: sdk: redirect sets Location
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm answer;
    }
--- request
GET /t?op=redirect
--- error_code: 301
--- response_headers
Location: /elsewhere?a=1



=== TEST 17: sdk: a body filter sees every chunk and the last one; it cannot sleep
--- config
    location /t {
        body_filter_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm upper;
        return 200 "hello, filter\n";
    }
--- request
GET /t
--- response_body
HELLO, FILTER
[last]
--- error_log
filter phase body_filter sleep ngx: not allowed



=== TEST 18: sdk: ctx set in rewrite is seen in content; delete, then absent
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm ctx_set;
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm ctx_show;
    }
--- request
GET /t
--- response_body
who "set in rewrite" true
delete ok again ngx: not found
gone false
--- error_log
ctx empty key: ngx: bad argument



=== TEST 19: sdk: log levels are nginx's: a location logging at warn drops notice, info and debug
--- config
    location /t {
        error_log logs/error.log warn;
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm log;
    }
--- request
GET /t
--- response_body
level 42 ngx: bad argument code -2
--- error_log
[wasm] go at error,
[wasm] go at warn,
[wasm] go stderr line,
--- no_error_log
[wasm] go at notice
[wasm] go at info
[wasm] go at debug
[wasm] go stdout line



=== TEST 20: sdk: log lines at each level, an unknown level refused; Go's stdout and stderr are log lines
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm log;
    }
--- request
GET /t
--- response_body
level 42 ngx: bad argument code -2
--- error_log
[wasm] go at error,
[wasm] go at warn,
[wasm] go at notice,
[wasm] go at info,
[wasm] go at debug
[wasm] go stdout line,
[wasm] go stderr line,



=== TEST 21: sdk: the shared dictionary: values of each kind with flags, add, replace, absent keys, unknown zones, incr, ttl; shared across requests
--- http_config
    wasm_shared_dict dicts 1m;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm dict;
    }
--- request eval
["GET /t", "GET /t"]
--- response_body eval
["a \"hello\" ok f \"tagged\" flags 42 i -7 x 2.5 b true\nadd ngx: exists replace ngx: not found get ngx: not found zone ngx: bad argument\nhits 1 ok incr absent ngx: not found ttl true delete ok\n",
 "a \"hello\" ok f \"tagged\" flags 42 i -7 x 2.5 b true\nadd ngx: exists replace ngx: not found get ngx: not found zone ngx: bad argument\nhits 2 ok incr absent ngx: not found ttl true delete ok\n"]
--- no_error_log
[error]



=== TEST 22: sdk: ngx.Sleep and time.Sleep wait on nginx timers, not charged to wasm_timeout
--- config
    location /t {
        wasm_timeout 30ms;
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm sleep;
    }
--- request
GET /t
--- response_body
sleep ok negative ngx: bad argument waited true worker 0/1
--- no_error_log
[error]



=== TEST 23: sdk: subrequests, one and several in parallel: status, headers, body; method, args and body given
--- config
    location /sub {
        default_type text/plain;
        return 200 "sub $args\n";
    }
    location /echo {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm body;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm capture;
    }
--- request
GET /t
--- response_body
one 200 "sub a=1&b=2\n" type text/plain truncated false
0: 200 "sub n=1\n"
1: 200 "len 6 body \"posted\" ok\n"
2: 404 "a page: true"
multi ok bad method ngx: bad argument



=== TEST 24: sdk: timers: an export runs later in the timer phase with its argument; bad exports and intervals refused
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm add_timer;
    }
--- request
GET /t
--- response_body
timer ok bad ngx: bad argument every 0 ngx: bad argument pending 1
--- wait: 0.3
--- error_log
[wasm] timer ran with "payload" in phase timer, running 1
--- no_error_log
[error]



=== TEST 25: a Go panic answers 500 with the panic message in the error log, one line per line Go wrote (in many pieces); the worker goes on serving
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm panics;
    }
    location /ok {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm hello;
    }
--- request eval
["GET /t", "GET /ok", "GET /t", "GET /ok"]
--- error_code eval
[500, 200, 500, 200]
--- response_body_like eval
["500 Internal Server Error", "^hello from go\n\$", "500 Internal Server Error", "^hello from go\n\$"]
--- error_log
[wasm] panic: the go guest panicked on purpose, client:
[wasm] goroutine 1 [running]:, client:
wasm guest trapped: wasm trap: wasm `unreachable` instruction executed (module: "
go_sdk.wasm", export: "panics", engine: 



=== TEST 26: a panic recovered in the handler: one log line, 500, and the instance (its state) lives on
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm recovers;
    }
    location /count {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm count;
    }
--- request eval
["GET /t", "GET /t", "GET /count"]
--- error_code eval
[500, 500, 200]
--- response_body_like eval
["500 Internal Server Error", "500 Internal Server Error", "^count=3\n\$"]
--- grep_error_log
[wasm] handler failed: recovered on purpose,
--- grep_error_log_out
[wasm] handler failed: recovered on purpose,
[wasm] handler failed: recovered on purpose,
--- no_error_log
wasm guest trapped



=== TEST 27: an endless loop is stopped by wasm_timeout; the next request answers
--- config
    wasm_timeout 100ms;
    location /spin {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm spin;
    }
    location /ok {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm hello;
    }
--- request eval
["GET /spin", "GET /ok"]
--- error_code eval
[500, 200]
--- response_body_like eval
["500 Internal Server Error", "^hello from go\n\$"]
--- error_log
wasm guest stopped: timeout 100ms exceeded (module: "
go_sdk.wasm", export: "spin", engine: 
phase: content



=== TEST 28: handler state: a package-level counter grows on the worker's instance, is 1 on every request instance
--- config
    location /worker {
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm count;
    }
    location /request {
        wasm_isolation request;
        content_by_wasm $TEST_NGINX_GUESTS/go_sdk.wasm count;
    }
--- request eval
["GET /worker", "GET /request", "GET /worker", "GET /request", "GET /worker"]
--- response_body eval
["count=1\n", "count=1\n", "count=2\n", "count=1\n", "count=3\n"]
--- no_error_log
[error]
