//! A JSON response built from arguments and headers: a port of this OpenResty snippet.
//!
//! ```nginx
//! location /info {
//!     default_type application/json;
//!     content_by_lua_block {
//!         local cjson = require "cjson"
//!         ngx.say(cjson.encode({ name = ngx.var.arg_name, agent = ngx.var.http_user_agent,
//!                                method = ngx.req.get_method() }))
//!     }
//! }
//! ```
//!
//! As wasm: `content_by_wasm json_info.wasm info;`
use ngx_wasm_guest as ngx;

/// `s` as a JSON string literal (RFC 8259 escaping).
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_opt(v: Option<String>) -> String {
    v.as_deref().map_or_else(|| "null".to_string(), json_string)
}

ngx::handler!(info, || {
    let _ = ngx::resp::set_header("Content-Type", "application/json");
    let _ = ngx::say!(
        "{{\"name\":{},\"agent\":{},\"method\":{}}}",
        json_opt(ngx::req::arg("name")),
        json_opt(ngx::req::header("user-agent")),
        json_string(&ngx::req::method())
    );
});
