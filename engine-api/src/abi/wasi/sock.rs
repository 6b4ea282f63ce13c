//! Sockets: a guest has no socket of its own (the `ngx` ABI's cosockets go through nginx).

use super::super::{Args, HostCall};
use super::{Answer, Errno, Stdio};

/// `sock_accept`, `sock_recv`, `sock_send`, `sock_shutdown`: `ENOTSOCK` for stdio, `EBADF`
/// for any other descriptor.
pub(super) fn no_socket(_call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    Stdio::get(a.i32(0))?;
    Err(Errno::NOTSOCK)
}
