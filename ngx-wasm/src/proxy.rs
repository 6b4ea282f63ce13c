//! Proxy-Wasm filters (`proxy_wasm`): their HTTP contexts and the nginx places their
//! callbacks run in.
//!
//! A main request reaching a location with a `proxy_wasm` chain gets one HTTP context per
//! filter, created (`proxy_on_context_create`) in the rewrite phase, where each filter's
//! `proxy_on_request_headers` runs in chain order; a filter that answers the request
//! (`send_local_response`, `close_stream`) or fails ends the chain there. The response
//! headers callback runs in this module's header filter, the response body callback once
//! per chain of buffers in its body filter, and `proxy_on_log`, `proxy_on_done`,
//! `proxy_on_delete` in the log phase. The contexts are kept in a request pool cleanup of
//! their own, so they survive internal redirects (which reset module contexts): a request
//! keeps the chain of the location it entered, and every context it created is done once.
//!
//! Each callback runs to its end on the worker's instance of the filter's module
//! (`call::run_callback`); a `Pause` answer goes on as `Continue` (nothing waits here yet,
//! see `docs/proxy-wasm.md`). A failed callback answers 500 (or cuts a response whose header
//! went out) and the context is not called again; nor is it when its instance was replaced
//! after another request's failure.

use std::cell::Cell;
use std::ffi::c_void;
use std::ptr::{self, NonNull};

use engine_api::abi::proxy_wasm::callbacks;
use engine_api::{GuestError, GuestErrorKind, HostRequest, Instance as _, Phase, Step, Val};
use ngx::core::Status;
use ngx::ffi::{
    ngx_array_push, ngx_http_core_main_conf_t, ngx_http_handler_pt,
    ngx_http_phases_NGX_HTTP_LOG_PHASE, ngx_http_phases_NGX_HTTP_REWRITE_PHASE, ngx_http_request_t,
    ngx_int_t, ngx_pool_cleanup_add, NGX_HTTP_HEAD, NGX_HTTP_INTERNAL_SERVER_ERROR,
};
use ngx::http::{HttpModuleLocationConf, HttpModuleMainConf};

use crate::call;
use crate::conf::limits::Limits;
use crate::conf::MainConf;
use crate::request::{Chunk, NgxRequest, Outcome};
use crate::HttpWasmModule;

/// One filter's HTTP context in one request.
struct FilterCtx {
    /// The filter's root context id (its `proxy_wasm` directive).
    root: u32,
    /// The HTTP context's id; 0 until `proxy_on_context_create` ran.
    id: u32,
    /// The instance the context lives in (`registry::Lease::serial`).
    serial: u64,
    /// A callback failed, or the instance is gone: no more callbacks.
    gone: bool,
}

/// A request's HTTP contexts, in chain order.
struct Contexts {
    filters: Vec<FilterCtx>,
    /// The log-phase callbacks ran.
    ended: bool,
}

thread_local! {
    /// The last HTTP context id given out in this worker.
    static LAST_ID: Cell<u32> = const { Cell::new(0) };
}

/// A fresh HTTP context id, above every root context id (`roots` of them).
fn next_id(roots: u32) -> u32 {
    LAST_ID.with(|last| {
        let id = match last.get().checked_add(1) {
            Some(id) if id > roots => id,
            _ => roots.saturating_add(1),
        };
        last.set(id);
        id
    })
}

