//! A call to a JSON service through the SDK's HTTP client: a port of this OpenResty snippet
//! (with lua-resty-http and cjson).
//!
//! ```nginx
//! location /greet {
//!     content_by_lua_block {
//!         local http = require "resty.http"
//!         local cjson = require "cjson.safe"
//!         local id = ngx.var.arg_id
//!         if not id or not id:match("^%w+$") then return ngx.exit(400) end
//!         local httpc = http.new()
//!         httpc:set_timeouts(1000, 1000, 2000)
//!         local res, err = httpc:request_uri("http://127.0.0.1:8081/users/" .. id,
//!                                            { headers = { Accept = "application/json" } })
//!         if not res then
//!             ngx.log(ngx.ERR, "users service: ", err)
//!             return ngx.exit(502)
//!         end
//!         if res.status == 404 then return ngx.exit(404) end
//!         local user = cjson.decode(res.body)
//!         if res.status ~= 200 or not user or type(user.name) ~= "string" then
//!             return ngx.exit(502)
//!         end
//!         ngx.say("Hello, ", user.name, "!")
//!     }
//! }
//! ```
//!
//! As wasm: `set $users_port 8081; content_by_wasm user_greeting.wasm greet;` The request
//! waits on the socket without blocking the worker; the connection goes back to the
//! worker's keepalive pool for the next request.
use ngx::http::Request;
use ngx_wasm_guest as ngx;
use serde::Deserialize;

/// What the service answers (other fields are ignored).
#[derive(Deserialize)]
struct User {
    name: String,
}

/// Only the characters an id may have: it goes into the service's path.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|c| c.is_ascii_alphanumeric())
}

ngx::handler!(greet, || {
    let id = ngx::req::arg("id").unwrap_or_default();
    if !valid_id(&id) {
        ngx::exit!(400);
    }
    let port = ngx::var::get("users_port")
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or(8081);
    let path = format!("/users/{id}");
    let res = Request::get("127.0.0.1", port, &path)
        .header("Accept", "application/json")
        .timeouts(Some(1000), Some(1000), Some(2000))
        .send();
    let res = match res {
        Ok(r) => r,
        Err(e) => {
            let _ = ngx::log!(Err, "users service: {e:?}");
            ngx::exit!(502);
        }
    };
    if res.status == 404 {
        ngx::exit!(404);
    }
    let user: Option<User> = serde_json::from_slice(&res.body).ok();
    match user {
        Some(u) if res.status == 200 => {
            let _ = ngx::say!("Hello, {}!", u.name);
        }
        _ => {
            let _ = ngx::log!(
                Warn,
                "users service answered {} with an unexpected body",
                res.status
            );
            ngx::exit!(502);
        }
    }
});
