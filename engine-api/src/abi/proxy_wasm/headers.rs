//! The header maps: request and response headers, with the HTTP/2-style pseudo-headers
//! Proxy-Wasm filters expect (`:method`, `:path`, `:authority`, `:scheme` on the request,
//! `:status` on the response). Names are given lower-case and matched without regard to
//! case. Trailers are empty maps (nginx passes none to this host); the maps of an HTTP call
//! response do not exist yet.

use super::{parse_pairs, serialize_pairs, status, status_of, write_u32};
use crate::abi::ngx::request::{is_query, is_uri_path};
use crate::abi::ngx::resp_headers::{is_header_value, is_token};
use crate::abi::{Args, Give, HostCall};
use crate::error::HostTrap;
use crate::phase::PhaseSet;
use crate::request::HostRequest;

/// Which map a `map_type` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Map {
    Request,
    Response,
    /// Request or response trailers: always empty here.
    Trailers,
}

impl Map {
    /// `None` for the HTTP call and gRPC maps, which do not exist (yet) here.
    fn of(map_type: i32) -> Option<Map> {
        match map_type {
            0 => Some(Map::Request),
            2 => Some(Map::Response),
            1 | 3 => Some(Map::Trailers),
            _ => None,
        }
    }

    /// Where the map may change: the request's until the content phase, the response's
    /// until its header is sent.
    fn writable(self, request: &dyn HostRequest) -> bool {
        match self {
            Map::Request => PhaseSet::BEFORE_CONTENT_END.contains(request.phase()),
            Map::Response => PhaseSet::HEADERS_WRITABLE.contains(request.phase()),
            Map::Trailers => false,
        }
    }
}

/// Every entry of `map`, pseudo-headers first, names lower-case.
fn entries(request: &mut dyn HostRequest, map: Map) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    match map {
        Map::Request => {
            for name in [":authority", ":method", ":path", ":scheme"] {
                if let Some(v) = pseudo(request, map, name.as_bytes()) {
                    out.push((name.as_bytes().to_vec(), v));
                }
            }
            request.request_headers(&mut |k, v| {
                out.push((k.to_ascii_lowercase(), v.to_vec()));
                true
            });
        }
        Map::Response => {
            if let Some(v) = pseudo(request, map, b":status") {
                out.push((b":status".to_vec(), v));
            }
            request.response_headers(&mut |k, v| {
                out.push((k.to_ascii_lowercase(), v.to_vec()));
                true
            });
        }
        Map::Trailers => {}
    }
    out
}

/// A pseudo-header's value, `None` when `name` is not one of `map`'s.
fn pseudo(request: &mut dyn HostRequest, map: Map, name: &[u8]) -> Option<Vec<u8>> {
    match (map, name) {
        (Map::Request, b":method") => Some(request.method().to_vec()),
        (Map::Request, b":path") => {
            let mut path = request.uri().to_vec();
            if !request.query().is_empty() {
                path.push(b'?');
                path.extend_from_slice(request.query());
            }
            Some(path)
        }
        (Map::Request, b":authority") => {
            let var = request.variable(b"host").ok().flatten();
            Some(var.unwrap_or_default().to_vec())
        }
        (Map::Request, b":scheme") => {
            let var = request.variable(b"scheme").ok().flatten();
            Some(var.unwrap_or(b"http").to_vec())
        }
        (Map::Response, b":status") => {
            let s = request.status();
            Some(if s == 0 {
                b"200".to_vec()
            } else {
                s.to_string().into_bytes()
            })
        }
        _ => None,
    }
}

/// The first value of `name` in `map` (case-insensitive).
fn first_value(request: &mut dyn HostRequest, map: Map, name: &[u8]) -> Option<Vec<u8>> {
    if name.first() == Some(&b':') {
        return pseudo(request, map, name);
    }
    let mut found = None;
    let mut visit = |k: &[u8], v: &[u8]| {
        if k.eq_ignore_ascii_case(name) {
            found = Some(v.to_vec());
            return false;
        }
        true
    };
    match map {
        Map::Request => request.request_headers(&mut visit),
        Map::Response => request.response_headers(&mut visit),
        Map::Trailers => {}
    }
    found
}

