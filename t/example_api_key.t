# guests/examples/api_key: an API-key check answering 401 in the access phase.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: the right key passes
--- config
    location /private {
        set $api_key "s3cret";
        access_by_wasm $TEST_NGINX_GUESTS/api_key.wasm check;
        return 200 "secret stuff\n";
    }
--- request
GET /private
--- more_headers
X-API-Key: s3cret
--- error_code: 200



=== TEST 2: a wrong or missing key gets 401 with WWW-Authenticate, before the content
--- config
    location /private {
        set $api_key "s3cret";
        access_by_wasm $TEST_NGINX_GUESTS/api_key.wasm check;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request eval
["GET /private", "GET /private"]
--- more_headers
X-API-Key: wrong
--- error_code eval
[401, 401]
--- response_headers
WWW-Authenticate: ApiKey realm="private"
--- response_body_like: 401 Authorization Required
--- error_log
[wasm] api key rejected for GET
