//! `wasm_max_pending_timers <n>;` and `wasm_max_running_timers <n>;` (http): how many timers
//! a worker keeps waiting and runs at once, as OpenResty's `lua_max_pending_timers` and
//! `lua_max_running_timers`.

use std::ffi::{c_char, c_void};

use ngx::ffi::{ngx_command_t, ngx_conf_t, NGX_LOG_EMERG};
use ngx::ngx_conf_log_error;

use super::limits::{arg, set_once, text};
use super::{str_bytes, MainConf};
use crate::conf_error;

/// The default of `wasm_max_pending_timers` (OpenResty's default).
pub const DEFAULT_MAX_PENDING: u32 = 1024;
/// The default of `wasm_max_running_timers` (OpenResty's default).
pub const DEFAULT_MAX_RUNNING: u32 = 256;
/// The largest value either directive accepts.
const LIMIT: u32 = 1_000_000;

/// Reads the directive's one argument as a count from 1 to [`LIMIT`].
///
/// # Safety
/// `cf` is the context of a TAKE1 directive being read.
unsafe fn count(cf: *mut ngx_conf_t, name: &str) -> Result<u32, *mut c_char> {
    // SAFETY: the caller's contract.
    let v = unsafe { arg(cf) };
    std::str::from_utf8(str_bytes(&v))
        .ok()
        .and_then(|t| t.parse::<u32>().ok())
        .filter(|n| (1..=LIMIT).contains(n))
        .ok_or_else(|| {
            ngx_conf_log_error!(
                NGX_LOG_EMERG,
                cf,
                "invalid {name} \"{}\": expected a number of timers from 1 to {LIMIT}",
                text(&v)
            );
            conf_error()
        })
}

/// `wasm_max_pending_timers <n>;`: past `n` timers waiting to run, `timer_at` and
/// `timer_every` fail with -14 (OpenResty's "too many pending timers").
pub extern "C" fn set_wasm_max_pending_timers(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's main configuration (NGX_HTTP_MAIN_CONF_OFFSET).
    let mcf = unsafe { &mut *conf.cast::<MainConf>() };
    // SAFETY: called by nginx for a TAKE1 directive.
    match unsafe { count(cf, "wasm_max_pending_timers") } {
        Ok(n) => set_once(&mut mcf.max_pending_timers, n),
        Err(e) => e,
    }
}

/// `wasm_max_running_timers <n>;`: a timer that comes due while `n` timer runs are in
/// progress is not run, and an error is logged (OpenResty's "lua_max_running_timers are
/// not enough").
pub extern "C" fn set_wasm_max_running_timers(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's main configuration (NGX_HTTP_MAIN_CONF_OFFSET).
    let mcf = unsafe { &mut *conf.cast::<MainConf>() };
    // SAFETY: called by nginx for a TAKE1 directive.
    match unsafe { count(cf, "wasm_max_running_timers") } {
        Ok(n) => set_once(&mut mcf.max_running_timers, n),
        Err(e) => e,
    }
}
