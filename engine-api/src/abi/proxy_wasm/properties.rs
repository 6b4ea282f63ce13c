//! Properties (`proxy_get_property`, `proxy_set_property`): the Envoy-style names a filter
//! reads most, from nginx's variables, and any nginx variable as `ngx.<name>`.
//!
//! A path is its segments joined with NUL (`request\0path`, as the SDKs send it); a single
//! segment with dots (`request.path`) is read the same. Values are strings, numbers in
//! decimal (Envoy gives some as 8-byte integers: a difference `docs/proxy-wasm.md` lists).

use super::status;
use crate::abi::ngx::resp_headers::is_header_value;
use crate::abi::{Args, Give, HostCall};
use crate::error::HostTrap;
use crate::request::HostRequest;

/// The property paths this host answers, and the nginx variable each reads.
const FROM_VARIABLES: &[(&[u8], &[u8])] = &[
    (b"request.path", b"request_uri"),
    (b"request.host", b"host"),
    (b"request.scheme", b"scheme"),
    (b"request.protocol", b"server_protocol"),
    (b"request.id", b"request_id"),
    (b"request.referer", b"http_referer"),
    (b"request.useragent", b"http_user_agent"),
    (b"source.address", b"remote_addr"),
    (b"source.port", b"remote_port"),
    (b"destination.address", b"server_addr"),
    (b"destination.port", b"server_port"),
    (b"connection.id", b"connection"),
    (b"connection.requests", b"connection_requests"),
];

/// The path with its segments joined by dots.
fn dotted(path: &[u8]) -> Vec<u8> {
    let path = path.strip_suffix(b"\0").unwrap_or(path);
    path.iter()
        .map(|&c| if c == 0 { b'.' } else { c })
        .collect()
}

/// The value of property `path` (dotted), `None` when there is none.
fn lookup(request: &mut dyn HostRequest, path: &[u8]) -> Option<Vec<u8>> {
    if let Some(var) = path.strip_prefix(b"ngx.") {
        let name = var.to_ascii_lowercase();
        return request.variable(&name).ok().flatten().map(<[u8]>::to_vec);
    }
    if let Some((_, var)) = FROM_VARIABLES.iter().find(|(p, _)| *p == path) {
        return request.variable(var).ok().flatten().map(<[u8]>::to_vec);
    }
    let filter = request.proxy_filter();
    Some(match path {
        b"request.method" => request.method().to_vec(),
        b"request.url_path" => request.uri().to_vec(),
        b"request.query" => request.query().to_vec(),
        b"request.time" => request.start_time_ms().to_string().into_bytes(),
        b"response.code" => match request.status() {
            0 => return None,
            s => s.to_string().into_bytes(),
        },
        b"plugin_name" | b"plugin_root_id" => filter?.name.to_vec(),
        b"plugin_vm_id" => Vec::new(),
        _ => return None,
    })
}

/// `proxy_get_property(path_ptr, path_len, ptr_out, len_out) -> status`: the property's
/// value, or `NotFound`.
pub(super) fn get(call: &mut HostCall<'_>, a: Args<'_>) -> Result<Give, HostTrap> {
    let path = dotted(call.memory.read(a.i32(0), a.i32(1))?);
    Ok(match lookup(call.request, &path) {
        Some(bytes) => Give::Bytes {
            bytes,
            ptr_out: a.i32(2),
            len_out: a.i32(3),
        },
        None => Give::Status(status::NOT_FOUND),
    })
}

/// `proxy_set_property(path_ptr, path_len, value_ptr, value_len) -> status`: sets nginx
/// variable `ngx.<name>` (a value with CR, LF or NUL is refused, as every variable write
/// is); other properties are read-only (`NotFound`).
pub(super) fn set(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let path = dotted(call.memory.read(a.i32(0), a.i32(1))?);
    let value = call.memory.read(a.i32(2), a.i32(3))?;
    let Some(var) = path.strip_prefix(b"ngx.") else {
        return Ok(status::NOT_FOUND);
    };
    if !is_header_value(value) {
        return Ok(status::BAD_ARGUMENT);
    }
    let name = var.to_ascii_lowercase();
    Ok(super::status_of(call.request.set_variable(&name, value)))
}
