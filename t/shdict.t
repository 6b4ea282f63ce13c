# Shared dictionaries (wasm_shared_dict, OpenResty's ngx.shared.DICT) through the SDK: values
# of every kind with flags, the store modes, expiry, incr, eviction when full, key limits,
# zone-wide operations, use from init_worker and the log phase, and nginx -t errors.
use Test::Nginx::Socket 'no_plan';

run_tests();

__DATA__

=== TEST 1: values of every kind, with flags; absent keys and unknown zones
--- http_config
    wasm_shared_dict dicts 1m;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm run;
    }
--- request
GET /t
--- more_headers
X-Dict: set dicts a hello|get dicts a|flags dicts b tagged 42|get dicts b|num dicts n 2.5|get dicts n|int dicts i -7|get dicts i|bool dicts t true|get dicts t|get dicts nope|get nozone a|set dicts a bye|get dicts a
--- response_body
set dicts a hello -> Ok(false)
get dicts a -> Ok("hello", flags 0)
flags dicts b tagged 42 -> Ok(false)
get dicts b -> Ok("tagged", flags 42)
num dicts n 2.5 -> Ok(false)
get dicts n -> Ok(Some((Number(2.5), 0)))
int dicts i -7 -> Ok(false)
get dicts i -> Ok(Some((Integer(-7), 0)))
bool dicts t true -> Ok(false)
get dicts t -> Ok(Some((Bool(true), 0)))
get dicts nope -> Ok(None)
get nozone a -> Err(BadArgument)
set dicts a bye -> Ok(false)
get dicts a -> Ok("bye", flags 0)
--- no_error_log
[error]



=== TEST 2: add, safe_add and replace; delete; the data outlives the request
--- http_config
    wasm_shared_dict dicts 1m;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm run;
    }
--- request eval
["GET /t", "GET /t"]
--- more_headers
X-Dict: add dicts k first|safe_add dicts k again|replace dicts k second|get dicts k|replace dicts gone x|del dicts k|del dicts k|add dicts k third|get dicts k
--- response_body eval
["add dicts k first -> Ok(false)
safe_add dicts k again -> Err(Exists)
replace dicts k second -> Ok(false)
get dicts k -> Ok(\"second\", flags 0)
replace dicts gone x -> Err(NotFound)
del dicts k -> Ok(())
del dicts k -> Ok(())
add dicts k third -> Ok(false)
get dicts k -> Ok(\"third\", flags 0)
", "add dicts k first -> Err(Exists)
safe_add dicts k again -> Err(Exists)
replace dicts k second -> Ok(false)
get dicts k -> Ok(\"second\", flags 0)
replace dicts gone x -> Err(NotFound)
del dicts k -> Ok(())
del dicts k -> Ok(())
add dicts k third -> Ok(false)
get dicts k -> Ok(\"third\", flags 0)
"]



=== TEST 3: expiry in milliseconds; ttl and expire; an expired key can be added again
--- http_config
    wasm_shared_dict dicts 1m;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm run;
    }
--- request
GET /t
--- more_headers
X-Dict: set dicts short v 100|set dicts long v|ttl dicts short|ttl dicts long|get dicts short|sleep 250|get dicts short|ttl dicts short|add dicts short again|get dicts short|expire dicts long 100|ttl dicts long|sleep 250|get dicts long|expire dicts long 0
--- response_body
set dicts short v 100 -> Ok(false)
set dicts long v -> Ok(false)
ttl dicts short -> Ok(Some("some"))
ttl dicts long -> Ok(None)
get dicts short -> Ok("v", flags 0)
sleep 250 -> Ok(())
get dicts short -> Ok(None)
ttl dicts short -> Err(NotFound)
add dicts short again -> Ok(false)
get dicts short -> Ok("again", flags 0)
expire dicts long 100 -> Ok(())
ttl dicts long -> Ok(Some("some"))
sleep 250 -> Ok(())
get dicts long -> Ok(None)
expire dicts long 0 -> Err(NotFound)



=== TEST 4: incr: absent without init, with init, on a number, on bytes
--- http_config
    wasm_shared_dict dicts 1m;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm run;
    }
--- request
GET /t
--- more_headers
X-Dict: incr dicts c 1|incr dicts c 1 10|incr dicts c 2.5|incr dicts c -0.5 100|get dicts c|set dicts s text|incr dicts s 1|incr dicts w 1 0 100|sleep 250|incr dicts w 1
--- response_body
incr dicts c 1 -> Err(NotFound)
incr dicts c 1 10 -> Ok(11.0)
incr dicts c 2.5 -> Ok(13.5)
incr dicts c -0.5 100 -> Ok(13.0)
get dicts c -> Ok(Some((Number(13.0), 0)))
set dicts s text -> Ok(false)
incr dicts s 1 -> Err(BadArgument)
incr dicts w 1 0 100 -> Ok(1.0)
sleep 250 -> Ok(())
incr dicts w 1 -> Err(NotFound)



=== TEST 5: a full zone: set evicts the least recently used (forcible), safe_set refuses, a value larger than the zone is refused
--- http_config
    wasm_shared_dict small 64k;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm run;
    }
--- request
GET /t
--- more_headers
X-Dict: set small first v|fill small k 200 1000|get small first|get small k199|big small more 1000 safe|big small more 1000|big small huge 100000|cap small
--- response_body_like
^set small first v -> Ok\(false\)
fill small k 200 1000 -> stored 200, [1-9][0-9]* evicting
get small first -> Ok\(None\)
get small k199 -> Ok\(1000 bytes, flags 0\)
big small more 1000 safe -> Err\(NoMemory\)
big small more 1000 -> Ok\(true\)
big small huge 100000 -> Err\(NoMemory\)
cap small -> Ok\(65536\)
$



=== TEST 6: keys: empty refused, 65,535 bytes accepted, 65,536 refused (as OpenResty)
--- http_config
    wasm_shared_dict dicts 1m;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm run;
    }
--- request
GET /t
--- more_headers
X-Dict: longkey dicts 0|longkey dicts 65535|longkey dicts 65536
--- response_body
longkey dicts 0 -> set Err(BadArgument), found Err(BadArgument)
longkey dicts 65535 -> set Ok(false), found Ok(true)
longkey dicts 65536 -> set Err(BadArgument), found Err(BadArgument)



=== TEST 7: flush_all, flush_expired, capacity and free space
--- http_config
    wasm_shared_dict dicts 1m;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm run;
    }
