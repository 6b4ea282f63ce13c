# The response: status, print/say, flush (streaming), exit, redirect, exec.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: print and say are buffered and sent with a Content-Length
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: set_status 201|print a|say b c|status
--- error_code: 201
--- response_headers
Content-Length: 5
--- response_body
ab c



=== TEST 2: flush streams the response; status and headers are then fixed
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: say first|flush|set_status 404|resp_set_header X-Late 1|say second|report
--- error_code: 200
--- response_headers
Transfer-Encoding: chunked
!X-Late
--- response_body
first
second
op say -> 0
op flush -> 0
op set_status -> -3
op resp_set_header -> -3
op say -> 0



=== TEST 3: exit with a status in access answers with nginx's page for it
--- config
    location /t {
        access_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Access: resp_set_header WWW-Authenticate Basic|exit 401|say too late
--- error_code: 401
--- response_headers
WWW-Authenticate: Basic
--- response_body_like: 401 Authorization Required
--- error_log
op exit -> 0
op say -> -3



=== TEST 4: exit(0) ends the handler and the request goes on
--- http_config
    wasm_rewrite_no_postpone on;
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        return 200 "continued\n";
    }
--- request
GET /t
--- more_headers
X-Ops-Rewrite: exit 0|resp_set_header X-Still 1
--- response_headers
X-Still: 1
--- response_body
continued



=== TEST 5: exit with a body from rewrite
--- http_config
    wasm_rewrite_no_postpone on;
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        return 200 "not reached\n";
    }
--- request
GET /t
--- more_headers
X-Ops-Rewrite: set_status 418|say short and stout|exit 418
--- error_code: 418
--- response_body
short and stout



=== TEST 6: redirect
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: redirect http://example.org/x 301|redirect /y 0|exit 200
--- error_code: 301
--- response_headers
Location: http://example.org/x
--- error_log
op redirect -> 0
op redirect -> -3
op exit -> -3



=== TEST 7: a relative redirect keeps its Location relative, as ngx.redirect does
--- config
    absolute_redirect on;
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: redirect /y?a=1 302
--- error_code: 302
--- response_headers
Location: /y?a=1



=== TEST 8: exec to a location, with new arguments
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /target {
        return 200 "target $uri $args\n";
    }
    location @named {
        return 200 "named $uri\n";
    }
--- request
GET /t?old=1
--- more_headers
X-Ops-Rewrite: exec /target a=1
--- response_body
target /target a=1



=== TEST 9: exec to a named location from content; its args are ignored with a warning, as ngx.exec does
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location @named {
        return 200 "named $uri\n";
    }
--- request
GET /t
--- more_headers
X-Ops-Content: exec @named a=1
--- response_body
named /t
--- error_log
query strings a=1 ignored when exec'ing named location @named



