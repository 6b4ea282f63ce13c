//! The request body: read before the handler runs when `wasm_need_request_body on`, or on
//! demand with `req_read_body`, which waits while nginx reads it.

use super::{status, status_of, Args, HostCall};
use crate::abi::Flow;
use crate::error::HostTrap;
use crate::value::Val;
use crate::wait::Wait;

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

/// `req_read_body() -> status`: reads the request body without blocking the worker
/// (`ngx.req.read_body`). Returns at once when the body is complete already (it was read
/// before, fit in what nginx had received, or was discarded: then nothing is read); otherwise
/// the call waits until nginx has read it. -4 when nginx refused the body (larger than
/// `client_max_body_size`, a bad chunk): the request is answered with nginx's status for it
/// (413, 400) when the export returns.
pub(super) fn read(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<Flow, HostTrap> {
    Ok(match call.request.start_reading_body() {
        Ok(true) => Flow::Return(Some(Val::I32(status::OK))),
        Ok(false) => Flow::Wait(Wait::RequestBody),
        Err(_) => Flow::Return(Some(Val::I32(status::INTERNAL))),
    })
}

/// Completes `req_read_body` once nginx has read the body. (A read that fails ends the
/// request, which cancels the waiting call instead.)
pub(super) fn read_done(_call: &mut HostCall<'_>, _a: Args<'_>) -> Result<Option<Val>, HostTrap> {
    Ok(Some(Val::I32(status::OK)))
}
