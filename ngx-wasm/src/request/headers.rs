//! Request and response header lists, including the fields nginx keeps pointers to (`Host`,
//! `User-Agent`... on the request; `Location`, `Server`, `Last-Modified`... on the response),
//! so a header set by a guest is what nginx and other modules see.

use std::ptr;

use engine_api::request::HeaderVisitor;
use engine_api::RequestError;
use ngx::ffi::{
    ngx_hash_key, ngx_http_request_t, ngx_list_part_t, ngx_list_push, ngx_list_t, ngx_str_t,
    ngx_table_elt_t,
};

use super::{bytes, pool_copy};

/// Response headers nginx computes itself; guests may not set them.
const MANAGED_RESPONSE: [&[u8]; 4] = [
    b"content-length",
    b"transfer-encoding",
    b"connection",
    b"keep-alive",
];

/// Request headers that frame the body; changing them would desynchronize the connection.
const MANAGED_REQUEST: [&[u8]; 2] = [b"content-length", b"transfer-encoding"];

/// Calls `f` on every live (non-deleted) element of an nginx list of header entries, until
/// `f` returns false.
///
/// # Safety
/// `list` must point at an initialized `ngx_list_t` of `ngx_table_elt_t`; `f` may write
/// through the element pointer only if `list` was derived from a mutable reference.
unsafe fn for_each(list: *const ngx_list_t, mut f: impl FnMut(*mut ngx_table_elt_t) -> bool) {
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

fn visit_list<'a>(list: &'a ngx_list_t, visit: HeaderVisitor<'a, '_>) {
    // SAFETY: an initialized header list, only read; entries live as long as the request.
    unsafe {
        for_each(list, |h| {
            let h: &'a ngx_table_elt_t = &*h;
            visit(bytes(&h.key), bytes(&h.value))
        })
    }
}

/// Pushes a header entry `name: value` (with nginx's hash and lower-case key) onto `list`.
fn push(
    r: &ngx_http_request_t,
    list: *mut ngx_list_t,
    name: &[u8],
    value: &[u8],
) -> Result<*mut ngx_table_elt_t, RequestError> {
    let key = pool_copy(r, name)?;
    let value = pool_copy(r, value)?;
    let lower = pool_copy(r, &name.to_ascii_lowercase())?;
    // SAFETY: list is an initialized list of ngx_table_elt_t.
    let h = unsafe { ngx_list_push(list) }.cast::<ngx_table_elt_t>();
    if h.is_null() {
        return Err(RequestError::Internal);
    }
    // SAFETY: lower points at name.len() bytes in the pool.
    let hash = unsafe { ngx_hash_key(lower.data, lower.len) }.max(1);
    // SAFETY: h is a fresh element; zeroing clears fields that differ across nginx versions
    // (e.g. `next`), then the ones nginx reads are set.
    unsafe {
        ptr::write_bytes(h, 0, 1);
        (*h).hash = hash;
        (*h).key = key;
        (*h).value = value;
        (*h).lowcase_key = lower.data;
    }
    Ok(h)
}

/// Visits the request headers.
pub fn visit_request<'a>(r: &'a ngx_http_request_t, visit: HeaderVisitor<'a, '_>) {
    visit_list(&r.headers_in.headers, visit)
}

/// The longest header name with a pointer field of its own (`if-modified-since`).
const FIELD_NAME_MAX: usize = 17;

/// `name` lower-cased into `buf`; `None` when it is too long to have a field.
fn lowercase_field_name<'b>(name: &[u8], buf: &'b mut [u8; FIELD_NAME_MAX]) -> Option<&'b [u8]> {
    let lower = buf.get_mut(..name.len())?;
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    Some(lower)
}

