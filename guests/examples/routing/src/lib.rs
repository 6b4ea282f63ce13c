//! Header-based routing with `exec`: a port of this OpenResty snippet.
//!
//! ```nginx
//! location /api {
//!     rewrite_by_lua_block {
//!         local v = ngx.req.get_headers()["X-Version"]
//!         if v == "v2" then return ngx.exec("/internal/v2" .. ngx.var.uri, ngx.var.args) end
//!         return ngx.exec("/internal/v1" .. ngx.var.uri, ngx.var.args)
//!     }
//! }
//! ```
//!
//! As wasm: `rewrite_by_wasm routing.wasm route;`
use ngx_wasm_guest as ngx;

ngx::handler!(route, || {
    let target = match ngx::req::header("x-version").as_deref() {
        Some("v2") => "/internal/v2",
        _ => "/internal/v1",
    };
    let uri = String::from_utf8_lossy(&ngx::req::uri()).into_owned();
    let _ = ngx::resp::exec(&format!("{target}{uri}"), &ngx::req::query());
});