/// Installs the request-phase handlers when some `proxy_wasm` directive exists (at
/// postconfiguration); false if nginx is out of memory.
pub fn install(cmcf: &mut ngx_http_core_main_conf_t, mcf: &MainConf) -> bool {
    if !mcf.registry.has_proxy() {
        return true;
    }
    let handlers: [(
        usize,
        unsafe extern "C" fn(*mut ngx_http_request_t) -> ngx_int_t,
    ); 2] = [
        (
            ngx_http_phases_NGX_HTTP_REWRITE_PHASE as usize,
            rewrite_handler,
        ),
        (ngx_http_phases_NGX_HTTP_LOG_PHASE as usize, log_handler),
    ];
    for (phase, handler) in handlers {
        // SAFETY: the phase handler arrays are initialized by the core module before
        // postconfiguration; ngx_array_push returns room for one element or NULL.
        let h = unsafe { ngx_array_push(&mut cmcf.phases[phase].handlers) }
            .cast::<ngx_http_handler_pt>();
        if h.is_null() {
            return false;
        }
        // SAFETY: h points at the element just pushed.
        unsafe { *h = Some(handler) };
    }
    true
}

unsafe extern "C" fn drop_contexts(data: *mut c_void) {
    // SAFETY: `data` is the Box leaked in `create`, dropped once, by this cleanup.
    drop(unsafe { Box::from_raw(data.cast::<Contexts>()) });
}

/// The request's contexts, if it created them (found among its pool cleanups, which
/// internal redirects keep).
fn contexts(r: &ngx_http_request_t) -> Option<NonNull<Contexts>> {
    // SAFETY: r->pool is the live request pool; its cleanup list is well formed.
    let mut cln = unsafe { (*r.pool).cleanup };
    while !cln.is_null() {
        // SAFETY: a link of the list above.
        let c = unsafe { &*cln };
        if c.handler
            .is_some_and(|h| ptr::fn_addr_eq(h, drop_contexts as unsafe extern "C" fn(_)))
        {
            return NonNull::new(c.data.cast::<Contexts>());
        }
        cln = c.next;
    }
    None
}

/// Creates the request's contexts for the filters `chain` (none called yet).
fn create(r: &mut ngx_http_request_t, chain: &[u32]) -> Option<NonNull<Contexts>> {
    // SAFETY: r->pool is the live request pool.
    let cln = unsafe { ngx_pool_cleanup_add(r.pool, 0) };
    if cln.is_null() {
        return None;
    }
    let contexts = Box::into_raw(Box::new(Contexts {
        filters: chain
            .iter()
            .map(|&root| FilterCtx {
                root,
                id: 0,
                serial: 0,
                gone: false,
            })
            .collect(),
        ended: false,
    }));
    // SAFETY: cln was just added to the pool.
    unsafe {
        (*cln).handler = Some(drop_contexts);
        (*cln).data = contexts.cast();
    }
    NonNull::new(contexts)
}

