//! A cache of an upstream's answers in a shared dictionary, with a time to live: a port of
//! this OpenResty snippet.
//!
//! ```nginx
//! lua_shared_dict cache 10m;
//!
//! location /cached/ {
//!     set $cache_ttl_ms 10000;
//!     content_by_lua_block {
//!         local cache = ngx.shared.cache
//!         local key = ngx.var.uri
//!         local body = cache:get(key)
//!         if body then
//!             ngx.header["X-Cache"] = "HIT"
//!             return ngx.print(body)
//!         end
//!         local res = ngx.location.capture("/origin" .. key)
//!         if res.status == 200 then
//!             cache:set(key, res.body, tonumber(ngx.var.cache_ttl_ms) / 1000)
//!         end
//!         ngx.header["X-Cache"] = "MISS"
//!         ngx.status = res.status
//!         ngx.print(res.body)
//!     }
//! }
//! location /origin/ {
//!     internal;
//!     proxy_pass http://origin/;
//! }
//! ```
//!
//! As wasm: `wasm_shared_dict cache 10m;` and `content_by_wasm cache.wasm cached;`. Every
//! worker shares the cache; an entry larger than the zone is simply not cached.
use ngx::location::{self, Request};
use ngx::shared::{Dict, Value};
use ngx_wasm_guest as ngx;

/// The zone the answers live in.
const CACHE: Dict<'static> = Dict::new("cache");

ngx::handler!(cached, || {
    let key = String::from_utf8_lossy(&ngx::req::uri()).into_owned();
    if let Ok(Some((Value::Bytes(body), _))) = CACHE.get(&key) {
        let _ = ngx::resp::set_header("X-Cache", "HIT");
        let _ = ngx::resp::print(&body);
        return;
    }
    let origin = format!("/origin{key}");
    let res = match location::capture(&Request::get(&origin)) {
        Ok(r) => r,
        Err(e) => {
            let _ = ngx::log!(ERR, "cache: the origin call failed: {e:?}");
            ngx::exit!(502);
        }
    };
    if res.status == 200 {
        let ttl = ngx::var::get("cache_ttl_ms")
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000);
        if let Err(e) = CACHE.set(&key, res.body.as_slice(), Some(ttl)) {
            let _ = ngx::log!(WARN, "cache: {key} not stored: {e:?}");
        }
    }
    let _ = ngx::resp::set_header("X-Cache", "MISS");
    let _ = ngx::resp::set_status(res.status);
    let _ = ngx::resp::print(&res.body);
});
