//! The host side of the ABI: [`HostRequest`] over an `ngx_http_request_t`.
//!
//! Response headers go straight into `r->headers_out`; the body is collected as a chain of
//! buffers from the request pool and sent when the handler returns ([`NgxRequest::send`]).

use std::ptr;

use engine_api::request::RequestError;
use engine_api::{HostRequest, LogLevel};
use ngx::core::Status;
use ngx::ffi::{
    ngx_alloc_chain_link, ngx_buf_t, ngx_chain_t, ngx_create_temp_buf, ngx_http_output_filter,
    ngx_http_request_t, ngx_http_send_header, ngx_http_set_content_type, ngx_list_part_t,
    ngx_list_push, ngx_list_t, ngx_palloc, ngx_str_t, ngx_table_elt_t, NGX_HTTP_SPECIAL_RESPONSE,
};
use ngx::ngx_log_error;

/// Headers nginx computes itself; guests may not set them.
const MANAGED_HEADERS: [&[u8]; 4] = [
    b"content-length",
    b"transfer-encoding",
    b"connection",
    b"keep-alive",
];

/// One guest call's view of a request.
pub struct NgxRequest<'r> {
    r: &'r mut ngx_http_request_t,
    status: Option<u16>,
    body: *mut ngx_chain_t,
    body_last: *mut ngx_chain_t,
    body_len: usize,
    /// Header entries this call added: hidden again if the guest fails.
    added: Vec<*mut ngx_table_elt_t>,
}

fn bytes(s: &ngx_str_t) -> &[u8] {
    if s.len == 0 || s.data.is_null() {
        return &[];
    }
    // SAFETY: nginx strings point at `len` initialized bytes.
    unsafe { std::slice::from_raw_parts(s.data, s.len) }
}

/// Calls `f` on every live (non-deleted) element of an nginx list of header entries, until
/// `f` returns false.
///
/// # Safety
/// `list` must point at an initialized `ngx_list_t` of `ngx_table_elt_t`; `f` may write
/// through the element pointer only if `list` was derived from a mutable reference.
unsafe fn for_each_header(
    list: *const ngx_list_t,
    mut f: impl FnMut(*mut ngx_table_elt_t) -> bool,
) {
    // SAFETY: the caller guarantees `list` is valid.
    let mut part: *const ngx_list_part_t = unsafe { &(*list).part };
    while !part.is_null() {
        // SAFETY: parts form a NULL-terminated chain of arrays of `nelts` entries.
        let p = unsafe { &*part };
        let elts = p.elts.cast::<ngx_table_elt_t>();
        for i in 0..p.nelts {
            // SAFETY: i < nelts.
            let h = unsafe { elts.add(i) };
            // SAFETY: h points at an initialized element.
            if unsafe { (*h).hash } != 0 && !f(h) {
                return;
            }
        }
        part = p.next;
    }
}

impl<'r> NgxRequest<'r> {
    /// Wraps `r` for one guest call.
    pub fn new(r: &'r mut ngx_http_request_t) -> Self {
        NgxRequest {
            r,
            status: None,
            body: ptr::null_mut(),
            body_last: ptr::null_mut(),
            body_len: 0,
            added: Vec::new(),
        }
    }

    /// True when the guest set a status or wrote a body.
    pub fn produced_response(&self) -> bool {
        self.status.is_some() || !self.body.is_null()
    }

    /// Reads and discards the request body, as nginx does before answering without it.
    pub fn discard_request_body(&mut self) -> Status {
        // SAFETY: r is a live request.
        Status(unsafe { ngx::ffi::ngx_http_discard_request_body(self.r) })
    }

    /// Undoes what a failed call did to the response headers.
    pub fn discard_headers(&mut self) {
        for &h in &self.added {
            // SAFETY: entries this call pushed into headers_out, still allocated in r->pool.
            unsafe { (*h).hash = 0 };
        }
    }

