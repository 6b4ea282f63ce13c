# guests/examples/user_greeting: a JSON service called through the SDK's HTTP client on a
# socket (lua-resty-http's request_uri), its answer decoded with serde_json.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: the service's user is greeted; a missing one is 404; a bad id 400 without a call
--- config
    location /users/ {
        default_type application/json;
        if ($uri = /users/ghost) {
            return 404 '{"error":"no such user"}';
        }
        return 200 '{"id":"7","name":"Ada Lovelace","roles":["admin"]}';
    }
    location /greet {
        set $users_port $server_port;
        content_by_wasm $TEST_NGINX_GUESTS/user_greeting.wasm greet;
    }
--- request eval
["GET /greet?id=7", "GET /greet?id=ghost", "GET /greet?id=..%2Fx"]
--- error_code eval
[200, 404, 400]
--- response_body_like eval
["^Hello, Ada Lovelace!\n\$", "404 Not Found", "400 Bad Request"]
--- no_error_log
[error]



=== TEST 2: a service that is down answers 502, logged; one that answers garbage too
--- config
    location /users/ {
        return 200 "not json";
    }
    location /down {
        set $users_port 1;
        content_by_wasm $TEST_NGINX_GUESTS/user_greeting.wasm greet;
    }
    location /greet {
        set $users_port $server_port;
        content_by_wasm $TEST_NGINX_GUESTS/user_greeting.wasm greet;
    }
--- request eval
["GET /down?id=7", "GET /greet?id=7"]
--- error_code eval
[502, 502]
--- error_log
users service: Socket(ConnectFailed)
users service answered 200 with an unexpected body
