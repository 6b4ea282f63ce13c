//! Phase handlers: find the configured export, read the request body if asked to, call the
//! guest, turn the result into nginx's answer; and their installation in nginx's phases.
//!
//! server_rewrite, rewrite, access: a guest that set a status, wrote a body, or called
//! `exit(status)`/`redirect`/`exec` answers the request; otherwise the request goes on (its
//! header changes stay). Content: the guest's response is sent (200 and an empty body unless
//! it set others). Log: the guest runs after the response. A failed call answers 500 (a
//! budget stop: `wasm_budget_status`; a module backing off after repeated failures: 503),
//! or closes the connection if the header already went out; the call's supervisor logs
//! module, export, engine, phase and reason (or counts it, see `supervise.rs`).
//!
//! A call that waits parks the request (`suspend.rs`); when it has finished, nginx enters the
//! same handler again, which concludes it as it concludes a call that never waited.

use engine_api::Phase;
use ngx::core::Status;
use ngx::ffi::{
    ngx_array_push, ngx_http_core_main_conf_t, ngx_http_core_run_phases, ngx_http_finalize_request,
    ngx_http_handler_pt, ngx_http_phases, ngx_http_phases_NGX_HTTP_ACCESS_PHASE,
    ngx_http_phases_NGX_HTTP_CONTENT_PHASE, ngx_http_phases_NGX_HTTP_LOG_PHASE,
    ngx_http_phases_NGX_HTTP_REWRITE_PHASE, ngx_http_phases_NGX_HTTP_SERVER_REWRITE_PHASE,
    ngx_http_read_client_request_body, ngx_http_request_t, ngx_int_t, NGX_HTTP_SPECIAL_RESPONSE,
};
use ngx::http::{HttpModuleLocationConf, HttpModuleMainConf, HttpModuleServerConf};

use crate::call::{self, Call};
use crate::conf::limits::Limits;
use crate::conf::MainConf;
use crate::registry::Handler;
use crate::request::{NgxRequest, Outcome};
use crate::suspend::Found;
use crate::{ctx, suspend, HttpWasmModule};

/// The nginx handler function for a request `phase`.
fn for_phase(phase: Phase) -> unsafe extern "C" fn(*mut ngx_http_request_t) -> ngx_int_t {
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

/// The nginx phase a request-phase handler is installed in (`None` for init_worker and the
/// filters, which are not phase handlers).
fn nginx_phase(phase: Phase) -> Option<ngx_http_phases> {
    Some(match phase {
        Phase::ServerRewrite => ngx_http_phases_NGX_HTTP_SERVER_REWRITE_PHASE,
        Phase::Rewrite => ngx_http_phases_NGX_HTTP_REWRITE_PHASE,
        Phase::Access => ngx_http_phases_NGX_HTTP_ACCESS_PHASE,
        Phase::Content => ngx_http_phases_NGX_HTTP_CONTENT_PHASE,
        Phase::Log => ngx_http_phases_NGX_HTTP_LOG_PHASE,
        Phase::InitWorker | Phase::HeaderFilter | Phase::BodyFilter | Phase::Timer => return None,
    })
}

/// Installs a handler in each nginx phase some directive of `mcf` uses (at
/// postconfiguration); false if nginx is out of memory.
pub fn install(cmcf: &mut ngx_http_core_main_conf_t, mcf: &MainConf) -> bool {
    for phase in Phase::ALL {
        let Some(nginx_phase) = nginx_phase(phase) else {
            continue;
        };
        if !mcf.uses(phase) {
            continue;
        }
        // SAFETY: the phase handler arrays are initialized by the core module before
        // postconfiguration; ngx_array_push returns room for one element or NULL.
        let h = unsafe { ngx_array_push(&mut cmcf.phases[nginx_phase as usize].handlers) }
            .cast::<ngx_http_handler_pt>();
        if h.is_null() {
            return false;
        }
        // SAFETY: h points at the element just pushed.
        unsafe { *h = Some(for_phase(phase)) };
    }
    true
}

fn handler_for(r: &ngx_http_request_t, phase: Phase) -> Option<&'static Handler> {
    match phase {
        Phase::ServerRewrite => HttpWasmModule::server_conf(r)?.server_rewrite.as_ref(),
        _ => HttpWasmModule::location_conf(r)?.handler(phase),
    }
}