/// `proxy_get_header_map_value(map_type, key_ptr, key_len, ptr_out, len_out) -> status`:
/// the first value of a header, or `NotFound`.
pub(super) fn get_value(call: &mut HostCall<'_>, a: Args<'_>) -> Result<Give, HostTrap> {
    let key = call.memory.read(a.i32(1), a.i32(2))?.to_vec();
    let Some(map) = Map::of(a.i32(0)) else {
        return Ok(Give::Status(status::NOT_FOUND));
    };
    Ok(match first_value(call.request, map, &key) {
        Some(bytes) => Give::Bytes {
            bytes,
            ptr_out: a.i32(3),
            len_out: a.i32(4),
        },
        None => Give::Status(status::NOT_FOUND),
    })
}

/// `proxy_get_header_map_pairs(map_type, ptr_out, len_out) -> status`: the whole map,
/// serialized.
pub(super) fn get_pairs(call: &mut HostCall<'_>, a: Args<'_>) -> Result<Give, HostTrap> {
    let Some(map) = Map::of(a.i32(0)) else {
        return Ok(Give::Status(status::NOT_FOUND));
    };
    let entries = entries(call.request, map);
    let pairs: Vec<(&[u8], &[u8])> = entries
        .iter()
        .map(|(k, v)| (k.as_slice(), v.as_slice()))
        .collect();
    Ok(Give::Bytes {
        bytes: serialize_pairs(&pairs),
        ptr_out: a.i32(1),
        len_out: a.i32(2),
    })
}

/// `proxy_get_header_map_size(map_type, size_out) -> status`: the serialized size of the
/// map.
pub(super) fn size(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let Some(map) = Map::of(a.i32(0)) else {
        return Ok(status::NOT_FOUND);
    };
    let size: usize = 4 + entries(call.request, map)
        .iter()
        .map(|(k, v)| k.len() + v.len() + 10)
        .sum::<usize>();
    write_u32(&mut call.memory, a.i32(1), size as u32)?;
    Ok(status::OK)
}

/// How a write changes a header.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    Add,
    Replace,
    Remove,
}

/// Applies one write to `map`, after the checks every header write passes.
fn write(request: &mut dyn HostRequest, map: Map, how: Write, name: &[u8], value: &[u8]) -> i32 {
    if !map.writable(request) {
        return status::BAD_ARGUMENT;
    }
    if !is_header_value(value) {
        return status::BAD_ARGUMENT;
    }
    if name.first() == Some(&b':') {
        return write_pseudo(request, map, how, name, value);
    }
    if !is_token(name) {
        return status::BAD_ARGUMENT;
    }
    let value = if how == Write::Remove {
        &b""[..]
    } else {
        value
    };
    match (map, how) {
        // An empty value adds nothing (nginx drops empty header lines).
        (_, Write::Add) if value.is_empty() => status::OK,
        (Map::Request, Write::Add) => status_of(request.add_request_header(name, value)),
        (Map::Request, _) => status_of(request.set_request_header(name, value)),
        (Map::Response, Write::Add) => status_of(request.add_header(name, value)),
        (Map::Response, _) => status_of(request.set_header(name, value)),
        (Map::Trailers, _) => status::BAD_ARGUMENT,
    }
}

