//! The stream: local responses, continue and close, contexts.
//!
//! A callback runs to its end here before nginx goes on, so nothing stays paused between
//! callbacks: `proxy_continue_stream` has nothing to resume and answers `Ok`, as do the 0.1
//! names `proxy_continue_request`/`proxy_continue_response`.

use super::{parse_pairs, status, status_of};
use crate::abi::ngx::resp_headers::{is_header_value, is_token};
use crate::abi::{Args, HostCall};
use crate::error::HostTrap;
use crate::phase::PhaseSet;
use crate::request::Finish;

/// `proxy_send_local_response(status_code, details_ptr, details_len, body_ptr, body_len,
/// headers_ptr, headers_len, grpc_status) -> status`: answers the request with this status,
/// these headers and this body instead of going on to the content handler. Where the
/// response can still be chosen (the request-headers callback); elsewhere `BadArgument`.
pub(super) fn send_local_response(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let _details = call.memory.read(a.i32(1), a.i32(2))?;
    let body = call.memory.read(a.i32(3), a.i32(4))?;
    let headers = call.memory.read(a.i32(5), a.i32(6))?;
    let code = match u16::try_from(a.i32(0)) {
        Ok(c @ 200..=599) => c,
        _ => return Ok(status::BAD_ARGUMENT),
    };
    let Some(pairs) = parse_pairs(headers) else {
        return Ok(status::SERIALIZATION_FAILURE);
    };
    if !pairs.iter().all(|(k, v)| is_token(k) && is_header_value(v)) {
        return Ok(status::BAD_ARGUMENT);
    }
    let request = &mut *call.request;
    if !PhaseSet::BEFORE_CONTENT_END.contains(request.phase()) {
        return Ok(status::BAD_ARGUMENT);
    }
    let rc = status_of(request.set_status(code));
    if rc != status::OK {
        return Ok(rc);
    }
    for (k, v) in pairs {
        if v.is_empty() {
            continue;
        }
        let rc = status_of(request.add_header(k, v));
        if rc != status::OK {
            return Ok(rc);
        }
    }
    if !body.is_empty() {
        let rc = status_of(request.write(body));
        if rc != status::OK {
            return Ok(rc);
        }
    }
    Ok(status_of(request.finish(Finish::Status(code))))
}

/// `proxy_continue_stream(stream_type) -> status`: `Ok` (nothing is paused between
/// callbacks here); `BadArgument` for a stream type other than request (0) or response (1).
pub(super) fn continue_stream(_call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(match a.i32(0) {
        0 | 1 => status::OK,
        _ => status::BAD_ARGUMENT,
    })
}

/// `proxy_continue_request() / proxy_continue_response() -> status`: `Ok`.
pub(super) fn continue_legacy(_call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(status::OK)
}

/// `proxy_close_stream(stream_type) -> status`: closes the connection without an answer
/// (nginx's 444) where the response is not chosen yet; `BadArgument` elsewhere.
pub(super) fn close_stream(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    if !matches!(a.i32(0), 0 | 1) || !PhaseSet::BEFORE_CONTENT_END.contains(call.request.phase()) {
        return Ok(status::BAD_ARGUMENT);
    }
    Ok(status_of(call.request.finish(Finish::Status(444))))
}

/// `proxy_clear_route_cache() -> status`: `Ok`; nginx chose the location already, and a
/// filter that changes the path sees the location it was configured in.
pub(super) fn clear_route_cache(_call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(status::OK)
}

/// `proxy_set_effective_context(context_id) -> status`: `Ok`. Each callback here runs for
/// one context, the one it was called with.
pub(super) fn set_effective_context(
    _call: &mut HostCall<'_>,
    _a: Args<'_>,
) -> Result<i32, HostTrap> {
    Ok(status::OK)
}

/// `proxy_done() -> status`: `Ok`; this host never waits for a context that answered
/// `false` from `proxy_on_done`.
pub(super) fn done(_call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(status::OK)
}
