# req_read_body (ngx.req.read_body): the request body read on demand. A body nginx has
# already received is there at once; a larger one makes the call wait while nginx reads
# it, without blocking the worker. A content handler that does not read the body has it
# discarded before the response, as nginx's own content handlers do.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: a small body is read and seen
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm read_body_describe;
    }
--- request
POST /t
hello, world
--- response_body
before None, read Ok(()), again Ok(()): 12 bytes, starts "hello, w", fnv 4d0ea41d
--- no_error_log
[error]



=== TEST 2: a body larger than client_body_buffer_size is read into a file while the call waits
--- config
    client_body_buffer_size 1k;
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm read_body_describe;
    }
--- request eval
"POST /t\n" . ("0123456789" x 50000)
--- response_body
before None, read Ok(()), again Ok(()): 500000 bytes, starts "01234567", fnv 7ce98005
--- no_error_log
[error]



=== TEST 3: a request without a body reads an empty one
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm read_body_describe;
    }
--- request
GET /t
--- response_body
before None, read Ok(()), again Ok(()): 0 bytes, starts "", fnv 811c9dc5
--- no_error_log
[error]



=== TEST 4: a discarded body is not read, and reading it is no error
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm discard_then_read;
    }
--- request
POST /t
hello
--- response_body
discard Ok(()), read Ok(()), body None
--- no_error_log
[error]



=== TEST 5: read in rewrite and in access; the content handler sees the same body
--- config
    location /rewrite {
        rewrite_by_wasm $TEST_NGINX_GUESTS/wait.wasm read_body_early;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm show_body_early;
    }
    location /access {
        client_body_buffer_size 1k;
        access_by_wasm $TEST_NGINX_GUESTS/wait.wasm read_body_early;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm read_body_describe;
    }
--- request eval
["POST /rewrite\nabc", "POST /access\n" . ("x" x 3000)]
--- response_body eval
["early Some(\"Ok(()) Some(3)\"), here Some(\"abc\")\n",
 "before Some(3000), read Ok(()), again Ok(()): 3000 bytes, starts \"xxxxxxxx\", fnv 82dd04a5\n"]
--- no_error_log
[error]



=== TEST 6: a body the content handler does not read is discarded before the answer
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm ignore_body;
    }
--- request eval
["POST /t\nsome body that nobody reads", "POST /t\nanother", "GET /t"]
--- response_body eval
["ignored, body None\n", "ignored, body None\n", "ignored, body None\n"]
--- no_error_log
[error]



=== TEST 7: wasm_need_request_body on still reads the body first; read_body finds it read
--- config
    location /t {
        wasm_need_request_body on;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm read_body_describe;
    }
--- request
POST /t
hello, world
--- response_body
before Some(12), read Ok(()), again Ok(()): 12 bytes, starts "hello, w", fnv 4d0ea41d
--- no_error_log
[error]
