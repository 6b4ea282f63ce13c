//! The response a guest produces: the pending body chain, `flush`, and what happens when the
//! export returns ([`NgxRequest::conclude`]).
//!
//! Output is buffered until the guest flushes or returns. A handler that never flushes gets
//! its response sent in one go with a `Content-Length`; `flush` (or more than
//! [`AUTO_FLUSH`] bytes pending) sends the header without a length, so HTTP/1.1 clients get
//! chunked encoding, as with OpenResty's `ngx.flush`.
//!
//! nginx, not the guest, decides whether a response has a body: once the header is out and
//! nginx made the response header-only (HEAD, 204, 304), further output is accepted and
//! dropped, as nginx's own handlers drop it; once the header was refused (a header filter
//! answered with an error page instead), further output is refused. Either way no byte of
//! the guest's body follows the header on the connection.

use std::ptr;

use engine_api::{Finish, Phase, RequestError};
use ngx::core::Status;
use ngx::ffi::{
    ngx_alloc_chain_link, ngx_buf_t, ngx_chain_t, ngx_create_temp_buf, ngx_http_finalize_request,
    ngx_http_internal_redirect, ngx_http_named_location, ngx_http_output_filter,
    ngx_http_request_t, ngx_http_send_header, ngx_http_set_content_type, ngx_int_t, ngx_pcalloc,
    NGX_HTTP_SPECIAL_RESPONSE,
};

use super::NgxRequest;

/// Pending output above this many bytes is flushed (the response then goes out chunked).
pub const AUTO_FLUSH: usize = 64 * 1024;

/// The smallest buffer `append` allocates: small writes share one.
const MIN_BUFFER: usize = 256;

/// Body buffers written but not yet passed to nginx's output filters.
pub struct Pending {
    head: *mut ngx_chain_t,
    last: *mut ngx_chain_t,
    len: usize,
    /// Sending the response header failed (a header filter answered with an error page, or
    /// nginx ran out of memory): nothing more of this response may be sent.
    refused: bool,
}

impl Default for Pending {
    fn default() -> Self {
        Pending {
            head: ptr::null_mut(),
            last: ptr::null_mut(),
            len: 0,
            refused: false,
        }
    }
}

/// Where body output written now goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// Into the response.
    Open,
    /// Nowhere: the header went out and nginx made the response header-only (HEAD, 204,
    /// 304). Accepted and dropped.
    HeaderOnly,
    /// Nowhere: the header was refused. Refused.
    Refused,
}

impl Pending {
    /// Bytes pending.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Where output written now would go.
    pub fn body(&self, r: &ngx_http_request_t) -> Body {
        if self.refused {
            Body::Refused
        } else if r.header_sent() != 0 && r.header_only() != 0 {
            Body::HeaderOnly
        } else {
            Body::Open
        }
    }

    /// Forgets the pending chain (its buffers stay in the request pool).
    fn drop_chain(&mut self) {
        self.head = ptr::null_mut();
        self.last = ptr::null_mut();
        self.len = 0;
    }

    fn link(&mut self, r: &ngx_http_request_t, b: *mut ngx_buf_t) -> Result<(), RequestError> {
        // SAFETY: r->pool is the live request pool.
        let cl = unsafe { ngx_alloc_chain_link(r.pool) };
        if cl.is_null() {
            return Err(RequestError::Internal);
        }
        // SAFETY: cl was just allocated; last, if set, is the previous link.
        unsafe {
            (*cl).buf = b;
            (*cl).next = ptr::null_mut();
            if self.last.is_null() {
                self.head = cl;
            } else {
                (*self.last).next = cl;
            }
        }
        self.last = cl;
        Ok(())
    }

    /// Appends a copy of `data`: into the room left in the last buffer when it fits (a guest
    /// writing many small pieces, or `say`'s newline, adds no buffer), else into a new buffer
    /// of at least [`MIN_BUFFER`] bytes.
    pub fn append(&mut self, r: &ngx_http_request_t, data: &[u8]) -> Result<(), RequestError> {
        if data.is_empty() {
            return Ok(());
        }
        let b = match self.last_with_room(data.len()) {
            Some(b) => b,
            None => {
                // SAFETY: r->pool is the live request pool.
                let b = unsafe { ngx_create_temp_buf(r.pool, data.len().max(MIN_BUFFER)) };
                if b.is_null() {
                    return Err(RequestError::Internal);
                }
                self.link(r, b)?;
                b
            }
        };
        // SAFETY: b is a temporary buffer of this chain with at least data.len() bytes of room.
        unsafe {
            ptr::copy_nonoverlapping(data.as_ptr(), (*b).last, data.len());
            (*b).last = (*b).last.add(data.len());
        }
        self.len += data.len();
        Ok(())
    }

