//! Wasmtime backend for ngx_wasm.
//!
//! This crate adapts [`engine_api`] to wasmtime: it compiles modules, links the host ABI table
//! ([`engine_api::abi::HOST_FUNCTIONS`]) into a [`wasmtime::Linker`] and calls exports. It
//! implements no host function itself.
//!
//! Budgets: `wasm_timeout` uses epoch interruption (an epoch ticker thread per worker, see
//! [`engine_api::ticker`], and a deadline callback that checks the clock), `wasm_fuel` uses wasmtime's
//! fuel; `wasm_max_memory` is a [`wasmtime::ResourceLimiter`] over
//! [`engine_api::MemoryLimiter`]. Per-request instances come from a pooling allocator made in
//! the worker ([`worker`]).

mod linker;
mod worker;

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use engine_api::{
    validate, Budget, EngineOptions, ExportCache, ExportType, ExternKind, FuncType, GuestError,
    GuestErrorKind, HostRequest, HostTrap, ImportType, InstanceLimits, Isolation, MemoryLimiter,
    RequestSlot, TrapKind, ValType,
};
use wasmtime::{InstancePre, Memory, Store, Trap, TypedFunc, UpdateDeadline};

use crate::worker::WorkerState;

/// The name this engine is known by in directives and logs.
pub const NAME: &str = "wasmtime";

/// The wasmtime version this crate is built against (kept in step with Cargo.toml).
pub const VERSION: &str = "48.0.8";

/// Epoch deadline (in ticks) meaning "none": far away, without overflowing wasmtime's
/// `current + delta`.
const NO_DEADLINE: u64 = u64::MAX / 2;

/// Per-store data: the request slot host functions reach the request through, the guest
/// memory, looked up once per instance (looking it up on every host call costs 10x), the
/// memory limiter and the running call's deadline.
#[derive(Default)]
pub struct StoreData {
    request: RequestSlot,
    memory: Option<Memory>,
    limiter: Limiter,
    deadline: Option<Instant>,
}

/// [`MemoryLimiter`] as wasmtime's resource limiter.
#[derive(Default)]
struct Limiter(MemoryLimiter);

impl wasmtime::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.0.memory_growing(current as u64, desired as u64))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.0.table_growing(current as u64, desired as u64))
    }
}

/// The wasmtime configuration for `options`: the budget checks compiled into the code.
fn config(options: EngineOptions) -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(options.timeouts);
    config.consume_fuel(options.fuel);
    if std::env::var_os(PERF_MAP_ENV).is_some() {
        // Only records where each function's code lies; the code itself is unchanged.
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    config
}

/// When set in nginx's environment, wasmtime writes `/tmp/perf-<pid>.map`, naming the address
/// range of every compiled guest function, so that profiles (`bench/cgprof.py --perf-map`)
/// can name guest code instead of showing bare addresses.
pub const PERF_MAP_ENV: &str = "NGX_WASM_PERF_MAP";

/// A wasmtime engine with the host ABI linked once.
pub struct Engine {
    engine: wasmtime::Engine,
    linker: Arc<wasmtime::Linker<StoreData>>,
    worker: Arc<WorkerState>,
}

impl Engine {
    /// Creates the engine and links the ABI table. `options` says which budgets compiled
    /// code must support.
    pub fn new(options: EngineOptions) -> anyhow::Result<Self> {
        let engine = wasmtime::Engine::new(&config(options)).map_err(anyhow::Error::from)?;
        let linker = linker::build(&engine)?;
        Ok(Engine {
            worker: Arc::new(WorkerState::new(engine.clone(), options)),
            engine,
            linker: Arc::new(linker),
        })
    }
}

impl engine_api::Engine for Engine {
    type Module = Module;

    fn name(&self) -> &'static str {
        NAME
    }

    fn version(&self) -> &'static str {
        VERSION
    }

    fn init_worker(&self, request_isolation: bool) -> anyhow::Result<()> {
        self.worker.init(request_isolation)
    }

    fn compile(&self, bytes: &[u8]) -> anyhow::Result<Module> {
        let module = wasmtime::Module::new(&self.engine, bytes)
            .map_err(anyhow::Error::from)
            .context("not a valid WebAssembly module")?;
        let imports: Vec<ImportType> = module
            .imports()
            .map(|i| ImportType {
                module: i.module().to_string(),
                name: i.name().to_string(),
                kind: extern_kind(&i.ty()),
            })
            .collect();
        validate::check_imports(&imports)?;
        let pre = self
            .linker
            .instantiate_pre(&module)
            .map_err(anyhow::Error::from)?;
        Ok(Module {
            engine: self.engine.clone(),
            exports: Arc::new(Exports::of(&module)),
            module,
            pre,
            pooled: std::sync::OnceLock::new(),
            imports,
            worker: self.worker.clone(),
        })
    }
}

