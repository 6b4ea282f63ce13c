//! ngx_wasm: an NGINX HTTP module running request handlers in WebAssembly.
//!
//! This file declares the module and wires its lifecycle to nginx: `postconfiguration`
//! loads the modules the directives named and installs the handlers and filters;
//! `init_process` and `exit_process` go to [`worker`]. Everything else lives in one file per
//! concern: directive parsing and merging in [`conf`], compiled modules and their instances
//! in [`registry`], the engines compiled in in [`engines`], one guest call in [`call`] (with
//! failure logging and backoff in [`supervise`]), the phase handlers in [`phases`], the
//! filters in [`filters`], waiting calls in [`suspend`], timers in [`timer`], the host side
//! of the ABI in [`request`].

mod call;
mod clock;
mod conf;
mod ctx;
mod engines;
mod filters;
mod phases;
mod postpone;
mod process;
mod proxy;
mod registry;
mod request;
mod shdict;
mod site;
mod supervise;
mod suspend;
mod timer;
mod worker;

use std::ffi::c_char;
use std::ptr;

use engine_api::Phase;
use ngx::core::Status;
use ngx::ffi::{
    ngx_command_t, ngx_conf_t, ngx_cycle_t, ngx_http_module_t, ngx_int_t, ngx_module_t, ngx_uint_t,
    NGX_CONF_FLAG, NGX_CONF_TAKE1, NGX_CONF_TAKE2, NGX_HTTP_LOC_CONF, NGX_HTTP_LOC_CONF_OFFSET,
    NGX_HTTP_MAIN_CONF, NGX_HTTP_MAIN_CONF_OFFSET, NGX_HTTP_MODULE, NGX_HTTP_SRV_CONF,
    NGX_HTTP_SRV_CONF_OFFSET, NGX_LOG_EMERG,
};
use ngx::http::{
    HttpModule, HttpModuleLocationConf, HttpModuleMainConf, HttpModuleServerConf, NgxHttpCoreModule,
};
use ngx::{ngx_log_error, ngx_string};

use crate::conf::limits::{Limits, DEFAULT_TRAP_LOG_INTERVAL_MS};
use crate::conf::{LocConf, MainConf, SrvConf};
use crate::supervise::Supervisors;

/// This nginx module: its configuration types and lifecycle hooks.
pub struct HttpWasmModule;

impl HttpWasmModule {
    /// This module's index in `r->ctx`.
    pub fn ctx_index() -> usize {
        <Self as HttpModule>::module().ctx_index
    }
}

