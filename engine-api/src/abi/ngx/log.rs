//! Logging: `ngx.log`.

use super::{status, Args, HostCall};
use crate::error::HostTrap;
use crate::limits::{LogVerdict, MAX_LOG_BYTES, MAX_LOG_LINES};
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
    match call.request.log_budget(msg.len()) {
        LogVerdict::Write => {
            call.request.log(level, msg);
            Ok(status::OK)
        }
        LogVerdict::DropFirst => {
            let note = format!(
                "log limit reached: this request's guests logged {MAX_LOG_LINES} lines or {} \
                 KiB; further lines are dropped",
                MAX_LOG_BYTES / 1024
            );
            call.request.log(LogLevel::Warn, note.as_bytes());
            Ok(status::NOT_ALLOWED)
        }
        LogVerdict::Drop => Ok(status::NOT_ALLOWED),
    }
}