/// The exports of one loaded module that calls use, resolved once: lookups by name hash the
/// name (SipHash) and intern it on every call, lookups by [`wasmtime::ModuleExport`] index
/// straight into the instance.
struct Exports {
    memory: Option<wasmtime::ModuleExport>,
    /// Every exported function of type `() -> ()` (the only handlers a directive accepts).
    handlers: Vec<(Box<str>, wasmtime::ModuleExport)>,
}

impl Exports {
    fn of(module: &wasmtime::Module) -> Exports {
        let handler = ExternKind::Func(validate::handler_type());
        let index_of = |name: &str, kind: &ExternKind| {
            let ty = module.get_export(name)?;
            (extern_kind(&ty) == *kind)
                .then(|| module.get_export_index(name))
                .flatten()
        };
        Exports {
            memory: index_of("memory", &ExternKind::Memory),
            handlers: module
                .exports()
                .filter_map(|e| Some((e.name().into(), index_of(e.name(), &handler)?)))
                .collect(),
        }
    }

    /// The typed handle of handler `name` in `instance`.
    fn handler(
        &self,
        instance: &wasmtime::Instance,
        store: &mut Store<StoreData>,
        name: &str,
    ) -> Result<TypedFunc<(), ()>, GuestError> {
        let func = self
            .handlers
            .iter()
            .find(|(n, _)| &**n == name)
            .and_then(|(_, e)| instance.get_module_export(&mut *store, e))
            .and_then(wasmtime::Extern::into_func)
            .ok_or_else(|| {
                GuestError::new(
                    GuestErrorKind::Export,
                    format!("no exported function \"{name}\" of type () -> ()"),
                )
            })?;
        // SAFETY: `handlers` holds only exports whose type is `() -> ()` (checked in `of`), of
        // the module `instance` was made from.
        Ok(unsafe { TypedFunc::new_unchecked(&*store, func) })
    }
}

/// A compiled module, pre-linked to the host ABI.
pub struct Module {
    engine: wasmtime::Engine,
    module: wasmtime::Module,
    pre: InstancePre<StoreData>,
    exports: Arc<Exports>,
    /// The same module loaded into the worker's pooling engine, for per-request instances.
    pooled: std::sync::OnceLock<Result<Pooled, String>>,
    imports: Vec<ImportType>,
    worker: Arc<WorkerState>,
}

/// A module loaded into the worker's pooling engine.
struct Pooled {
    engine: wasmtime::Engine,
    pre: InstancePre<StoreData>,
    exports: Arc<Exports>,
}

impl Module {
    /// The engine, pre-linked module and exports an instance of `isolation` comes from:
    /// per-request instances from the worker's pool when there is one, otherwise on demand.
    fn source(
        &self,
        isolation: Isolation,
    ) -> (&wasmtime::Engine, &InstancePre<StoreData>, &Arc<Exports>) {
        if isolation == Isolation::Request {
            if let Some(pool) = self.worker.pool() {
                let pooled = self.pooled.get_or_init(|| {
                    let (engine, pre) = pool.load(&self.module).map_err(|e| format!("{e:#}"))?;
                    let exports = Arc::new(Exports::of(pre.module()));
                    Ok(Pooled {
                        engine,
                        pre,
                        exports,
                    })
                });
                if let Ok(p) = pooled {
                    return (&p.engine, &p.pre, &p.exports);
                }
            }
        }
        (&self.engine, &self.pre, &self.exports)
    }
}

impl engine_api::Module for Module {
    type Instance = Instance;

    fn imports(&self) -> Vec<ImportType> {
        self.imports.clone()
    }

    fn exports(&self) -> Vec<ExportType> {
        self.module
            .exports()
            .map(|e| ExportType {
                name: e.name().to_string(),
                kind: extern_kind(&e.ty()),
            })
            .collect()
    }

    fn instantiate(
        &self,
        isolation: Isolation,
        limits: &InstanceLimits,
        budget: &Budget,
    ) -> Result<Instance, GuestError> {
        let (engine, pre, exports) = self.source(isolation);
        let data = StoreData {
            limiter: Limiter(MemoryLimiter::new(*limits)),
            ..StoreData::default()
        };
        let mut store = Store::new(engine, data);
        store.limiter(|d| &mut d.limiter);
        if self.worker.options().timeouts {
            store.epoch_deadline_callback(|ctx| {
                Ok(match ctx.data().deadline {
                    Some(d) if Instant::now() >= d => UpdateDeadline::Interrupt,
                    Some(_) => UpdateDeadline::Continue(1),
                    None => UpdateDeadline::Continue(NO_DEADLINE),
                })
            });
        }
        let worker = self.worker.clone();
        let _running = worker.begin(&mut store, budget)?;
        let instance = pre.instantiate(&mut store).map_err(|e| {
            let limiter = &store.data().limiter.0;
            match budget_stop(&e, budget) {
                Some(stop) => stop,
                None => limiter
                    .instantiate_error(GuestError::new(GuestErrorKind::Instantiate, describe(&e))),
            }
        })?;
        store.data_mut().memory = exports
            .memory
            .as_ref()
            .and_then(|e| instance.get_module_export(&mut store, e))
            .and_then(wasmtime::Extern::into_memory);
        Ok(Instance {
            store,
            instance,
            exports: exports.clone(),
            funcs: ExportCache::default(),
            cache_funcs: isolation == Isolation::Worker,
            worker: self.worker.clone(),
        })
    }
}

