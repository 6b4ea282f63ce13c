//! An API-key check answering 401 in the access phase: a port of this OpenResty snippet.
//!
//! ```nginx
//! location /private {
//!     set $api_key "s3cret";
//!     access_by_lua_block {
//!         if ngx.req.get_headers()["X-API-Key"] ~= ngx.var.api_key then
//!             ngx.header["WWW-Authenticate"] = 'ApiKey realm="private"'
//!             return ngx.exit(401)
//!         end
//!     }
//! }
//! ```
//!
//! As wasm: `access_by_wasm api_key.wasm check;` with `set $api_key ...;`.
use ngx_wasm_guest as ngx;

ngx::handler!(check, || {
    let expected = ngx::var::get("api_key").unwrap_or_default();
    let given = ngx::req::header("x-api-key");
    if expected.is_empty() || given.as_deref() != Some(expected.as_str()) {
        let _ = ngx::resp::set_header("WWW-Authenticate", "ApiKey realm=\"private\"");
        let _ = ngx::log!(WARN, "api key rejected for {}", ngx::req::method());
        ngx::exit!(401);
    }
});
