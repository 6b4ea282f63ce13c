//! Per-request state kept across phases: the `ngx.ctx` store, the request-body read, and a
//! call that waits.
//!
//! Created on first use, stored in `r->ctx[ctx_index]` and dropped by a cleanup of the request
//! pool. An internal redirect clears nginx's module contexts, so a request reached by `exec`
//! starts with a fresh one (as in OpenResty); the old one is still freed with the pool.

use std::any::Any;
use std::ffi::c_void;
use std::ptr::NonNull;

use engine_api::CtxStore;
use ngx::ffi::{ngx_http_request_t, ngx_pool_cleanup_add};

/// What this module remembers about one request.
#[derive(Default)]
pub struct RequestCtx {
    /// `ngx.ctx`.
    pub store: CtxStore,
    /// The request body was read (`wasm_need_request_body on`).
    pub body_read: bool,
    /// A handler returned `NGX_DONE` to wait for the body; the post-read handler resumes.
    pub waiting_body: bool,
    /// A call of this request that is suspended, or that finished after being resumed and
    /// waits for its phase handler to conclude it. Owned by `crate::suspend`, which knows
    /// its type; opaque here, so that this module depends on nothing above it.
    pub suspension: Option<Box<dyn Any>>,
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
