//! Logging: `ngx.log`.

use super::{status, Args, HostCall};
use crate::abi::log_line;
use crate::error::HostTrap;
use abi_consts::LogLevel;

/// `log(level, msg_ptr, msg_len) -> status`: writes a message to the nginx error log.
/// `level` is an nginx level number (`NGX_LOG_ERR` = 4 ... `NGX_LOG_DEBUG` = 8). Past the
/// request's log budget (1,000 lines or 1 MiB) lines are dropped and -3 is returned, after
/// one warning that says so.
pub(super) fn log(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let msg = call.memory.read(a.i32(1), a.i32(2))?;
    let Some(level) = LogLevel::from_abi(a.i32(0)) else {
        return Ok(status::BAD_ARGUMENT);
    };
    Ok(if log_line(call.request, level, msg) {
        status::OK
    } else {
        status::NOT_ALLOWED
    })
}