/// Runs callbacks `exports` (at most three) of context `cx`, those the filter exports, in
/// order, on one lease, with `args` after the context id; creates the context first if it
/// is new. Answers the last one's result; `Ok(None)` when the filter exports none of them or
/// the context is gone; `Err` carries the status to answer.
fn callback(
    mcf: &'static MainConf,
    limits: &'static Limits,
    host: &mut NgxRequest<'_>,
    cx: &mut FilterCtx,
    exports: &[&'static str],
    args: &[Val],
) -> Result<Option<i32>, u16> {
    let registry = &mcf.registry;
    let Some(root) = registry.proxy_root(cx.root) else {
        return Ok(None);
    };
    if cx.gone {
        return Ok(None);
    }
    let mut chosen = [""; 3];
    let mut n = 0;
    for &e in exports.iter().take(chosen.len()) {
        if registry.exports_function(root.module, e) {
            chosen[n] = e;
            n += 1;
        }
    }
    let exports = &chosen[..n];
    if exports.is_empty() {
        return Ok(None);
    }
    host.set_proxy(root.filter());
    let phase = host.phase();
    let log = host.log_ptr();
    let creates = registry.exports_function(root.module, callbacks::CONTEXT_CREATE);
    let roots = registry.proxy_root_count();
    let root_id = root.root_id;
    let result = call::run_callback(
        mcf,
        root.module,
        exports,
        limits,
        phase,
        host,
        log,
        |lease, host| {
            if cx.id == 0 {
                cx.id = next_id(roots);
                cx.serial = lease.serial();
                if creates {
                    let create = [Val::I32(cx.id as i32), Val::I32(root_id as i32)];
                    let step = lease.instance.start(
                        callbacks::CONTEXT_CREATE,
                        &create,
                        host,
                        &limits.budget,
                    );
                    match step {
                        Ok(Step::Done(_)) => {}
                        Ok(Step::Suspended(_)) => {
                            return Err(GuestError::new(
                                GuestErrorKind::Trap,
                                "proxy_on_context_create waited, which it cannot",
                            ))
                        }
                        Err(mut e) => {
                            e.reason = format!("in {}: {}", callbacks::CONTEXT_CREATE, e.reason);
                            return Err(e);
                        }
                    }
                }
            } else if cx.serial != lease.serial() {
                // The instance the context lived in failed for another request.
                cx.gone = true;
                return Ok(None);
            }
            let mut all = Vec::with_capacity(args.len() + 1);
            all.push(Val::I32(cx.id as i32));
            all.extend_from_slice(args);
            Ok(Some(all))
        },
    );
    if result.is_err() {
        cx.gone = true;
    }
    result
}

/// The number of request (or response) headers a callback is told of.
fn count_headers(host: &NgxRequest<'_>, response: bool) -> i32 {
    let mut n = 0i32;
    let mut visit = |_: &[u8], _: &[u8]| {
        n = n.saturating_add(1);
        true
    };
    if response {
        host.response_headers(&mut visit);
    } else {
        host.request_headers(&mut visit);
    }
    n
}

/// Rewrite phase: creates the request's contexts and runs each filter's request headers
/// callback; a filter's answer or failure ends the chain.
unsafe extern "C" fn rewrite_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx calls phase handlers with a live request.
    let r = unsafe { &mut *r };
    if !ptr::eq(r.main, r) || contexts(r).is_some() {
        return Status::NGX_DECLINED.0;
    }
    let (Some(lcf), Some(mcf)) = (
        HttpWasmModule::location_conf(r),
        HttpWasmModule::main_conf(r),
    ) else {
        return Status::NGX_DECLINED.0;
    };
    if lcf.proxy_wasm.is_empty() {
        return Status::NGX_DECLINED.0;
    }
    let Some(mut cxs) = create(r, &lcf.proxy_wasm) else {
        return NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t;
    };
    let limits = Limits::of_request(r);
    let has_body = r.headers_in.content_length_n > 0 || r.headers_in.chunked() != 0;
    // SAFETY: the contexts live in the request pool, apart from the request; nothing else
    // touches them during this handler.
    let filters = unsafe { &mut cxs.as_mut().filters };
    for cx in filters {
        let mut host = NgxRequest::new(r, Phase::Rewrite, limits.max_output);
        let n = count_headers(&host, false);
        let args = [Val::I32(n), Val::I32(i32::from(!has_body))];
        match callback(
            mcf,
            limits,
            &mut host,
            cx,
            &[callbacks::REQUEST_HEADERS],
            &args,
        ) {
            Err(status) => {
                host.discard_headers();
                return status as ngx_int_t;
            }
            Ok(_) => match host.conclude() {
                Outcome::Declined => {}
                Outcome::Return(rc) => return rc,
            },
        }
    }
    Status::NGX_DECLINED.0
}

/// True when the request's Proxy-Wasm filters see its response (a main request with
/// contexts, not an error page nginx sends in place of the response).
fn sees_response(r: &ngx_http_request_t) -> Option<NonNull<Contexts>> {
    if !ptr::eq(r.main, r) || r.filter_finalize() != 0 {
        return None;
    }
    contexts(r)
}

