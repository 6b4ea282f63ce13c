# access_by_wasm: runs at the tail of the access phase (after allow/deny, auth_basic),
# answers or lets the request through.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: a request the guest lets through reaches the content handler
--- config
    location /t {
        access_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Access: phase|resp_set_header X-Checked 1
X-Ops-Content: say content
--- response_headers
X-Checked: 1
--- response_body
content
--- error_log
op phase -> 6 "access"



=== TEST 2: deny runs before the postponed guest; with no_postpone the guest runs first
--- config
    location /t {
        deny all;
        access_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Access: log 4 guest ran
--- error_code: 403
--- no_error_log
guest ran
--- error_log
access forbidden by rule



=== TEST 3: wasm_access_no_postpone on
--- http_config
    wasm_access_no_postpone on;
--- config
    location /t {
        deny all;
        access_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Access: log 4 guest ran
--- error_code: 403
--- error_log
guest ran



=== TEST 4: an answer with a body from access ends the request there
--- config
    location /t {
        access_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Access: set_status 403|say go away
--- error_code: 403
--- response_body
go away



=== TEST 5: a trap in access answers 500
--- config
    location /t {
        access_by_wasm $TEST_NGINX_GUESTS/api.wasm run_then_trap;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- error_code: 500
--- error_log
phase: access
