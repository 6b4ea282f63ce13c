//! The process: `proc_exit`, `proc_raise`, `sched_yield`.

use super::super::{Args, HostCall};
use super::{Answer, Errno};
use crate::error::HostTrap;
use crate::value::Val;

/// `proc_exit(code)`: the guest asks its process to end. An export that exits has not
/// finished its work, and its instance's state is whatever the exit left, so the call ends
/// as a failure whatever the code (500 in a request, logged with the code), and the
/// instance is dropped like any failed one.
pub(super) fn exit(_call: &mut HostCall<'_>, a: Args<'_>) -> Result<Option<Val>, HostTrap> {
    Err(HostTrap::new(
        "wasi_snapshot_preview1.proc_exit",
        format!(
            "the guest exited with code {} (a call that exits fails, whatever the code)",
            a.i32(0)
        ),
    ))
}

/// `proc_raise(signal)`: signals are not delivered to guests (`ENOTSUP`).
pub(super) fn raise(_call: &mut HostCall<'_>, _a: Args<'_>) -> Answer {
    Err(Errno::NOTSUP)
}

/// `sched_yield()`: a guest has one thread, so there is nothing to yield to (nginx's event
/// loop runs only when the call returns or waits).
pub(super) fn sched_yield(_call: &mut HostCall<'_>, _a: Args<'_>) -> Answer {
    Ok(())
}
