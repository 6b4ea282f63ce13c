# Configuration errors: nginx refuses to start, naming the directive's file:line and why.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: missing module file
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/does_not_exist.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
does_not_exist.wasm": cannot read: No such file or directory
nginx.conf:30



=== TEST 2: relative paths resolve against the nginx prefix
--- config
    location /t {
        content_by_wasm relative/missing.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
/relative/missing.wasm": cannot read



=== TEST 3: a FIFO named as a module is refused at once, not waited on (make creates it)
--- config
    location /t {
        content_by_wasm $TEST_NGINX_FIFO on_content;
    }
--- request
GET /t
--- must_die
--- error_log
fifo.wasm": cannot read: not a regular file
--- timeout: 10



=== TEST 4: a directory named as a module
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS on_content;
    }
--- request
GET /t
--- must_die
--- error_log
": cannot read: not a regular file



=== TEST 5: a file that is not WebAssembly
--- user_files
>>> not_wasm.wasm
this is plain text
--- config
    location /t {
        content_by_wasm html/not_wasm.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
not_wasm.wasm": not a WebAssembly binary
nginx.conf:30



=== TEST 6: a missing export lists the exported functions
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm no_such_export;
    }
--- request
GET /t
--- must_die
--- error_log
export "no_such_export" not found (exported functions: bad_signature, on_content)
nginx.conf:30



=== TEST 7: an export of the wrong signature
--- config
    location /t {
        rewrite_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm bad_signature;
    }
--- request
GET /t
--- must_die
--- error_log
export "bad_signature" has signature (i32) -> (i32), expected () -> ()
nginx.conf:30



=== TEST 8: an import the host does not provide is named
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/bad_import.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
import "ngx"."no_such_function" is not provided by the host (no such host function)
nginx.conf:30



=== TEST 9: server_rewrite_by_wasm is not allowed in a location
--- config
    location /t {
        server_rewrite_by_wasm $TEST_NGINX_GUESTS/phases.wasm mark_server_rewrite;
    }
--- request
GET /t
--- must_die
--- error_log
"server_rewrite_by_wasm" directive is not allowed here in



=== TEST 10: a directive given twice in one block
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
        content_by_wasm $TEST_NGINX_GUESTS/echo.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
"content_by_wasm" directive is duplicate in



=== TEST 11: a wrong number of arguments
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm;
    }
--- request
GET /t
--- must_die
--- error_log
invalid number of arguments in "content_by_wasm" directive in



=== TEST 12: the error names the directive using the export, not the first one naming the file
--- config
    location /a {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
    location /b {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm missing;
    }
--- request
GET /t
--- must_die
--- error_log
export "missing" not found
nginx.conf:33



=== TEST 13: wasm_timeout with a value that is not a time
--- config
    location /t {
        wasm_timeout fast;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
invalid wasm_timeout "fast": expected a time such as 50ms or 2s, or off in
nginx.conf:30



=== TEST 14: wasm_timeout given twice in one block
--- config
    location /t {
        wasm_timeout 1s;
        wasm_timeout 2s;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
"wasm_timeout" directive is duplicate in
nginx.conf:31



=== TEST 15: wasm_fuel must be a positive whole number
--- config
    location /t {
        wasm_fuel -5;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
invalid wasm_fuel "-5": expected a number of instructions (1 to 18446744073709551615), or off (0 is off too) in
nginx.conf:30



=== TEST 16: wasm_fuel larger than 64 bits
--- config
    location /t {
        wasm_fuel 99999999999999999999;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
invalid wasm_fuel "99999999999999999999"
nginx.conf:30



=== TEST 17: wasm_budget_status must be an error status
--- config
    location /t {
        wasm_budget_status 200;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
invalid wasm_budget_status "200": expected an error status from 400 to 599 in
nginx.conf:30



=== TEST 18: wasm_max_memory below one page
--- config
    location /t {
        wasm_max_memory 1k;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
invalid wasm_max_memory "1k": expected a size from 64k to 4g, or off in
nginx.conf:30



=== TEST 19: wasm_max_memory that is not a size
--- config
    location /t {
        wasm_max_memory lots;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
invalid wasm_max_memory "lots"
nginx.conf:30



=== TEST 20: wasm_isolation accepts worker or request only
--- config
    location /t {
        wasm_isolation instance;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
invalid wasm_isolation "instance": expected worker or request in
nginx.conf:30



=== TEST 21: wasm_trap_log_interval is http-level only
--- config
    location /t {
        wasm_trap_log_interval 5s;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
"wasm_trap_log_interval" directive is not allowed here in
nginx.conf:30



=== TEST 22: wasm_trap_log_interval must be greater than zero
--- http_config
    wasm_trap_log_interval 0;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
invalid wasm_trap_log_interval "0": expected a time greater than 0, such as 10s in
nginx.conf:23



=== TEST 23: the budget directives take one argument
--- config
    location /t {
        wasm_fuel 10 20;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
invalid number of arguments in "wasm_fuel" directive in



=== TEST 24: valid budget directives at every level pass nginx -t and serve
--- http_config
    wasm_timeout 5s;
    wasm_fuel off;
    wasm_budget_status 504;
    wasm_max_memory 16m;
    wasm_max_output 1m;
    wasm_isolation worker;
    wasm_trap_log_interval 1m;
--- config
    wasm_timeout 1500ms;
    wasm_max_memory off;
    wasm_max_output off;
    location /t {
        wasm_max_output 512k;
        wasm_timeout off;
        wasm_fuel 1000000000;
        wasm_isolation request;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- response_body
hello
--- no_error_log
[error]



=== TEST 25: wasm_max_output that is zero
--- config
    location /t {
        wasm_max_output 0;
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
invalid wasm_max_output "0": expected a size such as 512k or 64m, or off in
nginx.conf:30
