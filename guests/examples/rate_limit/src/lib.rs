//! A fixed-window rate limiter shared by every worker, answering 429 past the limit: a port
//! of this OpenResty snippet.
//!
//! ```nginx
//! lua_shared_dict limits 1m;
//!
//! location /limited {
//!     set $rate_limit 10;          # requests per window and client
//!     set $rate_window_ms 1000;    # the window
//!     access_by_lua_block {
//!         local limit = tonumber(ngx.var.rate_limit)
//!         local window = tonumber(ngx.var.rate_window_ms) / 1000
//!         local key = ngx.var.binary_remote_addr .. ":" .. math.floor(ngx.now() / window)
//!         local n, err = ngx.shared.limits:incr(key, 1, 0, 2 * window)
//!         if not n then
//!             ngx.log(ngx.ERR, "rate limit: ", err)
//!             return                  -- fail open
//!         end
//!         if n > limit then
//!             ngx.header["Retry-After"] = math.ceil(window)
//!             return ngx.exit(429)
//!         end
//!     }
//! }
//! ```
//!
//! As wasm: `wasm_shared_dict limits 1m;` and `access_by_wasm rate_limit.wasm limit;` with
//! the same two variables. The counter of a window lives twice the window, so the zone
//! holds at most two windows of clients.
use ngx_wasm_guest as ngx;
use ngx_wasm_guest::shared::Dict;

/// The zone the counters live in.
const LIMITS: Dict<'static> = Dict::new("limits");

fn var_u64(name: &str, default: u64) -> u64 {
    ngx::var::get(name)
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

ngx::handler!(limit, || {
    let limit = var_u64("rate_limit", 10);
    let window_ms = var_u64("rate_window_ms", 1000);
    let client = ngx::var::get("remote_addr").unwrap_or_default();
    let key = format!("{client}:{}", ngx::now() / window_ms);
    let n = match LIMITS.incr(&key, 1.0, Some((0.0, Some(2 * window_ms)))) {
        Ok(n) => n,
        Err(e) => {
            // Fail open, as the Lua original: a full or missing zone must not deny service.
            let _ = ngx::log!(ERR, "rate limit: {e:?}");
            return;
        }
    };
    if n > limit as f64 {
        let _ = ngx::resp::set_header("Retry-After", &window_ms.div_ceil(1000).to_string());
        ngx::exit!(429);
    }
});
