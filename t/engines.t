# Engines: choosing one with wasm_engine, and refusing names that are not compiled in.
# Blocks that name an engine run only when it is compiled into the module
# (`--- compiled_engines`, an extension of our runner; Test::Nginx ignores the section).
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: wasm_engine wasmtime: the worker logs the engine and guests run on it
--- compiled_engines: wasmtime
--- http_config
    wasm_engine wasmtime;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- response_body
hello
--- error_log
ngx_wasm: engine wasmtime 48.0.8, 1 module(s)



=== TEST 2: wasm_engine wasmer
--- compiled_engines: wasmer
--- http_config
    wasm_engine wasmer;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- response_body
hello
--- error_log
ngx_wasm: engine wasmer 7.3.0, 1 module(s)



=== TEST 3: wasm_engine wasmer-singlepass: wasmer with its single-pass compiler
--- compiled_engines: wasmer-singlepass
--- http_config
    wasm_engine wasmer-singlepass;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- response_body
hello
--- error_log
ngx_wasm: engine wasmer-singlepass 7.3.0, 1 module(s)



=== TEST 4: wasm_engine wasmi
--- compiled_engines: wasmi
--- http_config
    wasm_engine wasmi;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/hello_world.wasm on_content;
    }
--- request
GET /t
--- response_body
hello
--- error_log
ngx_wasm: engine wasmi 2.0.0, 1 module(s)



=== TEST 5: the engine is named in every error a guest causes
--- compiled_engines: wasmi
--- http_config
    wasm_engine wasmi;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/trap.wasm on_content;
    }
--- request
GET /t
--- error_code: 500
--- error_log
engine: wasmi 2.0.0



=== TEST 6: an unknown engine name is refused, listing the compiled ones
--- http_config
    wasm_engine v8;
--- config
--- request
GET /t
--- must_die
--- error_log
unknown wasm engine "v8" (compiled: 



=== TEST 7: an engine that is not compiled in is refused at its line
--- missing_engines: wasmtime
--- http_config
    wasm_engine wasmtime;
--- config
--- request
GET /t
--- must_die
--- error_log
wasm engine "wasmtime" is not compiled into this module (compiled: 
nginx.conf:23



=== TEST 8: wasm_engine is an http-level directive
--- config
    wasm_engine wasmi;
--- request
GET /t
--- must_die
--- error_log
"wasm_engine" directive is not allowed here



=== TEST 9: wasm_engine given twice
--- http_config
    wasm_engine wasmi;
    wasm_engine wasmi;
--- config
--- request
GET /t
--- must_die
--- error_log
"wasm_engine" directive is duplicate



=== TEST 10: a shared memory (threads proposal) is refused by nginx -t on every engine: an atomic wait with no timeout would block the worker past any budget
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/atomics_wait.wasm wait_forever;
    }
--- request
GET /t
--- must_die
--- error_log
atomics_wait.wasm": not a valid WebAssembly module



=== TEST 11: memory64 is off on every engine: a module with a 64-bit memory fails nginx -t with file:line (wasm_max_memory is at most 4 GiB)
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/memory64.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
memory64.wasm": not a valid WebAssembly module:
memory64 must be enabled for 64-bit memories
nginx.conf:30



=== TEST 12: proposals on every engine: bulk memory, extended constant expressions and multiple memories are accepted (the MVP's extensions, mutable globals, sign extension, non-trapping conversions, multi-value and reference types are what Rust and C guests use)
--- config
    location /bulk {
        content_by_wasm $TEST_NGINX_GUESTS/proposal_bulk_memory.wasm on_content;
    }
    location /const {
        content_by_wasm $TEST_NGINX_GUESTS/proposal_extended_const.wasm on_content;
    }
    location /memories {
        content_by_wasm $TEST_NGINX_GUESTS/proposal_multi_memory.wasm on_content;
    }
--- request eval
["GET /bulk", "GET /const", "GET /memories"]
--- error_code eval
[200, 200, 200]
--- response_body eval
["", "", ""]



=== TEST 13: proposals on every engine: exception handling is refused by nginx -t with file:line
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/proposal_exceptions.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
proposal_exceptions.wasm": not a valid WebAssembly module:
exceptions proposal not enabled
nginx.conf:30



=== TEST 14: proposals on every engine: typed function references is refused by nginx -t with file:line
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/proposal_function_references.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
proposal_function_references.wasm": not a valid WebAssembly module:
function references support is not enabled
nginx.conf:30



=== TEST 15: proposals on every engine: garbage collection is refused by nginx -t with file:line
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/proposal_gc.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
proposal_gc.wasm": not a valid WebAssembly module:
not supported without the gc feature
nginx.conf:30



=== TEST 16: proposals on every engine: relaxed SIMD is refused by nginx -t with file:line
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/proposal_relaxed_simd.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
proposal_relaxed_simd.wasm": not a valid WebAssembly module:
nginx.conf:30



=== TEST 17: proposals on every engine: tail calls is refused by nginx -t with file:line
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/proposal_tail_call.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
proposal_tail_call.wasm": not a valid WebAssembly module:
tail call
nginx.conf:30



=== TEST 18: proposals on every engine: wide arithmetic is refused by nginx -t with file:line
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/proposal_wide_arithmetic.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
proposal_wide_arithmetic.wasm": not a valid WebAssembly module:
wide arithmetic support is not enabled
nginx.conf:30



=== TEST 19: proposals on every engine: custom page sizes is refused by nginx -t with file:line
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/proposal_custom_page_sizes.wasm on_content;
    }
--- request
GET /t
--- must_die
--- error_log
proposal_custom_page_sizes.wasm": not a valid WebAssembly module:
the custom page sizes proposal must be enabled
nginx.conf:30
