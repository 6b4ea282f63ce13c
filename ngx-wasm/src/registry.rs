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

use engine_api::abi::proxy_wasm::callbacks as proxy_wasm;

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
    /// Which instance this is, unique in the worker: Proxy-Wasm contexts live in one
    /// instance, and a request must not call a context into another.
    serial: u64,
    /// Boxed: a lease moves in and out of the idle list, and an engine's instance is large.
    pub instance: Box<AnyInstance>,
}

impl Lease {
    /// The instance's number, unique in this worker.
    pub fn serial(&self) -> u64 {
        self.serial
    }
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
    /// Every function it exports, sorted (filled at load time for Proxy-Wasm filters, whose
    /// callbacks take arguments).
    func_exports: Vec<String>,
}

/// One `proxy_wasm` directive: a Proxy-Wasm plugin, a root context in its module's
/// instances.
#[derive(Debug)]
pub struct ProxyRoot {
    /// The module.
    pub module: ModuleId,
    /// The root context's id, unique in the configuration (from 1).
    pub root_id: u32,
    /// The plugin's name: the file name without `.wasm`.
    pub name: Vec<u8>,
    /// The directive's configuration string.
    pub config: Vec<u8>,
    /// The directive.
    pub site: ConfSite,
}

impl ProxyRoot {
    /// What the ABI answers about this plugin.
    pub fn filter(&self) -> engine_api::ProxyFilter<'_> {
        engine_api::ProxyFilter {
            name: &self.name,
            config: &self.config,
            root_id: self.root_id,
        }
    }
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
    /// The `proxy_wasm` directives, by root context id - 1.
    proxy_roots: Vec<ProxyRoot>,
    /// The last instance number given.
    serials: Cell<u64>,
}

