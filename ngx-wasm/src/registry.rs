//! Every module a configuration names: compiled once per file, instantiated per worker (or
//! per call, with `wasm_isolation request`), and supervised: failures are logged (or
//! summarised) and a module that keeps failing backs off ([`crate::supervise`]).

use std::cell::RefCell;
use std::path::PathBuf;

use engine_api::{
    validate, Budget, EngineOptions, GuestError, GuestErrorKind, HostRequest, InstanceLimits,
    Isolation,
};
use ngx::ffi::{ngx_cycle_t, ngx_int_t, ngx_log_t, NGX_LOG_ERR, NGX_LOG_NOTICE};
use ngx::http::HttpModuleMainConf;
use ngx::ngx_log_error;

use crate::conf::limits::{Limits, DEFAULT_TRAP_LOG_INTERVAL_MS};
use crate::conf::{ConfSite, Handler};
use crate::runtime::{self, Engine, EngineOps, Instance, InstanceOps, Module, ModuleOps};
use crate::supervise::{Failure, Supervisor};

/// The status answered while a module backs off after failing repeatedly.
pub const BACKOFF_STATUS: u16 = 503;

/// The status answered when a guest fails (traps, fails to instantiate).
pub const FAILURE_STATUS: u16 = 500;

/// An idle worker instance, made under one set of instance limits. The instance is boxed:
/// a call moves its slot out of the idle list and back, and an engine's instance is large.
struct Slot {
    limits: InstanceLimits,
    instance: Box<Instance>,
}

/// One `.wasm` file.
struct Entry {
    path: PathBuf,
    /// The first directive naming it, for errors about the file itself.
    site: ConfSite,
    compiled: Option<Module>,
    /// This worker's idle instances (`wasm_isolation worker`): normally one per distinct
    /// `wasm_max_memory` in force where the module is used, created at worker start or on
    /// first use and dropped after a failure. A call takes its instance out for its duration:
    /// a call that starts while another call of the same module is in progress (a content
    /// handler's `flush` running this module's header or body filter) takes a second one,
    /// which is kept for the next time.
    instances: RefCell<Vec<Slot>>,
    /// Failure logging and backoff in this worker.
    supervisor: Box<Supervisor>,
}

/// An export some directive will call, checked at load time.
struct ExportUse {
    module: usize,
    export: String,
    site: ConfSite,
}

/// Modules by path, the engine that compiled them, and the exports directives use.
#[derive(Default)]
pub struct Registry {
    /// The `wasm_engine` directive's choice, if any.
    engine_name: Option<String>,
    engine: Option<Engine>,
    /// `name version` of the engine, for log lines (made once: calls log it on failure).
    engine_label: String,
    modules: Vec<Entry>,
    uses: Vec<ExportUse>,
    /// The budgets some directive switched on.
    options: EngineOptions,
    /// Some directive set `wasm_isolation request`.
    request_isolation: bool,
    /// `wasm_trap_log_interval`, if set.
    trap_log_interval: Option<u64>,
    /// The `http` level's limits, for the instances made at worker start.
    default_limits: Limits,
}

impl Registry {
    /// Records `wasm_engine <name>`. The caller has checked the name is compiled in.
    pub fn set_engine(&mut self, name: &str) -> bool {
        if self.engine_name.is_some() {
            return false;
        }
        self.engine_name = Some(name.to_string());
        true
    }

    /// The budgets the engine must enforce, switched on by the directives that use them.
    pub fn options_mut(&mut self) -> &mut EngineOptions {
        &mut self.options
    }

    /// Some directive uses `wasm_isolation request`.
    pub fn set_request_isolation(&mut self) {
        self.request_isolation = true;
    }

    /// Records `wasm_trap_log_interval`; false if it was set already.
    pub fn set_trap_log_interval(&mut self, ms: u64) -> bool {
        if self.trap_log_interval.is_some() {
            return false;
        }
        self.trap_log_interval = Some(ms);
        for m in &self.modules {
            m.supervisor.set_interval(ms);
        }
        true
    }

    /// Records the `http` level's limits (after the whole block is read).
    pub fn set_default_limits(&mut self, limits: Limits) {
        self.default_limits = limits;
    }

