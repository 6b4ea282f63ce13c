# wasm_max_instances: the most calls of one module a worker runs at once (each holds an
# instance, a call that waits keeps its own). Past it a request waits for a call to end, up
# to wasm_instance_queue_timeout, then is answered 503 with a log line.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: past the cap, calls wait their turn and all complete
--- http_config
    wasm_max_instances 2;
--- config
    location /sleepy {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleepy;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm capture_many;
    }
--- request
GET /t?n=5
--- response_body
5 of 5 answered 200, in order: true
--- no_error_log
[error]



=== TEST 2: no call ends in time: 503 after wasm_instance_queue_timeout, logged; the next request is served
--- http_config
    wasm_max_instances 1;
    wasm_instance_queue_timeout 100ms;
--- config
    location /sleepy {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleepy;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm capture_many;
    }
--- request eval
["GET /t?n=1", "GET /sleepy?ms=0"]
--- response_body eval
["0 of 1 answered 200, in order: false\n", "slept, ms=0\n"]
--- error_log
has 1 calls in progress (wasm_max_instances 1): no call ended within wasm_instance_queue_timeout 100ms, answering 503 (export: "sleepy", engine: 



=== TEST 3: where a call cannot wait (a header filter run by a flush), past the cap it answers 503 at once
--- http_config
    wasm_max_instances 1;
--- config
    location /t {
        header_filter_by_wasm $TEST_NGINX_GUESTS/wait.wasm try_sleep;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_streaming;
    }
--- request
GET /t
--- error_code: 503
--- error_log
has 1 calls in progress (wasm_max_instances 1): this phase cannot wait for one to end, answering 503



=== TEST 4: bad values are refused by nginx -t with file and line
--- http_config
    wasm_max_instances 0;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_say;
    }
--- must_die
--- error_log
invalid wasm_max_instances "0": expected a number of instances from 1 to 100000 in



=== TEST 5: a bad queue timeout is refused
--- http_config
    wasm_instance_queue_timeout never;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_say;
    }
--- must_die
--- error_log
invalid wasm_instance_queue_timeout "never": expected a time greater than 0, such as 3s in
