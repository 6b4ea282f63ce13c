# Time and phase: now, get_phase in every request phase.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: get_phase names each phase; now is nginx's cached time
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        access_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        body_filter_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Rewrite: phase
X-Ops-Access: phase
X-Ops-Content: phase|now|report
X-Ops-Body-Filter: phase
--- response_body
op phase -> 7 "content"
op now -> 0 "sane"
--- error_log
op phase -> 7 "rewrite"
op phase -> 6 "access"
op phase -> 11 "body_filter"



=== TEST 2: server_rewrite
--- config
    server_rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    location /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- more_headers
X-Ops-Server-Rewrite: phase
--- response_body
ok
--- error_log
op phase -> 14 "server_rewrite"
