# WASI preview 1 (wasi_snapshot_preview1): a guest built for wasm32-wasip1 uses Rust's
# standard library as it would elsewhere. stdout and stderr are error-log lines (info, err),
# the clocks are the system's, random_get is the OS's CSPRNG, there are no arguments,
# environment, stdin bytes or files, std::thread::sleep waits on an nginx timer, and exit or
# a panic fails the call. A reactor's _initialize runs once per new instance.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: println! and eprintln! are error-log lines; a flushed write without a newline is a line too
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wasi.wasm stdio;
    }
--- request
GET /t?n=7
--- response_body
written
--- error_log
[wasm] hello from stdout, 7
[wasm] oops on stderr
[wasm] no newline



=== TEST 2: the system clock agrees with nginx's, the monotonic clock goes forward
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wasi.wasm clock;
    }
--- request
GET /t
--- response_body
clock ok
--- no_error_log
[error]



=== TEST 3: random_get fills the buffer
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wasi.wasm random;
    }
--- request eval
["GET /t", "GET /t"]
--- response_body_like eval
["^0 [0-9a-f]{32}$", "^0 [0-9a-f]{32}$"]
--- no_error_log
[error]



=== TEST 4: no arguments, no environment, an empty stdin, no file system
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wasi.wasm process;
    }
--- request
GET /t
--- response_body
args 0 vars 0 stdin Some(0) fs refused
--- no_error_log
[error]



=== TEST 5: std::thread::sleep waits on a timer: the time slept is not charged to wasm_timeout
--- config
    location /t {
        wasm_timeout 50ms;
        content_by_wasm $TEST_NGINX_GUESTS/wasi.wasm sleep;
    }
--- request
GET /t?ms=200
--- response_body
slept enough
--- no_error_log
[error]



=== TEST 6: where a call cannot wait (the log phase), poll_oneoff answers ENOTSUP (58) to a sleep: Rust's sleep panics on it, the call fails, the response is unharmed
--- config
    location /t {
        return 200 "ok\n";
        log_by_wasm $TEST_NGINX_GUESTS/wasi.wasm sleep;
    }
--- request
GET /t?ms=10
--- response_body
ok
--- error_log
left: 58
wasm guest trapped: wasm trap: wasm `unreachable` instruction executed (module: "



=== TEST 7: std::process::exit fails the call, whatever the code, with the code in the log
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wasi.wasm exits;
    }
--- request eval
["GET /t?code=3", "GET /t?code=0"]
--- error_code eval
[500, 500]
--- error_log
host function wasi_snapshot_preview1.proc_exit: the guest exited with code 3
host function wasi_snapshot_preview1.proc_exit: the guest exited with code 0



=== TEST 8: a panic answers 500; its message is on stderr, so in the error log
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wasi.wasm panics;
    }
    location /ok {
        content_by_wasm $TEST_NGINX_GUESTS/wasi.wasm clock;
    }
--- request eval
["GET /t", "GET /ok"]
--- error_code eval
[500, 200]
--- error_log
the guest panicked on purpose
wasm guest trapped: wasm trap: wasm `unreachable` instruction executed (module: "



=== TEST 9: a reactor's _initialize runs once per new instance, before the first export: once per worker, or once per request in request isolation
--- config
    location /worker {
        content_by_wasm $TEST_NGINX_GUESTS/wasi_reactor.wasm on_content;
    }
    location /request {
        wasm_isolation request;
        content_by_wasm $TEST_NGINX_GUESTS/wasi_reactor.wasm on_content;
    }
--- request eval
["GET /worker", "GET /worker", "GET /request", "GET /request", "GET /worker"]
--- response_body eval
["1 1\n", "1 2\n", "1 1\n", "1 1\n", "1 3\n"]
--- grep_error_log
[wasm] initialized
--- grep_error_log_out
[wasm] initialized
[wasm] initialized
[wasm] initialized
--- no_error_log
[error]



=== TEST 10: an _initialize that traps fails every instantiation: 500, with the reason; the worker goes on
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/wasi_init_trap.wasm on_content;
    }
    location /ok {
        return 200 "ok\n";
    }
--- request eval
["GET /t", "GET /t", "GET /ok"]
--- error_code eval
[500, 500, 200]
--- error_log
wasm guest instantiation failed: _initialize trapped: wasm trap: wasm `unreachable` instruction executed (module: "