/// The `headers_in` pointer field nginx keeps for request header `name`, if any.
fn request_field(r: &mut ngx_http_request_t, name: &[u8]) -> Option<*mut *mut ngx_table_elt_t> {
    let h = &mut r.headers_in;
    let mut buf = [0u8; FIELD_NAME_MAX];
    let lower = lowercase_field_name(name, &mut buf)?;
    Some(match lower {
        b"host" => &mut h.host,
        b"user-agent" => &mut h.user_agent,
        b"referer" => &mut h.referer,
        b"authorization" => &mut h.authorization,
        b"content-type" => &mut h.content_type,
        b"if-modified-since" => &mut h.if_modified_since,
        b"if-none-match" => &mut h.if_none_match,
        b"range" => &mut h.range,
        _ => return None,
    })
}

/// Sets (replacing every value) or, with `add`, adds request header `name`. An empty value
/// with `add == false` removes it.
pub fn set_request(
    r: &mut ngx_http_request_t,
    name: &[u8],
    value: &[u8],
    add: bool,
) -> Result<(), RequestError> {
    if MANAGED_REQUEST.iter().any(|m| m.eq_ignore_ascii_case(name)) {
        return Err(RequestError::NotAllowed);
    }
    let new_value = pool_copy(r, value)?;
    let field = request_field(r, name);
    let list = ptr::addr_of_mut!(r.headers_in.headers);
    let mut first: Option<*mut ngx_table_elt_t> = None;
    if !add {
        // SAFETY: list is the request's initialized header list, reached through &mut r.
        unsafe {
            for_each(list, |h| {
                if bytes(&(*h).key).eq_ignore_ascii_case(name) {
                    if first.is_none() && !value.is_empty() {
                        // Overwritten in place: pointers nginx keeps to it stay right.
                        (*h).value = new_value;
                        first = Some(h);
                    } else {
                        (*h).hash = 0;
                        (*h).value.len = 0;
                        if let Some(f) = field {
                            if *f == h {
                                *f = ptr::null_mut();
                            }
                        }
                    }
                }
                true
            })
        };
    }
    if first.is_none() && !value.is_empty() {
        let h = push(r, list, name, value)?;
        if let Some(f) = field {
            // SAFETY: f points into r->headers_in.
            unsafe {
                if (*f).is_null() {
                    *f = h;
                }
            }
        }
        first = Some(h);
    }
    if name.eq_ignore_ascii_case(b"host") {
        // $host and server name matching read headers_in.server.
        r.headers_in.server = match first {
            // SAFETY: h is a live entry of the list.
            Some(h) => unsafe { (*h).value },
            None => ngx_str_t {
                len: 0,
                data: ptr::null_mut(),
            },
        };
    }
    Ok(())
}

/// Visits the response headers: the list, then `Content-Type` and `Content-Length` when nginx
/// keeps them outside it.
pub fn visit_response<'a>(r: &'a ngx_http_request_t, visit: HeaderVisitor<'a, '_>) {
    let mut go_on = true;
    visit_list(&r.headers_out.headers, &mut |n, v| {
        go_on = visit(n, v);
        go_on
    });
    let out = &r.headers_out;
    if go_on && out.content_type.len > 0 {
        go_on = visit(b"Content-Type", bytes(&out.content_type));
    }
    if go_on && out.content_length.is_null() && out.content_length_n >= 0 {
        let digits = out.content_length_n.to_string();
        // The value must outlive the visit; keep it in the request pool.
        if let Ok(s) = pool_copy(r, digits.as_bytes()) {
            // SAFETY: the pool copy lives as long as the request.
            let v: &'a [u8] = unsafe { std::slice::from_raw_parts(s.data, s.len) };
            visit(b"Content-Length", v);
        }
    }
}

/// The `headers_out` pointer field nginx keeps for response header `name`, if any.
fn response_field(r: &mut ngx_http_request_t, name: &[u8]) -> Option<*mut *mut ngx_table_elt_t> {
    let h = &mut r.headers_out;
    let mut buf = [0u8; FIELD_NAME_MAX];
    let lower = lowercase_field_name(name, &mut buf)?;
    Some(match lower {
        b"server" => &mut h.server,
        b"date" => &mut h.date,
        b"location" => &mut h.location,
        b"refresh" => &mut h.refresh,
        b"last-modified" => &mut h.last_modified,
        b"content-encoding" => &mut h.content_encoding,
        b"content-range" => &mut h.content_range,
        b"accept-ranges" => &mut h.accept_ranges,
        b"www-authenticate" => &mut h.www_authenticate,
        b"expires" => &mut h.expires,
        b"etag" => &mut h.etag,
        _ => return None,
    })
}

