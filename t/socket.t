# TCP sockets (ngx.socket.tcp): connect, send, receive by bytes, line, pattern, whatever
# arrived or until close, timeouts, errors as values, a keepalive pool, unix sockets. The
# peer is this same nginx: each socket here talks HTTP to a location of the test server.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: connect, send a request, read the status line, the head and the body until close
--- config
    location /hello {
        return 200 "hello over tcp";
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_get;
    }
--- request
GET /t?path=/hello
--- response_body
Ok("HTTP/1.1 200 OK | hello over tcp")
--- no_error_log
[error]



=== TEST 2: every receive mode on one response
--- config
    location /lines {
        return 200 "first line\r\nabcdefg--tail";
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_modes;
    }
--- request
GET /t
--- response_body
length 25
line "first line"
bytes "abcd"
until "efg"
too long Err(TooLarge)
any "tail"
after close Err(Closed)
--- no_error_log
[error]



=== TEST 3: errors are values: refused, bad arguments, a name without a resolver, a peer closing
--- config
    location /drop {
        return 444;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_errors;
    }
--- request
GET /t
--- response_body
refused Err(ConnectFailed), port 0 Err(BadArgument), bad host Err(BadArgument), name Err(ResolveFailed)
peer closed: Err(Closed)



=== TEST 4: a read timeout: the call goes on with Timeout, within its wasm_timeout
--- config
    wasm_timeout 20ms;
    location /slow {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_then_answer;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_timeout;
    }
--- request
GET /t?ms=50
--- response_body
Err(Timeout)
--- no_error_log
[error]



=== TEST 5: wasm_socket_read_timeout sets the default
--- config
    wasm_socket_read_timeout 30ms;
    location /slow {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_then_answer;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_timeout;
    }
--- request
GET /t
--- response_body
Err(Timeout)



=== TEST 6: keepalive: three requests on one pooled connection, the server sees one
--- config
    location /conn {
        return 200 "$connection";
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_keepalive;
    }
--- request
GET /t?n=3
--- response_body
reused 0
reused 1
reused 2
server connections: 1
--- no_error_log
[error]



=== TEST 7: a unix socket
--- http_config
    server {
        listen unix:$TEST_NGINX_SERVROOT/logs/wasm-test.sock;
        location / {
            return 200 "over a unix socket";
        }
    }
--- config
    location /t {
        set $sock_path $TEST_NGINX_SERVROOT/logs/wasm-test.sock;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_unix;
    }
--- request
GET /t
--- response_body
Ok("HTTP/1.1 200 OK | over a unix socket")
--- no_error_log
[error]



=== TEST 8: filters and log cannot use sockets: NotAllowed
--- config
    location /t {
        header_filter_by_wasm $TEST_NGINX_GUESTS/wait.wasm try_connect;
        log_by_wasm $TEST_NGINX_GUESTS/wait.wasm try_connect;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_say;
    }
--- request
GET /t
--- response_body
sleep(0) -> Ok(()), waited at least 0 ms
--- error_log
connect in HeaderFilter returned Err(NotAllowed)
connect in Log returned Err(NotAllowed)
--- no_error_log
[error]



=== TEST 9: the client goes away while a socket waits: the call is cancelled, the socket closed
--- config
    location /slower {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sleep_then_answer;
    }
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_timeout;
    }
--- request
GET /t?ms=60000&path=/slower%3Fms%3D60000
--- timeout: 0.3
--- abort
--- ignore_response
--- wait: 0.2
--- error_log
wasm call cancelled while it waited: the client closed the connection (module: "
export: "sock_timeout", engine: 
--- no_error_log
[error]



=== TEST 10: a bad socket timeout is refused by nginx -t
--- config
    wasm_socket_connect_timeout soon;
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_get;
    }
--- must_die
--- error_log
invalid wasm_socket_connect_timeout "soon": expected a time greater than 0, such as 5s in