    fn pool_copy(&mut self, data: &[u8]) -> Result<ngx_str_t, RequestError> {
        if data.is_empty() {
            return Ok(ngx_str_t {
                len: 0,
                data: ptr::null_mut(),
            });
        }
        // SAFETY: r->pool is the live request pool; the copy stays valid for the request.
        let p = unsafe { ngx_palloc(self.r.pool, data.len()) }.cast::<u8>();
        if p.is_null() {
            return Err(RequestError::Internal);
        }
        // SAFETY: p has room for data.len() bytes and does not overlap data.
        unsafe { ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
        Ok(ngx_str_t {
            len: data.len(),
            data: p,
        })
    }

    /// Sends the response the guest produced: status (200 unless set), headers and body.
    /// A status of 300 or more without a body is returned to nginx, which answers with its own
    /// page for it (like `return 404;` or OpenResty's `ngx.exit(404)`).
    pub fn send(mut self) -> Status {
        let status = self.status.unwrap_or(200);
        if self.body.is_null() && usize::from(status) >= NGX_HTTP_SPECIAL_RESPONSE as usize {
            return Status(status as ngx::ffi::ngx_int_t);
        }
        let r = &mut *self.r;
        r.headers_out.status = status.into();
        r.headers_out.content_length_n = self.body_len as _;
        if r.headers_out.content_type.len == 0 {
            // SAFETY: r is a live request; sets default_type / types by extension.
            if unsafe { ngx_http_set_content_type(r) } != Status::NGX_OK.0 {
                return Status::NGX_ERROR;
            }
        }
        // SAFETY: r is a live request whose header has not been sent by this module.
        let rc = unsafe { ngx_http_send_header(r) };
        if rc == Status::NGX_ERROR.0 || rc > Status::NGX_OK.0 || r.header_only() != 0 {
            return Status(rc);
        }
        if self.body.is_null() {
            match self.append_buf(0) {
                Ok(_) => {}
                Err(_) => return Status::NGX_ERROR,
            }
        }
        let is_main = ptr::eq(self.r.main, &*self.r);
        // SAFETY: body_last is the last link appended, with a buffer from the request pool.
        unsafe {
            let b = &mut *(*self.body_last).buf;
            b.set_last_buf(u32::from(is_main));
            b.set_last_in_chain(1);
        }
        // SAFETY: the chain and its buffers live in r->pool for the rest of the request.
        Status(unsafe { ngx_http_output_filter(self.r, self.body) })
    }

    /// Appends a buffer of `len` bytes to the body chain and returns it.
    fn append_buf(&mut self, len: usize) -> Result<*mut ngx_buf_t, RequestError> {
        // SAFETY: r->pool is the live request pool.
        let b = unsafe { ngx_create_temp_buf(self.r.pool, len.max(1)) };
        if b.is_null() {
            return Err(RequestError::Internal);
        }
        // SAFETY: as above.
        let cl = unsafe { ngx_alloc_chain_link(self.r.pool) };
        if cl.is_null() {
            return Err(RequestError::Internal);
        }
        // SAFETY: cl was just allocated; body_last, if set, is the previous link.
        unsafe {
            (*cl).buf = b;
            (*cl).next = ptr::null_mut();
            if self.body_last.is_null() {
                self.body = cl;
            } else {
                (*self.body_last).next = cl;
            }
        }
        self.body_last = cl;
        Ok(b)
    }
}

fn nginx_level(level: LogLevel) -> usize {
    level as usize
}

impl HostRequest for NgxRequest<'_> {
    fn log(&mut self, level: LogLevel, msg: &[u8]) {
        // SAFETY: a live request has a connection with a log.
        let log = unsafe { (*self.r.connection).log };
        ngx_log_error!(
            nginx_level(level),
            log,
            "[wasm] {}",
            String::from_utf8_lossy(msg)
        );
    }

    fn set_status(&mut self, status: u16) -> Result<(), RequestError> {
        if self.r.header_sent() != 0 {
            return Err(RequestError::NotAllowed);
        }
        self.status = Some(status);
        Ok(())
    }

    fn set_header(&mut self, name: &[u8], value: &[u8]) -> Result<(), RequestError> {
        if self.r.header_sent() != 0 || MANAGED_HEADERS.iter().any(|m| m.eq_ignore_ascii_case(name))
        {
            return Err(RequestError::NotAllowed);
        }
        if name.eq_ignore_ascii_case(b"content-type") {
            let v = self.pool_copy(value)?;
            let out = &mut self.r.headers_out;
            out.content_type = v;
            out.content_type_len = v.len;
            out.content_type_lowcase = ptr::null_mut();
            return Ok(());
        }
        // SAFETY: headers_out.headers is initialized for every request.
        unsafe {
            for_each_header(ptr::addr_of_mut!(self.r.headers_out.headers), |h| {
                if bytes(&(*h).key).eq_ignore_ascii_case(name) {
                    (*h).hash = 0;
                }
                true
            })
        };
        if value.is_empty() {
            return Ok(());
        }
        let key = self.pool_copy(name)?;
        let value = self.pool_copy(value)?;
        // SAFETY: headers_out.headers is an initialized list of ngx_table_elt_t.
        let h = unsafe { ngx_list_push(&mut self.r.headers_out.headers) }.cast::<ngx_table_elt_t>();
        if h.is_null() {
            return Err(RequestError::Internal);
        }
        // SAFETY: h is a fresh element of the list; zeroing it clears fields that differ across
        // nginx versions (e.g. `next`), then the ones nginx reads are set.
        unsafe {
            ptr::write_bytes(h, 0, 1);
            (*h).hash = 1;
            (*h).key = key;
            (*h).value = value;
        }
        self.added.push(h);
        Ok(())
    }

    fn write(&mut self, data: &[u8]) -> Result<(), RequestError> {
        if self.r.header_sent() != 0 {
            return Err(RequestError::NotAllowed);
        }
        if data.is_empty() {
            return Ok(());
        }
        let b = self.append_buf(data.len())?;
        // SAFETY: b is a fresh temp buffer of at least data.len() bytes.
        unsafe {
            ptr::copy_nonoverlapping(data.as_ptr(), (*b).last, data.len());
            (*b).last = (*b).last.add(data.len());
        }
        self.body_len += data.len();
        Ok(())
    }

    fn uri(&self) -> &[u8] {
        bytes(&self.r.uri)
    }

    fn header(&self, name: &[u8]) -> Option<&[u8]> {
        let mut found: Option<ngx_str_t> = None;
        // SAFETY: headers_in.headers is initialized for every request; the walk only reads.
        unsafe {
            for_each_header(&self.r.headers_in.headers, |h| {
                if bytes(&(*h).key).eq_ignore_ascii_case(name) {
                    found = Some((*h).value);
                    return false;
                }
                true
            })
        };
        found.map(|v| {
            if v.len == 0 || v.data.is_null() {
                return &[][..];
            }
            // SAFETY: header values live in the request's buffers for the whole request, which
            // outlives this borrow of the request.
            unsafe { std::slice::from_raw_parts(v.data, v.len) }
        })
    }
}
