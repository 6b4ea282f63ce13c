//! Directive parsing, configuration merge and the configuration-time checks.
//!
//! Directives only record what they name (module path, export, file:line). Modules are
//! compiled and exports checked once the whole `http` block is parsed ([`postconfiguration`]),
//! so an engine choice made anywhere in `http` applies to every module, and every error still
//! names the directive's file and line. Budget, limit and isolation directives live in
//! [`limits`].

pub mod limits;

use std::ffi::{c_char, c_void, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use ngx::core::Status;
use ngx::ffi::{
    ngx_array_push, ngx_command_t, ngx_conf_full_name, ngx_conf_t, ngx_http_handler_pt,
    ngx_http_phases, ngx_http_phases_NGX_HTTP_CONTENT_PHASE,
    ngx_http_phases_NGX_HTTP_REWRITE_PHASE, ngx_http_phases_NGX_HTTP_SERVER_REWRITE_PHASE,
    ngx_int_t, ngx_str_t, NGX_LOG_EMERG,
};
use ngx::http::{
    HttpModuleLocationConf, HttpModuleMainConf, Merge, MergeConfigError, NgxHttpCoreModule,
};
use ngx::{ngx_conf_log_error, ngx_log_error};

use crate::handlers;
use crate::registry::Registry;
use crate::{conf_error, Module};

/// Where a directive stands in the configuration, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfSite {
    /// Configuration file path.
    pub file: String,
    /// Line number in it.
    pub line: usize,
}

impl ConfSite {
    /// The directive being parsed now.
    ///
    /// # Safety
    /// `cf` must be nginx's configuration context while a directive is parsed.
    unsafe fn current(cf: *mut ngx_conf_t) -> ConfSite {
        // SAFETY: nginx sets conf_file while it parses a file.
        let file = unsafe { &*(*cf).conf_file };
        ConfSite {
            file: String::from_utf8_lossy(str_bytes(&file.file.name)).into_owned(),
            line: file.line,
        }
    }
}

impl std::fmt::Display for ConfSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One phase handler: a guest export of a module in the [`Registry`].
#[derive(Debug, Clone)]
pub struct Handler {
    /// Index of the module in the registry.
    pub module: usize,
    /// The export to call, of type `() -> ()`.
    pub export: String,
}

/// The phases a handler can be configured for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// `server_rewrite_by_wasm`
    ServerRewrite,
    /// `rewrite_by_wasm`
    Rewrite,
    /// `content_by_wasm`
    Content,
}

impl Phase {
    /// The phase name used in logs.
    pub fn name(self) -> &'static str {
        match self {
            Phase::ServerRewrite => "server_rewrite",
            Phase::Rewrite => "rewrite",
            Phase::Content => "content",
        }
    }

    fn nginx_phase(self) -> ngx_http_phases {
        match self {
            Phase::ServerRewrite => ngx_http_phases_NGX_HTTP_SERVER_REWRITE_PHASE,
            Phase::Rewrite => ngx_http_phases_NGX_HTTP_REWRITE_PHASE,
            Phase::Content => ngx_http_phases_NGX_HTTP_CONTENT_PHASE,
        }
    }

    const ALL: [Phase; 3] = [Phase::ServerRewrite, Phase::Rewrite, Phase::Content];
}

/// `http`-level state: the compiled modules and which phases are in use.
#[derive(Default)]
pub struct MainConf {
    /// Every module the configuration names, compiled once each.
    pub registry: Registry,
    used: [bool; 3],
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
    /// `content_by_wasm`
    pub content: Option<Handler>,
    /// `wasm_timeout`, `wasm_fuel`, `wasm_budget_status`, `wasm_max_memory`, `wasm_isolation`
    pub limits: limits::LimitsConf,
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

impl Merge for LocConf {
    fn merge(&mut self, prev: &Self) -> Result<(), MergeConfigError> {
        inherit(&mut self.rewrite, &prev.rewrite);
        inherit(&mut self.content, &prev.content);
        self.limits.merge(&prev.limits);
        Ok(())
    }
}

fn str_bytes(s: &ngx_str_t) -> &[u8] {
    if s.len == 0 || s.data.is_null() {
        return &[];
    }
    // SAFETY: nginx strings point at `len` initialized bytes.
    unsafe { std::slice::from_raw_parts(s.data, s.len) }
}

/// Parses `<module.wasm> <export>` into `slot` and records the module in the registry.
///
/// # Safety
/// `cf` must be nginx's configuration context for a directive taking two arguments.
unsafe fn set_handler(
    cf: *mut ngx_conf_t,
    slot: &mut Option<Handler>,
    phase: Phase,
) -> *mut c_char {
    if slot.is_some() {
        return c"is duplicate".as_ptr().cast_mut();
    }
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
            return conf_error();
        }
    };
    if path.len == 0 {
        ngx_conf_log_error!(NGX_LOG_EMERG, cf, "empty module path");
        return conf_error();
    }
    // Relative paths resolve against the prefix, like other nginx file paths.
    // SAFETY: cf->cycle is the cycle being configured; the result lives in its pool.
    if unsafe { ngx_conf_full_name((*cf).cycle, &mut path, 0) } != Status::NGX_OK.0 {
        return conf_error();
    }
    let path = PathBuf::from(OsStr::from_bytes(str_bytes(&path)));
    // SAFETY: cf is a valid configuration context.
    let site = unsafe { ConfSite::current(cf) };
    // SAFETY: the http main conf exists while http directives are parsed.
    let Some(mcf) = Module::main_conf_mut(unsafe { &*cf }) else {
        return conf_error();
    };
    let module = mcf.registry.add(path, &export, site);
    mcf.used[phase as usize] = true;
    *slot = Some(Handler { module, export });
    std::ptr::null_mut()
}

