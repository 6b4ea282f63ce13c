# Subrequests captured in memory (ngx.location.capture, capture_multi): subreq_add queues,
# subreq_wait issues them in parallel and waits for all, without blocking the worker; each
# answer (status, headers, body) is read by id. A subrequest to a proxy_pass location is
# nginx's own outbound HTTP call.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: capture one location: status, body, headers (not add_header's, which runs after the capture, as in OpenResty)
--- config
    location /backend {
        add_header X-Backend yes;
        default_type text/plain;
        return 200 "from backend";
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm capture;
    }
--- request
GET /t
--- more_headers
X-Sub: GET /backend
--- response_body
0: 200 "from backend" truncated=false type=Some("text/plain") x=None
--- no_error_log
[error]



=== TEST 2: several in parallel, answers in order; method, args and body given
--- config
    location /echo {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm describe_request;
    }
    location /body {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm read_body_describe;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm capture;
    }
--- request
GET /t
--- more_headers
X-Sub: GET /echo?a=1 args=b=2|PUT /echo|POST /body body=payload|DELETE /echo args=x
--- response_body
0: 200 "GET /echo?a=1&b=2\n" truncated=false type=Some("text/plain") x=None
1: 200 "PUT /echo?\n" truncated=false type=Some("text/plain") x=None
2: 200 "before None, read Ok(()), again Ok(()): 7 bytes, starts \"payload\", fnv 330f77a5\n" truncated=false type=Some("text/plain") x=None
3: 200 "DELETE /echo?x\n" truncated=false type=Some("text/plain") x=None
--- no_error_log
[error]



=== TEST 3: a missing location answers 404, a failing one 500; the others are unaffected
--- config
    location /backend {
        default_type text/plain;
        return 200 "ok";
    }
    location /trap {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm on_content;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm capture;
    }
--- request
GET /t
--- more_headers
X-Sub: GET /backend|GET /nowhere|GET /trap|GET /backend
--- response_body_like
^0: 200 "ok" truncated=false type=Some\("text/plain"\) x=None
1: 404 "<html>.*" truncated=false type=Some\("text/html"\) x=None
2: 500 "<html>.*" truncated=false type=Some\("text/html"\) x=None
3: 200 "ok" truncated=false type=Some\("text/plain"\) x=None
$
--- error_log
wasm guest trapped



=== TEST 4: through proxy_pass: nginx's own HTTP client, with upstream headers
--- config
    location /upstream {
        add_header X-Backend upstream;
        default_type application/json;
        return 200 '{"id":7}';
    }
    location /proxy {
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/upstream;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm capture;
    }
--- request
GET /t
--- more_headers
X-Sub: GET /proxy
--- response_body
0: 200 "{\"id\":7}" truncated=false type=Some("application/json") x=Some("upstream")
--- no_error_log
[error]



=== TEST 5: variables: fresh by default, copied or shared on request
--- config
    location /var {
        default_type text/plain;
        return 200 "dog=$dog";
    }
    location /t {
        set $dog "hello";
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm capture;
    }
--- request
GET /t
--- more_headers
X-Sub: GET /var|GET /var vars=copy|GET /var vars=share
--- response_body
0: 200 "dog=" truncated=false type=Some("text/plain") x=None
1: 200 "dog=hello" truncated=false type=Some("text/plain") x=None
2: 200 "dog=hello" truncated=false type=Some("text/plain") x=None
--- no_error_log
[error]



=== TEST 6: 100 subrequests whose handlers sleep, all suspended on one worker at once
--- config
    location /sleepy {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleepy;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm capture_many;
    }
--- request
GET /t?n=100
--- response_body
100 of 100 answered 200, in order: true
--- no_error_log
[error]



=== TEST 7: unsafe URIs, bad args and methods are refused (-2) before anything is issued
--- config
    location /backend {
        return 200 "ok";
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm capture_unsafe;
    }
--- request
GET /t
--- response_body
"/../etc/passwd": Err(BadArgument)
"/a/../../b": Err(BadArgument)
"relative": Err(BadArgument)
"/a\r\nX: y": Err(BadArgument)
"/nul\0": Err(BadArgument)
args with a space: Err(BadArgument), lower-case method: Err(BadArgument)
--- error_log
unsafe URI "/../etc/passwd" was detected
unsafe URI "/a/../../b" was detected



=== TEST 8: a rewrite handler captures; the content handler sees what it got
--- config
    location /backend {
        return 200 "early";
    }
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/wait.wasm capture_early;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm show_captured;
    }
--- request
GET /t
--- response_body
captured Some("Ok(\"200 early\")")
--- no_error_log
[error]



=== TEST 9: filters and log cannot issue subrequests: NotAllowed
--- config
    location /backend {
        return 200 "ok";
    }
    location /t {
        header_filter_by_wasm $TEST_NGINX_GUESTS/wait.wasm try_capture;
        log_by_wasm $TEST_NGINX_GUESTS/wait.wasm try_capture;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_say;
    }
--- request
GET /t
--- response_body
sleep(0) -> Ok(()), waited at least 0 ms
--- error_log
capture in HeaderFilter returned Err(NotAllowed)
capture in Log returned Err(NotAllowed)
--- no_error_log
[error]



=== TEST 10: the client goes away while subrequests run: the call is cancelled
--- config
    location /sleepy {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleepy;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm capture;
    }
--- request
GET /t
--- more_headers
X-Sub: GET /sleepy args=ms=60000
--- timeout: 0.3
--- abort
--- ignore_response
--- wait: 0.2
--- error_log
wasm call cancelled while it waited: the client closed the connection (module: "
export: "capture", engine: 
--- no_error_log
[error]
