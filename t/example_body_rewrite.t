# guests/examples/body_rewrite: a body filter rewriting text, across chunk boundaries.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: a static response is rewritten
--- config
    location /page {
        body_filter_by_wasm $TEST_NGINX_GUESTS/body_rewrite.wasm rewrite;
        return 200 "powered by nginx, nginx!\n";
    }
--- request
GET /page
--- response_body
powered by NGINX+wasm, NGINX+wasm!



=== TEST 2: the word split across two flushed chunks is still replaced
--- config
    location /page {
        content_by_wasm $TEST_NGINX_GUESTS/api.wasm run;
        body_filter_by_wasm $TEST_NGINX_GUESTS/body_rewrite.wasm rewrite;
    }
--- request
GET /page
--- more_headers
X-Ops-Content: print see ngi|flush|print nx run|flush|print  - ng
--- response_body chomp
see NGINX+wasm run - ng
