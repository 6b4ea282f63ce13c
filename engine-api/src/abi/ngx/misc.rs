//! Time and phase: `ngx.now`, `ngx.get_phase`.

use super::{Args, HostCall};
use crate::error::HostTrap;

/// `now(out_ptr) -> status`: writes nginx's cached current time, in milliseconds since the
/// epoch, as a little-endian `u64` (8 bytes) at `out_ptr`.
pub(super) fn now(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let ms = call.request.wall_clock_ms();
    call.memory.write(a.i32(0), &ms.to_le_bytes())?;
    Ok(super::status::OK)
}

/// `get_phase(out_ptr, out_cap) -> len`: the current phase name (`rewrite`, `content`...).
pub(super) fn get_phase(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let name = call.request.phase().name();
    call.memory.write_out(a.i32(0), a.i32(1), name.as_bytes())
}