/// Writes a pseudo-header: `:method`, `:path` (path and query, with the checks of
/// `req_set_uri` and `req_set_query`), `:authority` (the `Host` header) on the request,
/// `:status` on the response. Removing one is refused.
fn write_pseudo(
    request: &mut dyn HostRequest,
    map: Map,
    how: Write,
    name: &[u8],
    value: &[u8],
) -> i32 {
    if how == Write::Remove {
        return status::BAD_ARGUMENT;
    }
    match (map, name) {
        (Map::Request, b":method") => {
            if value.is_empty() || !value.iter().all(u8::is_ascii_uppercase) {
                return status::BAD_ARGUMENT;
            }
            status_of(request.set_method(value))
        }
        (Map::Request, b":path") => {
            let (path, query) = match value.iter().position(|&c| c == b'?') {
                Some(q) => (&value[..q], &value[q + 1..]),
                None => (value, &b""[..]),
            };
            if !is_uri_path(path) || !is_query(query) {
                return status::BAD_ARGUMENT;
            }
            let rc = status_of(request.set_uri(path, false));
            if rc != status::OK {
                return rc;
            }
            status_of(request.set_query(query))
        }
        (Map::Request, b":authority") if !value.is_empty() => {
            status_of(request.set_request_header(b"host", value))
        }
        (Map::Response, b":status") => match std::str::from_utf8(value)
            .ok()
            .and_then(|s| s.parse::<u16>().ok())
        {
            Some(code @ 100..=599) => status_of(request.set_status(code)),
            _ => status::BAD_ARGUMENT,
        },
        _ => status::BAD_ARGUMENT,
    }
}

/// `proxy_add_header_map_value(map_type, key_ptr, key_len, value_ptr, value_len) ->
/// status`: adds a value, keeping earlier ones.
pub(super) fn add(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    one(call, a, Write::Add)
}

/// `proxy_replace_header_map_value(...) -> status`: replaces every value of a header.
pub(super) fn replace(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    one(call, a, Write::Replace)
}

/// `proxy_remove_header_map_value(map_type, key_ptr, key_len) -> status`: removes every
/// value of a header (`Ok` when there was none).
pub(super) fn remove(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let name = call.memory.read(a.i32(1), a.i32(2))?;
    let Some(map) = Map::of(a.i32(0)) else {
        return Ok(status::BAD_ARGUMENT);
    };
    let name = name.to_ascii_lowercase();
    Ok(write(call.request, map, Write::Remove, &name, b""))
}

fn one(call: &mut HostCall<'_>, a: Args<'_>, how: Write) -> Result<i32, HostTrap> {
    let name = call.memory.read(a.i32(1), a.i32(2))?;
    let value = call.memory.read(a.i32(3), a.i32(4))?;
    let Some(map) = Map::of(a.i32(0)) else {
        return Ok(status::BAD_ARGUMENT);
    };
    Ok(write(call.request, map, how, name, value))
}

/// `proxy_set_header_map_pairs(map_type, map_ptr, map_len) -> status`: replaces the whole
/// map: headers absent from the new one are removed, the others set to its values, in its
/// order. A map with a name that is not a token or a value with CR, LF or NUL is refused
/// before anything changes.
pub(super) fn set_pairs(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let bytes = call.memory.read(a.i32(1), a.i32(2))?;
    let Some(map) = Map::of(a.i32(0)) else {
        return Ok(status::BAD_ARGUMENT);
    };
    let Some(pairs) = parse_pairs(bytes) else {
        return Ok(status::SERIALIZATION_FAILURE);
    };
    if !map.writable(call.request) {
        return Ok(status::BAD_ARGUMENT);
    }
    let valid = pairs
        .iter()
        .all(|(k, v)| is_header_value(v) && (k.first() == Some(&b':') || is_token(k)));
    if !valid {
        return Ok(status::BAD_ARGUMENT);
    }
    let old = entries(call.request, map);
    for (k, _) in &old {
        let kept = pairs.iter().any(|(n, _)| n.eq_ignore_ascii_case(k));
        if !kept && k.first() != Some(&b':') {
            let rc = write(call.request, map, Write::Remove, k, b"");
            if rc != status::OK {
                return Ok(rc);
            }
        }
    }
    let mut seen: Vec<&[u8]> = Vec::new();
    for (k, v) in &pairs {
        let how = if seen.iter().any(|s| s.eq_ignore_ascii_case(k)) {
            Write::Add
        } else {
            seen.push(k);
            Write::Replace
        };
        let rc = write(call.request, map, how, k, v);
        if rc != status::OK {
            return Ok(rc);
        }
    }
    Ok(status::OK)
}
