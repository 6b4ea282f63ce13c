//! The functions this host does not provide yet: registered so that every filter links,
//! they trap with their name when called, which fails the callback (a 500, the name in the
//! log) instead of a link error that would refuse the whole module. `docs/proxy-wasm.md`
//! lists them.

use crate::abi::{Args, HostCall};
use crate::error::HostTrap;

/// Traps: "not implemented by this host".
pub(super) fn trap(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Err(HostTrap::new(
        call.memory.function(),
        "not implemented by this host yet (docs/proxy-wasm.md)",
    ))
}
