# guests/c/hello.c: a C guest built with clang --target=wasm32 against ngx_wasm_guest_abi.h.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: the C guest reads an argument and a header and answers
--- config
    location /c {
        content_by_wasm $TEST_NGINX_GUESTS/hello_c.wasm on_content;
    }
--- request eval
["GET /c?name=ngx", "GET /c"]
--- more_headers
User-Agent: c-test
--- response_headers
X-Guest: c
--- response_body eval
["hello, ngx (c-test)\n", "hello, world (c-test)\n"]
