# The per-request context (ngx.ctx): shared by all phases of one request, not across requests.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: values set in rewrite and access are seen in content, filters and log
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        access_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        header_filter_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        log_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Rewrite: ctx_set a 1|ctx_set b 2
X-Ops-Access: ctx_set a 10|ctx_delete b|ctx_delete b
X-Ops-Content: ctx_get a|ctx_get b|report
X-Ops-Header-Filter: ctx_get a
X-Ops-Log: ctx_get a
--- response_body
op ctx_get -> 2 "10"
op ctx_get -> -1 ""
--- error_log
op ctx_delete -> 0
op ctx_delete -> -1



=== TEST 2: a new request starts empty; an empty key is refused
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request eval
["GET /t", "GET /t"]
--- more_headers
X-Ops-Content: ctx_get k|ctx_set k v|ctx_set|report
--- response_body eval
["op ctx_get -> -1 \"\"\nop ctx_set -> 0\nop ctx_set -> -2\n", "op ctx_get -> -1 \"\"\nop ctx_set -> 0\nop ctx_set -> -2\n"]
