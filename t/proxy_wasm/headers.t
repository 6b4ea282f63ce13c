# proxy_wasm header maps (guests/proxy-wasm/pw_headers): pseudo-headers read, request headers
# set, added and removed before the content handler (here an upstream that echoes them),
# response headers changed in the header filter, :status read from the response map.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: pseudo-headers: :method, :path and :authority
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_headers.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- response_body
hello
--- error_log
pw_headers: GET /t localhost
--- no_error_log
[error]



=== TEST 2: request headers set, added and removed are what the upstream receives
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_headers.wasm;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/up;
    }
    location /up {
        return 200 "x-added=$http_x_added x-multi=$http_x_multi remove=$http_x_remove_me\n";
    }
--- request
GET /t
--- more_headers
X-Remove-Me: please
--- response_body
x-added=yes x-multi=2 remove=
--- no_error_log
[error]



=== TEST 3: every request header in order; add keeps the client's value beside the new one
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_headers.wasm;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- more_headers
X-Want-Pairs: 1
X-Multi: 1
X-Remove-Me: gone
--- response_body
hello
--- error_log
pw_headers pair: host=localhost
pw_headers pair: x-want-pairs=1
pw_headers pair: x-multi=1
pw_headers pair: x-multi=2
pw_headers pair: x-added=yes
--- no_error_log
pw_headers pair: x-remove-me
[error]
--- grep_error_log
pw_headers pair: x-multi=
--- grep_error_log_out
pw_headers pair: x-multi=
pw_headers pair: x-multi=



=== TEST 4: response headers: added, replaced, removed, and :status copied into a header
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_headers.wasm;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/up;
    }
    location /up {
        add_header x-upstream orig;
        add_header x-drop 1;
        return 200 "upstream says hi\n";
    }
--- request
GET /t
--- response_headers
x-filter: pw_headers
x-upstream: replaced
!x-drop
x-status: 200
--- response_body
upstream says hi
--- no_error_log
[error]



=== TEST 5: replacing a header the response lacks adds it; :status follows nginx's status
--- config
    location /t {
        proxy_wasm $TEST_NGINX_GUESTS/pw_headers.wasm;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/up;
    }
    location /up {
        return 404 "not here\n";
    }
--- request
GET /t
--- error_code: 404
--- response_headers
x-upstream: replaced
x-filter: pw_headers
x-status: 404
--- response_body
not here
