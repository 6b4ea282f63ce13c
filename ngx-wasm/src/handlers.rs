//! Phase handlers: find the configured export, read the request body if asked to, call the
//! guest, turn the result into nginx's answer.
//!
//! server_rewrite, rewrite, access: a guest that set a status, wrote a body, or called
//! `exit(status)`/`redirect`/`exec` answers the request; otherwise the request goes on (its
//! header changes stay). Content: the guest's response is sent (200 and an empty body unless
//! it set others). Log: the guest runs after the response. A failed call answers 500 (a
//! budget stop: `wasm_budget_status`; a module backing off after repeated failures: 503),
//! or closes the connection if the header already went out; the registry logs module,
//! export, engine, phase and reason (or counts it, see `supervise.rs`).

use ngx::core::Status;
use ngx::ffi::{
    ngx_http_core_run_phases, ngx_http_finalize_request, ngx_http_read_client_request_body,
    ngx_http_request_t, ngx_int_t, NGX_HTTP_SPECIAL_RESPONSE,
};
use ngx::http::{HttpModuleLocationConf, HttpModuleMainConf, HttpModuleServerConf};

use crate::conf::{Handler, MainConf, Phase};
use crate::request::{NgxRequest, Outcome};
use crate::{ctx, Module};

/// The nginx handler function for a request `phase`.
pub fn for_phase(phase: Phase) -> unsafe extern "C" fn(*mut ngx_http_request_t) -> ngx_int_t {
    match phase {
        Phase::ServerRewrite => server_rewrite_handler,
        Phase::Rewrite => rewrite_handler,
        Phase::Access => access_handler,
        Phase::Log => log_handler,
        _ => content_handler,
    }
}

/// True for the handler functions that run at the tail of their phase (see `postpone`).
pub fn is_handler(
    f: unsafe extern "C" fn(*mut ngx_http_request_t) -> ngx_int_t,
    phase: Phase,
) -> bool {
    std::ptr::fn_addr_eq(f, for_phase(phase))
}

macro_rules! phase_handler {
    ($name:ident, $phase:expr) => {
        unsafe extern "C" fn $name(r: *mut ngx_http_request_t) -> ngx_int_t {
            // SAFETY: nginx calls phase handlers with a live request.
            run(unsafe { &mut *r }, $phase).0
        }
    };
}

phase_handler!(server_rewrite_handler, Phase::ServerRewrite);
phase_handler!(rewrite_handler, Phase::Rewrite);
phase_handler!(access_handler, Phase::Access);
phase_handler!(content_handler, Phase::Content);
phase_handler!(log_handler, Phase::Log);

fn handler_for(r: &ngx_http_request_t, phase: Phase) -> Option<&'static Handler> {
    match phase {
        Phase::ServerRewrite => Module::server_conf(r)?.server_rewrite.as_ref(),
        _ => Module::location_conf(r)?.handler(phase),
    }
}

/// Calls `handler` for `host` under the budgets and limits of the request's location (the
/// server's, before a location is chosen). On failure the registry has logged the error (or
/// counted it, for a module failing repeatedly) and the call's header changes are undone;
/// `Err` carries the status to answer: 500, `wasm_budget_status` after a budget stop, 503
/// while the module backs off.
pub fn call(
    mcf: &MainConf,
    handler: &Handler,
    host: &mut NgxRequest<'_>,
    phase: Phase,
) -> Result<(), u16> {
    let log = host.log_ptr();
    let limits = Module::location_conf(host.request())
        .map(|l| l.limits.get())
        .unwrap_or_default();
    mcf.registry
        .call(handler, &limits, host, log, phase.name())
        .inspect_err(|_| host.discard_headers())
}

