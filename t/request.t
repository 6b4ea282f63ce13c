# Request line and arguments: method, URI, query string, one argument, HTTP version,
# internal flag, start time; in every phase they are allowed, refused where they are not.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: getters in the content phase
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t/a%20b?x=1&name=J%C3%BCrg+en&flag
--- more_headers
X-Ops-Content: method|uri|query|arg name|arg flag|arg missing|version|internal|start_time|report
--- response_body
op method -> 3 "GET"
op uri -> 6 "/t/a b"
op query -> 26 "x=1&name=J%C3%BCrg+en&flag"
op arg -> 8 "Jürg en"
op arg -> 0 ""
op arg -> -1 ""
op version -> 11
op internal -> 0
op start_time -> 0 "sane"



=== TEST 2: rewrite changes method, query and URI; jump re-runs location matching
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /new {
        return 200 "$request_method $uri $args\n";
    }
--- request
GET /t?old=1
--- more_headers
X-Ops-Rewrite: set_method POST|set_query a=1&b=2|set_uri /new/place 1
--- response_body
POST /new/place a=1&b=2
--- error_log
op set_method -> 0
op set_query -> 0
op set_uri -> 0



=== TEST 3: bad arguments (a `..` segment too) are refused with -2; jump outside rewrite with -3
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: set_method FETCH|set_method get|set_uri relative 0|set_uri /../../etc/hostname 0|set_uri /x 2|set_uri /x 1|set_query a#b|report
--- response_body
op set_method -> -2
op set_method -> -2
op set_uri -> -2
op set_uri -> -2
op set_uri -> -2
op set_uri -> -3
op set_query -> -2



=== TEST 4: setters are refused in the log phase; getters work there
--- config
    location /t {
        log_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        return 200 "ok\n";
    }
--- request
GET /t?k=v
--- more_headers
X-Ops-Log: set_method POST|set_uri /x 0|uri|arg k
--- response_body
ok
--- error_log
op set_method -> -3
op set_uri -> -3
op uri -> 2 "/t"
op arg -> 1 "v"



=== TEST 5: an internal redirect is visible as is_internal
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /inner {
        internal;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Rewrite: exec /inner q=1
X-Ops-Content: internal|uri|query|report
--- response_body
op internal -> 1
op uri -> 6 "/inner"
op query -> 3 "q=1"