/// What a phase handler returns once its call is over (in the content phase, after
/// discarding a request body nobody read): the guest's answer, or, on failure,
/// the status to answer (the call's header changes undone), or `NGX_ERROR` to cut a response
/// whose header already went out.
fn conclude(host: &mut NgxRequest<'_>, phase: Phase, result: Result<(), u16>) -> Status {
    if phase == Phase::Content {
        // The guest could read the body while it ran (`req_read_body`); a body it did not
        // read is discarded now, before the response goes out, as nginx's own content
        // handlers do.
        let rc = host.discard_unread_body();
        if rc != Status::NGX_OK && !host.header_sent() {
            return rc;
        }
    }
    if let Err(status) = result {
        host.discard_headers();
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

fn run(r: &mut ngx_http_request_t, phase: Phase) -> Status {
    let Some(handler) = handler_for(r, phase) else {
        return Status::NGX_DECLINED;
    };
    let Some(mcf) = HttpWasmModule::main_conf(r) else {
        return Status::NGX_DECLINED;
    };
    match suspend::find(r, phase) {
        Found::Nothing => {}
        Found::Completed(done) => {
            return conclude(&mut NgxRequest::resumed(r, done.state), phase, done.result);
        }
        Found::Parked => {
            // nginx entered the phase while the call still waits (the request's write
            // handler does nothing meanwhile, so it should not): keep waiting.
            if phase == Phase::Content {
                suspend::hold(r);
            }
            return Status::NGX_DONE;
        }
    }
    let need_body = matches!(phase, Phase::Rewrite | Phase::Access | Phase::Content)
        && HttpWasmModule::location_conf(r).is_some_and(|l| l.need_request_body == Some(true));
    if need_body {
        if let Err(rc) = read_body(r, phase) {
            return rc;
        }
    }
    let limits = Limits::of_request(r);
    let mut host = NgxRequest::new(r, phase, limits.max_output);
    let log = host.log_ptr();
    if phase == Phase::Log {
        let result = call::run_to_end(mcf, handler, limits, phase, &mut host, log);
        return conclude(&mut host, phase, result);
    }
    let outcome = Call::start(
        mcf,
        std::borrow::Cow::Borrowed(handler),
        limits,
        phase,
        &mut host,
        log,
    );
    if !matches!(outcome, call::Outcome::Busy) {
        started(&mut host);
    }
    match outcome {
        call::Outcome::Done => conclude(&mut host, phase, Ok(())),
        call::Outcome::Failed(status) => conclude(&mut host, phase, Err(status)),
        call::Outcome::Suspended(call, wait) => suspend::park(host, call, wait),
        call::Outcome::Busy => {
            let (r, _) = host.into_parts();
            suspend::wait_for_instance(r, mcf, handler, phase)
        }
    }
}

/// A call started: a later one of the request that finds no free instance waits afresh.
fn started(host: &mut NgxRequest<'_>) {
    host.clear_instance_deadline();
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
    crate::request::body::prepare_reading(r);
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

/// Body read for a rewrite or access handler: resume the phases (the handler runs again and
/// now calls the guest).
unsafe extern "C" fn phase_post_read(r: *mut ngx_http_request_t) {
    // SAFETY: nginx calls the post-read handler with the live request.
    let r = unsafe { &mut *r };
    let waiting = body_done(r);
    crate::request::body::release_reading_reference(r);
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
        crate::request::body::release_reading_reference(r);
    }
}
