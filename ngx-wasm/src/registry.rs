//! Every module a configuration names: compiled once per file, instantiated once per worker.

use std::cell::RefCell;
use std::path::PathBuf;

use engine_api::{validate, GuestError, HostRequest};
use ngx::ffi::{ngx_cycle_t, ngx_int_t, NGX_LOG_ERR, NGX_LOG_NOTICE};
use ngx::http::HttpModuleMainConf;
use ngx::ngx_log_error;

use crate::conf::{ConfSite, Handler};
use crate::runtime::{self, Engine, EngineOps, Instance, InstanceOps, Module, ModuleOps};

/// One `.wasm` file.
struct Entry {
    path: PathBuf,
    /// The first directive naming it, for errors about the file itself.
    site: ConfSite,
    compiled: Option<Module>,
    /// This worker's idle instances: normally one, created at worker start and dropped after
    /// a trap. A call that starts while another call of the same module is in progress (a
    /// content handler's `flush` running this module's header or body filter) takes a second
    /// one, which is kept for the next time.
    instances: RefCell<Vec<Instance>>,
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
    modules: Vec<Entry>,
    uses: Vec<ExportUse>,
}

/// A failed guest call, with what the error log needs to name it.
pub struct CallError<'a> {
    /// Why it failed.
    pub error: GuestError,
    /// The module file.
    pub path: &'a std::path::Path,
    /// `name version` of the engine.
    pub engine: String,
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
                self.modules.push(Entry {
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
            let engine = runtime::create(name).map_err(|e| {
                (
                    self.modules[0].site.clone(),
                    format!("cannot create the wasm engine: {e:#}"),
                )
            })?;
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

    /// `name version` of the engine, once loaded.
    pub fn engine_label(&self) -> String {
        match &self.engine {
            Some(e) => format!("{} {}", e.name(), e.version()),
            None => "none".to_string(),
        }
    }

    /// Takes an idle instance of module `i`, or creates one.
    fn take_instance(&self, i: usize) -> Result<Instance, GuestError> {
        let entry = &self.modules[i];
        if let Some(inst) = entry.instances.borrow_mut().pop() {
            return Ok(inst);
        }
        let Some(compiled) = entry.compiled.as_ref() else {
            return Err(GuestError::new(
                engine_api::GuestErrorKind::Instantiate,
                "module not compiled",
            ));
        };
        compiled.instantiate()
    }

    /// Creates this worker's instance of module `i` ahead of the first request.
    fn prepare(&self, i: usize) -> Result<(), GuestError> {
        let inst = self.take_instance(i)?;
        self.modules[i].instances.borrow_mut().push(inst);
        Ok(())
    }

    /// Calls `handler` for `request` on an instance of its module. After a failure the
    /// instance is dropped, so the next call gets a fresh one.
    pub fn call(
        &self,
        handler: &Handler,
        request: &mut dyn HostRequest,
    ) -> Result<(), CallError<'_>> {
        let entry = &self.modules[handler.module];
        let fail = |error| CallError {
            error,
            path: &entry.path,
            engine: self.engine_label(),
        };
        let mut inst = self.take_instance(handler.module).map_err(fail)?;
        inst.call(&handler.export, request).map_err(fail)?;
        entry.instances.borrow_mut().push(inst);
        Ok(())
    }
}

/// Worker start: log the engine and instantiate every module ahead of the first request.
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
    for (i, m) in reg.modules.iter().enumerate() {
        if let Err(e) = reg.prepare(i) {
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
    crate::postpone::run(cycle, mcf);
    if let Some(h) = &mcf.init_worker {
        let mut host = crate::request::InitWorker::new(cycle.log);
        if let Err(e) = reg.call(h, &mut host) {
            crate::handlers::log_failure(cycle.log, &e, h, engine_api::Phase::InitWorker);
        }
    }
    ngx::core::Status::NGX_OK.0
}
