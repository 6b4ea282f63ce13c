//! TCP sockets through nginx's event loop (`ngx.socket.tcp`): connect, send, receive (a
//! number of bytes, a line, everything until the peer closes, whatever is there, or until a
//! pattern), TLS (`sslhandshake`), close, and a keepalive pool.
//!
//! Each operation runs at once when it can (data already received, a send the kernel takes
//! whole, a pooled connection) and otherwise suspends the call until nginx's events finish
//! it or its timeout runs out. Errors are statuses the guest sees, never traps:
//! [`status::TIMEOUT`], [`status::CLOSED`], [`status::CONNECT_FAILED`],
//! [`status::RESOLVE_FAILED`], [`status::TOO_LARGE`], [`status::TLS_FAILED`],
//! [`status::TLS_VERIFY_FAILED`]. Sockets belong to the request: those
//! left open are closed when it ends.

use super::{status, Args, HostCall};
use crate::abi::Flow;
use crate::error::HostTrap;
use crate::request::{SocketOp, SocketStep, Until};
use crate::value::Val;
use crate::wait::Wait;

/// The most bytes one receive may return (`max` of a line, everything, whatever is there).
pub const MAX_RECEIVE: usize = 16 << 20;

/// A timeout argument: -1 is the directive's default, otherwise milliseconds (0 or more).
fn timeout(v: i32) -> Result<Option<u32>, ()> {
    match v {
        -1 => Ok(None),
        0.. => Ok(Some(v as u32)),
        _ => Err(()),
    }
}

/// A socket id argument.
fn id(v: i32) -> Result<usize, ()> {
    usize::try_from(v).map_err(drop)
}

fn ret(v: i32) -> Flow {
    Flow::Return(Some(Val::I32(v)))
}

fn bad() -> Result<Flow, HostTrap> {
    Ok(ret(status::BAD_ARGUMENT))
}

/// What a start answers: the result now, or a wait for nginx to finish the operation.
fn step(s: Result<SocketStep, crate::error::RequestError>, id: u32) -> Flow {
    match s {
        Ok(SocketStep::Done(rc)) => ret(rc),
        Ok(SocketStep::Wait) => Flow::Wait(Wait::Socket { id }),
        Err(e) => ret(e.status()),
    }
}

/// True for a host nginx can connect to: an IP address, a name, `[v6]`, or `unix:/path`.
fn is_host(host: &[u8]) -> bool {
    if host.starts_with(b"unix:/") {
        return host.iter().all(|&c| c >= b' ' && c != 0x7f);
    }
    !host.is_empty()
        && host.len() <= 1024
        && host.iter().all(|&c| c > b' ' && c != 0x7f && c != b'/')
}

/// `sock_connect(host_ptr, host_len, port, timeout_ms) -> id`: connects to `host:port`
/// (`unix:/path` ignores the port), through nginx's resolver for a name; reuses a
/// connection of the keepalive pool for the same host and port when one is idle.
pub(super) fn connect(call: &mut HostCall<'_>, a: Args<'_>) -> Result<Flow, HostTrap> {
    let host = call.memory.read(a.i32(0), a.i32(1))?;
    let unix = host.starts_with(b"unix:");
    let port = match u16::try_from(a.i32(2)) {
        Ok(p) if p > 0 || unix => p,
        _ => return bad(),
    };
    let (Ok(t), true) = (timeout(a.i32(3)), is_host(host)) else {
        return bad();
    };
    let op = SocketOp::Connect {
        host,
        port,
        timeout_ms: t,
    };
    Ok(step(call.request.socket_start(op), u32::MAX))
}

