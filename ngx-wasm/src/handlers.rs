//! Phase handlers: find the configured export, call it, turn the result into nginx's answer.
//!
//! Rewrite phases: a guest that set a status or wrote a body answers the request; otherwise
//! the request continues to the next handler (its header changes stay). Content phase: the
//! guest's response is sent (200 and an empty body unless it set others). A failed call
//! answers 500 (a budget stop: `wasm_budget_status`; a module backing off: 503) and logs
//! module, export, engine and reason.

use ngx::core::Status;
use ngx::ffi::{ngx_http_request_t, ngx_int_t};
use ngx::http::{HttpModuleLocationConf, HttpModuleMainConf, HttpModuleServerConf, Request};

use crate::conf::{Handler, Phase};
use crate::request::NgxRequest;
use crate::Module;

/// The nginx handler function for `phase`.
pub fn for_phase(phase: Phase) -> unsafe extern "C" fn(*mut ngx_http_request_t) -> ngx_int_t {
    match phase {
        Phase::ServerRewrite => server_rewrite_handler,
        Phase::Rewrite => rewrite_handler,
        Phase::Content => content_handler,
    }
}

unsafe extern "C" fn server_rewrite_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx calls phase handlers with a live request.
    run(
        unsafe { Request::from_ngx_http_request(r) },
        Phase::ServerRewrite,
    )
    .0
}

unsafe extern "C" fn rewrite_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: as above.
    run(unsafe { Request::from_ngx_http_request(r) }, Phase::Rewrite).0
}

unsafe extern "C" fn content_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: as above.
    run(unsafe { Request::from_ngx_http_request(r) }, Phase::Content).0
}

fn handler_for(req: &Request, phase: Phase) -> Option<&'static Handler> {
    match phase {
        Phase::ServerRewrite => Module::server_conf(req)?.server_rewrite.as_ref(),
        Phase::Rewrite => Module::location_conf(req)?.rewrite.as_ref(),
        Phase::Content => Module::location_conf(req)?.content.as_ref(),
    }
}

fn run(req: &mut Request, phase: Phase) -> Status {
    let Some(handler) = handler_for(req, phase) else {
        return Status::NGX_DECLINED;
    };
    let Some(mcf) = Module::main_conf(req) else {
        return Status::NGX_DECLINED;
    };
    // Budgets and limits of the request's location (the server's, before one is chosen).
    let limits = Module::location_conf(req)
        .map(|l| l.limits.get())
        .unwrap_or_default();
    let r: &mut ngx_http_request_t = req.as_mut();
    // SAFETY: a live request has a connection with a log.
    let log = unsafe { (*r.connection).log };
    let mut host = NgxRequest::new(r);
    if phase == Phase::Content {
        let rc = host.discard_request_body();
        if rc != Status::NGX_OK {
            return rc;
        }
    }
    // A failure is logged by the registry (or counted, for a module failing repeatedly).
    if let Err(status) = mcf
        .registry
        .call(handler, &limits, &mut host, log, phase.name())
    {
        host.discard_headers();
        return Status(status as ngx_int_t);
    }
    if phase != Phase::Content {
        if !host.produced_response() {
            return Status::NGX_DECLINED;
        }
        let rc = host.discard_request_body();
        if rc != Status::NGX_OK {
            return rc;
        }
    }
    host.send()
}
