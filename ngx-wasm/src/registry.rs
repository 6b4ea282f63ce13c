//! The modules a configuration names, compiled once per file, and the instances this worker
//! lends to calls.
//!
//! Directives declare what they use ([`Registry::add`]); once the `http` block is parsed,
//! [`Registry::load`] creates the engine, compiles every file and checks every export the
//! directives name. Calls then lease an instance ([`Registry::lease`]) for as long as they
//! run, suspended or not, and give it back when they finish ([`Registry::give_back`]).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use engine_api::validate::Declared;
use engine_api::{
    validate, Budget, Engine as _, EngineOptions, ExternKind, FuncType, GuestError, GuestErrorKind,
    Instance as _, InstanceLimits, Isolation, Module as _, Step,
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

/// The default of `wasm_max_instances`: the most calls of one module a worker runs at once.
pub const DEFAULT_MAX_INSTANCES: usize = 256;

/// A request waiting for a call of a module to end (`wasm_max_instances` reached): `wake`
/// is called with `data` when one does.
struct Waiter {
    ticket: u64,
    wake: unsafe fn(*mut c_void),
    data: *mut c_void,
}

/// The calls of one module this worker runs (each holds an instance), and who waits for one
/// to end.
#[derive(Default)]
struct Slots {
    in_use: Cell<usize>,
    waiters: RefCell<VecDeque<Waiter>>,
    next_ticket: Cell<u64>,
}

impl Slots {
    /// A call ended: the first request waiting for one is woken.
    fn release(&self) {
        self.in_use.set(self.in_use.get().saturating_sub(1));
        let next = self.waiters.borrow_mut().pop_front();
        if let Some(w) = next {
            // SAFETY: the waiter registered `data` for `wake` and forgets its ticket before
            // `data` goes away (see `Registry::wait_for_instance`).
            unsafe { (w.wake)(w.data) };
        }
    }
}

/// An instance lent to one call, with what it was made under. While lent it counts against
/// `wasm_max_instances`; the count drops when it is given back or dropped.
pub struct Lease {
    module: ModuleId,
    limits: InstanceLimits,
    isolation: Isolation,
    /// Set while the lease is lent out (not in the idle list).
    counted: Option<Rc<Slots>>,
    /// Boxed: a lease moves in and out of the idle list, and an engine's instance is large.
    pub instance: Box<AnyInstance>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(slots) = self.counted.take() {
            slots.release();
        }
    }
}

/// Why no instance was lent.
pub enum LeaseError {
    /// `wasm_max_instances` calls of the module are in progress: wait for one to end.
    Busy,
    /// Making an instance failed.
    Failed(GuestError),
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
    /// The calls in progress and the requests waiting for one to end.
    slots: Rc<Slots>,
    /// Its exports of type `() -> ()`: what a timer of it may run. Filled at load time.
    handler_exports: Vec<String>,
    /// Its memories' and tables' initial sizes. Filled at load time.
    declared: Declared,
    /// It exports `_initialize` (a WASI reactor): each new instance runs it first.
    initialize: bool,
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
    /// `wasm_max_instances` (0: not set, the default applies).
    max_instances: usize,
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
                    slots: Rc::default(),
                    handler_exports: Vec::new(),
                    declared: Declared::default(),
                    initialize: false,
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
            let bytes = read_module_file(&m.path).map_err(|e| fail(format!("cannot read: {e}")))?;
            validate::check_binary(&bytes).map_err(|e| fail(e.to_string()))?;
            m.declared = Declared::of(&bytes)
                .map_err(|e| fail(format!("not a valid WebAssembly module: {e}")))?;
            let compiled = engine.compile(&bytes).map_err(|e| {
                fail(format!(
                    "{e:#} (engine: {} {})",
                    engine.name(),
                    engine.version()
                ))
            })?;
            m.handler_exports = compiled
                .exports()
                .into_iter()
                .filter(|e| matches!(&e.kind, ExternKind::Func(ty) if *ty == FuncType::handler()))
                .map(|e| e.name)
                .collect();
            m.initialize = m.handler_exports.iter().any(|e| e == INITIALIZE);
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

    /// The initial sizes of module `id`'s memories and tables.
    pub fn declared(&self, id: ModuleId) -> Declared {
        self.modules.get(id).map(|m| m.declared).unwrap_or_default()
    }

    /// The directive that first names `export` of module `id`, for `nginx -t` errors.
    pub fn site_of(&self, id: ModuleId, export: &str) -> Option<&ConfSite> {
        self.uses
            .iter()
            .find(|u| u.module == id && u.export == export)
            .map(|u| &u.site)
    }

