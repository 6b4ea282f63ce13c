# TLS on guest sockets (`sock_sslhandshake`, OpenResty's `tcpsock:sslhandshake`): SNI,
# verification against `wasm_socket_ssl_trusted_certificate` and the server name, the verify
# depth, failures as values, TLS connections in the keepalive pool, and the SDK HTTP client
# over TLS. The peer is a TLS server block of the same nginx on a unix socket, with the
# certificates of t/cert/ (a root, an intermediate, a leaf for test.local).
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: a verified handshake with SNI; the TLS connection is pooled and reused
--- http_config
    server {
        listen unix:$TEST_NGINX_SERVROOT/logs/tls.sock ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        location / {
            return 200 "sni=[$ssl_server_name] $ssl_protocol";
        }
    }
--- config
    location /t {
        wasm_socket_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        set $tls_peer $TEST_NGINX_SERVROOT/logs/tls.sock;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_tls;
    }
--- request
GET /t?name=test.local&n=3
--- response_body
Ok("reused 0: HTTP/1.1 200 OK | sni=[test.local] TLSv1.3")
Ok("reused 1: HTTP/1.1 200 OK | sni=[test.local] TLSv1.3")
Ok("reused 2: HTTP/1.1 200 OK | sni=[test.local] TLSv1.3")
--- no_error_log
[error]


=== TEST 2: without verify and without a name: no SNI is sent and any certificate is accepted
--- http_config
    server {
        listen unix:$TEST_NGINX_SERVROOT/logs/tls.sock ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        location / {
            return 200 "sni=[$ssl_server_name] $ssl_protocol";
        }
    }
--- config
    location /t {
        set $tls_peer $TEST_NGINX_SERVROOT/logs/tls.sock;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_tls;
    }
--- request
GET /t?verify=0
--- response_body
Ok("reused 0: HTTP/1.1 200 OK | sni=[] TLSv1.3")
--- no_error_log
[error]


=== TEST 3: verify with no trusted certificate configured refuses the peer, and the socket is closed
--- http_config
    server {
        listen unix:$TEST_NGINX_SERVROOT/logs/tls.sock ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        location / {
            return 200 "sni=[$ssl_server_name] $ssl_protocol";
        }
    }
--- config
    location /t {
        set $tls_peer $TEST_NGINX_SERVROOT/logs/tls.sock;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_tls_errors;
    }
--- request
GET /t?name=test.local
--- response_body
Ok("Err(TlsVerifyFailed), then send Err(Closed)")
--- error_log
wasm socket: certificate verify error: (20: unable to get local issuer certificate)


=== TEST 4: a certificate for another name is refused
--- http_config
    server {
        listen unix:$TEST_NGINX_SERVROOT/logs/tls.sock ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        location / {
            return 200 "sni=[$ssl_server_name] $ssl_protocol";
        }
    }
--- config
    location /t {
        wasm_socket_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        set $tls_peer $TEST_NGINX_SERVROOT/logs/tls.sock;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_tls_errors;
    }
--- request
GET /t?name=other.local
--- response_body
Ok("Err(TlsVerifyFailed), then send Err(Closed)")
--- error_log
wasm socket: certificate does not match host "other.local"


=== TEST 5: wasm_socket_ssl_verify_depth 0 refuses a chain with an intermediate (OpenSSL then finds no issuer); the default (1) takes it
--- http_config
    server {
        listen unix:$TEST_NGINX_SERVROOT/logs/tls.sock ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        location / {
            return 200 "sni=[$ssl_server_name] $ssl_protocol";
        }
    }
--- config
    location /t {
        wasm_socket_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        wasm_socket_ssl_verify_depth 0;
        set $tls_peer $TEST_NGINX_SERVROOT/logs/tls.sock;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_tls_errors;
    }
    location /ok {
        wasm_socket_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        set $tls_peer $TEST_NGINX_SERVROOT/logs/tls.sock;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_tls_errors;
    }
--- request eval
["GET /t?name=test.local", "GET /ok?name=test.local"]
--- response_body eval
["Ok(\"Err(TlsVerifyFailed), then send Err(Closed)\")\n", "Ok(\"Ok(()), then send Ok(())\")\n"]
--- error_log
wasm socket: certificate verify error: (20: unable to get local issuer certificate)


=== TEST 6: a peer that speaks no TLS: the handshake fails as a value, nginx logs why
--- config
    location /t {
        set $tls_peer 127.0.0.1:$TEST_NGINX_SERVER_PORT;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_tls_errors;
    }
--- request
GET /t?verify=0
--- response_body
Ok("Err(TlsFailed), then send Err(Closed)")
--- error_log
SSL_do_handshake() failed


=== TEST 7: the SDK HTTP client over TLS, verified, with keepalive
--- http_config
    server {
        listen unix:$TEST_NGINX_SERVROOT/logs/tls.sock ssl;
        ssl_certificate $TEST_NGINX_CERT_DIR/server.crt;
        ssl_certificate_key $TEST_NGINX_CERT_DIR/server.key;
        location / {
            return 200 "sni=[$ssl_server_name] $ssl_protocol";
        }
    }
--- config
    location /t {
        wasm_socket_ssl_trusted_certificate $TEST_NGINX_CERT_DIR/ca.crt;
        set $tls_peer $TEST_NGINX_SERVROOT/logs/tls.sock;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm http_tls;
    }
--- request
GET /t?n=2
--- response_body
200 reused=false "sni=[test.local] TLSv1.3"
200 reused=true "sni=[test.local] TLSv1.3"
--- no_error_log
[error]


=== TEST 8: nginx -t: a trusted-certificate file that cannot be loaded
--- config
    location /t {
        wasm_socket_ssl_trusted_certificate /nonexistent/ca.pem;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_tls;
    }
--- must_die
--- error_log
cannot load the trusted certificates from "/nonexistent/ca.pem"



=== TEST 9: nginx -t: a verify depth out of range
--- config
    location /t {
        wasm_socket_ssl_verify_depth 101;
        content_by_wasm $TEST_NGINX_GUESTS/wait.wasm sock_tls;
    }
--- must_die
--- error_log
invalid wasm_socket_ssl_verify_depth "101": expected a number from 0 to 100