    /// The last pending buffer, if it has `len` bytes of room (no mark is set on a pending
    /// buffer: marking it sends the chain).
    fn last_with_room(&self, len: usize) -> Option<*mut ngx_buf_t> {
        if self.last.is_null() {
            return None;
        }
        // SAFETY: last is a link of this chain whose buffer `append` made with
        // ngx_create_temp_buf (pos..last written, last..end free).
        unsafe {
            let b = (*self.last).buf;
            let room = (*b).end.offset_from((*b).last) as usize;
            (room >= len).then_some(b)
        }
    }

    /// Marks a flush, or the end of the response, on the last pending buffer (one buffer less
    /// for the filters to walk), or on an empty buffer when nothing is pending.
    fn append_mark(&mut self, r: &ngx_http_request_t, end: bool) -> Result<(), RequestError> {
        let b = if self.last.is_null() {
            // SAFETY: r->pool is the live request pool.
            let b = unsafe { ngx_pcalloc(r.pool, size_of::<ngx_buf_t>()) }.cast::<ngx_buf_t>();
            if b.is_null() {
                return Err(RequestError::Internal);
            }
            self.link(r, b)?;
            b
        } else {
            // SAFETY: last is a link of this chain, allocated by `link`.
            unsafe { (*self.last).buf }
        };
        let is_main = ptr::eq(r.main, r);
        // SAFETY: b is a buffer header of this chain, made by this module.
        unsafe {
            if end {
                (*b).set_last_buf(u32::from(is_main));
                (*b).set_last_in_chain(1);
            } else {
                (*b).set_flush(1);
            }
        }
        Ok(())
    }

    /// Passes the pending chain to the output filters.
    fn send(&mut self, r: &mut ngx_http_request_t) -> ngx_int_t {
        let head = self.head;
        self.drop_chain();
        if head.is_null() {
            return Status::NGX_OK.0;
        }
        // SAFETY: the chain and its buffers live in r->pool for the rest of the request.
        unsafe { ngx_http_output_filter(r, head) }
    }
}

/// Sends the response header for `status` with `content_length` (-1: unknown).
fn send_header(r: &mut ngx_http_request_t, status: u16, content_length: i64) -> ngx_int_t {
    r.headers_out.status = status.into();
    r.headers_out.content_length_n = content_length;
    // A guest that cleared Content-Type left a non-null empty value: no default then.
    if r.headers_out.content_type.len == 0 && r.headers_out.content_type.data.is_null() {
        // SAFETY: r is a live request; sets default_type / types by extension.
        if unsafe { ngx_http_set_content_type(r) } != Status::NGX_OK.0 {
            return Status::NGX_ERROR.0;
        }
    }
    // SAFETY: r is a live request whose header has not been sent.
    unsafe { ngx_http_send_header(r) }
}

/// `flush`: sends the header (length unknown) if needed, then the pending body.
pub fn flush(
    r: &mut ngx_http_request_t,
    pending: &mut Pending,
    status: u16,
) -> Result<(), RequestError> {
    match pending.body(r) {
        Body::Open => {}
        Body::HeaderOnly => return Ok(()),
        Body::Refused => return Err(RequestError::NotAllowed),
    }
    if r.header_sent() == 0 {
        let rc = send_header(r, status, -1);
        if rc == Status::NGX_ERROR.0 || rc > Status::NGX_OK.0 {
            pending.drop_chain();
            pending.refused = true;
            return Err(RequestError::Internal);
        }
    }
    if r.header_only() != 0 {
        pending.drop_chain();
        return Ok(());
    }
    pending.append_mark(r, false)?;
    match pending.send(r) {
        rc if rc == Status::NGX_ERROR.0 => Err(RequestError::Internal),
        _ => Ok(()),
    }
}

/// nginx holds output of `r` that the client has not taken yet (what `ngx_http_writer`
/// waits for). A subrequest's output is captured in memory or postponed: never busy.
pub fn busy(r: &ngx_http_request_t) -> bool {
    if !ptr::eq(r.main, r) {
        return false;
    }
    // SAFETY: a live request has its connection.
    let c = unsafe { &*r.connection };
    r.buffered() != 0 || !r.postponed.is_null() || c.buffered() != 0
}

