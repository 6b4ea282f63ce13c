# sleep (ngx.sleep): the call waits on an nginx timer while the worker goes on serving;
# sleep(0) waits for the next event loop turn. Allowed where a handler may answer
# (server_rewrite, rewrite, access, content); refused elsewhere. The time slept is not
# charged to wasm_timeout.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: sleep in a content handler, then answer
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_say;
    }
--- request
GET /t?ms=50
--- response_body
sleep(50) -> Ok(()), waited at least 50 ms
--- no_error_log
[error]



=== TEST 2: sleep(0) yields once and goes on
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_say;
    }
--- request
GET /t?ms=0
--- response_body
sleep(0) -> Ok(()), waited at least 0 ms
--- no_error_log
[error]



=== TEST 3: many sleeps in one call; the instance serves the next request
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_loop;
    }
--- request eval
["GET /t?n=5&ms=0", "GET /t?n=2&ms=3"]
--- response_body eval
["0\n1\n2\n3\n4\ndone\n", "0\n1\ndone\n"]
--- no_error_log
[error]



=== TEST 4: output flushed before the sleep has gone out; the rest follows it
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_streaming;
    }
--- request
GET /t
--- response_body
part 1
part 2
--- response_headers
Transfer-Encoding: chunked
--- no_error_log
[error]



=== TEST 5: sleep in rewrite and access handlers; the request goes on to its content handler
--- config
    location /rewrite {
        rewrite_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_then_pass;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm show_slept;
    }
    location /access {
        access_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_then_pass;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm show_slept;
    }
--- request eval
["GET /rewrite", "GET /access?ms=0"]
--- response_body eval
["ctx Some(\"Ok(()) in Rewrite\"), header Some(\"yes\")\n",
 "ctx Some(\"Ok(()) in Access\"), header Some(\"yes\")\n"]
--- no_error_log
[error]



=== TEST 6: sleep in server_rewrite
--- config
    server_rewrite_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_then_pass;
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm show_slept;
    }
--- request
GET /t
--- response_body
ctx Some("Ok(()) in ServerRewrite"), header Some("yes")
--- no_error_log
[error]



=== TEST 7: an access handler sleeps, then denies
--- config
    location /t {
        access_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_then_deny;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm show_slept;
    }
--- request
GET /t
--- error_code: 403
--- no_error_log
[error]



=== TEST 8: filters, log and init_worker cannot sleep: NotAllowed, at once
--- http_config
    init_worker_by_wasm $TEST_NGINX_GUESTS/wait.wasm try_sleep;
--- config
    location /t {
        header_filter_by_wasm $TEST_NGINX_GUESTS/wait.wasm try_sleep;
        body_filter_by_wasm $TEST_NGINX_GUESTS/wait.wasm try_sleep;
        log_by_wasm $TEST_NGINX_GUESTS/wait.wasm try_sleep;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_say;
    }
--- request
GET /t?ms=1
--- response_body
sleep(1) -> Ok(()), waited at least 1 ms
--- error_log
sleep in InitWorker returned Err(NotAllowed)
sleep in HeaderFilter returned Err(NotAllowed)
sleep in BodyFilter returned Err(NotAllowed)
sleep in Log returned Err(NotAllowed)
--- no_error_log
[error]



=== TEST 9: a negative delay is refused (-2)
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_bad;
    }
--- request
GET /t
--- response_body
raw -2, sdk Err(BadArgument), same true
--- no_error_log
[error]



=== TEST 10: time asleep is not charged to wasm_timeout; running after the sleep is
--- config
    wasm_timeout 50ms;
    location /answer {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_then_answer;
    }
    location /spin {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_then_spin;
    }
--- request eval
["GET /answer?ms=150", "GET /spin", "GET /answer?ms=0"]
--- error_code eval
[200, 500, 200]
--- response_body_like eval
["done", "500 Internal Server Error", "done"]
--- error_log
wasm guest stopped: timeout 50ms exceeded (module: "
wait.wasm", export: "sleep_then_spin", engine: 



=== TEST 11: the client goes away during a sleep: the call is cancelled, the worker goes on
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_say;
    }
--- request
GET /t?ms=60000
--- timeout: 0.3
--- abort
--- ignore_response
--- wait: 0.2
--- error_log
client prematurely closed connection
wasm call cancelled while it waited: the client closed the connection (module: "
wait.wasm", export: "sleep_say", engine: 
phase: content
--- no_error_log
[error]



=== TEST 12: per-request isolation keeps the fresh instance across the sleeps
--- config
    wasm_isolation request;
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_loop;
    }
--- request
GET /t?n=3&ms=1
--- response_body
0
1
2
done
--- no_error_log
[error]