    /// True when no directive names a module.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// Records that the directive at `site` calls `export` of the module at `path`; returns
    /// the module's index. A path named by several directives is compiled once.
    pub fn add(&mut self, path: PathBuf, export: &str, site: ConfSite) -> usize {
        let module = match self.modules.iter().position(|m| m.path == path) {
            Some(i) => i,
            None => {
                let interval = self
                    .trap_log_interval
                    .unwrap_or(DEFAULT_TRAP_LOG_INTERVAL_MS);
                self.modules.push(Entry {
                    supervisor: Supervisor::new(path.clone(), interval),
                    path,
                    site: site.clone(),
                    compiled: None,
                    instances: RefCell::new(Vec::new()),
                });
                self.modules.len() - 1
            }
        };
        self.uses.push(ExportUse {
            module,
            export: export.to_string(),
            site,
        });
        module
    }

    /// Creates the engine, reads and compiles every module and checks every export. The error
    /// names the directive it concerns.
    pub fn load(&mut self) -> Result<(), (ConfSite, String)> {
        if self.engine.is_none() {
            let name = self
                .engine_name
                .as_deref()
                .unwrap_or(runtime::DEFAULT_ENGINE);
            let engine = runtime::create(name, self.options).map_err(|e| {
                (
                    self.modules[0].site.clone(),
                    format!("cannot create the wasm engine: {e:#}"),
                )
            })?;
            self.engine_label = format!("{} {}", engine.name(), engine.version());
            self.engine = Some(engine);
        }
        let Some(engine) = &self.engine else {
            return Ok(());
        };
        for m in &mut self.modules {
            let fail = |what: String| {
                (
                    m.site.clone(),
                    format!("wasm module \"{}\": {what}", m.path.display()),
                )
            };
            let bytes = std::fs::read(&m.path).map_err(|e| fail(format!("cannot read: {e}")))?;
            validate::check_binary(&bytes).map_err(|e| fail(e.to_string()))?;
            let compiled = engine.compile(&bytes).map_err(|e| {
                fail(format!(
                    "{e:#} (engine: {} {})",
                    engine.name(),
                    engine.version()
                ))
            })?;
            m.compiled = Some(compiled);
        }
        for u in &self.uses {
            let m = &self.modules[u.module];
            let exports = m.compiled.as_ref().map(|c| c.exports()).unwrap_or_default();
            validate::check_handler_export(&exports, &u.export).map_err(|e| {
                (
                    u.site.clone(),
                    format!("wasm module \"{}\": {e}", m.path.display()),
                )
            })?;
        }
        Ok(())
    }

    /// `name version` of the engine, once loaded ("none" before).
    pub fn engine_label(&self) -> &str {
        if self.engine.is_some() {
            &self.engine_label
        } else {
            "none"
        }
    }

    fn compiled(&self, i: usize) -> Result<&Module, GuestError> {
        self.modules[i]
            .compiled
            .as_ref()
            .ok_or_else(|| GuestError::new(GuestErrorKind::Instantiate, "module not compiled"))
    }

    /// Takes an idle instance of module `i` made under `limits`, or creates one.
    fn take_instance(
        &self,
        i: usize,
        limits: &InstanceLimits,
        budget: &Budget,
    ) -> Result<Slot, GuestError> {
        let entry = &self.modules[i];
        {
            let mut idle = entry.instances.borrow_mut();
            if let Some(pos) = idle.iter().rposition(|s| s.limits == *limits) {
                return Ok(idle.swap_remove(pos));
            }
        }
        let instance = self
            .compiled(i)?
            .instantiate(Isolation::Worker, limits, budget)?;
        Ok(Slot {
            limits: *limits,
            instance: Box::new(instance),
        })
    }

    /// Creates this worker's instance of module `i` ahead of the first request.
    fn prepare(
        &self,
        i: usize,
        limits: &InstanceLimits,
        budget: &Budget,
    ) -> Result<(), GuestError> {
        let slot = self.take_instance(i, limits, budget)?;
        self.modules[i].instances.borrow_mut().push(slot);
        Ok(())
    }

    /// Calls `export` on a worker instance of module `i` for `limits`, and returns it to the
    /// idle list. After a failure the instance is dropped, so the next call gets a fresh one.
    fn call_worker(
        &self,
        i: usize,
        export: &str,
        limits: &Limits,
        request: &mut dyn HostRequest,
    ) -> Result<(), GuestError> {
        let mut slot = self.take_instance(i, &limits.instance, &limits.budget)?;
        slot.instance.call(export, request, &limits.budget)?;
        self.modules[i].instances.borrow_mut().push(slot);
        Ok(())
    }

