//! `header_filter_by_wasm` and `body_filter_by_wasm`: this module's links in nginx's output
//! filter chains; they also capture the response of a subrequest a guest waits for
//! (`request::subrequest`), which goes no further, as OpenResty's capture filter does.
//!
//! When a location has a body filter, the header filter drops `Content-Length` (the guest may
//! change the length) and `Accept-Ranges`, and asks for the body in memory. The body filter
//! calls the guest once per chain nginx passes down, with the chain's data and whether it
//! ends the response; a replaced chunk goes on as one buffer keeping the original's
//! end-of-stream and flush flags, and the original buffers are marked consumed.

use std::ptr;

use ngx::core::Status;
use ngx::ffi::{
    ngx_alloc_chain_link, ngx_buf_t, ngx_chain_t, ngx_create_temp_buf,
    ngx_http_filter_finalize_request, ngx_http_output_body_filter_pt,
    ngx_http_output_header_filter_pt, ngx_http_request_t, ngx_http_top_body_filter,
    ngx_http_top_header_filter, ngx_int_t, ngx_pcalloc,
};
use ngx::http::{HttpModuleLocationConf, HttpModuleMainConf};

use engine_api::Phase;

use crate::call::run_to_end;
use crate::conf::limits::Limits;
use crate::request::{subrequest, Chunk, NgxRequest};
use crate::HttpWasmModule;

static mut NEXT_HEADER_FILTER: ngx_http_output_header_filter_pt = None;
static mut NEXT_BODY_FILTER: ngx_http_output_body_filter_pt = None;

/// Links both filters into nginx's chains (at postconfiguration, once per configuration).
pub fn install() {
    // SAFETY: nginx builds the filter chains single-threaded at configuration time; each
    // module saves the current top and replaces it, as done here.
    unsafe {
        NEXT_HEADER_FILTER = ngx_http_top_header_filter;
        ngx_http_top_header_filter = Some(header_filter);
        NEXT_BODY_FILTER = ngx_http_top_body_filter;
        ngx_http_top_body_filter = Some(body_filter);
    }
}

fn next_header(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: set by install() before any request; read-only afterwards.
    match unsafe { NEXT_HEADER_FILTER } {
        // SAFETY: the next filter of the chain, with the live request.
        Some(f) => unsafe { f(r) },
        None => Status::NGX_ERROR.0,
    }
}

fn next_body(r: *mut ngx_http_request_t, cl: *mut ngx_chain_t) -> ngx_int_t {
    // SAFETY: set by install() before any request; read-only afterwards.
    match unsafe { NEXT_BODY_FILTER } {
        // SAFETY: the next filter of the chain, with the live request and chain.
        Some(f) => unsafe { f(r, cl) },
        None => Status::NGX_ERROR.0,
    }
}

unsafe extern "C" fn header_filter(r: *mut ngx_http_request_t) -> ngx_int_t {
    // SAFETY: nginx calls header filters with a live request.
    let req = unsafe { &mut *r };
    if !ptr::eq(req.main, req) && subrequest::capture_header(req) {
        // A subrequest a guest waits for: its header is captured, not sent.
        return Status::NGX_OK.0;
    }
    let Some(lcf) = HttpWasmModule::location_conf(req) else {
        return next_header(r);
    };
    if req.filter_finalize() != 0 {
        // nginx is sending an error page in place of the response (possibly ours, after a
        // trap in this filter): let it through untouched.
        return next_header(r);
    }
    if let Err(status) = crate::proxy::response_headers(req) {
        return answer_instead(r, status);
    }
    if lcf.body_filter.is_some() {
        let out = &mut req.headers_out;
        out.content_length_n = -1;
        if !out.content_length.is_null() {
            // SAFETY: the entry nginx keeps in headers_out.headers.
            unsafe { (*out.content_length).hash = 0 };
            out.content_length = ptr::null_mut();
        }
        if !out.accept_ranges.is_null() {
            // SAFETY: as above.
            unsafe { (*out.accept_ranges).hash = 0 };
            out.accept_ranges = ptr::null_mut();
        }
        req.set_allow_ranges(0);
        req.set_filter_need_in_memory(1);
    }
    if let (Some(h), Some(mcf)) = (lcf.header_filter.as_ref(), HttpWasmModule::main_conf(req)) {
        let limits = Limits::of_request(req);
        let mut host = NgxRequest::new(req, Phase::HeaderFilter, limits.max_output);
        let log = host.log_ptr();
        if let Err(status) = run_to_end(mcf, h, limits, Phase::HeaderFilter, &mut host, log) {
            host.discard_headers();
            return answer_instead(r, status);
        }
    }
    next_header(r)
}

/// Answers `status` (nginx's error page) instead of the response whose header is passing.
fn answer_instead(r: *mut ngx_http_request_t, status: u16) -> ngx_int_t {
    // SAFETY: r is live; the nginx way for a filter to answer with an error instead.
    unsafe {
        ngx_http_filter_finalize_request(
            r,
            ptr::addr_of_mut!(crate::ngx_http_wasm_module),
            status as ngx_int_t,
        )
    }
}