--- request
GET /t
--- more_headers
X-Dict: set dicts a 1|set dicts b 2|set dicts c 3|flush_all dicts|get dicts a|flush_expired dicts 2|flush_expired dicts 0|flush_expired dicts 0|cap dicts|free dicts
--- response_body
set dicts a 1 -> Ok(false)
set dicts b 2 -> Ok(false)
set dicts c 3 -> Ok(false)
flush_all dicts -> Ok(())
get dicts a -> Ok(None)
flush_expired dicts 2 -> Ok(2)
flush_expired dicts 0 -> Ok(1)
flush_expired dicts 0 -> Ok(0)
cap dicts -> Ok(1048576)
free dicts -> Ok(true)



=== TEST 8: init_worker and the log phase use the same zone as requests
--- http_config
    wasm_shared_dict dicts 1m;
    init_worker_by_wasm $TEST_NGINX_GUESTS/shdict.wasm boot;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm run;
        log_by_wasm $TEST_NGINX_GUESTS/shdict.wasm count_logged;
    }
--- request eval
["GET /t", "GET /t", "GET /t"]
--- more_headers
X-Dict: get dicts boots|get dicts logged
--- response_body eval
["get dicts boots -> Ok(Some((Number(1.0), 0)))\nget dicts logged -> Ok(None)\n",
"get dicts boots -> Ok(Some((Number(1.0), 0)))\nget dicts logged -> Ok(Some((Number(1.0), 0)))\n",
"get dicts boots -> Ok(Some((Number(1.0), 0)))\nget dicts logged -> Ok(Some((Number(2.0), 0)))\n"]



=== TEST 9: nginx -t: a size too small or not a size
--- http_config
    wasm_shared_dict dicts 4k;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm run;
    }
--- request
GET /t
--- must_die
--- error_log
invalid wasm_shared_dict size "4k": expected a size of at least 32k, such as 1m



=== TEST 10: nginx -t: the same zone name twice
--- http_config
    wasm_shared_dict dicts 1m;
    wasm_shared_dict dicts 2m;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm run;
    }
--- request
GET /t
--- must_die
--- error_log
duplicate wasm_shared_dict "dicts"