/// Sets (replacing every value) or, with `add`, adds response header `name`; an empty value
/// with `add == false` removes it. New entries are recorded in `added`.
pub fn set_response(
    r: &mut ngx_http_request_t,
    name: &[u8],
    value: &[u8],
    add: bool,
    added: &mut Vec<*mut ngx_table_elt_t>,
) -> Result<(), RequestError> {
    if !add && value.is_empty() && name.eq_ignore_ascii_case(b"content-length") {
        // Removing it is allowed (a filter that changes the body's length must): the
        // response then goes chunked or until close, as nginx decides.
        let out = &mut r.headers_out;
        out.content_length_n = -1;
        if !out.content_length.is_null() {
            // SAFETY: the entry nginx keeps in headers_out.headers.
            unsafe { (*out.content_length).hash = 0 };
            out.content_length = ptr::null_mut();
        }
        return Ok(());
    }
    if MANAGED_RESPONSE
        .iter()
        .any(|m| m.eq_ignore_ascii_case(name))
    {
        return Err(RequestError::NotAllowed);
    }
    if name.eq_ignore_ascii_case(b"content-type") {
        // Cleared, the value keeps a non-null pointer: the response then goes without a
        // Content-Type instead of getting default_type (`ngx.header.content_type = nil`).
        let v = if value.is_empty() {
            let mark = pool_copy(r, b"-")?;
            ngx_str_t {
                len: 0,
                data: mark.data,
            }
        } else {
            pool_copy(r, value)?
        };
        let out = &mut r.headers_out;
        out.content_type = v;
        out.content_type_len = v.len;
        out.content_type_lowcase = ptr::null_mut();
        out.content_type_hash = 0;
        return Ok(());
    }
    let field = response_field(r, name);
    let list = ptr::addr_of_mut!(r.headers_out.headers);
    if !add {
        // SAFETY: the response's initialized header list, reached through &mut r.
        unsafe {
            for_each(list, |h| {
                if bytes(&(*h).key).eq_ignore_ascii_case(name) {
                    (*h).hash = 0;
                }
                true
            })
        };
        if let Some(f) = field {
            // SAFETY: f points into r->headers_out.
            unsafe { *f = ptr::null_mut() };
        }
        if name.eq_ignore_ascii_case(b"last-modified") {
            r.headers_out.last_modified_time = -1;
        }
    }
    if value.is_empty() {
        if !add && (name.eq_ignore_ascii_case(b"server") || name.eq_ignore_ascii_case(b"date")) {
            // nginx's header filter writes its own Server and Date when the field is NULL:
            // a hidden entry (hash 0, never written) keeps them out, as OpenResty's
            // `ngx.header.Server = nil` does.
            let h = push(r, list, name, b"")?;
            // SAFETY: h is the element just pushed; f points into r->headers_out.
            unsafe {
                (*h).hash = 0;
                if let Some(f) = response_field(r, name) {
                    *f = h;
                }
            }
        }
        return Ok(());
    }
    let h = push(r, list, name, value)?;
    added.push(h);
    if let Some(f) = field {
        // SAFETY: f points into r->headers_out.
        unsafe {
            if (*f).is_null() {
                *f = h;
            }
        }
        if name.eq_ignore_ascii_case(b"last-modified") {
            r.headers_out.last_modified_time = -1;
        }
    }
    if value.first() == Some(&b'/') && name.eq_ignore_ascii_case(b"location") {
        // A relative Location stays relative, as with `ngx.header.Location` and
        // `ngx.redirect`: nginx's header filter makes `headers_out.location` absolute
        // (`absolute_redirect`), so only the list holds it.
        r.headers_out.location = ptr::null_mut();
    }
    Ok(())
}
