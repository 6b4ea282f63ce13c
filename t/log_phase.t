# log_by_wasm: after the response; reads request, response and ctx; output is refused.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: the log handler sees the final status, headers and the request's ctx
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        log_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Rewrite: ctx_set who rewrite
X-Ops-Content: exit 404
X-Ops-Log: phase|status|ctx_get who|uri|say no|resp_set_header X-A 1|set_var x 1
--- error_code: 404
--- error_log
op phase -> 3 "log"
op status -> 404
op ctx_get -> 7 "rewrite"
op uri -> 2 "/t"
op say -> -3
op resp_set_header -> -3



=== TEST 2: a trap in the log phase is logged; the response was already sent
--- config
    location /t {
        log_by_wasm $TEST_NGINX_GUESTS/api.wasm run_then_trap;
        return 200 "sent\n";
    }
--- request
GET /t
--- response_body
sent
--- error_log
phase: log