/// What a phase handler returns to nginx after the guest call.
pub enum Outcome {
    /// The guest did not answer: go on with the next handler (`NGX_DECLINED`).
    Declined,
    /// Return this code from the phase handler.
    Return(ngx_int_t),
}

impl NgxRequest<'_> {
    /// Carries out what the guest asked for once its export returned.
    pub fn conclude(&mut self) -> Outcome {
        let phase = self.call.phase;
        if let Some((mut uri, mut args)) = self.call.exec.take() {
            let r = &mut *self.r;
            // SAFETY: r is a live request; uri and args live in its pool.
            let rc = unsafe {
                if super::bytes(&uri).first() == Some(&b'@') {
                    ngx_http_named_location(r, &mut uri)
                } else {
                    ngx_http_internal_redirect(r, &mut uri, &mut args)
                }
            };
            if phase == Phase::Content
                || rc == Status::NGX_ERROR.0
                || rc >= NGX_HTTP_SPECIAL_RESPONSE as ngx_int_t
            {
                return Outcome::Return(rc);
            }
            // Rewrite and access checkers do not finalize NGX_DONE: drop the reference the
            // redirect took, as nginx's content phase would.
            // SAFETY: r is a live request.
            unsafe { ngx_http_finalize_request(r, Status::NGX_DONE.0) };
            return Outcome::Return(Status::NGX_DONE.0);
        }
        let finish_status = match self.call.finish {
            Some(Finish::Status(s)) => Some(s),
            _ => None,
        };
        let sent = self.header_sent();
        let answered = sent
            || self.call.out.len() > 0
            || self.call.status.is_some()
            || finish_status.is_some();
        if phase != Phase::Content && !answered {
            return Outcome::Declined;
        }
        // In an error_page target the status of the original error is already there (nginx's
        // own status, or the one a guest's exit gave): the answer keeps it, as OpenResty's
        // does, unless the guest sets another.
        let inherited = u16::try_from(self.r.headers_out.status)
            .ok()
            .filter(|s| *s >= 300 && self.r.internal() != 0);
        let status = finish_status
            .or(self.call.status)
            .or(inherited)
            .unwrap_or(200);
        let r = &mut *self.r;
        let rc = if sent {
            match self.call.out.body(r) {
                // The header was refused, as nginx's own handlers return it.
                Body::Refused => return Outcome::Return(Status::NGX_ERROR.0),
                Body::HeaderOnly => {
                    self.call.out.drop_chain();
                    Status::NGX_OK.0
                }
                Body::Open => {
                    if self.call.out.append_mark(r, true).is_err() {
                        return Outcome::Return(Status::NGX_ERROR.0);
                    }
                    self.call.out.send(r)
                }
            }
        } else {
            if phase != Phase::Content {
                // SAFETY: r is a live request; a no-op if the body was read or discarded.
                let rc = unsafe { ngx::ffi::ngx_http_discard_request_body(r) };
                if rc != Status::NGX_OK.0 {
                    return Outcome::Return(rc);
                }
            }
            if self.call.out.len() == 0 && usize::from(status) >= NGX_HTTP_SPECIAL_RESPONSE as usize
            {
                // nginx answers with its page for the status (or error_page), like
                // `return 404;` or `ngx.exit(404)`; headers set by the guest stay. The status
                // is recorded, as OpenResty records it, so an error_page target reads it.
                r.headers_out.status = status.into();
                return Outcome::Return(status as ngx_int_t);
            }
            let rc = send_header(r, status, self.call.out.len() as i64);
            if rc == Status::NGX_ERROR.0 || rc > Status::NGX_OK.0 || r.header_only() != 0 {
                rc
            } else if self.call.out.append_mark(r, true).is_err() {
                Status::NGX_ERROR.0
            } else {
                self.call.out.send(r)
            }
        };
        if phase == Phase::Access {
            // The access checker would go on to the content phase on NGX_OK: the response is
            // complete, so finalize here.
            // SAFETY: r is a live request.
            unsafe { ngx_http_finalize_request(r, rc) };
            return Outcome::Return(Status::NGX_DONE.0);
        }
        Outcome::Return(rc)
    }
}
