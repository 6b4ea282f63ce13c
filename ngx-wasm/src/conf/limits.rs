//! The budget, limit and isolation directives: `wasm_timeout`, `wasm_fuel`,
//! `wasm_budget_status`, `wasm_max_memory`, `wasm_max_output`, `wasm_isolation` (http,
//! server, location, inherited) and `wasm_trap_log_interval` (http).
//!
//! Values are checked here, so `nginx -t` rejects a bad one at its `file:line`. Each
//! directive that switches a budget on also records it in the main conf (`EngineOptions`),
//! since the engine compiles the checks into the code.

use std::ffi::{c_char, c_void};
use std::time::Duration;

use engine_api::{Budget, InstanceLimits, Isolation};
use ngx::ffi::{
    ngx_command_t, ngx_conf_t, ngx_http_request_t, ngx_parse_offset, ngx_parse_time, ngx_str_t,
    NGX_LOG_EMERG,
};
use ngx::http::{HttpModuleLocationConf, HttpModuleMainConf};
use ngx::ngx_conf_log_error;

use super::{str_bytes, LocConf, MainConf};
use crate::{conf_error, HttpWasmModule};

/// `wasm_max_memory` where no directive sets it: 256 MiB of linear memory (and tables) per
/// instance, far above what a Rust, C or Zig guest uses (a few MiB), so that a `memory.grow`
/// bomb cannot take a worker to 4 GiB; `wasm_max_memory off` removes it.
pub const DEFAULT_MAX_MEMORY: u64 = 256 << 20;

/// `wasm_max_output` where no directive sets it: 64 MiB of response body per guest call,
/// far above an API answer or a page, so that a guest printing in a loop cannot take a
/// worker's memory; `wasm_max_output off` removes it (a large download).
pub const DEFAULT_MAX_OUTPUT: u64 = 64 << 20;

/// `wasm_timeout` where no directive sets it: 5 s of guest running time per call (waits do
/// not count), so that a looping guest never hangs a worker for ever; far above what a
/// handler computes. `wasm_timeout off` removes it.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The status answered when a budget runs out, unless `wasm_budget_status` says otherwise.
pub const DEFAULT_BUDGET_STATUS: u16 = 500;

/// The default `wasm_trap_log_interval`.
pub const DEFAULT_TRAP_LOG_INTERVAL_MS: u64 = 10_000;

/// What a handler runs under, after inheritance and defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// `wasm_timeout` and `wasm_fuel`.
    pub budget: Budget,
    /// `wasm_budget_status`.
    pub budget_status: u16,
    /// `wasm_max_memory`.
    pub instance: InstanceLimits,
    /// `wasm_max_output`: the most body bytes a call may write (`None`: no limit).
    pub max_output: Option<u64>,
    /// `wasm_isolation`.
    pub isolation: Isolation,
}

impl Limits {
    /// The budgets and limits of `r`'s location (the server's, before a location is chosen).
    pub fn of_request(r: &ngx_http_request_t) -> &'static Limits {
        static DEFAULT: Limits = Limits::DEFAULT;
        HttpWasmModule::location_conf(r).map_or(&DEFAULT, |l| l.limits.get())
    }
}