/// `content_by_wasm <module.wasm> <export>;` (http, server, location)
pub extern "C" fn set_content_by_wasm(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's location configuration (NGX_HTTP_LOC_CONF_OFFSET).
    let lcf = unsafe { &mut *conf.cast::<LocConf>() };
    // SAFETY: called by nginx for a TAKE2 directive.
    unsafe { set_handler(cf, &mut lcf.content, Phase::Content) }
}

/// `rewrite_by_wasm <module.wasm> <export>;` (http, server, location)
pub extern "C" fn set_rewrite_by_wasm(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's location configuration (NGX_HTTP_LOC_CONF_OFFSET).
    let lcf = unsafe { &mut *conf.cast::<LocConf>() };
    // SAFETY: called by nginx for a TAKE2 directive.
    unsafe { set_handler(cf, &mut lcf.rewrite, Phase::Rewrite) }
}

/// `server_rewrite_by_wasm <module.wasm> <export>;` (http, server)
pub extern "C" fn set_server_rewrite_by_wasm(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's server configuration (NGX_HTTP_SRV_CONF_OFFSET).
    let scf = unsafe { &mut *conf.cast::<SrvConf>() };
    // SAFETY: called by nginx for a TAKE2 directive.
    unsafe { set_handler(cf, &mut scf.server_rewrite, Phase::ServerRewrite) }
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
    if let Some(reason) = crate::runtime::engine_name_error(&name) {
        ngx_conf_log_error!(NGX_LOG_EMERG, cf, "{reason}");
        return conf_error();
    }
    if !mcf.registry.set_engine(&name) {
        return c"is duplicate".as_ptr().cast_mut();
    }
    std::ptr::null_mut()
}

/// After the `http` block: compile every module, check every export, install phase handlers.
///
/// # Safety
/// `cf` must be nginx's configuration context at postconfiguration.
pub unsafe fn postconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
    // SAFETY: postconfiguration runs with the http configuration context.
    let cf_ref = unsafe { &*cf };
    let Some(mcf) = Module::main_conf_mut(cf_ref) else {
        return Status::NGX_ERROR.0;
    };
    if mcf.registry.is_empty() {
        return Status::NGX_OK.0;
    }
    // The http level's own limits, for the instances workers make at start.
    if let Some(lcf) = Module::location_conf(cf_ref) {
        mcf.registry.set_default_limits(lcf.limits.resolved_here());
    }
    if let Err((site, reason)) = mcf.registry.load() {
        // The format of ngx_conf_log_error, for a directive parsed earlier.
        ngx_log_error!(NGX_LOG_EMERG, cf_ref.log, "{reason} in {site}");
        return Status::NGX_ERROR.0;
    }
    let Some(cmcf) = NgxHttpCoreModule::main_conf_mut(cf_ref) else {
        return Status::NGX_ERROR.0;
    };
    for phase in Phase::ALL {
        if !mcf.used[phase as usize] {
            continue;
        }
        // SAFETY: the phase handler arrays are initialized by the core module before
        // postconfiguration; ngx_array_push returns room for one element or NULL.
        let h = unsafe { ngx_array_push(&mut cmcf.phases[phase.nginx_phase() as usize].handlers) }
            .cast::<ngx_http_handler_pt>();
        if h.is_null() {
            return Status::NGX_ERROR.0;
        }
        // SAFETY: h points at the element just pushed.
        unsafe { *h = Some(handlers::for_phase(phase)) };
    }
    Status::NGX_OK.0
}
