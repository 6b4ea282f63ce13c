//! `random_get`: bytes from the operating system's CSPRNG (`getrandom(2)` on Linux).

use super::super::{Args, HostCall};
use super::{Answer, Errno};

/// `random_get(buf, buf_len)`: fills the buffer with cryptographically secure random bytes
/// (`EIO` if the system call fails, which Linux does not do once booted).
pub(super) fn get(call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    let out = call.memory.slice_mut(a.i32(0), a.i32(1))?;
    getrandom::getrandom(out).map_err(|_| Errno::IO)
}