impl HttpModule for HttpWasmModule {
    fn module() -> &'static ngx_module_t {
        // SAFETY: the static is only written by nginx while it loads modules, before any hook
        // of this module runs.
        unsafe { &*ptr::addr_of!(ngx_http_wasm_module) }
    }

    /// Before the `http` block.
    unsafe extern "C" fn preconfiguration(_cf: *mut ngx_conf_t) -> ngx_int_t {
        conf::forget_merged();
        Status::NGX_OK.0
    }

    /// After the `http` block: compile every module, check every export, make the modules'
    /// supervisors, install the phase handlers and filters the directives use.
    unsafe extern "C" fn postconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
        // SAFETY: nginx calls postconfiguration with a valid configuration context.
        let cf = unsafe { &*cf };
        let Some(mcf) = HttpWasmModule::main_conf_mut(cf) else {
            return Status::NGX_ERROR.0;
        };
        if mcf.registry.is_empty() {
            return Status::NGX_OK.0;
        }
        // The http level's own limits, for the instances workers make at start, and its
        // socket settings, for timers (which have no location).
        if let Some(lcf) = HttpWasmModule::location_conf(cf) {
            mcf.default_limits = lcf.limits.resolved_here();
        }
        let clcf = NgxHttpCoreModule::location_conf(cf);
        mcf.timer_sockets = Some(request::socket::HttpLevel {
            defaults: HttpWasmModule::location_conf(cf)
                .map_or(request::socket::Defaults::NGINX, |l| l.socket_defaults()),
            resolver: clcf.map_or(ptr::null_mut(), |c| c.resolver),
            resolver_timeout: clcf.map_or(0, |c| c.resolver_timeout),
        });
        // Where no directive sets wasm_timeout the default applies: the engine must compile
        // its checks in unless every handler (and the http level, for init_worker and
        // timers) has `wasm_timeout off`.
        let merged = conf::merged();
        let timed = |l: &Limits| l.budget.timeout.is_some();
        mcf.options.timeouts |= timed(&mcf.default_limits)
            || merged.iter().any(|lcf| {
                // SAFETY: as in check_declared.
                timed(unsafe { &**lcf }.limits.get())
            });
        if let Err((site, reason)) = mcf.registry.load(mcf.engine_name.as_deref(), mcf.options) {
            // The format of ngx_conf_log_error, for a directive parsed earlier.
            ngx_log_error!(NGX_LOG_EMERG, cf.log, "{reason} in {site}");
            return Status::NGX_ERROR.0;
        }
        if let Err(e) = check_declared(mcf, &merged) {
            ngx_log_error!(NGX_LOG_EMERG, cf.log, "{e}");
            return Status::NGX_ERROR.0;
        }
        if let Err((site, reason)) = mcf.registry.check_proxy_roots(&mcf.default_limits.instance) {
            ngx_log_error!(NGX_LOG_EMERG, cf.log, "{reason} in {site}");
            return Status::NGX_ERROR.0;
        }
        let registry = &mcf.registry;
        mcf.supervisors = Some(Supervisors::new(
            (0..registry.len()).map(|id| registry.path(id).to_path_buf()),
            mcf.trap_log_interval
                .unwrap_or(DEFAULT_TRAP_LOG_INTERVAL_MS),
        ));
        let Some(cmcf) = NgxHttpCoreModule::main_conf_mut(cf) else {
            return Status::NGX_ERROR.0;
        };
        if !phases::install(cmcf, mcf) || !proxy::install(cmcf, mcf) {
            return Status::NGX_ERROR.0;
        }
        // The filters also capture the subrequests guests wait for.
        if mcf.uses(Phase::HeaderFilter)
            || mcf.uses(Phase::BodyFilter)
            || mcf.registry.imports("ngx.subreq_wait")
            || mcf.registry.has_proxy()
        {
            filters::install();
        }
        Status::NGX_OK.0
    }
}

/// Fails when a module's initial memory or tables exceed the `wasm_max_memory` in force
/// where a directive uses it (every call there would fail to instantiate), naming the
/// directive: the check `nginx -t` owes the operator, since instances are made later.
fn check_declared(mcf: &MainConf, merged: &[*const LocConf]) -> Result<(), String> {
    let registry = &mcf.registry;
    let init_worker = mcf
        .init_worker
        .as_ref()
        .map(|h| ("init_worker_by_wasm", h, mcf.default_limits.instance));
    let locations = merged.iter().flat_map(|&lcf| {
        // SAFETY: merged location configurations live in this cycle's pool, which outlives
        // postconfiguration.
        let lcf = unsafe { &*lcf };
        lcf.handlers()
            .map(move |(name, h)| (name, h, lcf.limits.get().instance))
    });
    for (directive, h, limits) in init_worker.into_iter().chain(locations) {
        if let Some(why) = registry.declared(h.module).refused_by(&limits) {
            let at = registry
                .site_of(h.module, &h.export)
                .map_or(String::new(), |s| format!(" in {s}"));
            return Err(format!(
                "wasm module \"{}\": {why} where {directive} uses it: no instance could be made, every call would fail (raise wasm_max_memory there, or give the module less initial memory){at}",
                registry.path(h.module).display()
            ));
        }
    }
    Ok(())
}

// SAFETY: the configuration types below are the ones create_*_conf allocates for this module.
unsafe impl HttpModuleMainConf for HttpWasmModule {
    type MainConf = MainConf;
}
// SAFETY: as above.
unsafe impl HttpModuleServerConf for HttpWasmModule {
    type ServerConf = SrvConf;
}
// SAFETY: as above.
unsafe impl HttpModuleLocationConf for HttpWasmModule {
    type LocationConf = LocConf;
}