=== TEST 10: exec with a query in its URI: the query becomes the args, joined with the new ones
--- config
    location /t1 {
        set $ops_rewrite "exec /target?c=3";
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /t2 {
        set $ops_rewrite "exec /targ%65t?c=3 a=1";
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /target {
        return 200 "target $uri $args\n";
    }
--- request eval
["GET /t1?old=1", "GET /t2?old=2"]
--- response_body eval
["target /target c=3\n", "target /target c=3&a=1\n"]



=== TEST 11: exec refuses URIs nginx calls unsafe, so a guest cannot reach files outside the root
--- config
    location /t1 {
        set $ops_content "exec /../../../../../../etc/hostname|report";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /t2 {
        set $ops_content "exec /a/%2e%2e/%2E%2E/etc/hostname|report";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /t3 {
        set $ops_content "exec /a%00b|report";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /t4 {
        set $ops_content "exec /a/..|report";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location / {
        root /;
    }
--- request eval
["GET /t1", "GET /t2", "GET /t3", "GET /t4"]
--- response_body eval
["op exec -> -2\n", "op exec -> -2\n", "op exec -> -2\n", "op exec -> -2\n"]
--- error_log
unsafe URI "/../../../../../../etc/hostname" was detected
unsafe URI "/a/../../etc/hostname" was detected
unsafe URI "/a/.." was detected



=== TEST 12: bad arguments; output refused in the log phase
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        log_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: set_status 99|exit 100|redirect /x 200|exec relative|exec @|report
X-Ops-Log: say no|flush|exit 200|status
--- response_body
op set_status -> -2
op exit -> -2
op redirect -> -2
op exec -> -2
op exec -> -2
--- error_log
op say -> -3
op flush -> -3
op exit -> -3
op status -> 200



=== TEST 13: a trap after flush cannot answer 500: the response is cut short, the worker lives
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run_then_trap;
    }
    location /ok {
        return 200 "ok\n";
    }
--- request eval
["GET /t HTTP/1.0", "GET /ok"]
--- more_headers
X-Ops-Content: say partial|flush
--- response_body eval
["partial\n", "ok\n"]
--- error_log
wasm guest trapped: wasm trap: wasm `unreachable` instruction executed



=== TEST 14: error_page targets after exit(404): the status they read and answer with, as OpenResty's (checked against Debian's lua-nginx-module: 404/404, 404/404, 200/200, 404/404)
--- config
    location /eq {
        error_page 404 = /handler;
        set $ops_content "exit 404";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /plain {
        error_page 404 /handler;
        set $ops_content "exit 404";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /code {
        error_page 404 =200 /handler;
        set $ops_content "exit 404";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /named {
        error_page 404 = @h;
        set $ops_content "exit 404";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /handler {
        set $ops_content "status|report";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location @h {
        set $ops_content "status|report";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request eval
["GET /eq", "GET /plain", "GET /code", "GET /named"]
--- error_code eval
[404, 404, 200, 404]
--- response_body eval
["op status -> 404\n", "op status -> 404\n", "op status -> 200\n", "op status -> 404\n"]



=== TEST 15: error_page targets after nginx's own 404 (a missing file): as in lua-nginx-module, '=' gives status 0 and 200, the plain form 404/404, '=200' 200/200
--- config
    root /nonexistent;
    location /eq { error_page 404 = /handler; }
    location /plain { error_page 404 /handler; }
    location /code { error_page 404 =200 /handler; }
    location /handler {
        set $ops_content "status|report";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request eval
["GET /eq/x", "GET /plain/x", "GET /code/x"]
--- error_code eval
[200, 404, 200]
--- response_body eval
["op status -> 0\n", "op status -> 404\n", "op status -> 200\n"]



=== TEST 16: HEAD after a flush: nothing follows the header, the connection stays in step (two pipelined requests)
--- config
    location /before {
        return 200 "before\n";
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- more_headers
X-Ops-Content: say first|flush|say second|flush|print third
--- pipelined_requests eval
["GET /before", "HEAD /t"]
--- response_body eval
["before\n", ""]
--- grep_error_log
op flush -> 0
--- grep_error_log_out
op flush -> 0
op flush -> 0



=== TEST 17: HEAD without a flush, and with more than the auto-flush size: the header only
--- config
    location /small {
        set $ops_content "say hello";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /big {
        set $ops_content "vars x 1 1|say hello|print ................................................................................................................................................................................................................................................................|report|report|report|report|report|report|report|report|report|report|report|report|report|report|report|report|report|report|report|report";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request eval
["HEAD /small", "HEAD /big", "GET /small"]
--- response_body eval
["", "", "hello\n"]
--- response_headers
!Transfer-Encoding



=== TEST 18: a header filter that turns the response into a 204 after the content handler flushed: no body reaches the client
--- config
    location /before {
        return 200 "before\n";
    }
    location /t {
        set $ops_content "say first|flush|say second";
        set $ops_header_filter "set_status 204";
        header_filter_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- pipelined_requests eval
["GET /before", "GET /t"]
--- error_code eval
[200, 204]
--- response_body eval
["before\n", ""]



=== TEST 19: a header filter that traps after the content handler flushed: nginx's 500 page and nothing after it, then the connection is closed
--- config
    location /t {
        set $ops_content "say first|flush|say second|flush|say third";
        header_filter_by_wasm $TEST_NGINX_GUESTS/api.wasm run_then_trap;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /ok {
        return 200 "ok\n";
    }
--- request eval
["GET /t", "GET /ok"]
--- error_code eval
[500, 200]
--- response_body_like eval
["500 Internal Server Error", "^ok\n\$"]
--- grep_error_log
op say -> -3
--- grep_error_log_out
op say -> -3
op say -> -3
--- error_log
phase: header_filter



=== TEST 20: wasm_max_output: within it the response is whole; past it the write is refused (-9) and the request answered 500 with the reason, or, once flushed, cut short
--- config
    location /fits {
        wasm_max_output 12;
        set $ops_content "say hello|say world";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /over {
        wasm_max_output 10;
        set $ops_content "say hello|say world|say again";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /flushed {
        wasm_max_output 10;
        set $ops_content "say hello|flush|say world";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /ok {
        return 200 "ok\n";
    }
--- request eval
["GET /fits", "GET /over", "GET /flushed HTTP/1.0", "GET /ok"]
--- error_code eval
[200, 500, 200, 200]
--- response_body_like eval
["^hello\nworld\n\$", "500 Internal Server Error", "^hello\n\$", "^ok\n\$"]
--- grep_error_log
op say -> -9
--- grep_error_log_out
op say -> -9
op say -> -9
op say -> -9
--- error_log
wasm guest stopped: output limit exceeded: the call wrote more than wasm_max_output allows (10 bytes) (module:
phase: content



=== TEST 21: by default a call may write 64 MiB: a guest printing 100 MiB is cut there (its output was flushed automatically, so the status was sent); wasm_max_output off lets 70 MiB through
--- config
    location /default {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm print_flood;
    }
    location /off {
        wasm_max_output off;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm print_flood;
    }
--- request eval
["GET /default HTTP/1.0", "GET /off?kib=71680"]
--- error_code eval
[200, 200]
--- timeout: 30
--- error_log
print_flood: accepted 65536, refused 36864, first refusal Some(TooLarge)
print_flood: accepted 71680, refused 0, first refusal None
wasm_max_output allows (67108864 bytes)



=== TEST 22: flush waits while the client lags (back-pressure): a guest streaming to a reader limited to 64 KiB/s waits in flush, and the client going away ends the waiting call; a fast reader gets the whole stream
--- config
    location /slow {
        limit_rate 64k;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm print_flood;
    }
    location /fast {
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm print_flood;
    }
--- request eval
["GET /slow?kib=4096&flush=1", "GET /fast?kib=8192&flush=1"]
--- timeout: 2
--- abort
--- ignore_response
--- wait: 0.5
--- error_log
wasm call cancelled while it waited: the client closed the connection
print_flood: accepted 8192, refused 0, first refusal None
--- no_error_log
print_flood: accepted 4096
