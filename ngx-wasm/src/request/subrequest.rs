//! Subrequests a guest waits for, captured in memory (`ngx.location.capture_multi`).
//!
//! * **Queue** ([`queue`]): `subreq_add` checks the URI with nginx's own rules
//!   ([`super::uri::check`]) and keeps the subrequest in the request context.
//! * **Issue** ([`issue`], when the call suspends on [`engine_api::Wait::Subrequests`]): every
//!   queued subrequest is created at once (`ngx_http_subrequest`), with its method, body and
//!   variables set as OpenResty sets them, and marked for capture.
//! * **Capture** ([`capture_header`], [`capture_body`], from this module's output filters):
//!   a captured subrequest's header and body stop here instead of going to the client.
//! * **Finish** (the post-subrequest handler): its status, headers and body go into the
//!   parent's batch; after the last one the parent's write handler becomes the one that wakes
//!   its call (nginx posts the parent after each subrequest).

use std::ptr;

use engine_api::RequestError;
use ngx::core::Status;
use ngx::ffi::{
    ngx_alloc_chain_link, ngx_buf_t, ngx_chain_t, ngx_create_temp_buf, ngx_http_core_main_conf_t,
    ngx_http_post_subrequest_t, ngx_http_request_body_t, ngx_http_request_t, ngx_http_subrequest,
    ngx_http_variable_value_t, ngx_int_t, ngx_palloc, ngx_pcalloc, ngx_read_file, NGX_HTTP_POST,
    NGX_HTTP_PUT, NGX_HTTP_SPECIAL_RESPONSE,
};
use ngx::http::{HttpModuleMainConf, NgxHttpCoreModule};

use super::{headers, pool_copy};
use crate::ctx::{self, Capture, QueuedSubrequest, SubrequestResponse};

/// Queues `sub` for the next wait; returns its id.
pub fn queue(r: &mut ngx_http_request_t, sub: QueuedSubrequest) -> Result<usize, RequestError> {
    let mut c = ctx::get_or_create(r).ok_or(RequestError::Internal)?;
    // SAFETY: the context lives as long as the request pool; nothing else holds it now.
    let subs = &mut unsafe { c.as_mut() }.subrequests;
    subs.queued.push(sub);
    Ok(subs.queued.len() - 1)
}

/// How many subrequests are queued.
pub fn queued(r: &ngx_http_request_t) -> usize {
    // SAFETY: as in `queue`.
    ctx::get(r).map_or(0, |c| unsafe { c.as_ref() }.subrequests.queued.len())
}

/// The answers of the last finished batch.
pub fn batch(r: &ngx_http_request_t) -> &[Option<SubrequestResponse>] {
    match ctx::get(r) {
        Some(c) => {
            // SAFETY: the context lives as long as the request; the borrow is tied to `r`'s.
            let subs = &unsafe { c.as_ref() }.subrequests;
            if subs.in_flight == 0 {
                &subs.batch
            } else {
                &[]
            }
        }
        None => &[],
    }
}

/// Issues every queued subrequest of `r`; once the last has finished, `r`'s write handler
/// becomes `on_done` (nginx then posts `r`). Returns how many are in flight: 0 when none
/// could be created (each then answers 500), and the caller must wake the call itself.
pub fn issue(
    r: &mut ngx_http_request_t,
    on_done: unsafe extern "C" fn(*mut ngx_http_request_t),
) -> usize {
    let Some(mut c) = ctx::get(r) else {
        return 0;
    };
    // SAFETY: as in `queue`; the borrow ends before nginx runs anything of this request.
    let subs = &mut unsafe { c.as_mut() }.subrequests;
    let queued = std::mem::take(&mut subs.queued);
    subs.batch = queued.iter().map(|_| None).collect();
    subs.in_flight = 0;
    subs.on_done = Some(on_done);
    let mut in_flight = 0;
    for (id, q) in queued.into_iter().enumerate() {
        if start(r, id, &q).is_ok() {
            in_flight += 1;
        } else {
            set_response(
                r,
                id,
                SubrequestResponse {
                    status: 500,
                    ..SubrequestResponse::default()
                },
            );
        }
    }
    if let Some(mut c) = ctx::get(r) {
        // SAFETY: as above.
        unsafe { c.as_mut() }.subrequests.in_flight = in_flight;
    }
    in_flight
}

fn set_response(r: &ngx_http_request_t, id: usize, resp: SubrequestResponse) {
    if let Some(mut c) = ctx::get(r) {
        // SAFETY: as in `queue`.
        if let Some(slot) = unsafe { c.as_mut() }.subrequests.batch.get_mut(id) {
            *slot = Some(resp);
        }
    }
}