impl Limits {
    /// The default timeout, no fuel budget, the default memory and output caps, worker
    /// isolation: what a block without these directives has.
    pub const DEFAULT: Limits = Limits {
        budget: Budget {
            timeout: Some(DEFAULT_TIMEOUT),
            fuel: None,
        },
        budget_status: DEFAULT_BUDGET_STATUS,
        instance: InstanceLimits {
            max_memory: Some(DEFAULT_MAX_MEMORY),
        },
        max_output: Some(DEFAULT_MAX_OUTPUT),
        isolation: Isolation::Worker,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// The directives as written in one block: `None` where the block does not set them (then
/// the enclosing block's value is inherited). `Some(None)` is an explicit `off`.
#[derive(Debug, Clone, Copy, Default)]
pub struct LimitsConf {
    timeout: Option<Option<Duration>>,
    fuel: Option<Option<u64>>,
    budget_status: Option<u16>,
    max_memory: Option<Option<u64>>,
    max_output: Option<Option<u64>>,
    isolation: Option<Isolation>,
    /// The resolved values, computed by [`LimitsConf::merge`].
    resolved: Limits,
}

impl LimitsConf {
    /// nginx's usual merge: a value set in this block wins, otherwise the parent's.
    pub fn merge(&mut self, prev: &LimitsConf) {
        self.timeout = self.timeout.or(prev.timeout);
        self.fuel = self.fuel.or(prev.fuel);
        self.budget_status = self.budget_status.or(prev.budget_status);
        self.max_memory = self.max_memory.or(prev.max_memory);
        self.max_output = self.max_output.or(prev.max_output);
        self.isolation = self.isolation.or(prev.isolation);
        self.resolve();
    }

    fn resolve(&mut self) {
        self.resolved = Limits {
            budget: Budget {
                // Unset: the default timeout; `off` (Some(None)): none.
                timeout: self.timeout.unwrap_or(Some(DEFAULT_TIMEOUT)),
                fuel: self.fuel.flatten(),
            },
            budget_status: self.budget_status.unwrap_or(DEFAULT_BUDGET_STATUS),
            instance: InstanceLimits {
                // Unset: the default cap; `off` (Some(None)): none.
                max_memory: self.max_memory.unwrap_or(Some(DEFAULT_MAX_MEMORY)),
            },
            max_output: self.max_output.unwrap_or(Some(DEFAULT_MAX_OUTPUT)),
            isolation: self.isolation.unwrap_or_default(),
        };
    }

    /// The values in force (defaults where nothing was set).
    pub fn get(&self) -> &Limits {
        &self.resolved
    }

    /// The values of a block nothing was merged into (the `http` level itself).
    pub fn resolved_here(&self) -> Limits {
        let mut c = *self;
        c.resolve();
        c.resolved
    }
}

/// The directive's single argument.
///
/// # Safety
/// `cf` must be nginx's configuration context for a directive taking one argument.
pub(super) unsafe fn arg(cf: *mut ngx_conf_t) -> ngx_str_t {
    // SAFETY: nginx checked the argument count (TAKE1): args holds the name and one value.
    let args: &[ngx_str_t] = unsafe { (*(*cf).args).as_slice() };
    args[1]
}

pub(super) fn text(v: &ngx_str_t) -> String {
    String::from_utf8_lossy(str_bytes(v)).into_owned()
}

/// `off`, `0` or a time in nginx's syntax (`50ms`, `2s`, `1m 30s`), as milliseconds.
fn parse_time(v: &ngx_str_t) -> Option<Option<Duration>> {
    if str_bytes(v) == b"off" {
        return Some(None);
    }
    let mut copy = *v;
    // SAFETY: `copy` is a valid nginx string for the call's duration; ngx_parse_time only
    // reads it.
    let ms = unsafe { ngx_parse_time(&mut copy, 0) };
    match u64::try_from(ms) {
        Ok(0) => Some(None),
        Ok(ms) => Some(Some(Duration::from_millis(ms))),
        Err(_) => None,
    }
}

/// `off`, or a size in nginx's syntax (`64k`, `2m`) within `range`.
fn parse_size(v: &ngx_str_t, range: std::ops::RangeInclusive<u64>) -> Option<Option<u64>> {
    if str_bytes(v) == b"off" {
        return Some(None);
    }
    let mut copy = *v;
    // SAFETY: `copy` is a valid nginx string for the call's duration; it is only read.
    let n = unsafe { ngx_parse_offset(&mut copy) };
    u64::try_from(n)
        .ok()
        .filter(|n| range.contains(n))
        .map(Some)
}

/// `wasm_timeout <time>|off;`: the wall-clock budget of each guest call.
pub extern "C" fn set_wasm_timeout(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's location configuration (NGX_HTTP_LOC_CONF_OFFSET).
    let lcf = unsafe { &mut *conf.cast::<LocConf>() };
    if lcf.limits.timeout.is_some() {
        return c"is duplicate".as_ptr().cast_mut();
    }
    // SAFETY: called by nginx for a TAKE1 directive.
    let v = unsafe { arg(cf) };
    let Some(timeout) = parse_time(&v) else {
        ngx_conf_log_error!(
            NGX_LOG_EMERG,
            cf,
            "invalid wasm_timeout \"{}\": expected a time such as 50ms or 2s, or off",
            text(&v)
        );
        return conf_error();
    };
    if timeout.is_some() {
        // SAFETY: cf is a valid configuration context.
        match HttpWasmModule::main_conf_mut(unsafe { &*cf }) {
            Some(mcf) => mcf.options.timeouts = true,
            None => return conf_error(),
        }
    }
    lcf.limits.timeout = Some(timeout);
    std::ptr::null_mut()
}

/// `wasm_fuel <n>|off;`: the instruction budget of each guest call; `0` is `off`, as with
/// `wasm_timeout`.
pub extern "C" fn set_wasm_fuel(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's location configuration (NGX_HTTP_LOC_CONF_OFFSET).
    let lcf = unsafe { &mut *conf.cast::<LocConf>() };
    if lcf.limits.fuel.is_some() {
        return c"is duplicate".as_ptr().cast_mut();
    }
    // SAFETY: called by nginx for a TAKE1 directive.
    let v = unsafe { arg(cf) };
    let bytes = str_bytes(&v);
    let fuel = if bytes == b"off" {
        Some(None)
    } else if !bytes.is_empty() && bytes.iter().all(u8::is_ascii_digit) {
        std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .map(|n| (n > 0).then_some(n))
    } else {
        None
    };
    let Some(fuel) = fuel else {
        ngx_conf_log_error!(
            NGX_LOG_EMERG,
            cf,
            "invalid wasm_fuel \"{}\": expected a number of instructions (1 to {}), or off (0 is off too)",
            text(&v),
            u64::MAX
        );
        return conf_error();
    };
    if fuel.is_some() {
        // SAFETY: cf is a valid configuration context.
        match HttpWasmModule::main_conf_mut(unsafe { &*cf }) {
            Some(mcf) => mcf.options.fuel = true,
            None => return conf_error(),
        }
    }
    lcf.limits.fuel = Some(fuel);
    std::ptr::null_mut()
}

/// `wasm_budget_status <code>;`: the status answered when a budget runs out (400-599).
pub extern "C" fn set_wasm_budget_status(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's location configuration (NGX_HTTP_LOC_CONF_OFFSET).
    let lcf = unsafe { &mut *conf.cast::<LocConf>() };
    if lcf.limits.budget_status.is_some() {
        return c"is duplicate".as_ptr().cast_mut();
    }
    // SAFETY: called by nginx for a TAKE1 directive.
    let v = unsafe { arg(cf) };
    let status = std::str::from_utf8(str_bytes(&v))
        .ok()
        .filter(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|s| (400..=599).contains(s));
    let Some(status) = status else {
        ngx_conf_log_error!(
            NGX_LOG_EMERG,
            cf,
            "invalid wasm_budget_status \"{}\": expected an error status from 400 to 599",
            text(&v)
        );
        return conf_error();
    };
    lcf.limits.budget_status = Some(status);
    std::ptr::null_mut()
}

/// The smallest `wasm_max_memory`: one WebAssembly page.
const MIN_MAX_MEMORY: u64 = 64 * 1024;
/// The largest: a 32-bit memory's 4 GiB.
const MAX_MAX_MEMORY: u64 = 4 << 30;

/// `wasm_max_memory <size>|off;`: the most linear memory (and tables) one instance may have.
pub extern "C" fn set_wasm_max_memory(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's location configuration (NGX_HTTP_LOC_CONF_OFFSET).
    let lcf = unsafe { &mut *conf.cast::<LocConf>() };
    if lcf.limits.max_memory.is_some() {
        return c"is duplicate".as_ptr().cast_mut();
    }
    // SAFETY: called by nginx for a TAKE1 directive.
    let v = unsafe { arg(cf) };
    let Some(size) = parse_size(&v, MIN_MAX_MEMORY..=MAX_MAX_MEMORY) else {
        ngx_conf_log_error!(
            NGX_LOG_EMERG,
            cf,
            "invalid wasm_max_memory \"{}\": expected a size from 64k to 4g, or off",
            text(&v)
        );
        return conf_error();
    };
    lcf.limits.max_memory = Some(size);
    std::ptr::null_mut()
}

/// `wasm_max_output <size>|off;`: the most response body one guest call may write.
pub extern "C" fn set_wasm_max_output(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's location configuration (NGX_HTTP_LOC_CONF_OFFSET).
    let lcf = unsafe { &mut *conf.cast::<LocConf>() };
    if lcf.limits.max_output.is_some() {
        return c"is duplicate".as_ptr().cast_mut();
    }
    // SAFETY: called by nginx for a TAKE1 directive.
    let v = unsafe { arg(cf) };
    let Some(size) = parse_size(&v, 1..=u64::MAX) else {
        ngx_conf_log_error!(
            NGX_LOG_EMERG,
            cf,
            "invalid wasm_max_output \"{}\": expected a size such as 512k or 64m, or off",
            text(&v)
        );
        return conf_error();
    };
    lcf.limits.max_output = Some(size);
    std::ptr::null_mut()
}

/// `wasm_isolation worker|request;`: one instance per worker, or a fresh one per request.
pub extern "C" fn set_wasm_isolation(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's location configuration (NGX_HTTP_LOC_CONF_OFFSET).
    let lcf = unsafe { &mut *conf.cast::<LocConf>() };
    if lcf.limits.isolation.is_some() {
        return c"is duplicate".as_ptr().cast_mut();
    }
    // SAFETY: called by nginx for a TAKE1 directive.
    let v = unsafe { arg(cf) };
    let isolation = match str_bytes(&v) {
        b"worker" => Isolation::Worker,
        b"request" => {
            // SAFETY: cf is a valid configuration context.
            match HttpWasmModule::main_conf_mut(unsafe { &*cf }) {
                Some(mcf) => mcf.request_isolation = true,
                None => return conf_error(),
            }
            Isolation::Request
        }
        _ => {
            ngx_conf_log_error!(
                NGX_LOG_EMERG,
                cf,
                "invalid wasm_isolation \"{}\": expected worker or request",
                text(&v)
            );
            return conf_error();
        }
    };
    lcf.limits.isolation = Some(isolation);
    std::ptr::null_mut()
}

/// `wasm_socket_connect_timeout`, `wasm_socket_send_timeout`, `wasm_socket_read_timeout
/// <time>;` (http, server, location): the default timeout of each socket operation (a guest
/// may pass its own per call). The command's `offset` says which: 0, 1, 2.
pub extern "C" fn set_wasm_socket_timeout(
    cf: *mut ngx_conf_t,
    cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's location configuration and the command.
    let (lcf, which) = unsafe { (&mut *conf.cast::<LocConf>(), (*cmd).offset) };
    let name = [
        "wasm_socket_connect_timeout",
        "wasm_socket_send_timeout",
        "wasm_socket_read_timeout",
    ]
    .get(which)
    .copied()
    .unwrap_or("wasm_socket_*_timeout");
    // SAFETY: called by nginx for a TAKE1 directive.
    let ms = match unsafe { positive_ms(cf, name, "5s", u64::from(u32::MAX)) } {
        Ok(ms) => ms as u32,
        Err(e) => return e,
    };
    match lcf.socket_timeouts.get_mut(which) {
        Some(slot) => set_once(slot, ms),
        None => conf_error(),
    }
}

/// The argument of a directive that takes a time greater than 0 (at most `max` ms), in
/// milliseconds; otherwise an `[emerg]` naming the directive, with `example` as a hint.
///
/// # Safety
/// `cf` must be nginx's configuration context for a directive with one argument.
unsafe fn positive_ms(
    cf: *mut ngx_conf_t,
    name: &str,
    example: &str,
    max: u64,
) -> Result<u64, *mut c_char> {
    // SAFETY: the caller's contract.
    let v = unsafe { arg(cf) };
    let ms = match parse_time(&v) {
        Some(Some(d)) if str_bytes(&v) != b"off" => u64::try_from(d.as_millis()).ok(),
        _ => None,
    };
    match ms.filter(|ms| *ms <= max) {
        Some(ms) => Ok(ms),
        None => {
            ngx_conf_log_error!(
                NGX_LOG_EMERG,
                cf,
                "invalid {name} \"{}\": expected a time greater than 0, such as {example}",
                text(&v)
            );
            Err(conf_error())
        }
    }
}

/// Stores `value` in `slot` unless a directive set it already (nginx's "is duplicate").
pub(super) fn set_once<T>(slot: &mut Option<T>, value: T) -> *mut c_char {
    if slot.is_some() {
        return c"is duplicate".as_ptr().cast_mut();
    }
    *slot = Some(value);
    std::ptr::null_mut()
}

/// `wasm_max_instances <n>;` (http): the most calls of one module a worker runs at once
/// (each holds an instance: a call that waits keeps its own). Past it a request waits for
/// one to end, up to `wasm_instance_queue_timeout`, then gets 503.
pub extern "C" fn set_wasm_max_instances(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's main configuration (NGX_HTTP_MAIN_CONF_OFFSET).
    let mcf = unsafe { &mut *conf.cast::<MainConf>() };
    // SAFETY: called by nginx for a TAKE1 directive.
    let v = unsafe { arg(cf) };
    let n = std::str::from_utf8(str_bytes(&v))
        .ok()
        .and_then(|t| t.parse::<usize>().ok())
        .filter(|n| (1..=MAX_INSTANCES_LIMIT).contains(n));
    let Some(n) = n else {
        ngx_conf_log_error!(
            NGX_LOG_EMERG,
            cf,
            "invalid wasm_max_instances \"{}\": expected a number of instances from 1 to {MAX_INSTANCES_LIMIT}",
            text(&v)
        );
        return conf_error();
    };
    if mcf.max_instances_set {
        return c"is duplicate".as_ptr().cast_mut();
    }
    mcf.max_instances_set = true;
    mcf.registry.set_max_instances(n);
    std::ptr::null_mut()
}

/// The largest `wasm_max_instances` accepted.
const MAX_INSTANCES_LIMIT: usize = 100_000;

/// `wasm_instance_queue_timeout <time>;` (http): how long a request waits for an instance
/// when `wasm_max_instances` calls of its module are in progress, before it gets 503.
pub extern "C" fn set_wasm_instance_queue_timeout(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's main configuration (NGX_HTTP_MAIN_CONF_OFFSET).
    let mcf = unsafe { &mut *conf.cast::<MainConf>() };
    // SAFETY: called by nginx for a TAKE1 directive.
    match unsafe { positive_ms(cf, "wasm_instance_queue_timeout", "3s", u64::MAX) } {
        Ok(ms) => set_once(&mut mcf.instance_queue_timeout, ms),
        Err(e) => e,
    }
}

/// `wasm_trap_log_interval <time>;` (http): how long failures of one module are counted
/// rather than logged one by one, after the first is logged in full.
pub extern "C" fn set_wasm_trap_log_interval(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's main configuration (NGX_HTTP_MAIN_CONF_OFFSET).
    let mcf = unsafe { &mut *conf.cast::<MainConf>() };
    // SAFETY: called by nginx for a TAKE1 directive.
    match unsafe { positive_ms(cf, "wasm_trap_log_interval", "10s", u64::MAX) } {
        Ok(ms) => set_once(&mut mcf.trap_log_interval, ms),
        Err(e) => e,
    }
}
