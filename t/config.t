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
servroot/relative/missing.wasm": cannot read



=== TEST 3: a file that is not WebAssembly
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



=== TEST 4: a missing export lists the exported functions
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



=== TEST 5: an export of the wrong signature
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



=== TEST 6: an import the host does not provide is named
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



=== TEST 7: server_rewrite_by_wasm is not allowed in a location
--- config
    location /t {
        server_rewrite_by_wasm $TEST_NGINX_GUESTS/phases.wasm mark_server_rewrite;
    }
--- request
GET /t
--- must_die
--- error_log
"server_rewrite_by_wasm" directive is not allowed here in



=== TEST 8: a directive given twice in one block
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



=== TEST 9: a wrong number of arguments
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm;
    }
--- request
GET /t
--- must_die
--- error_log
invalid number of arguments in "content_by_wasm" directive in



=== TEST 10: the error names the directive using the export, not the first one naming the file
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
