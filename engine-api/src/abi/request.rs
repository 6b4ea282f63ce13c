//! The request: URI and headers.

use super::{status, HostCall};
use crate::error::HostTrap;

/// `req_get_uri(out_ptr, out_cap) -> len`: copies the request URI (nginx's `$uri`) to the
/// buffer if it fits; returns its length either way.
pub(super) fn get_uri(call: &mut HostCall<'_>, a: &[i32]) -> Result<i32, HostTrap> {
    let uri = call.request.uri();
    call.memory.write_out(a[0], a[1], uri)
}

/// `req_get_header(name_ptr, name_len, out_ptr, out_cap) -> len`: copies the first request
/// header named `name` (case-insensitive) if it fits; returns its length, or `NOT_FOUND` (-1)
/// when absent.
pub(super) fn get_header(call: &mut HostCall<'_>, a: &[i32]) -> Result<i32, HostTrap> {
    let name = call.memory.read(a[0], a[1])?;
    let value = call.request.header(name);
    match value {
        Some(v) => call.memory.write_out(a[2], a[3], v),
        None => {
            // The output buffer is checked even when there is nothing to write, so a bad
            // buffer is reported the same way whether or not the header is present.
            call.memory.write_out(a[2], a[3], b"")?;
            Ok(status::NOT_FOUND)
        }
    }
}
