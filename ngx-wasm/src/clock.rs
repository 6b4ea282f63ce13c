//! nginx's two cached clocks, read once per event loop turn by nginx itself. Everything in
//! this module that needs the time reads one of these two, by what it is for.

/// nginx's monotonic clock in milliseconds (`ngx_current_msec`): for intervals (log windows,
/// backoff), never affected by the system clock being set.
pub fn monotonic_ms() -> u64 {
    // SAFETY: nginx's time cache; workers are single-threaded and only nginx writes it.
    unsafe { ngx::ffi::ngx_current_msec as u64 }
}

/// The wall-clock time in milliseconds since the epoch (`ngx_cached_time`), as `ngx.now()`
/// reports it to guests.
pub fn wall_clock_ms() -> u64 {
    // SAFETY: ngx_cached_time always points at a valid slot, updated by nginx's timer code in
    // this (single) thread.
    let t = unsafe { &*ngx::ffi::ngx_cached_time };
    t.sec as u64 * 1000 + t.msec as u64
}
