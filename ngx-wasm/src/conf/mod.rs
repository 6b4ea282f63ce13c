//! Directive parsing and configuration merge, nothing else.
//!
//! Directives only record what they name (module path, export, file:line) and check their
//! own arguments. Modules are compiled and exports checked once the whole `http` block is
//! parsed (`postconfiguration`, wired in `lib.rs`), so an engine choice made anywhere in
//! `http` applies to every module, and every error still names the directive's file and
//! line. Budget, limit and isolation directives live in [`limits`].

pub mod limits;
pub mod shdict;
pub mod timer;
pub mod tls;

use std::ffi::{c_char, c_void, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use engine_api::EngineOptions;
use ngx::core::Status;
use ngx::ffi::{ngx_command_t, ngx_conf_full_name, ngx_conf_t, ngx_str_t, NGX_LOG_EMERG};
use ngx::http::{HttpModuleMainConf, Merge, MergeConfigError};
use ngx::ngx_conf_log_error;

use crate::registry::{Handler, Registry};
use crate::request::{bytes as str_bytes, VariableCache};
use crate::site::ConfSite;
use crate::supervise::Supervisors;
use crate::{conf_error, HttpWasmModule};

use engine_api::Phase;

/// `http`-level state: what the directives declared, and the per-cycle state built from it
/// (the compiled modules and their instances, their supervisors, the variable cache).
#[derive(Default)]
pub struct MainConf {
    /// Every module the configuration names, compiled once each (at postconfiguration).
    pub registry: Registry,
    /// Failure logging and backoff per module, made once the modules are loaded.
    pub supervisors: Option<Supervisors>,
    used: [bool; 9],
    /// `init_worker_by_wasm`
    pub init_worker: Option<Handler>,
    /// `wasm_rewrite_no_postpone on`: run rewrite handlers where nginx put them, not last.
    pub rewrite_no_postpone: Option<bool>,
    /// `wasm_access_no_postpone on`: the same for access handlers.
    pub access_no_postpone: Option<bool>,
    /// `wasm_engine`: the engine every module runs on (`None`: the default).
    pub engine_name: Option<String>,
    /// The budgets some directive switched on: compiled code must enforce them.
    pub options: EngineOptions,
    /// Some directive set `wasm_isolation request`.
    pub request_isolation: bool,
    /// `wasm_trap_log_interval`, if set.
    pub trap_log_interval: Option<u64>,
    /// `wasm_max_instances` was given (the value lives in the registry).
    pub max_instances_set: bool,
    /// `wasm_instance_queue_timeout` in milliseconds, if set.
    pub instance_queue_timeout: Option<u64>,
    /// The `http` level's own budgets and limits, for what runs outside a request (the
    /// instances a worker makes at start, init_worker); set at postconfiguration.
    pub default_limits: limits::Limits,
    /// Variable names guests asked for, resolved (`ngx.var`).
    pub variables: VariableCache,
    /// `wasm_shared_dict` zones.
    pub shared_dicts: crate::shdict::Zones,
    /// `wasm_max_pending_timers`, if set.
    pub max_pending_timers: Option<u32>,
    /// `wasm_max_running_timers`, if set.
    pub max_running_timers: Option<u32>,
    /// The `http` level's socket settings, for timers' sockets; set at postconfiguration.
    pub timer_sockets: Option<crate::request::socket::HttpLevel>,
}

/// The default of `wasm_instance_queue_timeout`, in milliseconds.
pub const DEFAULT_INSTANCE_QUEUE_TIMEOUT_MS: u64 = 3000;

impl MainConf {
    /// How long a request waits for an instance before it is answered 503, in milliseconds.
    pub fn instance_queue_timeout(&self) -> u64 {
        self.instance_queue_timeout
            .unwrap_or(DEFAULT_INSTANCE_QUEUE_TIMEOUT_MS)
    }

    /// `wasm_max_pending_timers` (default 1024).
    pub fn max_pending_timers(&self) -> u32 {
        self.max_pending_timers
            .unwrap_or(timer::DEFAULT_MAX_PENDING)
    }

    /// `wasm_max_running_timers` (default 256).
    pub fn max_running_timers(&self) -> u32 {
        self.max_running_timers
            .unwrap_or(timer::DEFAULT_MAX_RUNNING)
    }

    /// True when some directive configures a handler for `phase`.
    pub fn uses(&self, phase: Phase) -> bool {
        self.used[phase as usize]
    }
}

/// `server`-level configuration.
#[derive(Default)]
pub struct SrvConf {
    /// `server_rewrite_by_wasm`
    pub server_rewrite: Option<Handler>,
}

/// `location`-level configuration (also holds the http and server values before merge).
#[derive(Default)]
pub struct LocConf {
    /// `rewrite_by_wasm`
    pub rewrite: Option<Handler>,
    /// `access_by_wasm`
    pub access: Option<Handler>,
    /// `content_by_wasm`
    pub content: Option<Handler>,
    /// `header_filter_by_wasm`
    pub header_filter: Option<Handler>,
    /// `body_filter_by_wasm`
    pub body_filter: Option<Handler>,
    /// `log_by_wasm`
    pub log: Option<Handler>,
    /// `wasm_need_request_body on|off` (default off)
    pub need_request_body: Option<bool>,
    /// `wasm_socket_connect_timeout`, `wasm_socket_send_timeout`, `wasm_socket_read_timeout`
    /// in milliseconds, in that order (default 60 s each).
    pub socket_timeouts: [Option<u32>; 3],
    /// `wasm_socket_ssl_trusted_certificate`: the context made from the file.
    pub ssl_trusted_certificate: Option<*mut crate::request::tls::SslCtx>,
    /// `wasm_socket_ssl_verify_depth` (default 1)
    pub ssl_verify_depth: Option<u32>,
    /// `wasm_timeout`, `wasm_fuel`, `wasm_budget_status`, `wasm_max_memory`, `wasm_isolation`
    pub limits: limits::LimitsConf,
    /// `proxy_wasm`: the chain of Proxy-Wasm plugins, by root context id, in directive order.
    pub proxy_wasm: Vec<u32>,
}

impl LocConf {
    /// The socket defaults this configuration gives (`wasm_socket_*`; nginx's where it
    /// sets none).
    pub fn socket_defaults(&self) -> crate::request::socket::Defaults {
        let nginx = crate::request::socket::Defaults::NGINX;
        let t = self.socket_timeouts;
        crate::request::socket::Defaults {
            connect: t[0].unwrap_or(nginx.connect),
            send: t[1].unwrap_or(nginx.send),
            read: t[2].unwrap_or(nginx.read),
            tls: crate::request::tls::TlsConf {
                ctx: self.ssl_trusted_certificate,
                depth: self.ssl_verify_depth.unwrap_or(nginx.tls.depth),
            },
        }
    }

    /// The handler configured for a location-level `phase`.
    pub fn handler(&self, phase: Phase) -> Option<&Handler> {
        match phase {
            Phase::Rewrite => self.rewrite.as_ref(),
            Phase::Access => self.access.as_ref(),
            Phase::Content => self.content.as_ref(),
            Phase::HeaderFilter => self.header_filter.as_ref(),
            Phase::BodyFilter => self.body_filter.as_ref(),
            Phase::Log => self.log.as_ref(),
            Phase::InitWorker | Phase::ServerRewrite | Phase::Timer => None,
        }
    }

    fn slot(&mut self, phase: Phase) -> Option<&mut Option<Handler>> {
        Some(match phase {
            Phase::Rewrite => &mut self.rewrite,
            Phase::Access => &mut self.access,
            Phase::Content => &mut self.content,
            Phase::HeaderFilter => &mut self.header_filter,
            Phase::BodyFilter => &mut self.body_filter,
            Phase::Log => &mut self.log,
            Phase::InitWorker | Phase::ServerRewrite | Phase::Timer => return None,
        })
    }
}

/// A child's own handler replaces the parent's; otherwise the parent's is inherited.
fn inherit(conf: &mut Option<Handler>, prev: &Option<Handler>) {
    if conf.is_none() {
        conf.clone_from(prev);
    }
}

impl Merge for SrvConf {
    fn merge(&mut self, prev: &Self) -> Result<(), MergeConfigError> {
        inherit(&mut self.server_rewrite, &prev.server_rewrite);
        Ok(())
    }
}

thread_local! {
    /// The location configurations merged while the `http` block being loaded was parsed,
    /// for checks that need both the modules (loaded at postconfiguration) and the merged
    /// limits. Emptied at preconfiguration, so a configuration that failed half-way leaves
    /// nothing for the next one.
    static MERGED: std::cell::RefCell<Vec<*const LocConf>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A new `http` block starts: forgets the location configurations of an earlier one.
pub fn forget_merged() {
    MERGED.with(|m| m.borrow_mut().clear());
}

/// The location configurations with a handler merged since [`forget_merged`]: they live in
/// the configuration cycle's pool, as long as the cycle being loaded.
pub fn merged() -> Vec<*const LocConf> {
    MERGED.with(|m| std::mem::take(&mut *m.borrow_mut()))
}

impl LocConf {
    /// The handlers in force here, with their directive names.
    pub fn handlers(&self) -> impl Iterator<Item = (&'static str, &Handler)> {
        [
            ("rewrite_by_wasm", &self.rewrite),
            ("access_by_wasm", &self.access),
            ("content_by_wasm", &self.content),
            ("header_filter_by_wasm", &self.header_filter),
            ("body_filter_by_wasm", &self.body_filter),
            ("log_by_wasm", &self.log),
        ]
        .into_iter()
        .filter_map(|(name, h)| h.as_ref().map(|h| (name, h)))
    }
}

impl Merge for LocConf {
    fn merge(&mut self, prev: &Self) -> Result<(), MergeConfigError> {
        inherit(&mut self.rewrite, &prev.rewrite);
        inherit(&mut self.access, &prev.access);
        inherit(&mut self.content, &prev.content);
        inherit(&mut self.header_filter, &prev.header_filter);
        inherit(&mut self.body_filter, &prev.body_filter);
        inherit(&mut self.log, &prev.log);
        if self.proxy_wasm.is_empty() {
            self.proxy_wasm.clone_from(&prev.proxy_wasm);
        }
        if self.need_request_body.is_none() {
            self.need_request_body = prev.need_request_body;
        }
        for (t, p) in self.socket_timeouts.iter_mut().zip(prev.socket_timeouts) {
            if t.is_none() {
                *t = p;
            }
        }
        if self.ssl_trusted_certificate.is_none() {
            self.ssl_trusted_certificate = prev.ssl_trusted_certificate;
        }
        if self.ssl_verify_depth.is_none() {
            self.ssl_verify_depth = prev.ssl_verify_depth;
        }
        self.limits.merge(&prev.limits);
        if self.handlers().next().is_some() {
            let me: *const LocConf = self;
            MERGED.with(|m| m.borrow_mut().push(me));
        }
        Ok(())
    }
}

/// Parses `<module.wasm> <export>` and records the module in the registry.
///
/// # Safety
/// `cf` must be nginx's configuration context for a directive taking two arguments.
unsafe fn parse_handler(cf: *mut ngx_conf_t, phase: Phase) -> Result<Handler, *mut c_char> {
    // SAFETY: nginx checked the argument count (TAKE2): args holds the name and two values.
    let args: &[ngx_str_t] = unsafe { (*(*cf).args).as_slice() };
    let mut path = args[1];
    let export = match std::str::from_utf8(str_bytes(&args[2])) {
        Ok(e) if !e.is_empty() => e.to_string(),
        _ => {
            ngx_conf_log_error!(
                NGX_LOG_EMERG,
                cf,
                "invalid export name \"{}\"",
                String::from_utf8_lossy(str_bytes(&args[2]))
            );
            return Err(conf_error());
        }
    };
    if path.len == 0 {
        ngx_conf_log_error!(NGX_LOG_EMERG, cf, "empty module path");
        return Err(conf_error());
    }
    // Relative paths resolve against the prefix, like other nginx file paths.
    // SAFETY: cf->cycle is the cycle being configured; the result lives in its pool.
    if unsafe { ngx_conf_full_name((*cf).cycle, &mut path, 0) } != Status::NGX_OK.0 {
        return Err(conf_error());
    }
    let path = PathBuf::from(OsStr::from_bytes(str_bytes(&path)));
    // SAFETY: cf is a valid configuration context.
    let site = unsafe { ConfSite::current(cf) };
    // SAFETY: the http main conf exists while http directives are parsed.
    let Some(mcf) = HttpWasmModule::main_conf_mut(unsafe { &*cf }) else {
        return Err(conf_error());
    };
    mcf.used[phase as usize] = true;
    Ok(mcf.registry.add(path, &export, site))
}

/// Every `*_by_wasm <module.wasm> <export>;` directive. The command's `offset` holds the
/// [`Phase`]; `conf` is the location, server or main configuration the command asked for.
pub extern "C" fn set_phase_handler(
    cf: *mut ngx_conf_t,
    cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes the command being parsed; its offset is a Phase number set in lib.rs.
    let Some(&phase) = Phase::ALL.get(unsafe { (*cmd).offset }) else {
        return conf_error();
    };
    // The slot is reached again after parsing: parse_handler borrows the main configuration,
    // which for init_worker is `conf` itself.
    let slot = |conf: *mut c_void| -> Option<&mut Option<Handler>> {
        match phase {
            Phase::InitWorker => {
                // SAFETY: main-conf commands (NGX_HTTP_MAIN_CONF_OFFSET) get this module's
                // MainConf.
                let mcf = unsafe { &mut *conf.cast::<MainConf>() };
                Some(&mut mcf.init_worker)
            }
            Phase::ServerRewrite => {
                // SAFETY: server-conf commands (NGX_HTTP_SRV_CONF_OFFSET) get its SrvConf.
                let scf = unsafe { &mut *conf.cast::<SrvConf>() };
                Some(&mut scf.server_rewrite)
            }
            _ => {
                // SAFETY: the other phase directives are location-conf commands.
                let lcf = unsafe { &mut *conf.cast::<LocConf>() };
                lcf.slot(phase)
            }
        }
    };
    match slot(conf) {
        None => return conf_error(),
        Some(s) if s.is_some() => return c"is duplicate".as_ptr().cast_mut(),
        Some(_) => {}
    }
    // SAFETY: called by nginx for a TAKE2 directive.
    let handler = match unsafe { parse_handler(cf, phase) } {
        Ok(h) => h,
        Err(e) => return e,
    };
    if let Some(s) = slot(conf) {
        *s = Some(handler);
    }
    std::ptr::null_mut()
}

/// `proxy_wasm <module.wasm> [configuration];` (http, server, location): adds a
/// Proxy-Wasm plugin to this level's chain.
pub extern "C" fn set_proxy_wasm(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: a location-conf command gets this module's LocConf.
    let lcf = unsafe { &mut *conf.cast::<LocConf>() };
    // SAFETY: nginx checked the argument count (TAKE12).
    let args: &[ngx_str_t] = unsafe { (*(*cf).args).as_slice() };
    let mut path = args[1];
    if path.len == 0 {
        ngx_conf_log_error!(NGX_LOG_EMERG, cf, "empty module path");
        return conf_error();
    }
    let config = args.get(2).map_or_else(Vec::new, |c| str_bytes(c).to_vec());
    // SAFETY: cf->cycle is the cycle being configured; the result lives in its pool.
    if unsafe { ngx_conf_full_name((*cf).cycle, &mut path, 0) } != Status::NGX_OK.0 {
        return conf_error();
    }
    let path = PathBuf::from(OsStr::from_bytes(str_bytes(&path)));
    // SAFETY: cf is a valid configuration context.
    let site = unsafe { ConfSite::current(cf) };
    // SAFETY: the http main conf exists while http directives are parsed.
    let Some(mcf) = HttpWasmModule::main_conf_mut(unsafe { &*cf }) else {
        return conf_error();
    };
    let root_id = mcf.registry.add_proxy(path, config, site);
    lcf.proxy_wasm.push(root_id);
    std::ptr::null_mut()
}

/// Parses `on|off` into `slot`.
///
/// # Safety
/// `cf` must be nginx's configuration context for a directive taking one argument.
unsafe fn set_flag(cf: *mut ngx_conf_t, slot: &mut Option<bool>) -> *mut c_char {
    if slot.is_some() {
        return c"is duplicate".as_ptr().cast_mut();
    }
    // SAFETY: nginx checked the argument count (TAKE1/FLAG).
    let args: &[ngx_str_t] = unsafe { (*(*cf).args).as_slice() };
    let v = str_bytes(&args[1]);
    *slot = Some(if v.eq_ignore_ascii_case(b"on") {
        true
    } else if v.eq_ignore_ascii_case(b"off") {
        false
    } else {
        ngx_conf_log_error!(
            NGX_LOG_EMERG,
            cf,
            "invalid value \"{}\", it must be \"on\" or \"off\"",
            String::from_utf8_lossy(v)
        );
        return conf_error();
    });
    std::ptr::null_mut()
}

/// `wasm_need_request_body on|off;` (http, server, location)
pub extern "C" fn set_need_request_body(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: a location-conf command gets this module's LocConf.
    let lcf = unsafe { &mut *conf.cast::<LocConf>() };
    // SAFETY: called by nginx for a FLAG directive.
    unsafe { set_flag(cf, &mut lcf.need_request_body) }
}

/// `wasm_rewrite_no_postpone on|off;` and `wasm_access_no_postpone on|off;` (http); the
/// command's offset is the phase.
pub extern "C" fn set_no_postpone(
    cf: *mut ngx_conf_t,
    cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: a main-conf command gets this module's MainConf.
    let mcf = unsafe { &mut *conf.cast::<MainConf>() };
    // SAFETY: the command being parsed; offset set in lib.rs.
    let slot = if unsafe { (*cmd).offset } == Phase::Access as usize {
        &mut mcf.access_no_postpone
    } else {
        &mut mcf.rewrite_no_postpone
    };
    // SAFETY: called by nginx for a FLAG directive.
    unsafe { set_flag(cf, slot) }
}

/// `wasm_engine wasmtime|wasmer|wasmi;` (http): the engine every module of this `http` block
/// is compiled and run with. Checked here, so an engine that is not compiled in is an error
/// at this directive's line.
pub extern "C" fn set_wasm_engine(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's main configuration (NGX_HTTP_MAIN_CONF_OFFSET).
    let mcf = unsafe { &mut *conf.cast::<MainConf>() };
    // SAFETY: nginx checked the argument count (TAKE1).
    let args: &[ngx_str_t] = unsafe { (*(*cf).args).as_slice() };
    let name = String::from_utf8_lossy(str_bytes(&args[1])).into_owned();
    if let Some(reason) = crate::engines::engine_name_error(&name) {
        ngx_conf_log_error!(NGX_LOG_EMERG, cf, "{reason}");
        return conf_error();
    }
    if mcf.engine_name.is_some() {
        return c"is duplicate".as_ptr().cast_mut();
    }
    mcf.engine_name = Some(name);
    std::ptr::null_mut()
}