/// Header filter: runs each filter's response headers callback. `Err` carries the status
/// to answer instead (the callback's header changes undone).
pub fn response_headers(r: &mut ngx_http_request_t) -> Result<(), u16> {
    let Some(mut cxs) = sees_response(r) else {
        return Ok(());
    };
    let Some(mcf) = HttpWasmModule::main_conf(r) else {
        return Ok(());
    };
    // The body callback reads the body's bytes, so they must be in memory.
    r.set_filter_need_in_memory(1);
    let limits = Limits::of_request(r);
    let end = r.header_only() != 0 || r.method == NGX_HTTP_HEAD as usize;
    // SAFETY: as in `rewrite_handler`.
    let filters = unsafe { &mut cxs.as_mut().filters };
    for cx in filters {
        let mut host = NgxRequest::new(r, Phase::HeaderFilter, limits.max_output);
        let n = count_headers(&host, true);
        let args = [Val::I32(n), Val::I32(i32::from(end))];
        if let Err(status) = callback(
            mcf,
            limits,
            &mut host,
            cx,
            &[callbacks::RESPONSE_HEADERS],
            &args,
        ) {
            host.discard_headers();
            return Err(status);
        }
    }
    Ok(())
}

/// True when the response body passing now goes through the request's Proxy-Wasm filters.
pub fn filters_body(r: &ngx_http_request_t) -> bool {
    sees_response(r).is_some() && r.header_only() == 0
}

/// Body filter: runs each filter's response body callback on `data` (`last`: it ends the
/// response). Answers the new data if some filter replaced it; `Err` after a failure.
pub fn response_body(
    r: &mut ngx_http_request_t,
    data: Vec<u8>,
    last: bool,
) -> Result<Option<Vec<u8>>, ()> {
    let (Some(mut cxs), Some(mcf)) = (sees_response(r), HttpWasmModule::main_conf(r)) else {
        return Ok(None);
    };
    let limits = Limits::of_request(r);
    let (mut data, mut changed) = (data, false);
    // SAFETY: as in `rewrite_handler`.
    let filters = unsafe { &mut cxs.as_mut().filters };
    for cx in filters {
        let mut host = NgxRequest::new(r, Phase::BodyFilter, limits.max_output);
        let args = [
            Val::I32(i32::try_from(data.len()).unwrap_or(i32::MAX)),
            Val::I32(i32::from(last)),
        ];
        host.set_chunk(Chunk {
            data,
            last,
            replaced: None,
        });
        let result = callback(
            mcf,
            limits,
            &mut host,
            cx,
            &[callbacks::RESPONSE_BODY],
            &args,
        );
        let chunk = host.take_chunk();
        if result.is_err() {
            return Err(());
        }
        data = match chunk {
            Some(Chunk {
                replaced: Some(new),
                ..
            }) => {
                changed = true;
                new
            }
            Some(chunk) => chunk.data,
            None => Vec::new(),
        };
    }
    Ok(changed.then_some(data))
}

/// Log phase: `proxy_on_log`, `proxy_on_done` and `proxy_on_delete` of every context the
/// request created, once; failures are logged, nothing else is left to answer.
unsafe extern "C" fn log_handler(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx calls phase handlers with a live request.
    let r = unsafe { &mut *r };
    if !ptr::eq(r.main, r) {
        return Status::NGX_OK.0;
    }
    let (Some(mut cxs), Some(mcf)) = (contexts(r), HttpWasmModule::main_conf(r)) else {
        return Status::NGX_OK.0;
    };
    // SAFETY: as in `rewrite_handler`.
    let cxs = unsafe { cxs.as_mut() };
    if std::mem::replace(&mut cxs.ended, true) {
        return Status::NGX_OK.0;
    }
    let limits = Limits::of_request(r);
    let exports = [callbacks::LOG, callbacks::DONE, callbacks::DELETE];
    for cx in &mut cxs.filters {
        let mut host = NgxRequest::new(r, Phase::Log, None);
        let _ = callback(mcf, limits, &mut host, cx, &exports, &[]);
        host.discard_headers();
    }
    Status::NGX_OK.0
}
