//! A filter that fails: it panics in the callback its configuration names
//! (`request_headers`, `response_headers`, `response_body` or `log`; `request_headers` when
//! there is no configuration). The SDK's panic hook logs the message through `proxy_log`
//! before the instance traps; the host decides what becomes of the request.
use std::str;

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, ContextType, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_context_id| -> Box<dyn RootContext> {
        Box::new(TrapRoot { place: Place::RequestHeaders })
    });
}}

/// The callback to panic in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    RequestHeaders,
    ResponseHeaders,
    ResponseBody,
    Log,
}

impl Place {
    fn parse(s: &str) -> Option<Place> {
        match s.trim() {
            "" | "request_headers" => Some(Place::RequestHeaders),
            "response_headers" => Some(Place::ResponseHeaders),
            "response_body" => Some(Place::ResponseBody),
            "log" => Some(Place::Log),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Place::RequestHeaders => "request_headers",
            Place::ResponseHeaders => "response_headers",
            Place::ResponseBody => "response_body",
            Place::Log => "log",
        }
    }
}

struct TrapRoot {
    place: Place,
}

impl Context for TrapRoot {}

impl RootContext for TrapRoot {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        let config = self.get_plugin_configuration().unwrap_or_default();
        let parsed = str::from_utf8(&config).ok().and_then(Place::parse);
        match parsed {
            Some(place) => {
                self.place = place;
                true
            }
            None => {
                log::error!(
                    "pw_trap: unknown callback {:?} (request_headers, response_headers, response_body or log)",
                    String::from_utf8_lossy(&config)
                );
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Trap { place: self.place }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Trap {
    place: Place,
}

impl Trap {
    fn boom_if(&self, here: Place) {
        if self.place == here {
            panic!("pw_trap: boom in {}", here.name());
        }
    }
}

impl Context for Trap {}

impl HttpContext for Trap {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.boom_if(Place::RequestHeaders);
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.boom_if(Place::ResponseHeaders);
        Action::Continue
    }

    fn on_http_response_body(&mut self, _body_size: usize, _end_of_stream: bool) -> Action {
        self.boom_if(Place::ResponseBody);
        Action::Continue
    }

    fn on_log(&mut self) {
        self.boom_if(Place::Log);
    }
}
