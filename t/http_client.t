# The Rust SDK's HTTP/1.1 client (ngx_wasm_guest::http) on TCP sockets: request line and
# headers out; Content-Length, chunked and close-delimited bodies back; keepalive reuse.
# The server is this same nginx.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: GET a JSON service twice: the second request reuses the pooled connection
--- config
    location /api/user {
        default_type application/json;
        return 200 '{"id":7,"accept":"$http_accept"}';
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm http_get;
    }
--- request
GET /t?path=/api/user&n=2
--- response_body
200 Some("application/json") reused=false "{\"id\":7,\"accept\":\"application/json\"}"
200 Some("application/json") reused=true "{\"id\":7,\"accept\":\"application/json\"}"
--- no_error_log
[error]



=== TEST 2: a chunked body is de-chunked; a close-delimited one read to the end (on a connection the worker's pool kept from the request before)
--- config
    location /chunked {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_streaming;
    }
    location /unframed {
        chunked_transfer_encoding off;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_streaming;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm http_get;
    }
--- request eval
["GET /t?path=/chunked&n=2", "GET /t?path=/unframed"]
--- response_body eval
["200 Some(\"text/plain\") reused=false \"part 1\\npart 2\\n\"\n200 Some(\"text/plain\") reused=true \"part 1\\npart 2\\n\"\n",
 "200 Some(\"text/plain\") reused=true \"part 1\\npart 2\\n\"\n"]
--- no_error_log
[error]



=== TEST 3: POST a body; the server reads it
--- config
    location /body {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm read_body_describe;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm http_post;
    }
--- request
GET /t?path=/body
--- response_body
200 "before None, read Ok(()), again Ok(()): 17 bytes, starts \"{\\\"hello\\\"\", fnv b5ccb6bb\n"
--- no_error_log
[error]



=== TEST 4: a body larger than the request's max_body is refused
--- config
    location /big {
        return 200 "0123456789abcdef";
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm http_post;
    }
--- request
GET /t?path=/big&max=10
--- response_body
failed: BodyTooLarge
