//! Subrequests captured in memory (`ngx.location.capture`, `ngx.location.capture_multi`).
//!
//! A guest queues subrequests with `subreq_add` (each answers its id in the batch), then
//! `subreq_wait` issues them all at once, in parallel, and suspends the call until every one
//! has finished; their status, headers and body are then read by id. A subrequest to a
//! location with `proxy_pass` is nginx's own outbound HTTP call (upstreams, keepalive, TLS).
//! Waiting again, or queueing after the wait, starts a new batch: the results of the last
//! batch stay readable until then.

use super::{get_all, get_joined, status, Args, HostCall};
use super::{Headers, Out};
use crate::abi::Flow;
use crate::error::HostTrap;
use crate::request::{BodySource, SubrequestSpec};
use crate::value::Val;
use crate::wait::Wait;
use abi_consts::subreq::{
    ALWAYS_FORWARD_BODY, COPY_ALL_VARS, MAX_BATCH, SHARE_ALL_VARS, WITH_BODY,
};

const KNOWN_OPTIONS: i32 = WITH_BODY | COPY_ALL_VARS | SHARE_ALL_VARS | ALWAYS_FORWARD_BODY;

/// `subreq_add(method_ptr, method_len, uri_ptr, uri_len, args_ptr, args_len, body_ptr,
/// body_len, options) -> id`: queues a subrequest for the next `subreq_wait`. The URI must be
/// a safe path (nginx's own check: no `..` segment, no NUL, starting with `/`); a query in it
/// is split off and joined with `args`. -2 for a bad method, URI, args or option; -3 once
/// [`MAX_BATCH`] are queued, or after the handler finished the request. `options` are the
/// [`abi_consts::subreq`] bits.
pub(super) fn add(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let method = call.memory.read(a.i32(0), a.i32(1))?;
    let uri = call.memory.read(a.i32(2), a.i32(3))?;
    let args = call.memory.read(a.i32(4), a.i32(5))?;
    let body = call.memory.read(a.i32(6), a.i32(7))?;
    let options = a.i32(8);
    if call.request.queued_subrequests() >= MAX_BATCH as usize {
        return Ok(status::NOT_ALLOWED);
    }
    if method.is_empty() || !method.iter().all(u8::is_ascii_uppercase) {
        return Ok(status::BAD_ARGUMENT);
    }
    if options & !KNOWN_OPTIONS != 0
        || options & (COPY_ALL_VARS | SHARE_ALL_VARS) == COPY_ALL_VARS | SHARE_ALL_VARS
    {
        return Ok(status::BAD_ARGUMENT);
    }
    if args.iter().any(|&c| c <= b' ' || c == b'#' || c == 0x7f) {
        return Ok(status::BAD_ARGUMENT);
    }
    let body = if options & WITH_BODY != 0 {
        BodySource::Given(body)
    } else if options & ALWAYS_FORWARD_BODY != 0 {
        BodySource::Parent
    } else {
        BodySource::ParentForPostPut
    };
    let spec = SubrequestSpec {
        method,
        uri,
        args,
        body,
        copy_vars: options & COPY_ALL_VARS != 0,
        share_vars: options & SHARE_ALL_VARS != 0,
    };
    Ok(match call.request.add_subrequest(&spec) {
        Ok(id) => i32::try_from(id).unwrap_or(i32::MAX),
        Err(e) => e.status(),
    })
}

/// `subreq_wait() -> count`: issues the queued subrequests and waits until all have
/// finished; returns how many there were (0 at once when none is queued).
pub(super) fn wait(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<Flow, HostTrap> {
    Ok(match call.request.queued_subrequests() {
        0 => Flow::Return(Some(Val::I32(0))),
        _ => Flow::Wait(Wait::Subrequests),
    })
}

/// Completes `subreq_wait`: how many subrequests the batch had.
pub(super) fn waited(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<Option<Val>, HostTrap> {
    let n = call.request.subrequest_count();
    Ok(Some(Val::I32(i32::try_from(n).unwrap_or(i32::MAX))))
}

/// The id at `a[0]`, if it names a finished subrequest of the last batch.
fn id(call: &HostCall<'_>, a: Args<'_>) -> Option<usize> {
    let id = usize::try_from(a.i32(0)).ok()?;
    (id < call.request.subrequest_count()).then_some(id)
}

/// `subreq_status(id) -> status`: the HTTP status of subrequest `id`, or -1.
pub(super) fn get_status(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(
        match id(call, a).and_then(|id| call.request.subrequest_status(id)) {
            Some(s) => i32::from(s),
            None => status::NOT_FOUND,
        },
    )
}

/// `subreq_truncated(id) -> 0/1`: 1 when the subrequest's body ended early (its upstream
/// closed the connection or failed mid-response), or -1.
pub(super) fn truncated(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(
        match id(call, a).and_then(|id| call.request.subrequest_truncated(id)) {
            Some(t) => i32::from(t),
            None => status::NOT_FOUND,
        },
    )
}

/// `subreq_header(id, name_ptr, name_len, out_ptr, out_cap) -> len`: every value of
/// response header `name` of subrequest `id`, joined with `", "`; -1 if absent or no such id.
pub(super) fn get_header(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let name = super::name::NameBuf::copy(call.memory.read(a.i32(1), a.i32(2))?);
    let out = Out(a.i32(3), a.i32(4));
    match id(call, a) {
        Some(id) => get_joined(call, Headers::Subrequest(id), &name, out),
        None => {
            call.memory.write_out(out.0, out.1, b"")?;
            Ok(status::NOT_FOUND)
        }
    }
}

/// `subreq_headers(id, out_ptr, out_cap) -> len`: every response header of subrequest `id`
/// as `name\0value\0` pairs (`Content-Type` and `Content-Length` included when set), or -1.
pub(super) fn get_headers(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let out = Out(a.i32(1), a.i32(2));
    match id(call, a) {
        Some(id) => get_all(call, Headers::Subrequest(id), out),
        None => {
            call.memory.write_out(out.0, out.1, b"")?;
            Ok(status::NOT_FOUND)
        }
    }
}

/// `subreq_body(id, out_ptr, out_cap) -> len`: the body subrequest `id` answered, by the
/// getter convention, or -1.
pub(super) fn get_body(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let out = Out(a.i32(1), a.i32(2));
    let id = id(call, a);
    match id.and_then(|id| call.request.subrequest_body(id)) {
        Some(b) => call.memory.write_out(out.0, out.1, b),
        None => {
            call.memory.write_out(out.0, out.1, b"")?;
            Ok(status::NOT_FOUND)
        }
    }
}
