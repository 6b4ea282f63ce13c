//! Plugin configuration: the root context reads the configuration string given to the
//! `proxy_wasm` directive in `on_configure` and parses it as JSON
//! (`{"status": 403, "body": "...", "header": "x-config"}`). A missing or malformed
//! configuration is refused (`on_configure` returns `false`). Each request's context gets a
//! copy of the parsed configuration and answers with it.
use std::rc::Rc;

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};
use serde::Deserialize;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_context_id| -> Box<dyn RootContext> {
        Box::new(ConfigRoot { config: None })
    });
}}

/// What the filter answers every request with.
#[derive(Debug, Deserialize)]
struct Config {
    status: u32,
    body: String,
    header: String,
}

struct ConfigRoot {
    config: Option<Rc<Config>>,
}

impl Context for ConfigRoot {}

impl RootContext for ConfigRoot {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        let raw = self.get_plugin_configuration().unwrap_or_default();
        if raw.is_empty() {
            log::error!("pw_config: a JSON configuration is required");
            return false;
        }
        match serde_json::from_slice::<Config>(&raw) {
            Ok(config) if (100..=599).contains(&config.status) => {
                self.config = Some(Rc::new(config));
                true
            }
            Ok(config) => {
                log::error!("pw_config: status {} is not an HTTP status", config.status);
                false
            }
            Err(e) => {
                log::error!("pw_config: bad configuration: {e}");
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        // None only if on_configure refused, and then the host runs no request.
        let config = Rc::clone(self.config.as_ref()?);
        Some(Box::new(ConfigReply { config }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct ConfigReply {
    config: Rc<Config>,
}

impl Context for ConfigReply {}

impl HttpContext for ConfigReply {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let c = &self.config;
        self.send_http_response(
            c.status,
            vec![(c.header.as_str(), "1")],
            Some(c.body.as_bytes()),
        );
        Action::Pause
    }
}