/// Data and flags of a chain.
fn gather(mut cl: *mut ngx_chain_t) -> (Vec<u8>, bool, bool) {
    let (mut data, mut last, mut flush) = (Vec::new(), false, false);
    while !cl.is_null() {
        // SAFETY: a link of the chain nginx passed, with its buffer.
        let b: &ngx_buf_t = unsafe { &*(*cl).buf };
        let in_memory = b.temporary() != 0 || b.memory() != 0 || b.mmap() != 0;
        if in_memory && !b.pos.is_null() && b.last > b.pos {
            // SAFETY: pos..last are initialized bytes of an in-memory buffer.
            data.extend_from_slice(unsafe {
                std::slice::from_raw_parts(b.pos, b.last.offset_from(b.pos) as usize)
            });
        }
        last |= b.last_buf() != 0 || b.last_in_chain() != 0;
        flush |= b.flush() != 0;
        // SAFETY: as above.
        cl = unsafe { (*cl).next };
    }
    (data, last, flush)
}

/// Marks every buffer of a chain as sent, so its owner can reuse it.
fn consume(mut cl: *mut ngx_chain_t) {
    while !cl.is_null() {
        // SAFETY: a link of the chain nginx passed, with its buffer.
        unsafe {
            let b = &mut *(*cl).buf;
            b.pos = b.last;
            if b.in_file() != 0 {
                b.file_pos = b.file_last;
            }
            cl = (*cl).next;
        }
    }
}

/// One buffer with `data` and the flags of the chain it replaces.
fn replacement(r: &ngx_http_request_t, data: &[u8], last: bool, flush: bool) -> *mut ngx_chain_t {
    // SAFETY: r->pool is the live request pool.
    let b = unsafe {
        if data.is_empty() {
            ngx_pcalloc(r.pool, size_of::<ngx_buf_t>()).cast::<ngx_buf_t>()
        } else {
            ngx_create_temp_buf(r.pool, data.len())
        }
    };
    // SAFETY: as above.
    let cl = unsafe { ngx_alloc_chain_link(r.pool) };
    if b.is_null() || cl.is_null() {
        return ptr::null_mut();
    }
    let is_main = ptr::eq(r.main, r);
    // SAFETY: b is a fresh buffer with room for data; cl a fresh link.
    unsafe {
        if !data.is_empty() {
            ptr::copy_nonoverlapping(data.as_ptr(), (*b).last, data.len());
            (*b).last = (*b).last.add(data.len());
        }
        if last {
            (*b).set_last_buf(u32::from(is_main));
            (*b).set_last_in_chain(1);
        }
        (*b).set_flush(u32::from(flush));
        (*cl).buf = b;
        (*cl).next = ptr::null_mut();
    }
    cl
}

unsafe extern "C" fn body_filter(r: *mut ngx_http_request_t, cl: *mut ngx_chain_t) -> ngx_int_t {
    // SAFETY: nginx calls body filters with a live request.
    let req = unsafe { &mut *r };
    if cl.is_null() {
        return next_body(r, cl);
    }
    if !ptr::eq(req.main, req) {
        match subrequest::capture_body(req, cl) {
            // Captured for the guest waiting for it: nothing goes on.
            Ok(true) => return next_body(r, ptr::null_mut()),
            Ok(false) => {}
            Err(()) => return Status::NGX_ERROR.0,
        }
    }
    if req.filter_finalize() != 0 {
        return next_body(r, cl);
    }
    let cl = match proxy_body(req, cl) {
        Ok(cl) if cl.is_null() => return Status::NGX_OK.0,
        Ok(cl) => cl,
        Err(()) => return Status::NGX_ERROR.0,
    };
    let (Some(lcf), Some(mcf)) = (
        HttpWasmModule::location_conf(req),
        HttpWasmModule::main_conf(req),
    ) else {
        return next_body(r, cl);
    };
    let Some(h) = lcf.body_filter.as_ref() else {
        return next_body(r, cl);
    };
    let (data, last, flush) = gather(cl);
    let limits = Limits::of_request(req);
    let mut host = NgxRequest::new(req, Phase::BodyFilter, limits.max_output);
    let log = host.log_ptr();
    host.set_chunk(Chunk {
        data,
        last,
        replaced: None,
    });
    if run_to_end(mcf, h, limits, Phase::BodyFilter, &mut host, log).is_err() {
        // The header is gone: nothing left but to cut the response short.
        return Status::NGX_ERROR.0;
    }
    let Some(new) = host.take_chunk().and_then(|c| c.replaced) else {
        return next_body(r, cl);
    };
    consume(cl);
    if new.is_empty() && !last && !flush {
        return Status::NGX_OK.0;
    }
    let out = replacement(req, &new, last, flush);
    if out.is_null() {
        return Status::NGX_ERROR.0;
    }
    next_body(r, out)
}

/// Passes chain `cl` through the request's Proxy-Wasm filters: answers the chain to go on
/// (`cl` itself when no filter replaced its data; null when nothing is left to send) or
/// `Err` after a failure (the header is gone: the response is cut short).
fn proxy_body(req: &mut ngx_http_request_t, cl: *mut ngx_chain_t) -> Result<*mut ngx_chain_t, ()> {
    if !crate::proxy::filters_body(req) {
        return Ok(cl);
    }
    let (data, last, flush) = gather(cl);
    let Some(new) = crate::proxy::response_body(req, data, last)? else {
        return Ok(cl);
    };
    consume(cl);
    if new.is_empty() && !last && !flush {
        return Ok(ptr::null_mut());
    }
    let out = replacement(req, &new, last, flush);
    if out.is_null() {
        return Err(());
    }
    Ok(out)
}
