//! Time, phase and process: `ngx.now`, `ngx.get_phase`, `ngx.worker.*`.

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

/// `worker_id() -> i32`: this worker's number, 0 to `worker_count() - 1` (`ngx.worker.id`;
/// 0 with `master_process off`).
pub(super) fn worker_id(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(i32::try_from(call.request.worker().id).unwrap_or(i32::MAX))
}

/// `worker_count() -> i32`: `worker_processes` (`ngx.worker.count`).
pub(super) fn worker_count(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(i32::try_from(call.request.worker().count).unwrap_or(i32::MAX))
}

/// `worker_pid() -> i32`: this process's id (`ngx.worker.pid`).
pub(super) fn worker_pid(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(i32::try_from(call.request.worker().pid).unwrap_or(i32::MAX))
}

/// `worker_exiting() -> i32`: 1 while the worker shuts down (graceful shutdown, or the old
/// workers of a reload), else 0 (`ngx.worker.exiting`).
pub(super) fn worker_exiting(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(i32::from(call.request.worker().exiting))
}