/// Creates subrequest `id` of `r` from `q`.
fn start(r: &mut ngx_http_request_t, id: usize, q: &QueuedSubrequest) -> Result<(), ()> {
    let mut uri = pool_copy(r, &q.uri).map_err(drop)?;
    let mut args = pool_copy(r, &q.args).map_err(drop)?;
    // SAFETY: r->pool is the live request pool.
    let ps = unsafe { ngx_palloc(r.pool, size_of::<ngx_http_post_subrequest_t>()) }
        .cast::<ngx_http_post_subrequest_t>();
    if ps.is_null() {
        return Err(());
    }
    // SAFETY: ps has room for one; the handler finds its state in the subrequest's context.
    unsafe {
        (*ps).handler = Some(on_finished);
        (*ps).data = ptr::null_mut();
    }
    let mut sr: *mut ngx_http_request_t = ptr::null_mut();
    // SAFETY: r is live; uri and args live in its pool; nginx creates the subrequest in it
    // and posts it to run after the current handler.
    let rc = unsafe { ngx_http_subrequest(r, &mut uri, &mut args, &mut sr, ps, 0) };
    if rc != Status::NGX_OK.0 || sr.is_null() {
        return Err(());
    }
    // SAFETY: nginx just created sr; nothing runs it before this returns.
    let sr = unsafe { &mut *sr };
    let Some(mut sc) = ctx::get_or_create(sr) else {
        return Err(());
    };
    // SAFETY: the subrequest's fresh context.
    unsafe { sc.as_mut() }.capture = Some(Capture {
        id,
        body: Vec::new(),
        seen_last: false,
        header_seen: false,
        reported: false,
    });
    adjust(r, sr, q)
}

/// Method, body and variables of a new subrequest, as OpenResty sets them.
fn adjust(
    r: &ngx_http_request_t,
    sr: &mut ngx_http_request_t,
    q: &QueuedSubrequest,
) -> Result<(), ()> {
    sr.method = q.method.0;
    sr.method_name = pool_copy(r, q.method.1).map_err(drop)?;
    let is_post_put = q.method.0 & (NGX_HTTP_POST | NGX_HTTP_PUT) as usize != 0;
    if let Some(body) = &q.body {
        sr.request_body = request_body(r, body)?;
        set_body_length(sr, body.len() as i64);
    } else if !q.forward_body && !is_post_put && r.headers_in.content_length_n > 0 {
        sr.request_body = ptr::null_mut();
        set_body_length(sr, 0);
    } else if r.request_body.is_null() {
        // The parent's body was not read: there is none to forward.
        set_body_length(sr, 0);
    }
    if !q.share_vars {
        let Some(cmcf) = NgxHttpCoreModule::main_conf(&*sr) else {
            return Err(());
        };
        let cmcf: &ngx_http_core_main_conf_t = cmcf;
        let size = cmcf.variables.nelts * size_of::<ngx_http_variable_value_t>();
        // SAFETY: the subrequest's pool is live; `size` covers one value per variable.
        let vars = unsafe { ngx_pcalloc(sr.pool, size) }.cast::<ngx_http_variable_value_t>();
        if vars.is_null() {
            return Err(());
        }
        if q.copy_vars && !r.variables.is_null() {
            // SAFETY: both arrays have one value per variable of the same configuration.
            unsafe { ptr::copy_nonoverlapping(r.variables, vars, cmcf.variables.nelts) };
        }
        sr.variables = vars;
    }
    Ok(())
}

/// Makes the subrequest's framing headers say `len` bytes, not the parent's length.
fn set_body_length(sr: &mut ngx_http_request_t, len: i64) {
    sr.headers_in.content_length_n = len;
    sr.headers_in.content_length = ptr::null_mut();
    sr.headers_in.set_chunked(0);
    sr.headers_in.transfer_encoding = ptr::null_mut();
}

/// A request body holding `data` in one buffer of `r`'s pool.
fn request_body(r: &ngx_http_request_t, data: &[u8]) -> Result<*mut ngx_http_request_body_t, ()> {
    // SAFETY: r->pool is live; every allocation below is checked and filled before use.
    unsafe {
        let rb = ngx_pcalloc(r.pool, size_of::<ngx_http_request_body_t>())
            .cast::<ngx_http_request_body_t>();
        let cl = ngx_alloc_chain_link(r.pool);
        let b: *mut ngx_buf_t = if data.is_empty() {
            ngx_pcalloc(r.pool, size_of::<ngx_buf_t>()).cast()
        } else {
            ngx_create_temp_buf(r.pool, data.len())
        };
        if rb.is_null() || cl.is_null() || b.is_null() {
            return Err(());
        }
        if !data.is_empty() {
            ptr::copy_nonoverlapping(data.as_ptr(), (*b).last, data.len());
            (*b).last = (*b).last.add(data.len());
        }
        (*b).set_last_buf(1);
        (*b).set_last_in_chain(1);
        (*cl).buf = b;
        (*cl).next = ptr::null_mut();
        (*rb).bufs = cl;
        (*rb).buf = b;
        Ok(rb)
    }
}

/// For the header filter: true when `r` is a captured subrequest, whose header stops here.
pub fn capture_header(r: &mut ngx_http_request_t) -> bool {
    let captured = ctx::get(r).is_some_and(|mut c| {
        // SAFETY: as in `queue`.
        match unsafe { c.as_mut() }.capture.as_mut() {
            Some(cap) => {
                cap.header_seen = true;
                true
            }
            None => false,
        }
    });
    if captured {
        // Ask for the body in memory; this filter runs before nginx's copy filter, so
        // `capture_body` still reads the file buffers it may get.
        r.set_filter_need_in_memory(1);
    }
    captured
}

