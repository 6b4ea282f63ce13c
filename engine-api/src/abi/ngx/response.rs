//! The response: status, body output, flush, and the control flow of `ngx.exit`,
//! `ngx.redirect` and `ngx.exec`.

use super::{status, status_of, Args, HostCall};
use crate::abi::Flow;
use crate::error::HostTrap;
use crate::request::Finish;
use crate::value::Val;
use crate::wait::Wait;

/// `resp_get_status() -> i32`: the response status set so far, 0 if none.
pub(super) fn get_status(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(i32::from(call.request.status()))
}

/// `resp_set_status(status) -> status`: sets the response status (100..=599).
pub(super) fn set_status(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let Ok(code @ 100..=599) = u16::try_from(a.i32(0)) else {
        return Ok(status::BAD_ARGUMENT);
    };
    Ok(status_of(call.request.set_status(code)))
}

/// `resp_print(data_ptr, data_len) -> status`: appends to the response body (`ngx.print`).
pub(super) fn print(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let data = call.memory.read(a.i32(0), a.i32(1))?;
    Ok(status_of(call.request.write(data)))
}

/// `resp_say(data_ptr, data_len) -> status`: appends the data and a newline (`ngx.say`).
pub(super) fn say(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let data = call.memory.read(a.i32(0), a.i32(1))?;
    Ok(status_of(
        call.request
            .write(data)
            .and_then(|()| call.request.write(b"\n")),
    ))
}

/// `resp_flush() -> status`: sends the response header (if not yet sent) and the body written
/// so far; the response then goes out chunked (HTTP/1.1) and its status and headers are fixed.
/// While nginx still holds output the client has not taken, the call waits until it is sent
/// (back-pressure, as `ngx.flush(true)`).
pub(super) fn flush(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<Flow, HostTrap> {
    Ok(match call.request.flush() {
        Ok(()) if call.request.output_busy() => Flow::Wait(Wait::Output),
        done => Flow::Return(Some(Val::I32(status_of(done)))),
    })
}

/// Completes `resp_flush` once the output is sent. (A client that takes nothing for
/// `send_timeout` ends the request, which cancels the waiting call instead.)
pub(super) fn flushed(_call: &mut HostCall<'_>, _a: Args<'_>) -> Result<Option<Val>, HostTrap> {
    Ok(Some(Val::I32(status::OK)))
}

/// `resp_exit(status) -> status`: like `ngx.exit`. 0 ends this handler and lets the request go
/// on; 200..=599 finishes the request with that status once the export returns (nginx's own
/// page for a status >= 300 when no body was written). The guest should return right after.
pub(super) fn exit(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let finish = match a.i32(0) {
        0 => Finish::Continue,
        s @ 200..=599 => Finish::Status(s as u16),
        _ => return Ok(status::BAD_ARGUMENT),
    };
    Ok(status_of(call.request.finish(finish)))
}

/// `resp_redirect(uri_ptr, uri_len, status) -> status`: answers with `Location: uri` and
/// `status` (301, 302, 303, 307 or 308; 0 means 302) once the export returns, like
/// `ngx.redirect`.
pub(super) fn redirect(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let uri = call.memory.read(a.i32(0), a.i32(1))?;
    let code = match a.i32(2) {
        0 => 302,
        s @ (301 | 302 | 303 | 307 | 308) => s as u16,
        _ => return Ok(status::BAD_ARGUMENT),
    };
    if uri.is_empty() || !super::resp_headers::is_header_value(uri) {
        return Ok(status::BAD_ARGUMENT);
    }
    Ok(status_of(call.request.redirect(uri, code)))
}

/// `req_exec(uri_ptr, uri_len, args_ptr, args_len) -> status`: an internal redirect to `uri`
/// (a path, or `@name` for a named location) with query `args`, once the export returns, like
/// `ngx.exec`. A path's own query (`/t?a=1`) is joined with `args` by `&`; the host refuses
/// a path nginx calls unsafe (a `..` segment, a NUL, also percent-encoded).
pub(super) fn exec(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let uri = call.memory.read(a.i32(0), a.i32(1))?;
    let args = call.memory.read(a.i32(2), a.i32(3))?;
    let valid_uri = match uri.first() {
        Some(b'/') => uri.iter().all(|&c| c > b' ' && c != 0x7f && c != b'#'),
        Some(b'@') => uri.len() > 1 && uri.iter().all(|&c| c > b' ' && c != 0x7f),
        _ => false,
    };
    if !valid_uri || args.iter().any(|&c| c <= b' ' || c == 0x7f || c == b'#') {
        return Ok(status::BAD_ARGUMENT);
    }
    Ok(status_of(call.request.exec(uri, args)))
}