=== TEST 11: get_stale returns an expired value until it is freed; get_keys lists live keys
--- http_config
    wasm_shared_dict dicts 1m;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm run;
    }
--- request
GET /t
--- more_headers
X-Dict: set dicts old v 50|set dicts a 1|set dicts b 2|stale dicts old|sleep 150|get dicts old|stale dicts old|keys dicts 0|keys dicts 1|flush_expired dicts 0|stale dicts old|stale dicts nope
--- response_body
set dicts old v 50 -> Ok(false)
set dicts a 1 -> Ok(false)
set dicts b 2 -> Ok(false)
stale dicts old -> Ok("v", flags 0, stale false)
sleep 150 -> Ok(())
get dicts old -> Ok(None)
stale dicts old -> Ok("v", flags 0, stale true)
keys dicts 0 -> Ok(["a", "b"])
keys dicts 1 -> Ok(["b"])
flush_expired dicts 0 -> Ok(1)
stale dicts old -> Ok(None)
stale dicts nope -> Ok(None)



=== TEST 12: lists: push at both ends, pop from both, length; an emptied list is removed; a list is no scalar and a scalar no list
--- http_config
    wasm_shared_dict dicts 1m;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm run;
    }
--- request
GET /t
--- more_headers
X-Dict: rpush dicts q b|lpush dicts q a|rpushn dicts q 2.5|rpushbig dicts q 5000|llen dicts q|lpop dicts q|rpop dicts q|rpop dicts q|get dicts q|rpop dicts q|llen dicts q|lpop dicts q|keys dicts 0|set dicts s x|lpush dicts s y|llen dicts s|llen dicts none
--- response_body
rpush dicts q b -> Ok(1)
lpush dicts q a -> Ok(2)
rpushn dicts q 2.5 -> Ok(3)
rpushbig dicts q 5000 -> Ok(4)
llen dicts q -> Ok(4)
lpop dicts q -> Ok("a")
rpop dicts q -> Ok(5000 bytes)
rpop dicts q -> Ok(Some(Number(2.5)))
get dicts q -> Err(BadArgument)
rpop dicts q -> Ok("b")
llen dicts q -> Ok(0)
lpop dicts q -> Ok(None)
keys dicts 0 -> Ok([])
set dicts s x -> Ok(false)
lpush dicts s y -> Err(BadArgument)
llen dicts s -> Err(BadArgument)
llen dicts none -> Ok(0)



=== TEST 13: values of 0 bytes and of 1 MB
--- http_config
    wasm_shared_dict dicts 4m;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm run;
    }
--- request
GET /t
--- more_headers
X-Dict: big dicts empty 0|get dicts empty|big dicts large 1048576|get dicts large|big dicts huge 8388608
--- response_body
big dicts empty 0 -> Ok(false)
get dicts empty -> Ok("", flags 0)
big dicts large 1048576 -> Ok(false)
get dicts large -> Ok(1048576 bytes, flags 0)
big dicts huge 8388608 -> Err(NoMemory)



=== TEST 14: a store over a value of the same size replaces its bytes, kind, flags and time to live (stored in place)
--- http_config
    wasm_shared_dict dicts 1m;
--- config
    location /t {
        content_by_wasm $TEST_NGINX_GUESTS/shdict.wasm run;
    }
--- request
GET /t
--- more_headers
X-Dict: flags dicts a xy 3|set dicts a zz 60000|get dicts a|ttl dicts a|set dicts a ww|get dicts a|ttl dicts a|num dicts n 1.5|int dicts n 7|get dicts n|set dicts e v 100|sleep 250|add dicts e w|get dicts e|ttl dicts e
--- response_body
flags dicts a xy 3 -> Ok(false)
set dicts a zz 60000 -> Ok(false)
get dicts a -> Ok("zz", flags 0)
ttl dicts a -> Ok(Some("some"))
set dicts a ww -> Ok(false)
get dicts a -> Ok("ww", flags 0)
ttl dicts a -> Ok(None)
num dicts n 1.5 -> Ok(false)
int dicts n 7 -> Ok(false)
get dicts n -> Ok(Some((Integer(7), 0)))
set dicts e v 100 -> Ok(false)
sleep 250 -> Ok(())
add dicts e w -> Ok(false)
get dicts e -> Ok("w", flags 0)
ttl dicts e -> Ok(None)
--- no_error_log
[error]
