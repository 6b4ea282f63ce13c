//! Timers (`ngx.timer.at`, `ngx.timer.every`): a guest export that runs later, outside any
//! request, in the `timer` phase.

use super::{status, status_of, Args, HostCall};
use crate::error::HostTrap;
use crate::request::TimerSpec;

/// `timer_at` and `timer_every`: reads and checks the arguments, then asks the host.
fn add(call: &mut HostCall<'_>, a: Args<'_>, every: bool) -> Result<i32, HostTrap> {
    let export = call.memory.read(a.i32(1), a.i32(2))?;
    let arg = call.memory.read(a.i32(3), a.i32(4))?;
    let Ok(delay_ms) = u32::try_from(a.i32(0)) else {
        return Ok(status::BAD_ARGUMENT);
    };
    if export.is_empty() || arg.len() > TimerSpec::MAX_ARG || (every && delay_ms == 0) {
        return Ok(status::BAD_ARGUMENT);
    }
    let spec = TimerSpec {
        delay_ms,
        every,
        export,
        arg,
    };
    Ok(status_of(call.request.timer_add(spec)))
}

/// `timer_at(delay_ms, export_ptr, export_len, arg_ptr, arg_len) -> status`: runs the
/// calling module's export `export` (of type `() -> ()`) once, `delay_ms` milliseconds from
/// now (0: at the next turn of the event loop), outside any request; the run reads `arg`
/// with `timer_arg`. -2 for a negative delay, an empty or unknown export, or an argument
/// over 64 KiB; -14 past `wasm_max_pending_timers`; -3 once the worker is exiting.
pub(super) fn at(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    add(call, a, false)
}

/// `timer_every(interval_ms, export_ptr, export_len, arg_ptr, arg_len) -> status`: as
/// `timer_at`, and again every `interval_ms` (which must be > 0) until the worker exits.
pub(super) fn every(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    add(call, a, true)
}

/// `timer_arg(out_ptr, out_cap) -> len`: the argument of the timer this run is for.
pub(super) fn arg(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let arg = call.request.timer_arg().unwrap_or_default();
    call.memory.write_out(a.i32(0), a.i32(1), arg)
}

/// `timer_pending_count() -> i32`: timers of this worker waiting to run
/// (`ngx.timer.pending_count`).
pub(super) fn pending_count(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(i32::try_from(call.request.timer_counts().pending).unwrap_or(i32::MAX))
}

/// `timer_running_count() -> i32`: timer runs of this worker in progress, waiting ones
/// included (`ngx.timer.running_count`).
pub(super) fn running_count(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(i32::try_from(call.request.timer_counts().running).unwrap_or(i32::MAX))
}
