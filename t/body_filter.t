# body_filter_by_wasm: each chunk and the end-of-stream flag; replacing chunks.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: the body filter rewrites a static response; Content-Length is dropped
--- config
    location /t {
        body_filter_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        return 200 "hello world\n";
    }
--- request
GET /t
--- more_headers
X-Ops-Body-Filter: chunk|chunk_last|chunk_upper
--- response_headers
!Content-Length
--- response_body
HELLO WORLD
--- error_log
op chunk -> 12 "hello world
op chunk_last -> 1



=== TEST 2: a static file's body reaches the filter in memory (the module runs below the copy filter)
--- user_files
>>> page.txt
a static page
--- config
    location /page.txt {
        body_filter_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /page.txt
--- more_headers
X-Ops-Body-Filter: chunk|chunk_upper
--- response_headers
!Content-Length
--- response_body
A STATIC PAGE
--- error_log
op chunk -> 14 "a static page



=== TEST 3: every flushed chunk of a streamed wasm response passes the filter
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        body_filter_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: say one|flush|say two
X-Ops-Body-Filter: chunk_upper|chunk_last
--- response_body
ONE
TWO
--- error_log
op chunk_last -> 0
op chunk_last -> 1



=== TEST 4: replacing with an empty chunk drops data; header changes are refused
--- config
    location /t {
        body_filter_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        return 200 "secret\n";
    }
--- request
GET /t
--- more_headers
X-Ops-Body-Filter: chunk_set|set_status 500|resp_set_header X-A 1
--- response_body
--- error_log
op chunk_set -> 0
op set_status -> -3
op resp_set_header -> -3



=== TEST 5: body filter calls are refused in other phases
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
    }
--- request
GET /t
--- more_headers
X-Ops-Content: chunk|chunk_set x|chunk_last|report
--- response_body
op chunk -> -3 ""
op chunk_set -> -3
op chunk_last -> -3