const PHASE_DIRECTIVE_CONTEXT: u32 = NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF;

static mut NGX_HTTP_WASM_COMMANDS: [ngx_command_t; 31] = [
    ngx_command_t {
        name: ngx_string!("proxy_wasm"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE1 | NGX_CONF_TAKE2) as ngx_uint_t,
        set: Some(conf::set_proxy_wasm),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("content_by_wasm"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE2) as ngx_uint_t,
        set: Some(conf::set_phase_handler),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: Phase::Content as usize,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("rewrite_by_wasm"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE2) as ngx_uint_t,
        set: Some(conf::set_phase_handler),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: Phase::Rewrite as usize,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("access_by_wasm"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE2) as ngx_uint_t,
        set: Some(conf::set_phase_handler),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: Phase::Access as usize,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("header_filter_by_wasm"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE2) as ngx_uint_t,
        set: Some(conf::set_phase_handler),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: Phase::HeaderFilter as usize,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("body_filter_by_wasm"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE2) as ngx_uint_t,
        set: Some(conf::set_phase_handler),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: Phase::BodyFilter as usize,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("log_by_wasm"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE2) as ngx_uint_t,
        set: Some(conf::set_phase_handler),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: Phase::Log as usize,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("server_rewrite_by_wasm"),
        type_: (NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_CONF_TAKE2) as ngx_uint_t,
        set: Some(conf::set_phase_handler),
        conf: NGX_HTTP_SRV_CONF_OFFSET,
        offset: Phase::ServerRewrite as usize,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("init_worker_by_wasm"),
        type_: (NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE2) as ngx_uint_t,
        set: Some(conf::set_phase_handler),
        conf: NGX_HTTP_MAIN_CONF_OFFSET,
        offset: Phase::InitWorker as usize,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_engine"),
        type_: (NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::set_wasm_engine),
        conf: NGX_HTTP_MAIN_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_need_request_body"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_FLAG) as ngx_uint_t,
        set: Some(conf::set_need_request_body),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_rewrite_no_postpone"),
        type_: (NGX_HTTP_MAIN_CONF | NGX_CONF_FLAG) as ngx_uint_t,
        set: Some(conf::set_no_postpone),
        conf: NGX_HTTP_MAIN_CONF_OFFSET,
        offset: Phase::Rewrite as usize,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_access_no_postpone"),
        type_: (NGX_HTTP_MAIN_CONF | NGX_CONF_FLAG) as ngx_uint_t,
        set: Some(conf::set_no_postpone),
        conf: NGX_HTTP_MAIN_CONF_OFFSET,
        offset: Phase::Access as usize,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_timeout"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::limits::set_wasm_timeout),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_fuel"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::limits::set_wasm_fuel),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_budget_status"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::limits::set_wasm_budget_status),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_max_memory"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::limits::set_wasm_max_memory),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_max_output"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::limits::set_wasm_max_output),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_isolation"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::limits::set_wasm_isolation),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_socket_connect_timeout"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::limits::set_wasm_socket_timeout),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_socket_send_timeout"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::limits::set_wasm_socket_timeout),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 1,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_socket_read_timeout"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::limits::set_wasm_socket_timeout),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 2,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_socket_ssl_trusted_certificate"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::tls::set_trusted_certificate),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_socket_ssl_verify_depth"),
        type_: (PHASE_DIRECTIVE_CONTEXT | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::tls::set_verify_depth),
        conf: NGX_HTTP_LOC_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_shared_dict"),
        type_: (NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE2) as ngx_uint_t,
        set: Some(conf::shdict::set_wasm_shared_dict),
        conf: NGX_HTTP_MAIN_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_max_instances"),
        type_: (NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::limits::set_wasm_max_instances),
        conf: NGX_HTTP_MAIN_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_instance_queue_timeout"),
        type_: (NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::limits::set_wasm_instance_queue_timeout),
        conf: NGX_HTTP_MAIN_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_max_pending_timers"),
        type_: (NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::timer::set_wasm_max_pending_timers),
        conf: NGX_HTTP_MAIN_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_max_running_timers"),
        type_: (NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::timer::set_wasm_max_running_timers),
        conf: NGX_HTTP_MAIN_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t {
        name: ngx_string!("wasm_trap_log_interval"),
        type_: (NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1) as ngx_uint_t,
        set: Some(conf::limits::set_wasm_trap_log_interval),
        conf: NGX_HTTP_MAIN_CONF_OFFSET,
        offset: 0,
        post: ptr::null_mut(),
    },
    ngx_command_t::empty(),
];

