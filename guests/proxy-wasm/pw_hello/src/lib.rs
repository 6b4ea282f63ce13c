//! The smallest Proxy-Wasm filter: every request is answered by the filter itself, before
//! nginx's content handler runs (`send_http_response`, then `Action::Pause`). It is also the
//! filter the benchmarks run.
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_http_context(|_context_id, _root_context_id| -> Box<dyn HttpContext> {
        Box::new(Hello)
    });
}}

struct Hello;

impl Context for Hello {}

impl HttpContext for Hello {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.send_http_response(
            200,
            vec![("x-powered-by", "ngx_wasm")],
            Some(b"hello from proxy-wasm\n"),
        );
        Action::Pause
    }
}
