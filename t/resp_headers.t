# Response headers: get one (all values), iterate, set, add, clear; nginx's own fields.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: set, add, clear, get and iterate in the content phase
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: resp_set_header X-A 1|resp_add_header Set-Cookie a=1|resp_add_header Set-Cookie b=2|resp_set_header X-Gone x|resp_clear_header X-Gone|resp_set_header Content-Type application/json|resp_header set-cookie|resp_header x-gone|resp_headers|report
--- response_headers
X-A: 1
!X-Gone
Content-Type: application/json
--- response_body
op resp_set_header -> 0
op resp_add_header -> 0
op resp_add_header -> 0
op resp_set_header -> 0
op resp_clear_header -> 0
op resp_set_header -> 0
op resp_header -> 8 "a=1, b=2"
op resp_header -> -1 ""
op resp_headers -> 66 "X-A: 1; Set-Cookie: a=1; Set-Cookie: b=2; Content-Type: application/json"



=== TEST 2: Server, Location and Last-Modified replace nginx's own
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: resp_set_header Server wasm|resp_set_header Last-Modified Thu,_01_Jan_2015|say ok
--- response_headers
Server: wasm
Last-Modified: Thu,_01_Jan_2015
--- response_body
ok



=== TEST 3: managed headers and bad names or values are refused
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: resp_set_header Content-Length 3|resp_set_header Connection close|resp_set_header a:b v|resp_add_header X-Empty|resp_clear_header bad(name)|report
--- response_body
op resp_set_header -> -3
op resp_set_header -> -3
op resp_set_header -> -2
op resp_add_header -> -2
op resp_clear_header -> -2



=== TEST 4: headers set in rewrite stay when the request goes on; the body filter cannot set them
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        body_filter_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        return 200 "ok\n";
    }
--- http_config
    wasm_rewrite_no_postpone on;
--- request
GET /t
--- more_headers
X-Ops-Rewrite: resp_set_header X-From-Rewrite 1
X-Ops-Body-Filter: resp_set_header X-Late 1|resp_header x-from-rewrite
--- response_headers
X-From-Rewrite: 1
!X-Late
--- response_body
ok
--- error_log
op resp_set_header -> -3
op resp_header -> 1 "1"



=== TEST 5: clearing Server, Date and Content-Type sends none of them (not nginx's own, not default_type), as ngx.header.X = nil does
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: resp_clear_header Server|resp_clear_header Date|resp_clear_header Content-Type|say hi
--- response_headers
!Server
!Date
!Content-Type
--- response_body
hi



=== TEST 6: a header cleared, then set again, is sent once with the new value
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: resp_clear_header Server|resp_set_header Server mine|resp_clear_header Content-Type|resp_set_header Content-Type text/x-mine|say hi
--- response_headers
Server: mine
Content-Type: text/x-mine
