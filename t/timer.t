# Timers (OpenResty's ngx.timer.at / ngx.timer.every) through the SDK: an export of the
# calling module runs later, outside any request, in the "timer" phase; the limits on
# pending and running timers; failures of a run; what a run may do; timers added from
# init_worker, the log phase and another timer; nginx -t errors. Runs count themselves in
# the shared dictionary "timers" under their argument. What a graceful shutdown does to
# pending timers needs a master process: `make shdict-check`.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: timer_at runs the export once, later, in the timer phase
--- http_config
    wasm_shared_dict timers 1m;
--- config
    location /add {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule;
    }
    location /show {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm show;
    }
--- request eval
["GET /add?arg=a&delay=20", "GET /show?k=a&ms=150"]
--- response_body eval
["at tick -> Ok(())
pending 1 running 0
", "a: Some(Number(1.0))
"]
--- grep_error_log
tick a run Ok(1.0) phase Timer exiting false, context: timer
--- grep_error_log_out
tick a run Ok(1.0) phase Timer exiting false, context: timer
--- no_error_log
[error]



=== TEST 2: timer_every runs again and again
--- http_config
    wasm_shared_dict timers 1m;
--- config
    location /add {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule;
    }
    location /show {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm show;
    }
--- request eval
["GET /add?arg=e&delay=10&every=1", "GET /show?k=e&ms=200&min=5"]
--- response_body eval
["every tick -> Ok(())
pending 1 running 0
", "e: at least 5
"]
--- no_error_log
[error]



=== TEST 3: bad arguments are refused, with nothing scheduled
--- http_config
    wasm_shared_dict timers 1m;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule_bad;
    }
    location /add {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule;
    }
--- request eval
["GET /t", "GET /add?n=0"]
--- response_body eval
["[-2, -2, -2, -2, -2, -2, -2]
", "pending 0 running 0
"]
--- no_error_log
[error]



=== TEST 4: wasm_max_pending_timers: past it, -14 (too many pending timers)
--- http_config
    wasm_shared_dict timers 1m;
    wasm_max_pending_timers 2;
--- config
    location /add {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule;
    }
--- request
GET /add?arg=p&delay=5000&n=3
--- response_body
at tick -> Ok(())
at tick -> Ok(())
at tick -> Err(TooMany)
pending 2 running 0
--- no_error_log
[error]



=== TEST 5: wasm_max_running_timers: a timer due while the limit is reached is not run
--- http_config
    wasm_shared_dict timers 1m;
    wasm_max_running_timers 1;
--- config
    location /add {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule;
    }
    location /show {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm show;
    }
--- request eval
["GET /add?export=tick_sleep&arg=100:r&n=2", "GET /show?k=100:r&ms=300"]
--- response_body eval
["at tick_sleep -> Ok(())
at tick_sleep -> Ok(())
pending 2 running 0
", "100:r: Some(Number(1.0))
"]
--- error_log
[alert]
1 wasm_max_running_timers are not enough (module: "
timer.wasm", export: "tick_sleep")
--- grep_error_log
tick_sleep 100:r slept Ok(())
--- grep_error_log_out
tick_sleep 100:r slept Ok(())



=== TEST 6: a run that sleeps waits on the event loop and counts as running meanwhile
--- http_config
    wasm_shared_dict timers 1m;
--- config
    location /add {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule;
    }
    location /show {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm show;
    }
    location /counts {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule;
    }
--- request eval
["GET /add?export=tick_sleep&arg=150:s", "GET /counts?n=0&sleep=50", "GET /show?k=150:s&ms=250"]
--- response_body eval
["at tick_sleep -> Ok(())
pending 1 running 0
", "pending 0 running 1
", "150:s: Some(Number(1.0))
"]
--- error_log
tick_sleep 150:s slept Ok(())
--- no_error_log
[error]



=== TEST 7: a run that traps is logged with its phase; a repeating timer goes on
--- http_config
    wasm_shared_dict timers 1m;
--- config
    location /add {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule;
    }
    location /show {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm show;
    }
--- request eval
["GET /add?export=tick_trap&arg=t&delay=20&every=1", "GET /show?k=t&ms=200&min=3"]
--- response_body eval
["every tick_trap -> Ok(())
pending 1 running 0
", "t: at least 3
"]
--- error_log
export: "tick_trap", engine:
phase: timer



=== TEST 8: a run that never ends is stopped by the http level's wasm_timeout
--- http_config
    wasm_shared_dict timers 1m;
    wasm_timeout 50ms;
--- config
    location /add {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule;
    }
    location /show {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm show;
    }
--- request eval
["GET /add?export=tick_spin&arg=spin", "GET /show?k=spin&ms=300"]
--- response_body eval
["at tick_spin -> Ok(())
pending 1 running 0
", "spin: Some(Number(1.0))
"]
--- error_log
wasm guest stopped: timeout 50ms exceeded (module: "
export: "tick_spin"
phase: timer)



=== TEST 9: in a timer the request API refuses; the run has a context of its own
--- http_config
    wasm_shared_dict timers 1m;
--- config
    location /add {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule;
    }
    location /show {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm show;
    }
--- request eval
["GET /add?export=tick_apis&arg=api", "GET /show?k=api&ms=100"]
--- response_body eval
["at tick_apis -> Ok(())
pending 1 running 0
", "api: Some(Number(1.0))
"]
--- error_log
tick_apis uri -3 say Err(NotAllowed) ctx_set Ok(()) ctx_get Some([118]) var None counts (0, 1) worker 0/1, context: timer
--- no_error_log
[error]



=== TEST 10: init_worker adds a timer
--- http_config
    wasm_shared_dict timers 1m;
    init_worker_by_wasm $TEST_NGINX_GUESTS/timer.wasm init;
--- config
    location /show {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm show;
    }
--- request eval
["GET /show?k=from_init_worker&ms=100"]
--- response_body eval
["from_init_worker: Some(Number(1.0))
"]
--- error_log
init_worker added a timer: Ok(())
tick from_init_worker run Ok(1.0) phase Timer exiting false
--- no_error_log
[error]



=== TEST 11: the log phase and a timer itself add timers
--- http_config
    wasm_shared_dict timers 1m;
--- config
    location /logged {
        return 200 "ok\n";
        log_by_wasm $TEST_NGINX_GUESTS/timer.wasm log_then_timer;
    }
    location /add {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule;
    }
    location /show {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm show;
    }
--- request eval
["GET /logged", "GET /add?export=tick_nested&arg=n", "GET /show?k=n-child&ms=100", "GET /show?k=from_log"]
--- response_body eval
["ok
", "at tick_nested -> Ok(())
pending 1 running 0
", "n-child: Some(Number(1.0))
", "from_log: Some(Number(1.0))
"]
--- error_log
log phase added a timer: Ok(())
tick_nested n added child Ok(())
--- no_error_log
[error]



=== TEST 12: names that are not exports of the calling module are refused
--- http_config
    wasm_shared_dict timers 1m;
--- config
    location /add {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule;
    }
--- request eval
["GET /add?export=schedule_missing", "GET /add?export=run"]
--- response_body eval
["at schedule_missing -> Err(BadArgument)
pending 0 running 0
", "at run -> Err(BadArgument)
pending 0 running 0
"]
--- no_error_log
[error]



=== TEST 13: a timer's run talks HTTP over a socket (the SDK client), with the http level's settings
--- http_config
    wasm_shared_dict timers 1m;
--- config
    location /add {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule_fetch;
    }
    location /show {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm show_fetched;
    }
    location /backend {
        return 200 "from the backend\n";
    }
--- request eval
["GET /add?path=/backend", "GET /show?ms=200"]
--- response_body eval
["at tick_fetch -> Ok(())
", "fetched: 200 from the backend
"]
--- error_log
tick_fetch /backend: 200 from the backend, context: timer
--- no_error_log
[error]



=== TEST 14: nginx -t: a bad wasm_max_pending_timers, at its file:line
--- http_config
    wasm_max_pending_timers 0;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule;
    }
--- must_die
--- error_log
invalid wasm_max_pending_timers "0": expected a number of timers from 1 to 1000000
nginx.conf:



=== TEST 15: nginx -t: wasm_max_running_timers given twice
--- http_config
    wasm_max_running_timers 10;
    wasm_max_running_timers 20;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/timer.wasm schedule;
    }
--- must_die
--- error_log
"wasm_max_running_timers" directive is duplicate
