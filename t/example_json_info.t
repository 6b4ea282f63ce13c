# guests/examples/json_info: a JSON response built from arguments and headers.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: values are escaped; a missing argument is null
--- config
    location /info {
        content_by_wasm $TEST_NGINX_GUESTS/json_info.wasm info;
    }
--- request eval
["GET /info?name=a%22b%5Cc%0A", "GET /info"]
--- more_headers
User-Agent: tester/1.0
--- response_headers
Content-Type: application/json
--- response_body eval
["{\"name\":\"a\\\"b\\\\c\\n\",\"agent\":\"tester/1.0\",\"method\":\"GET\"}\n", "{\"name\":null,\"agent\":\"tester/1.0\",\"method\":\"GET\"}\n"]
