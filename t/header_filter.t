# header_filter_by_wasm: runs before the response header is sent; may change status and
# headers; output and request changes are refused there.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: the header filter sees and changes the response of another handler
--- config
    location /t {
        header_filter_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: set_status 201|resp_set_header X-Upstream yes|say created
X-Ops-Header-Filter: status|resp_header x-upstream|resp_set_header X-Filtered 1|set_status 202|say no|exit 200|phase
--- error_code: 202
--- response_headers
X-Filtered: 1
--- response_body
created
--- error_log
op status -> 201
op resp_header -> 3 "yes"
op resp_set_header -> 0
op set_status -> 0
op say -> -3
op exit -> -3
op phase -> 13 "header_filter"



=== TEST 2: the header filter may clear Content-Length (not set it): the body then goes chunked
--- config
    location /t {
        header_filter_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        return 200 "twelve bytes";
    }
--- request
GET /t
--- more_headers
X-Ops-Header-Filter: resp_set_header Content-Length 3|resp_clear_header Content-Length
--- response_headers
!Content-Length
Transfer-Encoding: chunked
--- response_body chomp
twelve bytes
--- error_log
op resp_set_header -> -3
op resp_clear_header -> 0



=== TEST 3: a trap in the header filter answers 500 instead
--- config
    location /t {
        header_filter_by_wasm $TEST_NGINX_GUESTS/api.wasm run_then_trap;
        return 200 "original\n";
    }
    location /ok {
        return 200 "ok\n";
    }
--- request eval
["GET /t", "GET /ok"]
--- error_code eval
[500, 200]
--- error_log
wasm guest trapped: wasm trap: wasm `unreachable` instruction executed
phase: header_filter