/// Completes a socket operation that waited: its result (an id, a count, a length or an
/// error status).
pub(super) fn finished(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<Option<Val>, HostTrap> {
    Ok(Some(Val::I32(call.request.socket_result())))
}

/// `sock_send(id, data_ptr, data_len, timeout_ms) -> count`: sends every byte; returns
/// `data_len`, or -5 (timeout), -6 (closed).
pub(super) fn send(call: &mut HostCall<'_>, a: Args<'_>) -> Result<Flow, HostTrap> {
    let data = call.memory.read(a.i32(1), a.i32(2))?;
    let (Ok(id), Ok(t)) = (id(a.i32(0)), timeout(a.i32(3))) else {
        return bad();
    };
    let op = SocketOp::Send {
        id,
        data,
        timeout_ms: t,
    };
    Ok(step(call.request.socket_start(op), id as u32))
}

/// True for a server name a TLS client may send (SNI) and check a certificate against: a
/// DNS name or an IP address, at most 255 bytes, no space, control character or `/`.
fn is_server_name(name: &[u8]) -> bool {
    name.len() <= 255 && name.iter().all(|&c| c > b' ' && c != 0x7f && c != b'/')
}

/// `sock_sslhandshake(id, name_ptr, name_len, flags, timeout_ms) -> status`: a TLS handshake
/// on socket `id`, as its client (OpenResty's `sslhandshake`): `name` (may be empty) is sent
/// as SNI and, with flag [`abi_consts::tls::VERIFY`], checked against the certificate, whose
/// chain must then lead to `wasm_socket_ssl_trusted_certificate`. 0, or -5 (timeout), -6
/// (closed), -10 (handshake failed), -11 (certificate refused). Later sends and receives go
/// through TLS; a pooled TLS connection is reused as one.
pub(super) fn handshake(call: &mut HostCall<'_>, a: Args<'_>) -> Result<Flow, HostTrap> {
    let name = call.memory.read(a.i32(1), a.i32(2))?;
    let (Ok(id), Ok(t)) = (id(a.i32(0)), timeout(a.i32(4))) else {
        return bad();
    };
    let flags = a.i32(3);
    if flags & !abi_consts::tls::VERIFY != 0 || !is_server_name(name) {
        return bad();
    }
    let op = SocketOp::Handshake {
        id,
        server_name: name,
        verify: flags & abi_consts::tls::VERIFY != 0,
        timeout_ms: t,
    };
    Ok(step(call.request.socket_start(op), id as u32))
}

/// Receive modes of `sock_receive`.
mod mode {
    pub const BYTES: i32 = 0;
    pub const LINE: i32 = 1;
    pub const ALL: i32 = 2;
    pub const ANY: i32 = 3;
}

/// `sock_receive(id, mode, n, timeout_ms, out_ptr, out_cap) -> len`: receives, by `mode`:
/// 0 exactly `n` bytes; 1 a line of at most `n` bytes (`\n` or `\r\n` removed); 2 everything
/// until the peer closes, at most `n` bytes; 3 whatever has arrived, 1 to `n` bytes. The
/// piece is copied to the output buffer by the getter convention (`sock_received` copies it
/// again). -5 (timeout), -6 (closed before the piece was complete), -9 (a line or the whole
/// stream longer than `n`).
pub(super) fn receive(call: &mut HostCall<'_>, a: Args<'_>) -> Result<Flow, HostTrap> {
    call.memory.slice_mut(a.i32(4), a.i32(5))?;
    let (Ok(id), Ok(t)) = (id(a.i32(0)), timeout(a.i32(3))) else {
        return bad();
    };
    let Some(n) = usize::try_from(a.i32(2))
        .ok()
        .filter(|n| (1..=MAX_RECEIVE).contains(n))
    else {
        return bad();
    };
    let until = match a.i32(1) {
        mode::BYTES => Until::Bytes(n),
        mode::LINE => Until::Line { max: n },
        mode::ALL => Until::All { max: n },
        mode::ANY => Until::Any { max: n },
        _ => return bad(),
    };
    receive_with(call, id, until, t, (a.i32(4), a.i32(5)))
}

/// `sock_receive_until(id, pattern_ptr, pattern_len, max, timeout_ms, out_ptr, out_cap) ->
/// len`: receives up to `pattern` (consumed, not returned), at most `max` bytes before it.
pub(super) fn receive_until(call: &mut HostCall<'_>, a: Args<'_>) -> Result<Flow, HostTrap> {
    call.memory.slice_mut(a.i32(5), a.i32(6))?;
    let pattern = call.memory.read(a.i32(1), a.i32(2))?.to_vec();
    let (Ok(id), Ok(t)) = (id(a.i32(0)), timeout(a.i32(4))) else {
        return bad();
    };
    let Some(max) = usize::try_from(a.i32(3))
        .ok()
        .filter(|n| (1..=MAX_RECEIVE).contains(n))
    else {
        return bad();
    };
    if pattern.is_empty() || pattern.len() > 1024 {
        return bad();
    }
    let until = Until::Pattern {
        pattern: &pattern,
        max,
    };
    receive_with(call, id, until, t, (a.i32(5), a.i32(6)))
}

fn receive_with(
    call: &mut HostCall<'_>,
    id: usize,
    until: Until<'_>,
    timeout_ms: Option<u32>,
    out: (i32, i32),
) -> Result<Flow, HostTrap> {
    let op = SocketOp::Receive {
        id,
        until,
        timeout_ms,
    };
    match step(call.request.socket_start(op), id as u32) {
        Flow::Return(Some(Val::I32(n))) if n >= 0 => {
            let rc = copy_received(call, id, out)?;
            Ok(ret(rc))
        }
        other => Ok(other),
    }
}

/// Copies the last piece socket `id` received to `out` by the getter convention.
fn copy_received(call: &mut HostCall<'_>, id: usize, out: (i32, i32)) -> Result<i32, HostTrap> {
    match call.request.socket_received(id) {
        Some(piece) => call.memory.write_out(out.0, out.1, piece),
        None => {
            call.memory.write_out(out.0, out.1, b"")?;
            Ok(status::NOT_FOUND)
        }
    }
}

/// Completes a receive that waited: the piece's length (copied, if it fits, to the output
/// buffer at `a[out..out + 2]`), or the error.
fn after_receive(
    call: &mut HostCall<'_>,
    a: Args<'_>,
    out: usize,
) -> Result<Option<Val>, HostTrap> {
    let rc = call.request.socket_result();
    if rc < 0 {
        return Ok(Some(Val::I32(rc)));
    }
    let id = usize::try_from(a.i32(0)).unwrap_or(usize::MAX);
    let rc = copy_received(call, id, (a.i32(out), a.i32(out + 1)))?;
    Ok(Some(Val::I32(rc)))
}

/// Completes `sock_receive` (its output buffer is at `a[4..6]`).
pub(super) fn received_after_wait(
    call: &mut HostCall<'_>,
    a: Args<'_>,
) -> Result<Option<Val>, HostTrap> {
    after_receive(call, a, 4)
}

/// Completes `sock_receive_until` (its output buffer is at `a[5..7]`).
pub(super) fn received_until_after_wait(
    call: &mut HostCall<'_>,
    a: Args<'_>,
) -> Result<Option<Val>, HostTrap> {
    after_receive(call, a, 5)
}

/// `sock_received(id, out_ptr, out_cap) -> len`: the last piece socket `id` received, again
/// (for a buffer that was too small), or -1.
pub(super) fn received(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let out = (a.i32(1), a.i32(2));
    match usize::try_from(a.i32(0)) {
        Ok(id) => copy_received(call, id, out),
        Err(_) => {
            call.memory.write_out(out.0, out.1, b"")?;
            Ok(status::NOT_FOUND)
        }
    }
}

/// `sock_close(id) -> status`: closes socket `id`; -1 if there is none.
pub(super) fn close(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let Ok(id) = usize::try_from(a.i32(0)) else {
        return Ok(status::NOT_FOUND);
    };
    Ok(super::status_of(call.request.socket_close(id)))
}

/// `sock_setkeepalive(id, timeout_ms, pool_size) -> status`: puts the connection into this
/// worker's keepalive pool for its host and port (closed after `timeout_ms` idle, -1: 60 s;
/// at most `pool_size` idle per host and port, -1: 30, the oldest closed first); the id is
/// then free. -3 while received data is unread (the connection is closed instead).
pub(super) fn set_keepalive(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let Ok(id) = usize::try_from(a.i32(0)) else {
        return Ok(status::NOT_FOUND);
    };
    let Ok(t) = timeout(a.i32(1)) else {
        return Ok(status::BAD_ARGUMENT);
    };
    let size = match a.i32(2) {
        -1 => None,
        n @ 1.. => Some(n as u32),
        _ => return Ok(status::BAD_ARGUMENT),
    };
    Ok(super::status_of(call.request.socket_keepalive(id, t, size)))
}

/// `sock_reused(id) -> count`: how many times the connection was taken from the keepalive
/// pool before (0 for a new one), or -1.
pub(super) fn reused(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let id = usize::try_from(a.i32(0)).ok();
    Ok(match id.and_then(|id| call.request.socket_reused(id)) {
        Some(n) => i32::try_from(n).unwrap_or(i32::MAX),
        None => status::NOT_FOUND,
    })
}
