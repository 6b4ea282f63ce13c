//! The request body read before a handler (`wasm_need_request_body on`): its length, and its
//! bytes from the in-memory buffers or the temporary file nginx wrote it to.

use engine_api::RequestError;
use ngx::ffi::{ngx_buf_t, ngx_http_request_t, ngx_read_file};

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