/// A live wasmtime instance with its store.
pub struct Instance {
    store: Store<StoreData>,
    instance: wasmtime::Instance,
    exports: Arc<Exports>,
    /// Typed handles of the exports called so far (worker instances, which serve many calls).
    funcs: ExportCache<TypedFunc<(), ()>>,
    cache_funcs: bool,
    worker: Arc<WorkerState>,
}

impl engine_api::Instance for Instance {
    fn call(
        &mut self,
        name: &str,
        request: &mut dyn HostRequest,
        budget: &Budget,
    ) -> Result<(), GuestError> {
        let (instance, store, exports) = (&self.instance, &mut self.store, &self.exports);
        // A per-request instance makes one call: looking the export up is cheaper than caching.
        let fresh;
        let func = if self.cache_funcs {
            self.funcs
                .get_or_lookup(name, || exports.handler(instance, store, name))?
        } else {
            fresh = exports.handler(instance, store, name)?;
            &fresh
        };
        let worker = self.worker.clone();
        let _running = worker.begin(&mut self.store, budget)?;
        self.store.data_mut().limiter.0.begin_call();
        // SAFETY: the request is unbound right after the call, before `request`'s borrow ends;
        // the build uses panic=abort, so no unwinding can skip the unbind.
        unsafe { self.store.data_mut().request.bind(request) };
        let result = func.call(&mut self.store, ());
        self.store.data_mut().request.unbind();
        result.map_err(|e| match budget_stop(&e, budget) {
            Some(stop) => stop,
            None => self
                .store
                .data()
                .limiter
                .0
                .call_error(GuestError::new(GuestErrorKind::Trap, describe(&e))),
        })
    }
}

/// The error for a call `budget` stopped, if that is what `e` is.
fn budget_stop(e: &wasmtime::Error, budget: &Budget) -> Option<GuestError> {
    let kind = trap_kind(*e.downcast_ref::<Trap>()?)?;
    kind.is_budget().then(|| budget.exceeded(kind))
}

/// One line saying why a call or instantiation failed.
fn describe(e: &wasmtime::Error) -> String {
    if let Some(t) = e.downcast_ref::<HostTrap>() {
        return t.to_string();
    }
    if let Some(t) = e.downcast_ref::<Trap>() {
        return match trap_kind(*t) {
            Some(kind) => kind.reason(),
            None => t.to_string(),
        };
    }
    e.to_string()
        .lines()
        .next()
        .unwrap_or("unknown error")
        .to_string()
}

fn trap_kind(t: Trap) -> Option<TrapKind> {
    Some(match t {
        Trap::StackOverflow => TrapKind::StackOverflow,
        Trap::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        Trap::HeapMisaligned => TrapKind::HeapMisaligned,
        Trap::TableOutOfBounds => TrapKind::TableOutOfBounds,
        Trap::IndirectCallToNull => TrapKind::IndirectCallToNull,
        Trap::BadSignature => TrapKind::BadSignature,
        Trap::IntegerOverflow => TrapKind::IntegerOverflow,
        Trap::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
        Trap::BadConversionToInteger => TrapKind::BadConversionToInteger,
        Trap::UnreachableCodeReached => TrapKind::Unreachable,
        // Only the epoch-deadline callback interrupts, and only for a timeout.
        Trap::Interrupt => TrapKind::Timeout,
        Trap::OutOfFuel => TrapKind::OutOfFuel,
        _ => return None,
    })
}

fn val_type(t: &wasmtime::ValType) -> ValType {
    match t {
        wasmtime::ValType::I32 => ValType::I32,
        wasmtime::ValType::I64 => ValType::I64,
        wasmtime::ValType::F32 => ValType::F32,
        wasmtime::ValType::F64 => ValType::F64,
        wasmtime::ValType::V128 => ValType::V128,
        wasmtime::ValType::Ref(_) => ValType::Ref,
    }
}

fn extern_kind(t: &wasmtime::ExternType) -> ExternKind {
    match t {
        wasmtime::ExternType::Func(f) => ExternKind::Func(FuncType {
            params: f.params().map(|p| val_type(&p)).collect(),
            results: f.results().map(|r| val_type(&r)).collect(),
        }),
        wasmtime::ExternType::Memory(_) => ExternKind::Memory,
        wasmtime::ExternType::Table(_) => ExternKind::Table,
        wasmtime::ExternType::Global(_) => ExternKind::Global,
        _ => ExternKind::Other,
    }
}
