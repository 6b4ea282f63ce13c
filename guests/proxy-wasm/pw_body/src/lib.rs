//! Response body rewriting: each chunk of the response body is replaced by its upper-cased
//! bytes as it passes (`on_http_response_body` per chunk, no buffering). The length does not
//! change here, but a filter that rewrites the body drops `Content-Length` all the same, as
//! one whose output may differ in length must.
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_http_context(|_context_id, _root_context_id| -> Box<dyn HttpContext> {
        Box::new(Upper)
    });
}}

struct Upper;

impl Context for Upper {}

impl HttpContext for Upper {
    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.set_http_response_header("content-length", None);
        Action::Continue
    }

    fn on_http_response_body(&mut self, body_size: usize, _end_of_stream: bool) -> Action {
        if let Some(chunk) = self.get_http_response_body(0, body_size) {
            let upper = chunk.to_ascii_uppercase();
            self.set_http_response_body(0, body_size, &upper);
        }
        Action::Continue
    }
}
