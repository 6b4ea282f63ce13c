//! Per-request state kept across phases: the `ngx.ctx` store, the request-body read, a call
//! that waits, and subrequests (queued, in flight, their answers; in a subrequest, what it
//! captured).
//!
//! Created on first use, stored in `r->ctx[ctx_index]` and dropped by a cleanup of the request
//! pool. An internal redirect clears nginx's module contexts, so a request reached by `exec`
//! starts with a fresh one (as in OpenResty); the old one is still freed with the pool.

use std::any::Any;
use std::ffi::c_void;
use std::ptr::NonNull;

use engine_api::CtxStore;
use ngx::ffi::{ngx_http_request_t, ngx_pool_cleanup_add};

/// A subrequest queued by a guest (`subreq_add`), with nginx's checks passed: `uri` is a
/// safe path, `args` holds the URI's query joined with the extra arguments.
pub struct QueuedSubrequest {
    /// The method's `NGX_HTTP_*` bit and name.
    pub method: (usize, &'static [u8]),
    /// The path.
    pub uri: Vec<u8>,
    /// The query string.
    pub args: Vec<u8>,
    /// `Some`: this body; `None`: the parent's, per `forward_body`.
    pub body: Option<Vec<u8>>,
    /// Forward the parent's body whatever the method (else only for POST and PUT).
    pub forward_body: bool,
    /// Start with a copy of the parent's variables.
    pub copy_vars: bool,
    /// Share the parent's variables.
    pub share_vars: bool,
}

/// What a finished subrequest answered.
#[derive(Default)]
pub struct SubrequestResponse {
    /// Its status.
    pub status: u16,
    /// Its response headers, `Content-Type` and `Content-Length` included when set.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// Its body.
    pub body: Vec<u8>,
    /// The body ended without its last buffer (the upstream failed mid-response).
    pub truncated: bool,
}

/// The subrequests of a request's guest call.
#[derive(Default)]
pub struct Subrequests {
    /// Queued for the next wait.
    pub queued: Vec<QueuedSubrequest>,
    /// The batch issued last, by id: `None` while in flight.
    pub batch: Vec<Option<SubrequestResponse>>,
    /// How many of the batch are still in flight.
    pub in_flight: usize,
    /// What the request's write handler becomes when the last one finishes (it wakes the
    /// call; set by `crate::suspend`).
    pub on_done: Option<unsafe extern "C" fn(*mut ngx_http_request_t)>,
}

/// In a subrequest issued by a guest: its id in the parent's batch and what it answers.
pub struct Capture {
    /// Its id in the parent's batch.
    pub id: usize,
    /// The body so far.
    pub body: Vec<u8>,
    /// The last buffer went by.
    pub seen_last: bool,
    /// Its response header went by.
    pub header_seen: bool,
    /// Its answer was handed to the parent (nginx may finalize a subrequest twice).
    pub reported: bool,
}

/// What this module remembers about one request.
#[derive(Default)]
pub struct RequestCtx {
    /// `ngx.ctx`.
    pub store: CtxStore,
    /// What the request's guests logged so far (`log` stops past the budget).
    pub log_budget: engine_api::LogBudget,
    /// The starts of the guests' stdout/stderr lines still waiting for a newline (WASI).
    pub stdio: engine_api::abi::wasi::StdioLines,
    /// The request body was read (`wasm_need_request_body on`).
    pub body_read: bool,
    /// A handler returned `NGX_DONE` to wait for the body; the post-read handler resumes.
    pub waiting_body: bool,
    /// A guest discarded the body (`req_discard_body`): nothing is left to read (nginx
    /// forgets a discarded body it had received whole).
    pub body_discarded: bool,
    /// A call waits for the body it asked for (`req_read_body`): the post-read handler calls
    /// this once the body is read (set by `crate::suspend`, which this module cannot name).
    pub on_body: Option<fn(&mut ngx_http_request_t)>,
    /// A call of this request that is suspended, or that finished after being resumed and
    /// waits for its phase handler to conclude it. Owned by `crate::suspend`, which knows
    /// its type; opaque here, so that this module depends on nothing above it.
    pub suspension: Option<Box<dyn Any>>,
    /// When this request stops waiting for an instance (`wasm_max_instances` reached) and is
    /// answered 503; set the first time it waits, cleared once a call starts.
    pub instance_deadline: Option<std::time::Instant>,
    /// Subrequests this request's guest queued or issued.
    pub subrequests: Subrequests,
    /// The request's TCP sockets (`request::socket` knows their type).
    pub sockets: Option<Box<dyn Any>>,
    /// A call waits for a socket operation: the socket's event handler calls this when it
    /// ends (set by `crate::suspend`).
    pub on_socket: Option<fn(&mut ngx_http_request_t)>,
    /// Set in a subrequest a guest issued: its response is captured for the parent.
    pub capture: Option<Capture>,
    /// The request cleanup that cancels a suspended call is registered.
    pub cleanup_registered: bool,
}

unsafe extern "C" fn drop_ctx(data: *mut c_void) {
    // SAFETY: `data` is the Box leaked in `get_or_create`, dropped once, by this cleanup.
    drop(unsafe { Box::from_raw(data.cast::<RequestCtx>()) });
}

#[inline]
fn slot(r: &ngx_http_request_t) -> *mut *mut c_void {
    // SAFETY: r->ctx is an array of one pointer per HTTP module, indexed by ctx_index.
    unsafe { r.ctx.add(crate::HttpWasmModule::ctx_index()) }
}

/// This module's context of `r`, if one was created.
#[inline]
pub fn get(r: &ngx_http_request_t) -> Option<NonNull<RequestCtx>> {
    // SAFETY: the slot holds NULL or the RequestCtx stored by get_or_create.
    NonNull::new(unsafe { *slot(r) }.cast::<RequestCtx>())
}

/// This module's context of `r`, created (with a pool cleanup that frees it) if needed.
/// `None` when the pool is out of memory.
pub fn get_or_create(r: &mut ngx_http_request_t) -> Option<NonNull<RequestCtx>> {
    if let Some(c) = get(r) {
        return Some(c);
    }
    // SAFETY: r->pool is the live request pool.
    let cln = unsafe { ngx_pool_cleanup_add(r.pool, 0) };
    if cln.is_null() {
        return None;
    }
    let ctx = Box::into_raw(Box::<RequestCtx>::default());
    // SAFETY: cln was just added to the pool; the slot belongs to this module.
    unsafe {
        (*cln).handler = Some(drop_ctx);
        (*cln).data = ctx.cast();
        *slot(r) = ctx.cast();
    }
    NonNull::new(ctx)
}