    /// Calls `export` on a fresh instance of module `i`, dropped afterwards.
    fn call_fresh(
        &self,
        i: usize,
        export: &str,
        limits: &Limits,
        request: &mut dyn HostRequest,
    ) -> Result<(), GuestError> {
        let mut instance =
            self.compiled(i)?
                .instantiate(Isolation::Request, &limits.instance, &limits.budget)?;
        instance.call(export, request, &limits.budget)
    }

    /// Calls `handler` for `request` under `limits`. On failure the error is logged (or
    /// counted, see [`Supervisor`]) on `log` and the status to answer is returned: the
    /// `wasm_budget_status` for a budget stop, 503 while the module backs off, 500 otherwise.
    pub fn call(
        &self,
        handler: &Handler,
        limits: &Limits,
        request: &mut dyn HostRequest,
        log: *mut ngx_log_t,
        phase: &str,
    ) -> Result<(), u16> {
        let entry = &self.modules[handler.module];
        let engine = self.engine_label();
        if !entry.supervisor.admit(log, engine) {
            return Err(BACKOFF_STATUS);
        }
        let result = match limits.isolation {
            Isolation::Worker => self.call_worker(handler.module, &handler.export, limits, request),
            Isolation::Request => self.call_fresh(handler.module, &handler.export, limits, request),
        };
        match result {
            Ok(()) => {
                entry.supervisor.success();
                Ok(())
            }
            Err(error) => {
                entry.supervisor.failure(
                    log,
                    &Failure {
                        error: &error,
                        export: &handler.export,
                        phase,
                        engine,
                    },
                );
                Err(match error.kind {
                    GuestErrorKind::Budget => limits.budget_status,
                    _ => FAILURE_STATUS,
                })
            }
        }
    }

    /// The worker exits: log the failure summaries still pending.
    pub fn flush(&self) {
        for m in &self.modules {
            m.supervisor.flush();
        }
    }
}

/// Worker start: log the engine, prepare it for this process (threads, pools) and
/// instantiate every module ahead of the first request, with the `http` level's limits.
///
/// # Safety
/// `cycle` must be the cycle nginx passes to `init_process`.
pub unsafe fn init_worker(cycle: *mut ngx_cycle_t) -> ngx_int_t {
    // SAFETY: nginx passes the live cycle.
    let cycle = unsafe { &*cycle };
    let Some(mcf) = crate::Module::main_conf(cycle) else {
        return ngx::core::Status::NGX_OK.0;
    };
    let reg = &mcf.registry;
    if reg.is_empty() {
        return ngx::core::Status::NGX_OK.0;
    }
    ngx_log_error!(
        NGX_LOG_NOTICE,
        cycle.log,
        "ngx_wasm: engine {}, {} module(s)",
        reg.engine_label(),
        reg.modules.len()
    );
    if let Some(engine) = &reg.engine {
        if let Err(e) = engine.init_worker(reg.request_isolation) {
            // Not fatal: per-request instances fall back to on-demand allocation, and a call
            // with a timeout that cannot be enforced fails (500) rather than run unbounded.
            ngx_log_error!(
                NGX_LOG_ERR,
                cycle.log,
                "ngx_wasm: {e:#} (engine: {})",
                reg.engine_label()
            );
        }
    }
    let limits = reg.default_limits;
    if limits.isolation == Isolation::Worker {
        for (i, m) in reg.modules.iter().enumerate() {
            if let Err(e) = reg.prepare(i, &limits.instance, &limits.budget) {
                // Not fatal: the first request retries and answers 500 if it fails again.
                ngx_log_error!(
                    NGX_LOG_ERR,
                    cycle.log,
                    "ngx_wasm: module \"{}\": {e} (engine: {})",
                    m.path.display(),
                    reg.engine_label()
                );
            }
        }
    }
    crate::postpone::run(cycle, mcf);
    if let Some(h) = &mcf.init_worker {
        // No request and no location: the http level's budgets and limits apply. A failure
        // is logged by `call`.
        let mut host = crate::request::InitWorker::new(cycle.log);
        let _ = reg.call(
            h,
            &limits,
            &mut host,
            cycle.log,
            engine_api::Phase::InitWorker.name(),
        );
    }
    ngx::core::Status::NGX_OK.0
}

/// Worker exit: log the failure summaries still pending.
///
/// # Safety
/// `cycle` must be the cycle nginx passes to `exit_process`.
pub unsafe fn exit_worker(cycle: *mut ngx_cycle_t) {
    // SAFETY: nginx passes the live cycle.
    let cycle = unsafe { &*cycle };
    if let Some(mcf) = crate::Module::main_conf(cycle) {
        mcf.registry.flush();
    }
}
