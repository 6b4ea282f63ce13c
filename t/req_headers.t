# Request headers: get one (all values), iterate all, set, add, clear.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: get joins repeated headers; iteration keeps order
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Multi: a
X-Multi: b
X-Ops-Content: header x-multi|header X-MULTI|header absent|report
--- response_body
op header -> 4 "a, b"
op header -> 4 "a, b"
op header -> -1 ""



=== TEST 2: set, add and clear are seen by nginx variables and later phases
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Remove: 1
User-Agent: old-agent
X-Ops-Rewrite: set_header X-New v1|add_header X-Added a|add_header X-Added b|clear_header X-Remove|set_header User-Agent new-agent
X-Ops-Content: header x-new|header x-added|header x-remove|var http_user_agent|var http_x_new|report
--- response_body
op header -> 2 "v1"
op header -> 4 "a, b"
op header -> -1 ""
op var -> 9 "new-agent"
op var -> 2 "v1"



=== TEST 3: headers changed in access are what a proxied upstream receives
--- config
    location /t {
        access_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/echo;
    }
    location /echo {
        return 200 "x-new=$http_x_new host=$host ops=$http_x_ops_access\n";
    }
--- request
GET /t
--- more_headers
X-Ops-Access: set_header X-New from-wasm|clear_header X-Ops-Access
--- response_body
x-new=from-wasm host=127.0.0.1 ops=



=== TEST 4: bad names and values are refused; body framing headers are not the guest's
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: set_header bad(name) v|add_header X-Empty|set_header Content-Length 5|clear_header Transfer-Encoding|report
--- response_body
op set_header -> -2
op add_header -> -2
op set_header -> -3
op clear_header -> -3



=== TEST 5: changes are refused after the content phase
--- config
    location /t {
        header_filter_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        return 200 "ok\n";
    }
--- request
GET /t
--- more_headers
X-Ops-Header-Filter: set_header X-A 1|header x-ops-header-filter
--- response_body
ok
--- error_log
op set_header -> -3
op header -> 43 "set_header X-A 1|header x-ops-header-filter"
