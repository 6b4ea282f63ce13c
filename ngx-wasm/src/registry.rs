//! The modules a configuration names, compiled once per file, and the instances this worker
//! lends to calls.
//!
//! Directives declare what they use ([`Registry::add`]); once the `http` block is parsed,
//! [`Registry::load`] creates the engine, compiles every file and checks every export the
//! directives name. Calls then lease an instance ([`Registry::lease`]) for as long as they
//! run, suspended or not, and give it back when they finish ([`Registry::give_back`]).

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use engine_api::{
    validate, Budget, Engine as _, EngineOptions, GuestError, GuestErrorKind, InstanceLimits,
    Isolation, Module as _,
};

use crate::engines::{self, AnyEngine, AnyInstance, AnyModule};
use crate::site::ConfSite;

/// A module's index in the registry.
pub type ModuleId = usize;

/// One phase handler: a guest export of a module in the [`Registry`].
#[derive(Debug, Clone)]
pub struct Handler {
    /// The module.
    pub module: ModuleId,
    /// The export to call, of type `() -> ()`.
    pub export: String,
}

/// Idle instances kept per module (and per distinct limits) for the next calls: enough for
/// the calls a worker usually has in flight at once; instances made for a burst of
/// suspended calls beyond it are dropped when those calls end.
pub const MAX_IDLE_INSTANCES: usize = 8;

/// An instance lent to one call, with what it was made under.
pub struct Lease {
    module: ModuleId,
    limits: InstanceLimits,
    isolation: Isolation,
    /// Boxed: a lease moves in and out of the idle list, and an engine's instance is large.
    pub instance: Box<AnyInstance>,
}

/// One `.wasm` file.
struct Entry {
    path: PathBuf,
    /// The first directive naming it, for errors about the file itself.
    site: ConfSite,
    compiled: Option<AnyModule>,
    /// This worker's idle instances (`wasm_isolation worker`): normally one per distinct
    /// `wasm_max_memory` in force where the module is used, made at worker start or on first
    /// use, and dropped after a failure. A call that starts while another of the same module
    /// is in progress (suspended, or nested: a content handler's `flush` running this
    /// module's filters) takes another one.
    idle: RefCell<Vec<Lease>>,
}

/// An export some directive will call, checked at load time.
struct ExportUse {
    module: ModuleId,
    export: String,
    site: ConfSite,
}

/// Modules by path, the engine that compiled them, and the exports directives use.
#[derive(Default)]
pub struct Registry {
    engine: Option<AnyEngine>,
    /// `name version` of the engine, for log lines (made once: calls log it on failure).
    engine_label: String,
    modules: Vec<Entry>,
    uses: Vec<ExportUse>,
}

impl Registry {
    /// Records that the directive at `site` calls `export` of the module at `path`; the
    /// handler names the module. A path named by several directives is compiled once.
    pub fn add(&mut self, path: PathBuf, export: &str, site: ConfSite) -> Handler {
        let module = match self.modules.iter().position(|m| m.path == path) {
            Some(i) => i,
            None => {
                self.modules.push(Entry {
                    path,
                    site: site.clone(),
                    compiled: None,
                    idle: RefCell::new(Vec::new()),
                });
                self.modules.len() - 1
            }
        };
        self.uses.push(ExportUse {
            module,
            export: export.to_string(),
            site,
        });
        Handler {
            module,
            export: export.to_string(),
        }
    }

    /// True when no directive names a module.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// How many modules there are.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// The path of module `id`.
    pub fn path(&self, id: ModuleId) -> &Path {
        &self.modules[id].path
    }

    /// Creates the engine `engine_name` (the default one if `None`), able to enforce the
    /// budgets of `options`, reads and compiles every module and checks every export. The
    /// error names the directive it concerns.
    pub fn load(
        &mut self,
        engine_name: Option<&str>,
        options: EngineOptions,
    ) -> Result<(), (ConfSite, String)> {
        let Some(first) = self.modules.first() else {
            return Ok(());
        };
        let name = engine_name.unwrap_or(engines::DEFAULT_ENGINE);
        let engine = engines::create(name, options).map_err(|e| {
            (
                first.site.clone(),
                format!("cannot create the wasm engine: {e:#}"),
            )
        })?;
        self.engine_label = format!("{} {}", engine.name(), engine.version());
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
        self.engine = Some(engine);
        Ok(())
    }

    /// True when some loaded module imports the host function named `qualified`
    /// (`ngx.subreq_wait`).
    pub fn imports(&self, qualified: &str) -> bool {
        self.modules.iter().any(|m| {
            m.compiled
                .as_ref()
                .is_some_and(|c| c.host_imports().iter().any(|f| f.qualified == qualified))
        })
    }

    /// The engine, once loaded.
    pub fn engine(&self) -> Option<&AnyEngine> {
        self.engine.as_ref()
    }

    /// `name version` of the engine, once loaded ("none" before).
    pub fn engine_label(&self) -> &str {
        if self.engine.is_some() {
            &self.engine_label
        } else {
            "none"
        }
    }

    /// An instance of module `id` for one call: an idle worker instance made under the same
    /// limits, or a new one (always new for [`Isolation::Request`]). A start function runs
    /// under `budget`.
    pub fn lease(
        &self,
        id: ModuleId,
        isolation: Isolation,
        limits: &InstanceLimits,
        budget: &Budget,
    ) -> Result<Lease, GuestError> {
        let entry = &self.modules[id];
        if isolation == Isolation::Worker {
            let mut idle = entry.idle.borrow_mut();
            if let Some(pos) = idle.iter().rposition(|l| l.limits == *limits) {
                return Ok(idle.swap_remove(pos));
            }
        }
        let compiled = entry
            .compiled
            .as_ref()
            .ok_or_else(|| GuestError::new(GuestErrorKind::Instantiate, "module not compiled"))?;
        let instance = compiled.instantiate(isolation, limits, budget)?;
        Ok(Lease {
            module: id,
            limits: *limits,
            isolation,
            instance: Box::new(instance),
        })
    }

    /// Takes back an instance whose call finished: a worker instance is kept for the next
    /// call (up to [`MAX_IDLE_INSTANCES`]), a per-request one dropped. An instance whose call
    /// failed is not given back: its lease is dropped, and the next call gets a fresh one.
    #[inline]
    pub fn give_back(&self, lease: Lease) {
        if lease.isolation == Isolation::Worker {
            let mut idle = self.modules[lease.module].idle.borrow_mut();
            if idle.len() < MAX_IDLE_INSTANCES {
                idle.push(lease);
            }
        }
    }

    /// Makes this worker's instance of module `id` ahead of the first request.
    pub fn prepare(
        &self,
        id: ModuleId,
        limits: &InstanceLimits,
        budget: &Budget,
    ) -> Result<(), GuestError> {
        let lease = self.lease(id, Isolation::Worker, limits, budget)?;
        self.give_back(lease);
        Ok(())
    }
}