fn run(r: &mut ngx_http_request_t, phase: Phase) -> Status {
    let Some(handler) = handler_for(r, phase) else {
        return Status::NGX_DECLINED;
    };
    let Some(mcf) = Module::main_conf(r) else {
        return Status::NGX_DECLINED;
    };
    let need_body = matches!(phase, Phase::Rewrite | Phase::Access | Phase::Content)
        && Module::location_conf(r).is_some_and(|l| l.need_request_body == Some(true));
    if need_body {
        if let Err(rc) = read_body(r, phase) {
            return rc;
        }
    } else if phase == Phase::Content {
        // SAFETY: r is a live request.
        let rc = unsafe { ngx::ffi::ngx_http_discard_request_body(r) };
        if rc != Status::NGX_OK.0 {
            return Status(rc);
        }
    }
    let mut host = NgxRequest::new(r, phase);
    if let Err(status) = call(mcf, handler, &mut host, phase) {
        if phase == Phase::Log {
            return Status::NGX_OK;
        }
        if host.header_sent() {
            return Status::NGX_ERROR;
        }
        return Status(status as ngx_int_t);
    }
    if phase == Phase::Log {
        return Status::NGX_OK;
    }
    match host.conclude() {
        Outcome::Declined => Status::NGX_DECLINED,
        Outcome::Return(rc) => Status(rc),
    }
}

/// Reads the whole request body before the handler runs (`wasm_need_request_body on`).
/// `Err` carries what the phase handler must return now: an error, or `NGX_DONE` while nginx
/// reads the rest of the body (the post-read handler resumes the request).
fn read_body(r: &mut ngx_http_request_t, phase: Phase) -> Result<(), Status> {
    let Some(mut c) = ctx::get_or_create(r) else {
        return Err(Status::NGX_ERROR);
    };
    // SAFETY: the context lives as long as the request pool.
    if unsafe { c.as_ref() }.body_read {
        return Ok(());
    }
    r.set_request_body_in_single_buf(1);
    r.set_request_body_in_persistent_file(1);
    r.set_request_body_in_clean_file(1);
    let post: unsafe extern "C" fn(*mut ngx_http_request_t) = if phase == Phase::Content {
        content_post_read
    } else {
        phase_post_read
    };
    // SAFETY: r is a live request; nginx calls `post` once the body is read.
    let rc = unsafe { ngx_http_read_client_request_body(r, Some(post)) };
    if rc == Status::NGX_ERROR.0 || rc >= NGX_HTTP_SPECIAL_RESPONSE as ngx_int_t {
        return Err(Status(rc));
    }
    // SAFETY: as above; `post` may have run inside the call.
    let c = unsafe { c.as_mut() };
    if !c.body_read {
        c.waiting_body = true;
        return Err(Status::NGX_DONE);
    }
    Ok(())
}

/// Marks the body read; returns true if a handler was waiting for it.
fn body_done(r: &mut ngx_http_request_t) -> bool {
    let Some(mut c) = ctx::get(r) else {
        return false;
    };
    // SAFETY: the context lives as long as the request pool.
    let c = unsafe { c.as_mut() };
    c.body_read = true;
    std::mem::take(&mut c.waiting_body)
}

fn drop_main_count(r: &mut ngx_http_request_t) {
    // SAFETY: r->main is the live main request; reading the body took one reference.
    unsafe {
        let main = &mut *r.main;
        main.set_count(main.count() - 1);
    }
}

/// Body read for a rewrite or access handler: resume the phases (the handler runs again and
/// now calls the guest).
unsafe extern "C" fn phase_post_read(r: *mut ngx_http_request_t) {
    // SAFETY: nginx calls the post-read handler with the live request.
    let r = unsafe { &mut *r };
    let waiting = body_done(r);
    drop_main_count(r);
    if waiting {
        // SAFETY: r is live; this is how nginx resumes a request parked by NGX_DONE.
        unsafe { ngx_http_core_run_phases(r) };
    }
}

/// Body read for a content handler: run it now if it was waiting.
unsafe extern "C" fn content_post_read(r: *mut ngx_http_request_t) {
    // SAFETY: nginx calls the post-read handler with the live request.
    let r = unsafe { &mut *r };
    if body_done(r) {
        let rc = run(r, Phase::Content);
        // SAFETY: r is live; the content phase would have finalized with this code.
        unsafe { ngx_http_finalize_request(r, rc.0) };
    } else {
        drop_main_count(r);
    }
}