/// For the body filter: when `r` is a captured subrequest, keeps the chain's data (and marks
/// its buffers sent) and returns true; its body goes no further.
pub fn capture_body(r: &mut ngx_http_request_t, mut cl: *mut ngx_chain_t) -> Result<bool, ()> {
    let Some(mut c) = ctx::get(r) else {
        return Ok(false);
    };
    // SAFETY: as in `queue`.
    let Some(cap) = unsafe { c.as_mut() }.capture.as_mut() else {
        return Ok(false);
    };
    while !cl.is_null() {
        // SAFETY: a link of the chain nginx passed, with its buffer.
        let b = unsafe { &mut *(*cl).buf };
        append(&mut cap.body, b)?;
        cap.seen_last |= b.last_buf() != 0 || b.last_in_chain() != 0;
        // SAFETY: as above.
        cl = unsafe { (*cl).next };
    }
    Ok(true)
}

/// Appends a buffer's bytes (from memory or its file) to `out` and marks it consumed.
fn append(out: &mut Vec<u8>, b: &mut ngx_buf_t) -> Result<(), ()> {
    let in_memory = b.temporary() != 0 || b.memory() != 0 || b.mmap() != 0;
    if in_memory && !b.pos.is_null() && b.last > b.pos {
        // SAFETY: pos..last are initialized bytes of an in-memory buffer.
        let n = unsafe { b.last.offset_from(b.pos) } as usize;
        // SAFETY: as above.
        out.extend_from_slice(unsafe { std::slice::from_raw_parts(b.pos, n) });
    } else if b.in_file() != 0 && b.file_last > b.file_pos {
        let n = (b.file_last - b.file_pos) as usize;
        let at = out.len();
        out.resize(at + n, 0);
        // SAFETY: a file buffer points at an open file; ngx_read_file preads at most n
        // bytes into the room just made.
        let got = unsafe { ngx_read_file(b.file, out[at..].as_mut_ptr(), n, b.file_pos) };
        if got != n as isize {
            return Err(());
        }
    }
    b.pos = b.last;
    if b.in_file() != 0 {
        b.file_pos = b.file_last;
    }
    Ok(())
}

/// A captured subrequest finished: its answer goes into the parent's batch.
unsafe extern "C" fn on_finished(
    sr: *mut ngx_http_request_t,
    _data: *mut std::ffi::c_void,
    rc: ngx_int_t,
) -> ngx_int_t {
    // SAFETY: nginx calls the post-subrequest handler with the live subrequest.
    let sr = unsafe { &mut *sr };
    let Some(mut c) = ctx::get(sr) else {
        return rc;
    };
    // SAFETY: as in `queue`.
    let Some(cap) = unsafe { c.as_mut() }.capture.as_mut() else {
        return rc;
    };
    if cap.reported {
        // nginx finalizes a subrequest again once its turn in the parent's output comes:
        // let it complete now (it produced no output to wait for).
        // SAFETY: the subrequest's connection is the parent's, alive.
        unsafe { (*sr.connection).data = ptr::from_mut(sr).cast() };
        return rc;
    }
    if rc >= NGX_HTTP_SPECIAL_RESPONSE as ngx_int_t && !cap.header_seen {
        // nginx answers this one itself next (its error page, or `error_page`), and
        // finalizes the subrequest again: report then, page and all.
        return rc;
    }
    cap.reported = true;
    let id = cap.id;
    let truncated = !cap.seen_last;
    let body = std::mem::take(&mut cap.body);
    let mut status = sr.headers_out.status as ngx_int_t;
    if status == 0 {
        status = match rc {
            x if x == Status::NGX_OK.0 => 200,
            x if x == Status::NGX_ERROR.0 => 500,
            x if x >= 100 => x,
            _ => 500,
        };
    }
    let mut headers = Vec::new();
    headers::visit_response(sr, &mut |n, v| {
        headers.push((n.to_vec(), v.to_vec()));
        true
    });
    let resp = SubrequestResponse {
        status: u16::try_from(status).unwrap_or(500),
        headers,
        body,
        truncated,
    };
    // SAFETY: a subrequest's parent outlives it.
    let pr = unsafe { &mut *sr.parent };
    set_response(pr, id, resp);
    // A failed subrequest is the guest's to see, not a reason to end the parent (nginx
    // terminates the main request when a subrequest finalizes with NGX_ERROR).
    let rc = if rc == Status::NGX_ERROR.0 {
        Status::NGX_OK.0
    } else {
        rc
    };
    if let Some(mut pc) = ctx::get(pr) {
        // SAFETY: as in `queue`.
        let subs = &mut unsafe { pc.as_mut() }.subrequests;
        subs.in_flight = subs.in_flight.saturating_sub(1);
        if subs.in_flight == 0 {
            if let Some(h) = subs.on_done {
                pr.write_event_handler = Some(h);
            }
        }
    }
    rc
}
