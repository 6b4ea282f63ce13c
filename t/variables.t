# nginx variables: get and set by name (ngx.var).
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: built-in, prefix and declared variables; unset and unknown ones
--- config
    location /t {
        set $declared "hello";
        set $empty "";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t?a=1
--- more_headers
X-Thing: th
X-Ops-Content: var declared|var DECLARED|var arg_a|var arg_missing|var http_x_thing|var request_method|var empty|var no_such_variable|var bad-name|report
--- response_body
op var -> 5 "hello"
op var -> 5 "hello"
op var -> 1 "1"
op var -> -1 ""
op var -> 2 "th"
op var -> 3 "GET"
op var -> 0 ""
op var -> -2 ""
op var -> -2 ""



=== TEST 2: setting a declared variable is seen by nginx; built-ins cannot be set
--- config
    location /t {
        set $target "unchanged";
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        add_header X-Target $target;
    }
--- request
GET /t
--- more_headers
X-Ops-Rewrite: set_var target changed|set_var request_method PUT|set_var nope x|set_var arg_a 1
X-Ops-Content: say ok
--- response_headers
X-Target: changed
--- response_body
ok
--- error_log
op set_var -> 0
op set_var -> -3
op set_var -> -2
op set_var -> -3



=== TEST 3: a value with CR, LF or NUL is refused, so it cannot reach a proxied request line
--- config
    location /t {
        set $ops_content "set_var args a\r\nX-Injected:_1|set_var args b\nc|set_var args ok=1|var args|report";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t?old=1
--- response_body
op set_var -> -2
op set_var -> -2
op set_var -> 0
op var -> 4 "ok=1"



=== TEST 4: rewrite handlers run after the rewrite module (postponed), unless told not to
--- config
    location /t {
        set $seen "set-by-config";
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Rewrite: var seen|ctx_set seen-in-rewrite ok
X-Ops-Content: ctx_get seen-in-rewrite|report
--- response_body
op ctx_get -> 2 "ok"
--- error_log
op var -> 13 "set-by-config"



=== TEST 5: with wasm_rewrite_no_postpone on, the guest runs before `set`
--- http_config
    wasm_rewrite_no_postpone on;
--- config
    location /t {
        set $seen "set-by-config";
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        return 200 "ok\n";
    }
--- request
GET /t
--- more_headers
X-Ops-Rewrite: var seen
--- response_body
ok
--- error_log
op var -> 0 ""
using uninitialized "seen" variable



=== TEST 6: a value longer than nginx can store (2^28 bytes or more) is refused, not stored cut
--- config
    location /t {
        set $target "short";
        wasm_max_memory 1g;
        content_by_wasm $TEST_NGINX_GUESTS/limits.wasm set_long_var;
    }
--- request eval
["GET /t", "GET /t?len=1000"]
--- response_body eval
["set 268435461: Err(BadArgument), reads back 5 bytes\n", "set 1000: Ok(()), reads back 1000 bytes\n"]
--- timeout: 30



=== TEST 7: any number of names, of any length, asked by a guest: unknown, long and uncached names still resolve, and real ones still do after them
--- config
    location /t {
        set $declared "hello";
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request eval
["GET /t", "GET /t"]
--- more_headers
X-Thing: th
X-Ops-Content: vars no_such_ 3000 40|vars http_x_ 1200 300|vars arg_ 1100 20|vars declared 1 8|var http_x_thing|var declared|var no_such_1|report
--- response_body eval
["op vars -> 0 \"unknown 3000, unset 0, found 0\"
op vars -> 0 \"unknown 0, unset 1200, found 0\"
op vars -> 0 \"unknown 0, unset 1100, found 0\"
op vars -> 0 \"unknown 1, unset 0, found 0\"
op var -> 2 \"th\"
op var -> 5 \"hello\"
op var -> -2 \"\"
", "op vars -> 0 \"unknown 3000, unset 0, found 0\"
op vars -> 0 \"unknown 0, unset 1200, found 0\"
op vars -> 0 \"unknown 0, unset 1100, found 0\"
op vars -> 0 \"unknown 1, unset 0, found 0\"
op var -> 2 \"th\"
op var -> 5 \"hello\"
op var -> -2 \"\"
"]
--- no_error_log
[error]