    /// True when module `id` exports `name` as a function of type `() -> ()`.
    pub fn has_handler_export(&self, id: ModuleId, name: &[u8]) -> bool {
        self.modules
            .get(id)
            .is_some_and(|m| m.handler_exports.iter().any(|e| e.as_bytes() == name))
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

    /// Sets `wasm_max_instances`.
    pub fn set_max_instances(&mut self, n: usize) {
        self.max_instances = n;
    }

    /// `wasm_max_instances` in force.
    pub fn max_instances(&self) -> usize {
        if self.max_instances == 0 {
            DEFAULT_MAX_INSTANCES
        } else {
            self.max_instances
        }
    }

    /// An instance of module `id` for one call: an idle worker instance made under the same
    /// limits, or a new one (always new for [`Isolation::Request`]). A start function runs
    /// under `budget`. [`LeaseError::Busy`] when `wasm_max_instances` calls of the module are
    /// in progress.
    pub fn lease(
        &self,
        id: ModuleId,
        isolation: Isolation,
        limits: &InstanceLimits,
        budget: &Budget,
    ) -> Result<Lease, LeaseError> {
        let entry = &self.modules[id];
        if entry.slots.in_use.get() >= self.max_instances() {
            return Err(LeaseError::Busy);
        }
        let mut lease = self
            .idle_or_new(id, isolation, limits, budget)
            .map_err(LeaseError::Failed)?;
        entry.slots.in_use.set(entry.slots.in_use.get() + 1);
        lease.counted = Some(entry.slots.clone());
        Ok(lease)
    }

    #[inline]
    fn idle_or_new(
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
        let mut instance = compiled.instantiate(isolation, limits, budget)?;
        if entry.initialize {
            initialize(&mut instance, budget)?;
        }
        Ok(Lease {
            module: id,
            limits: *limits,
            isolation,
            counted: None,
            instance: Box::new(instance),
        })
    }

    /// Registers `wake(data)` to run once a call of module `id` ends; returns the ticket that
    /// [`Registry::forget`] takes.
    ///
    /// # Safety
    /// `data` must stay valid for `wake` until the waiter is woken or forgotten.
    pub unsafe fn wait_for_instance(
        &self,
        id: ModuleId,
        wake: unsafe fn(*mut c_void),
        data: *mut c_void,
    ) -> u64 {
        let slots = &self.modules[id].slots;
        let ticket = slots.next_ticket.get();
        slots.next_ticket.set(ticket + 1);
        slots
            .waiters
            .borrow_mut()
            .push_back(Waiter { ticket, wake, data });
        ticket
    }

    /// Removes the waiter with `ticket` (its request ended, or its wait timed out).
    pub fn forget(&self, id: ModuleId, ticket: u64) {
        self.modules[id]
            .slots
            .waiters
            .borrow_mut()
            .retain(|w| w.ticket != ticket);
    }

    /// How many calls of module `id` are in progress.
    pub fn in_use(&self, id: ModuleId) -> usize {
        self.modules[id].slots.in_use.get()
    }

    /// Takes back an instance whose call finished: a worker instance is kept for the next
    /// call (up to [`MAX_IDLE_INSTANCES`]), a per-request one dropped. An instance whose call
    /// failed is not given back: its lease is dropped, and the next call gets a fresh one.
    #[inline]
    pub fn give_back(&self, mut lease: Lease) {
        let counted = lease.counted.take();
        if lease.isolation == Isolation::Worker {
            let mut idle = self.modules[lease.module].idle.borrow_mut();
            if idle.len() < MAX_IDLE_INSTANCES {
                idle.push(lease);
            }
        }
        // After the instance is idle again: the request woken may take it.
        if let Some(slots) = counted {
            slots.release();
        }
    }

    /// Makes this worker's instance of module `id` ahead of the first request.
    pub fn prepare(
        &self,
        id: ModuleId,
        limits: &InstanceLimits,
        budget: &Budget,
    ) -> Result<(), GuestError> {
        let lease = self.idle_or_new(id, Isolation::Worker, limits, budget)?;
        self.give_back(lease);
        Ok(())
    }
}

/// Reads a module file: a regular file only, opened without blocking, so that a FIFO (or a
/// device) named by a directive fails `nginx -t` at once instead of hanging it.
/// The export a WASI reactor (a Rust `cdylib` for `wasm32-wasip1`, Go's `-buildmode=c-shared`,
/// clang's `-mexec-model=reactor`) needs called once before any other: its runtime's and
/// its constructors' start.
pub const INITIALIZE: &str = "_initialize";

/// Runs a new instance's `_initialize` under `budget`, with no request: a failure fails the
/// instantiation, with the reason.
fn initialize(instance: &mut AnyInstance, budget: &Budget) -> Result<(), GuestError> {
    let mut host = crate::request::InitWorker::initializer(crate::supervise::cycle_log());
    let failed = |why: String| GuestError::new(GuestErrorKind::Instantiate, why);
    let step = instance.start(INITIALIZE, &[], &mut host, budget);
    engine_api::abi::wasi::end_of_call(&mut host);
    match step {
        Ok(Step::Done(_)) => Ok(()),
        // Nothing a start can call waits (waiting is refused outside requests); the instance
        // is dropped, which cancels the call.
        Ok(Step::Suspended(_)) => Err(failed(format!("{INITIALIZE} waited, which it cannot"))),
        Err(e) => Err(failed(format!("{INITIALIZE} {e}"))),
    }
}

fn read_module_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;

    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(ngx::ffi::O_NONBLOCK as i32)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}
