# The request body: wasm_need_request_body reads it before the handler; get it in chunks.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: the body is read before the content handler and read in chunks
--- config
    location /t {
        wasm_need_request_body on;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
POST /t
hello, request body
--- more_headers
X-Ops-Content: body_len|body 4|report
--- response_body
op body_len -> 19
op body -> 19 "hello, request body"



=== TEST 2: a body in a temporary file is read from it
--- config
    location /t {
        client_body_in_file_only clean;
        wasm_need_request_body on;
        rewrite_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
POST /t
0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789
--- more_headers
X-Ops-Rewrite: body_len|ctx_set seen yes
X-Ops-Content: body_len|body 33|ctx_get seen|report
--- response_body
op body_len -> 100
op body -> 100 "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
op ctx_get -> 3 "yes"
--- error_log
op body_len -> 100



=== TEST 3: without wasm_need_request_body there is no body to get
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
POST /t
abc
--- more_headers
X-Ops-Content: body_len|body 4|report
--- response_body
op body_len -> -1
op body -> -1 ""



=== TEST 4: discard in access; discarding after reading is refused
--- config
    location /t {
        access_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
    location /read {
        wasm_need_request_body on;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request eval
["POST /t\nxyz", "POST /read\nxyz"]
--- more_headers
X-Ops-Access: discard_body
X-Ops-Content: body_len|discard_body|report
--- response_body eval
["op body_len -> -1\nop discard_body -> 0\n", "op body_len -> 3\nop discard_body -> -3\n"]
--- error_log
op discard_body -> 0



=== TEST 5: the body is readable in the log phase, refused in the header filter
--- config
    location /t {
        wasm_need_request_body on;
        lingering_close off;
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        header_filter_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        log_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
POST /t
logged body
--- more_headers
X-Ops-Content: say ok
X-Ops-Header-Filter: body_len
X-Ops-Log: body 100
--- response_body
ok
--- error_log
op body_len -> -3
op body -> 11 "logged body"
