# ngx.worker.*: worker_id, worker_count, worker_pid, worker_exiting, in a request and in
# init_worker. (Several workers: `make shdict-check` runs 4 and checks their ids.)
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: one process: id 0 of worker_processes (1 here), the pid nginx reports, not exiting
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm worker_info;
    }
--- request
GET /t
--- response_body
id 0 of 1, pid matches: true, exiting: false



=== TEST 2: init_worker sees them too
--- http_config
    wasm_shared_dict dicts 1m;
    init_worker_by_wasm $TEST_NGINX_GUESTS/shdict.wasm worker_at_start;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm run;
    }
--- request
GET /t
--- more_headers
X-Dict: get dicts init_count
--- response_body
get dicts init_count -> Ok(Some((Integer(1), 0)))
