//! Logging: `ngx.log`.

use super::{status, Args, HostCall};
use crate::error::HostTrap;
use abi_consts::LogLevel;

/// `log(level, msg_ptr, msg_len) -> status`: writes a message to the nginx error log.
/// `level` is an nginx level number (`NGX_LOG_ERR` = 4 ... `NGX_LOG_DEBUG` = 8).
pub(super) fn log(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let msg = call.memory.read(a.i32(1), a.i32(2))?;
    let Some(level) = LogLevel::from_abi(a.i32(0)) else {
        return Ok(status::BAD_ARGUMENT);
    };
    call.request.log(level, msg);
    Ok(status::OK)
}
