# guests/examples/routing: header-based routing with exec (rewrite phase).
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: X-Version picks the internal location; the URI and arguments follow
--- config
    location /api {
        rewrite_by_wasm $TEST_NGINX_GUESTS/routing.wasm route;
    }
    location /internal/v1 {
        internal;
        return 200 "v1 $uri $args\n";
    }
    location /internal/v2 {
        internal;
        return 200 "v2 $uri $args\n";
    }
--- request eval
["GET /api/users?id=7", "GET /api/users?id=7", "GET /internal/v1/x"]
--- more_headers
X-Version: v2
--- error_code eval
[200, 200, 404]
--- response_body_like eval
["^v2 /internal/v2/api/users id=7\n\$", "^v2 /internal/v2/api/users id=7\n\$", "404 Not Found"]



=== TEST 2: without the header, v1
--- config
    location /api {
        rewrite_by_wasm $TEST_NGINX_GUESTS/routing.wasm route;
    }
    location /internal/v1 {
        internal;
        return 200 "v1 $uri\n";
    }
--- request
GET /api/x
--- response_body
v1 /internal/v1/api/x
