//! `sleep`: the call waits on an nginx timer while the worker serves other requests
//! (`ngx.sleep`).

use super::{status, Args, HostCall};
use crate::abi::Flow;
use crate::error::HostTrap;
use crate::value::Val;
use crate::wait::Wait;

/// `sleep(ms) -> status`: suspends the call for `ms` milliseconds; 0 waits for the next turn
/// of nginx's event loop (other requests and events run meanwhile). A negative `ms` is
/// refused (-2) at once.
pub(super) fn start(_call: &mut HostCall<'_>, a: Args<'_>) -> Result<Flow, HostTrap> {
    match u32::try_from(a.i32(0)) {
        Ok(delay_ms) => Ok(Flow::Wait(Wait::Yield { delay_ms })),
        Err(_) => Ok(Flow::Return(Some(Val::I32(status::BAD_ARGUMENT)))),
    }
}

/// Completes `sleep` once the timer fired.
pub(super) fn finish(_call: &mut HostCall<'_>, _a: Args<'_>) -> Result<Option<Val>, HostTrap> {
    Ok(Some(Val::I32(status::OK)))
}
