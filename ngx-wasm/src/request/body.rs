//! The request body read before a handler (`wasm_need_request_body on`) or on demand
//! (`req_read_body`, [`start_reading`]): its length, and its bytes from the in-memory buffers
//! or the temporary file nginx wrote it to.

use engine_api::RequestError;
use ngx::core::Status;
use ngx::ffi::{
    ngx_buf_t, ngx_http_read_client_request_body, ngx_http_request_t, ngx_int_t, ngx_read_file,
    NGX_HTTP_SPECIAL_RESPONSE,
};

use crate::ctx;

/// The buffers of the body that was read, or `None` when none was.
fn bufs(r: &ngx_http_request_t) -> Option<impl Iterator<Item = &ngx_buf_t>> {
    // SAFETY: the context outlives the request's handlers.
    let read = ctx::get(r).is_some_and(|c| unsafe { c.as_ref() }.body_read);
    if !read || r.request_body.is_null() {
        return None;
    }
    // SAFETY: request_body is set once the body was read; its chain lives in r->pool.
    let mut cl = unsafe { (*r.request_body).bufs };
    Some(std::iter::from_fn(move || {
        while !cl.is_null() {
            // SAFETY: a link of the body chain, with a buffer.
            let (b, next) = unsafe { ((*cl).buf, (*cl).next) };
            cl = next;
            if !b.is_null() {
                // SAFETY: b is a buffer of the body chain.
                return Some(unsafe { &*b });
            }
        }
        None
    }))
}

fn buf_len(b: &ngx_buf_t) -> usize {
    if b.in_file() != 0 {
        (b.file_last - b.file_pos).max(0) as usize
    } else {
        // SAFETY: pos and last point into the same buffer.
        (unsafe { b.last.offset_from(b.pos) }).max(0) as usize
    }
}

/// The length of the body that was read.
pub fn len(r: &ngx_http_request_t) -> Option<usize> {
    Some(bufs(r)?.map(buf_len).sum())
}

/// Copies body bytes from `offset` into `out`; returns how many.
pub fn read(r: &ngx_http_request_t, offset: usize, out: &mut [u8]) -> Result<usize, RequestError> {
    let Some(bufs) = bufs(r) else {
        return Err(RequestError::NotFound);
    };
    let (mut skip, mut done) = (offset, 0);
    for b in bufs {
        if done == out.len() {
            break;
        }
        let n = buf_len(b);
        if skip >= n {
            skip -= n;
            continue;
        }
        let take = (n - skip).min(out.len() - done);
        if b.in_file() != 0 {
            let at = b.file_pos + skip as i64;
            let dst = &mut out[done..done + take];
            // SAFETY: a file buffer of the request body points at nginx's open temp file;
            // ngx_read_file preads at most dst.len() bytes into dst.
            let n = unsafe { ngx_read_file(b.file, dst.as_mut_ptr(), dst.len(), at) };
            if n != take as isize {
                return Err(RequestError::Internal);
            }
        } else {
            // SAFETY: pos..last are initialized bytes of the buffer; skip + take <= n.
            let data = unsafe { std::slice::from_raw_parts(b.pos.add(skip), take) };
            out[done..done + take].copy_from_slice(data);
        }
        done += take;
        skip = 0;
    }
    Ok(done)
}

/// Asks nginx for the body the way every reader here does: one buffer in memory when it fits,
/// otherwise a temporary file kept (and removed) with the request.
pub fn prepare_reading(r: &mut ngx_http_request_t) {
    r.set_request_body_in_single_buf(1);
    r.set_request_body_in_persistent_file(1);
    r.set_request_body_in_clean_file(1);
}

/// Starts reading the body for `req_read_body`: `Ok(true)` when nothing is left to wait for
/// (read now or before, discarded, or a subrequest's, which is its parent's), `Ok(false)`
/// while nginx reads the rest; [`on_read`] then calls the context's `on_body`. `Err` carries
/// nginx's status for a body it refused (413, 400) or 500.
pub fn start_reading(r: &mut ngx_http_request_t) -> Result<bool, u16> {
    let Some(c) = ctx::get_or_create(r) else {
        return Err(500);
    };
    // SAFETY: the context lives as long as the request pool.
    let c_ref = unsafe { c.as_ref() };
    if c_ref.body_read || c_ref.body_discarded || r.discard_body() != 0 {
        return Ok(true);
    }
    prepare_reading(r);
    // SAFETY: r is a live request; nginx calls `on_read` once the body is read (maybe now).
    let rc = unsafe { ngx_http_read_client_request_body(r, Some(on_read)) };
    if rc == Status::NGX_ERROR.0 {
        return Err(500);
    }
    if rc >= NGX_HTTP_SPECIAL_RESPONSE as ngx_int_t {
        return Err(u16::try_from(rc).unwrap_or(500));
    }
    // SAFETY: as above; `on_read` may have run inside the call.
    Ok(unsafe { c.as_ref() }.body_read)
}

/// Drops the reference on the main request that `ngx_http_read_client_request_body` took,
/// once the body is read (every post-read handler does).
pub fn release_reading_reference(r: &mut ngx_http_request_t) {
    // SAFETY: r->main is the live main request; reading the body took one reference.
    unsafe {
        let main = &mut *r.main;
        main.set_count(main.count() - 1);
    }
}

/// nginx has read the body asked for by [`start_reading`]: mark it read, drop the reference
/// reading took, and wake the call waiting for it, if one does.
unsafe extern "C" fn on_read(r: *mut ngx_http_request_t) {
    // SAFETY: nginx calls the post-read handler with the live request.
    let r = unsafe { &mut *r };
    release_reading_reference(r);
    let Some(mut c) = ctx::get(r) else {
        return;
    };
    // SAFETY: the context lives as long as the request pool.
    let c = unsafe { c.as_mut() };
    c.body_read = true;
    if let Some(wake) = c.on_body.take() {
        wake(r);
    }
}
