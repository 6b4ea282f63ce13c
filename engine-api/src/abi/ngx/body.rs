//! The request body, read before the handler runs when `wasm_need_request_body on`.

use super::{status, status_of, Args, HostCall};
use crate::error::HostTrap;

/// `req_body_len() -> len`: the length of the request body that was read, or -1 when none was
/// read (no `wasm_need_request_body on`, or a request without a body).
pub(super) fn len(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(match call.request.body_len() {
        Some(n) => i32::try_from(n).unwrap_or(i32::MAX),
        None => status::NOT_FOUND,
    })
}

/// `req_get_body(offset, out_ptr, out_cap) -> len`: copies up to `out_cap` body bytes from
/// `offset` (memory or temporary file) and returns how many were copied (0 at the end), -1
/// when no body was read, -2 for a negative offset.
pub(super) fn get(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let out = call.memory.slice_mut(a.i32(1), a.i32(2))?;
    let Ok(offset) = usize::try_from(a.i32(0)) else {
        return Ok(status::BAD_ARGUMENT);
    };
    if call.request.body_len().is_none() {
        return Ok(status::NOT_FOUND);
    }
    match call.request.read_body(offset, out) {
        Ok(n) => Ok(i32::try_from(n).unwrap_or(i32::MAX)),
        Err(e) => Ok(e.status()),
    }
}

/// `req_discard_body() -> status`: reads and discards the request body (`ngx.req.discard_body`).
pub(super) fn discard(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(status_of(call.request.discard_body()))
}