impl Registry {
    /// Records that the directive at `site` calls `export` of the module at `path`; the
    /// handler names the module. A path named by several directives is compiled once.
    pub fn add(&mut self, path: PathBuf, export: &str, site: ConfSite) -> Handler {
        let module = self.module_of(path, &site);
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

    /// Records the `proxy_wasm` directive at `site` (module at `path`, `config` string);
    /// returns its root context id (see [`Registry::proxy_root`]).
    pub fn add_proxy(&mut self, path: PathBuf, config: Vec<u8>, site: ConfSite) -> u32 {
        let module = self.module_of(path, &site);
        let name = self.modules[module]
            .path
            .file_stem()
            .map(|s| s.as_encoded_bytes().to_vec())
            .unwrap_or_default();
        let root_id = u32::try_from(self.proxy_roots.len() + 1).unwrap_or(u32::MAX);
        self.proxy_roots.push(ProxyRoot {
            module,
            root_id,
            name,
            config,
            site,
        });
        root_id
    }

    /// The `proxy_wasm` directive with root context `root_id`.
    pub fn proxy_root(&self, root_id: u32) -> Option<&ProxyRoot> {
        self.proxy_roots.get((root_id as usize).checked_sub(1)?)
    }

    /// How many `proxy_wasm` directives (root contexts) there are.
    pub fn proxy_root_count(&self) -> u32 {
        u32::try_from(self.proxy_roots.len()).unwrap_or(u32::MAX)
    }

    /// True when some `proxy_wasm` directive is configured.
    pub fn has_proxy(&self) -> bool {
        !self.proxy_roots.is_empty()
    }

    /// The id of the module at `path`, added if new.
    fn module_of(&mut self, path: PathBuf, site: &ConfSite) -> ModuleId {
        match self.modules.iter().position(|m| m.path == path) {
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
                    func_exports: Vec::new(),
                });
                self.modules.len() - 1
            }
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
            m.func_exports = compiled
                .exports()
                .into_iter()
                .filter(|e| matches!(&e.kind, ExternKind::Func(_)))
                .map(|e| e.name)
                .collect();
            m.func_exports.sort_unstable();
            m.compiled = Some(compiled);
        }
        for root in &self.proxy_roots {
            let m = &self.modules[root.module];
            let abi = proxy_wasm::ABI_VERSIONS;
            if !m.func_exports.iter().any(|e| abi.contains(&e.as_str())) {
                return Err((
                    root.site.clone(),
                    format!(
                        "wasm module \"{}\" is not a Proxy-Wasm filter: it exports no {} (Proxy-Wasm ABI 0.2.x)",
                        m.path.display(),
                        abi.join(" or ")
                    ),
                ));
            }
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
        for root in self.proxy_roots.iter().filter(|r| r.module == id) {
            start_root(&mut instance, &entry.func_exports, root, budget)?;
        }
        self.serials.set(self.serials.get() + 1);
        Ok(Lease {
            module: id,
            limits: *limits,
            isolation,
            counted: None,
            serial: self.serials.get(),
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

    /// True when module `id` exports a function `name` (any type).
    pub fn exports_function(&self, id: ModuleId, name: &str) -> bool {
        self.modules.get(id).is_some_and(|m| {
            m.func_exports
                .binary_search_by(|e| e.as_str().cmp(name))
                .is_ok()
        })
    }

    /// Makes an instance of every Proxy-Wasm module once and configures its plugins, to
    /// learn at `nginx -t` whether each accepts its configuration; the error names the
    /// directive whose plugin refused. Runs without a budget (no ticker runs in the master).
    pub fn check_proxy_roots(&self, limits: &InstanceLimits) -> Result<(), (ConfSite, String)> {
        let budget = &Budget::UNLIMITED;
        for (id, entry) in self.modules.iter().enumerate() {
            let mut roots = self
                .proxy_roots
                .iter()
                .filter(|r| r.module == id)
                .peekable();
            let Some(first) = roots.peek() else {
                continue;
            };
            let fail = |site: &ConfSite, e: GuestError| {
                (
                    site.clone(),
                    format!("wasm module \"{}\": {e}", entry.path.display()),
                )
            };
            let Some(compiled) = entry.compiled.as_ref() else {
                continue;
            };
            let mut instance = compiled
                .instantiate(Isolation::Request, limits, budget)
                .map_err(|e| fail(&first.site, e))?;
            if entry.initialize {
                initialize(&mut instance, budget).map_err(|e| fail(&first.site, e))?;
            }
            for root in roots {
                start_root(&mut instance, &entry.func_exports, root, budget)
                    .map_err(|e| fail(&root.site, e))?;
            }
        }
        Ok(())
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

/// Creates the root context of `root` in a new instance and configures it, as a
/// Proxy-Wasm host does once per plugin per VM: `proxy_on_context_create(root_id, 0)`,
/// `proxy_on_vm_start(root_id, 0)` (no VM configuration), `proxy_on_configure(root_id,
/// config size)`. A plugin that answers false refuses its configuration: the instance is
/// not made.
fn start_root(
    instance: &mut AnyInstance,
    exports: &[String],
    root: &ProxyRoot,
    budget: &Budget,
) -> Result<(), GuestError> {
    use engine_api::Val;
    let mut host =
        crate::request::InitWorker::proxy_root(crate::supervise::cycle_log(), root.filter());
    let id = i32::try_from(root.root_id).unwrap_or(i32::MAX);
    let config_len = i32::try_from(root.config.len()).unwrap_or(i32::MAX);
    let name = String::from_utf8_lossy(&root.name);
    let failed = |why: String| {
        GuestError::new(
            GuestErrorKind::Instantiate,
            format!(
                "proxy_wasm plugin \"{name}\" (root context {}): {why}",
                root.root_id
            ),
        )
    };
    let calls = [
        (
            proxy_wasm::CONTEXT_CREATE,
            [Val::I32(id), Val::I32(0)],
            false,
        ),
        (proxy_wasm::VM_START, [Val::I32(id), Val::I32(0)], true),
        (
            proxy_wasm::CONFIGURE,
            [Val::I32(id), Val::I32(config_len)],
            true,
        ),
    ];
    for (export, args, answers) in calls {
        if !exports.iter().any(|e| e == export) {
            continue;
        }
        let step = instance.start(export, &args, &mut host, budget);
        engine_api::abi::wasi::end_of_call(&mut host);
        match step {
            Ok(Step::Done(vals)) => {
                if answers && matches!(vals.first(), Some(Val::I32(0))) {
                    return Err(failed(if export == proxy_wasm::CONFIGURE {
                        "refused its configuration (proxy_on_configure returned false)".to_string()
                    } else {
                        format!("{export} returned false")
                    }));
                }
            }
            Ok(Step::Suspended(_)) => {
                return Err(failed(format!("{export} waited, which it cannot")))
            }
            Err(e) => return Err(failed(format!("{export} {e}"))),
        }
    }
    Ok(())
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
