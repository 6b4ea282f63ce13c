//! Logging, the log level and the current time.

use std::time::{SystemTime, UNIX_EPOCH};

use abi_consts::LogLevel;

use super::{status, write_u32};
use crate::abi::{log_line, Args, HostCall};
use crate::error::HostTrap;

/// The nginx level of a Proxy-Wasm level (trace 0, debug 1, info 2, warn 3, error 4,
/// critical 5); trace is nginx's debug, as nginx has nothing finer.
pub(crate) fn nginx_level(level: i32) -> Option<LogLevel> {
    Some(match level {
        0 | 1 => LogLevel::Debug,
        2 => LogLevel::Info,
        3 => LogLevel::Warn,
        4 => LogLevel::Err,
        5 => LogLevel::Crit,
        _ => return None,
    })
}

/// The Proxy-Wasm level of an nginx level: the least severe Proxy-Wasm level it writes.
fn proxy_level(level: LogLevel) -> u32 {
    match level {
        LogLevel::Debug => 1,
        LogLevel::Info | LogLevel::Notice => 2,
        LogLevel::Warn => 3,
        LogLevel::Err => 4,
        _ => 5,
    }
}

/// `proxy_log(level, msg_ptr, msg_len) -> status`: one error-log line at the nginx level
/// of `level`, within the request's log budget (a line past it is dropped, still `Ok`).
pub(super) fn log(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let msg = call.memory.read(a.i32(1), a.i32(2))?;
    let Some(level) = nginx_level(a.i32(0)) else {
        return Ok(status::BAD_ARGUMENT);
    };
    log_line(call.request, level, msg);
    Ok(status::OK)
}

/// `proxy_get_log_level(level_out) -> status`: the least severe level the error log writes
/// here, so that an SDK can skip formatting what nginx would drop.
pub(super) fn get_level(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let level = proxy_level(call.request.log_threshold());
    write_u32(&mut call.memory, a.i32(0), level)?;
    Ok(status::OK)
}

/// `proxy_get_current_time_nanoseconds(time_out) -> status`: the real-time clock, in
/// nanoseconds since the epoch (a `u64`).
pub(super) fn current_time(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    call.memory.write(a.i32(0), &ns.to_le_bytes())?;
    Ok(status::OK)
}
