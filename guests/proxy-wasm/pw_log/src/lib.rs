//! Properties in the log phase: `on_log` reads the request's path and method, the response
//! status, an nginx variable (`ngx.uri`) and the filter's own name, and logs them.
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Bytes, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_http_context(|_context_id, _root_context_id| -> Box<dyn HttpContext> {
        Box::new(LogProperties)
    });
}}

struct LogProperties;

impl LogProperties {
    /// A property as text, `-` when the host has none.
    fn text(&self, path: Vec<&str>) -> String {
        self.get_property(path).map_or_else(
            || "-".to_string(),
            |v| String::from_utf8_lossy(&v).into_owned(),
        )
    }

    /// `response.code`: Envoy returns an 8-byte little-endian integer, other hosts the
    /// decimal text; either is logged as a number.
    fn status(&self) -> String {
        match self.get_property(vec!["response", "code"]) {
            None => "-".to_string(),
            Some(v) => status_text(&v),
        }
    }
}

fn status_text(v: &Bytes) -> String {
    match <[u8; 8]>::try_from(v.as_slice()) {
        Ok(le) if !v.iter().all(u8::is_ascii_digit) => u64::from_le_bytes(le).to_string(),
        _ => String::from_utf8_lossy(v).into_owned(),
    }
}

impl Context for LogProperties {}

impl HttpContext for LogProperties {
    fn on_log(&mut self) {
        log::info!(
            "pw_log: path={} method={} status={} uri_var={}",
            self.text(vec!["request", "path"]),
            self.text(vec!["request", "method"]),
            self.status(),
            self.text(vec!["ngx", "uri"]),
        );
        log::info!("pw_log: plugin_name={}", self.text(vec!["plugin_name"]));
    }
}
