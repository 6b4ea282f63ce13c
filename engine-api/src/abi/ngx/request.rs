//! The request line and arguments: method, URI, query string, one argument, HTTP version,
//! internal flag, start time.

use super::{status, status_of, Args, HostCall};
use crate::error::HostTrap;

/// `req_get_method(out_ptr, out_cap) -> len`: the request method (`GET`...).
pub(super) fn get_method(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let m = call.request.method();
    call.memory.write_out(a.i32(0), a.i32(1), m)
}

/// `req_set_method(method_ptr, method_len) -> status`: changes the method to one nginx knows
/// (`GET`, `HEAD`, `POST`, `PUT`, `DELETE`, `OPTIONS`, `PATCH`...).
pub(super) fn set_method(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let m = call.memory.read(a.i32(0), a.i32(1))?;
    if m.is_empty() || !m.iter().all(u8::is_ascii_uppercase) {
        return Ok(status::BAD_ARGUMENT);
    }
    Ok(status_of(call.request.set_method(m)))
}

/// `req_get_uri(out_ptr, out_cap) -> len`: the request URI (nginx's `$uri`).
pub(super) fn get_uri(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let uri = call.request.uri();
    call.memory.write_out(a.i32(0), a.i32(1), uri)
}

/// True for a URI path the host accepts: starts with `/`, no control characters or spaces.
pub(crate) fn is_uri_path(uri: &[u8]) -> bool {
    uri.first() == Some(&b'/')
        && uri.iter().all(|&c| c > b' ' && c != 0x7f)
        && !has_parent_segment(uri)
}

/// True when `path` has a `..` segment (`/../`, or `/..` at the end): nginx merges those out
/// of a client's URI, and a root or alias would map one above the document root.
fn has_parent_segment(path: &[u8]) -> bool {
    path.split(|&c| c == b'/').any(|seg| seg == b"..")
}

/// `req_set_uri(uri_ptr, uri_len, jump) -> status`: changes the URI; with `jump` = 1 (rewrite
/// phase only) nginx looks the location up again, like `ngx.req.set_uri(uri, true)`. A path
/// with a `..` segment is refused (-2), unlike OpenResty, which lets it reach `root`.
pub(super) fn set_uri(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let uri = call.memory.read(a.i32(0), a.i32(1))?;
    let jump = match a.i32(2) {
        0 => false,
        1 => true,
        _ => return Ok(status::BAD_ARGUMENT),
    };
    if !is_uri_path(uri) {
        return Ok(status::BAD_ARGUMENT);
    }
    if jump && !crate::phase::PhaseSet::REWRITE.contains(call.request.phase()) {
        return Ok(status::NOT_ALLOWED);
    }
    Ok(status_of(call.request.set_uri(uri, jump)))
}

/// `req_get_query(out_ptr, out_cap) -> len`: the raw query string (`$args`), without `?`.
pub(super) fn get_query(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let q = call.request.query();
    call.memory.write_out(a.i32(0), a.i32(1), q)
}

/// True for a query string the host accepts: no space, control character or `#`.
pub(crate) fn is_query(q: &[u8]) -> bool {
    !q.iter().any(|&c| c <= b' ' || c == b'#' || c == 0x7f)
}

/// `req_set_query(query_ptr, query_len) -> status`: replaces the query string.
pub(super) fn set_query(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let q = call.memory.read(a.i32(0), a.i32(1))?;
    if !is_query(q) {
        return Ok(status::BAD_ARGUMENT);
    }
    Ok(status_of(call.request.set_query(q)))
}

/// The value of a percent-encoded hex digit.
fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes `application/x-www-form-urlencoded` text: `%XX` escapes and `+` as space. A `%`
/// not followed by two hex digits is kept as is (as OpenResty does).
pub fn unescape_arg(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => match (hex(s[i + 1]), hex(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// The decoded value of the first argument named `name` (compared after decoding) in the
/// query string `query`. An argument without `=` has an empty value.
pub fn find_arg(query: &[u8], name: &[u8]) -> Option<Vec<u8>> {
    query.split(|&c| c == b'&').find_map(|pair| {
        if pair.is_empty() {
            return None;
        }
        let (k, v) = match pair.iter().position(|&c| c == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &b""[..]),
        };
        (unescape_arg(k) == name).then(|| unescape_arg(v))
    })
}

/// `req_get_arg(name_ptr, name_len, out_ptr, out_cap) -> len`: the decoded value of the first
/// query argument named `name` (decoded names compared exactly, as OpenResty's
/// `ngx.req.get_uri_args()`), or -1.
pub(super) fn get_arg(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let name = call.memory.read(a.i32(0), a.i32(1))?;
    match find_arg(call.request.query(), name) {
        Some(v) => call.memory.write_out(a.i32(2), a.i32(3), &v),
        None => {
            call.memory.write_out(a.i32(2), a.i32(3), b"")?;
            Ok(status::NOT_FOUND)
        }
    }
}

/// `req_http_version() -> i32`: the HTTP version times ten (9, 10, 11, 20, 30).
pub(super) fn http_version(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(call.request.http_version() as i32)
}

/// `req_is_internal() -> i32`: 1 for a request reached by an internal redirect, else 0.
pub(super) fn is_internal(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(i32::from(call.request.is_internal()))
}

/// `req_start_time(out_ptr) -> status`: when the request started, in milliseconds since the
/// epoch, as a little-endian `u64` at `out_ptr`.
pub(super) fn start_time(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let ms = call.request.start_time_ms();
    call.memory.write(a.i32(0), &ms.to_le_bytes())?;
    Ok(status::OK)
}