static NGX_HTTP_WASM_MODULE_CTX: ngx_http_module_t = ngx_http_module_t {
    preconfiguration: Some(HttpWasmModule::preconfiguration),
    postconfiguration: Some(HttpWasmModule::postconfiguration),
    create_main_conf: Some(HttpWasmModule::create_main_conf),
    init_main_conf: None,
    create_srv_conf: Some(HttpWasmModule::create_srv_conf),
    merge_srv_conf: Some(HttpWasmModule::merge_srv_conf),
    create_loc_conf: Some(HttpWasmModule::create_loc_conf),
    merge_loc_conf: Some(HttpWasmModule::merge_loc_conf),
};

extern "C" fn init_process(cycle: *mut ngx_cycle_t) -> ngx_int_t {
    // SAFETY: nginx passes the live cycle to init_process.
    worker::start(unsafe { &*cycle });
    Status::NGX_OK.0
}

extern "C" fn exit_process(cycle: *mut ngx_cycle_t) {
    // SAFETY: nginx passes the live cycle to exit_process.
    worker::exit(unsafe { &*cycle });
}

/// The tables a `load_module` cdylib needs (nginx generates them for --add-module). In a
/// module of its own so the statics can go undocumented; the symbols keep their names
/// (`#[no_mangle]`).
///
/// `ngx_module_order` places this module just before `ngx_http_copy_filter_module`, as
/// nginx's build does for a dynamic filter module (`auto/module`, `HTTP_AUX_FILTER`): its
/// body filter then runs after the copy filter, which reads file buffers into memory when a
/// filter needs the bytes (`filter_need_in_memory`), so a static file's body reaches the
/// guests' body filters.
#[cfg(feature = "export-modules")]
#[allow(missing_docs, non_upper_case_globals)]
mod exported {
    use std::ffi::c_char;

    use ngx::ffi::ngx_module_t;

    use super::ngx_http_wasm_module;

    #[no_mangle]
    pub static mut ngx_modules: [*const ngx_module_t; 2] =
        [&raw const ngx_http_wasm_module, std::ptr::null()];

    #[no_mangle]
    pub static mut ngx_module_names: [*const c_char; 2] =
        [c"ngx_http_wasm_module".as_ptr(), std::ptr::null()];

    #[no_mangle]
    pub static mut ngx_module_order: [*const c_char; 3] = [
        c"ngx_http_wasm_module".as_ptr(),
        c"ngx_http_copy_filter_module".as_ptr(),
        std::ptr::null(),
    ];
}

/// The nginx module descriptor.
#[used]
#[allow(non_upper_case_globals)]
#[cfg_attr(not(feature = "export-modules"), no_mangle)]
pub static mut ngx_http_wasm_module: ngx_module_t = ngx_module_t {
    ctx: ptr::addr_of!(NGX_HTTP_WASM_MODULE_CTX) as _,
    // SAFETY: a pointer to the static command table, which lives for the whole program.
    commands: unsafe { ptr::addr_of_mut!(NGX_HTTP_WASM_COMMANDS[0]) },
    type_: NGX_HTTP_MODULE as _,
    init_process: Some(init_process),
    exit_process: Some(exit_process),
    ..ngx_module_t::default()
};

/// nginx's `NGX_CONF_ERROR` as the `char *` a directive handler returns.
fn conf_error() -> *mut c_char {
    ngx::core::NGX_CONF_ERROR as *mut c_char
}
