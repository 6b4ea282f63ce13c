//! Clocks: `clock_time_get`, `clock_res_get`.
//!
//! The real-time clock is the system's (`CLOCK_REALTIME`), not nginx's cached time that
//! `ngx.now` gives: a guest's standard library measures with it. The monotonic clock counts
//! from the first time a guest of this process read it. CPU-time clocks are not provided
//! (`ENOTSUP`): a call's CPU time is nginx's business (`wasm_timeout`).

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::super::{Args, HostCall};
use super::{put_u64, Answer, Errno};

/// A WASI clock id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Clock {
    Realtime,
    Monotonic,
}

impl Clock {
    /// The clock `id` names: `EINVAL` for an unknown id, `ENOTSUP` for the CPU-time clocks.
    pub(super) fn of(id: u32) -> Result<Clock, Errno> {
        match id {
            0 => Ok(Clock::Realtime),
            1 => Ok(Clock::Monotonic),
            2 | 3 => Err(Errno::NOTSUP),
            _ => Err(Errno::INVAL),
        }
    }

    /// The clock's time, in nanoseconds.
    pub(super) fn now_ns(self) -> u64 {
        match self {
            Clock::Realtime => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
            Clock::Monotonic => {
                static START: OnceLock<Instant> = OnceLock::new();
                let start = *START.get_or_init(Instant::now);
                // Starts at 1 s, not 0: some runtimes take a zero time for "unset".
                let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
                ns.saturating_add(1_000_000_000)
            }
        }
    }
}

/// `clock_time_get(id, precision, time_out)`: the clock's time in nanoseconds.
pub(super) fn time_get(call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    let clock = Clock::of(a.i32(0) as u32)?;
    put_u64(&mut call.memory, a.i32(2), clock.now_ns())
}

/// `clock_res_get(id, resolution_out)`: 1 ns for both clocks (what the system reports on
/// Linux for both).
pub(super) fn res_get(call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    Clock::of(a.i32(0) as u32)?;
    put_u64(&mut call.memory, a.i32(1), 1)
}
