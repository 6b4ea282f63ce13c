//! Header maps: the request's pseudo-headers (`:method`, `:path`, `:authority`) are read and
//! logged, request headers are set, added and removed before nginx's content handler (or an
//! upstream) sees them, and response headers are changed on the way out, `:status` included.
//! With a request header `x-want-pairs`, every request header is logged in order.
//!
//! Values are read as bytes (the `_bytes` calls): a client may send a value that is not
//! UTF-8, and the SDK's `String` calls would panic on it.
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_http_context(|_context_id, _root_context_id| -> Box<dyn HttpContext> {
        Box::new(Headers)
    });
}}

struct Headers;

impl Context for Headers {}

impl HttpContext for Headers {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let pseudo = |name| {
            let value = self.get_http_request_header_bytes(name).unwrap_or_default();
            String::from_utf8_lossy(&value).into_owned()
        };
        log::info!(
            "pw_headers: {} {} {}",
            pseudo(":method"),
            pseudo(":path"),
            pseudo(":authority")
        );

        self.set_http_request_header("x-added", Some("yes"));
        self.add_http_request_header("x-multi", "2");
        self.remove_http_request_header("x-remove-me");

        if self.get_http_request_header_bytes("x-want-pairs").is_some() {
            for (name, value) in self.get_http_request_headers_bytes() {
                log::info!(
                    "pw_headers pair: {name}={}",
                    String::from_utf8_lossy(&value)
                );
            }
        }
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.add_http_response_header("x-filter", "pw_headers");
        self.set_http_response_header("x-upstream", Some("replaced"));
        self.remove_http_response_header("x-drop");
        if let Some(status) = self.get_http_response_header_bytes(":status") {
            self.set_http_response_header_bytes("x-status", Some(&status));
        }
        Action::Continue
    }
}
