//! One answer built from two backend calls made in parallel: a port of this OpenResty
//! snippet.
//!
//! ```nginx
//! location /dashboard {
//!     content_by_lua_block {
//!         local id = ngx.var.arg_id or ""
//!         local user, orders = ngx.location.capture_multi {
//!             { "/backend/user", { args = { id = id } } },
//!             { "/backend/orders", { args = { user = id } } },
//!         }
//!         if user.status ~= 200 or orders.status ~= 200 then
//!             ngx.log(ngx.WARN, "dashboard: backend answered ", user.status, " and ", orders.status)
//!             return ngx.exit(502)
//!         end
//!         ngx.header.content_type = "application/json"
//!         ngx.say('{"user":', user.body, ',"orders":', orders.body, '}')
//!     }
//! }
//! location /backend/ {
//!     internal;
//!     proxy_pass http://backend;    # nginx's upstreams: keepalive, TLS, balancing
//! }
//! ```
//!
//! As wasm: `content_by_wasm dashboard.wasm dashboard;` (the backend locations unchanged).
//! Both calls go out at once; the worker serves other requests while they run.
use ngx::location::{self, Request};
use ngx_wasm_guest as ngx;

/// Only the characters an id may have: the id goes into the backend's query string.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|c| c.is_ascii_alphanumeric())
}

ngx::handler!(dashboard, || {
    let id = ngx::req::arg("id").unwrap_or_default();
    if !valid_id(&id) {
        ngx::exit!(400);
    }
    let user_args = format!("id={id}");
    let orders_args = format!("user={id}");
    let calls = [
        Request::get("/backend/user").args(&user_args),
        Request::get("/backend/orders").args(&orders_args),
    ];
    let answers = match location::capture_multi(&calls) {
        Ok(a) => a,
        Err(e) => {
            let _ = ngx::log!(Err, "dashboard: the backend calls failed: {e:?}");
            ngx::exit!(500);
        }
    };
    let [user, orders] = answers.as_slice() else {
        ngx::exit!(500);
    };
    if user.status != 200 || orders.status != 200 {
        let _ = ngx::log!(
            Warn,
            "dashboard: backend answered {} and {}",
            user.status,
            orders.status
        );
        ngx::exit!(502);
    }
    let _ = ngx::resp::set_header("Content-Type", "application/json");
    let _ = ngx::resp::print("{\"user\":");
    let _ = ngx::resp::print(user.body.trim_ascii());
    let _ = ngx::resp::print(",\"orders\":");
    let _ = ngx::resp::print(orders.body.trim_ascii());
    let _ = ngx::resp::say("}");
});
