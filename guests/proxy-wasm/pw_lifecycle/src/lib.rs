//! The order of callbacks: the root context logs `on_vm_start` and `on_configure` (with its
//! configuration), and each request's context logs its creation, request headers, response
//! headers, log phase and `on_done`, each with the context id the host gave it.
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_context_id| -> Box<dyn RootContext> { Box::new(LifecycleRoot) });
}}

struct LifecycleRoot;

impl Context for LifecycleRoot {}

impl RootContext for LifecycleRoot {
    fn on_vm_start(&mut self, _vm_configuration_size: usize) -> bool {
        log::info!("pw_lifecycle: on_vm_start");
        true
    }

    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        let config = self.get_plugin_configuration().unwrap_or_default();
        log::info!(
            "pw_lifecycle: on_configure {}",
            String::from_utf8_lossy(&config)
        );
        true
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        log::info!("pw_lifecycle: context {context_id} created");
        Some(Box::new(Lifecycle { id: context_id }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Lifecycle {
    id: u32,
}

impl Context for Lifecycle {
    fn on_done(&mut self) -> bool {
        log::info!("pw_lifecycle: done {}", self.id);
        true
    }
}

impl HttpContext for Lifecycle {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        log::info!("pw_lifecycle: request_headers {}", self.id);
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        log::info!("pw_lifecycle: response_headers {}", self.id);
        Action::Continue
    }

    fn on_log(&mut self) {
        log::info!("pw_lifecycle: log {}", self.id);
    }
}
