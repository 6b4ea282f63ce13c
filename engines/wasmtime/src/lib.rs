//! Wasmtime backend for ngx_wasm.
//!
//! This crate adapts [`engine_api`] to wasmtime: it compiles modules, links the host ABIs
//! ([`engine_api::abi::ABIS`]) into a [`wasmtime::Linker`] and runs calls ([`call`]). It
//! implements no host function itself.
//!
//! Calls that may suspend (a module importing a host function that may) run on a fiber
//! with `call_async`, polled with a no-op waker; every other module's calls stay plain
//! typed calls. Budgets: `wasm_timeout` uses epoch interruption (an epoch ticker thread per
//! worker, see [`engine_api::ticker`], and a deadline callback that checks the clock),
//! `wasm_fuel` uses wasmtime's fuel; `wasm_max_memory` is a [`wasmtime::ResourceLimiter`]
//! over [`engine_api::MemoryLimiter`]. Per-request instances come from a pooling allocator
//! made in the worker ([`worker`]).

mod call;
mod linker;
mod worker;

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use engine_api::abi::HostAbi;
use engine_api::suspend::{poll_once, Exchange};
use engine_api::{
    validate, Budget, Capabilities, EngineOptions, ExportType, ExternKind, FuncType, GuestError,
    GuestErrorKind, HostTrap, ImportType, InstanceLimits, Isolation, MemoryLimiter, RequestSlot,
    TrapKind, ValType,
};
use wasmtime::{InstancePre, Memory, Store, Trap, UpdateDeadline};

pub use crate::call::Instance;
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
/// memory limiter, the running step's deadline and, for a module whose calls may suspend,
/// the exchange its suspending host functions talk to the instance through.
#[derive(Default)]
pub struct StoreData {
    request: RequestSlot,
    memory: Option<Memory>,
    limiter: Limiter,
    deadline: Option<Instant>,
    exchange: Option<Arc<Exchange>>,
}

// SAFETY: wasmtime requires the data of a store that runs async calls to be `Send`. The
// `RequestSlot` holds a pointer to the request only while a call step runs on the thread
// that owns the instance (nginx workers are single-threaded); stores are never shared with
// or moved to another thread.
unsafe impl Send for StoreData {}

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

    // A growth the limiter counted that wasmtime then failed (out of its reservation, a
    // mapping refused) must not count: the same rule as on wasmi and wasmer.
    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.0.memory_grow_failed();
        Ok(())
    }

    fn table_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.0.table_grow_failed();
        Ok(())
    }
}

/// The wasmtime configuration for `options`: the budget checks compiled into the code.
fn config(options: EngineOptions) -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config.epoch_interruption(options.timeouts);
    config.consume_fuel(options.fuel);
    // The WebAssembly proposals, the same list on every engine (docs/engines.md "Proposals").
    // memory64 off: wasm_max_memory is at most 4 GiB.
    config
        .wasm_bulk_memory(true)
        .wasm_multi_memory(true)
        .wasm_extended_const(true)
        .wasm_simd(true)
        .wasm_memory64(false)
        .wasm_tail_call(false)
        .wasm_features(wasmtime::WasmFeatures::FUNCTION_REFERENCES, false)
        .wasm_relaxed_simd(false)
        .wasm_wide_arithmetic(false)
        .wasm_custom_page_sizes(false)
        .wasm_gc(false);
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

/// A wasmtime engine with the host ABIs linked once.
pub struct Engine {
    engine: wasmtime::Engine,
    linker: Arc<wasmtime::Linker<StoreData>>,
    /// The linker of modules whose calls run on a fiber: functions that call back into the
    /// guest (to allocate) do so with `call_async` there.
    fiber_linker: Arc<wasmtime::Linker<StoreData>>,
    abis: &'static [&'static HostAbi],
    worker: Arc<WorkerState>,
}

impl Engine {
    /// Creates the engine and links `abis`. `options` says which budgets compiled code must
    /// support.
    pub fn new(options: EngineOptions, abis: &'static [&'static HostAbi]) -> anyhow::Result<Self> {
        let engine = wasmtime::Engine::new(&config(options)).map_err(anyhow::Error::from)?;
        let linker = linker::build(&engine, abis, false)?;
        let fiber_linker = linker::build(&engine, abis, true)?;
        Ok(Engine {
            worker: Arc::new(WorkerState::new(engine.clone(), options, abis)),
            engine,
            linker: Arc::new(linker),
            fiber_linker: Arc::new(fiber_linker),
            abis,
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

    fn capabilities(&self) -> Capabilities {
        Capabilities { suspend: true }
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
        let funcs = validate::check_imports(&imports, self.abis, self.capabilities())?;
        let resumable = validate::may_suspend(&funcs);
        let linker = if resumable {
            &self.fiber_linker
        } else {
            &self.linker
        };
        let pre = linker
            .instantiate_pre(&module)
            .map_err(anyhow::Error::from)?;
        Ok(Module {
            engine: self.engine.clone(),
            exports: Arc::new(Exports::of(&module)),
            module,
            pre,
            pooled: std::sync::OnceLock::new(),
            resumable,
            host_imports: funcs,
            worker: self.worker.clone(),
        })
    }
}

/// One exported function, resolved once per module.
struct ExportFunc {
    name: Box<str>,
    index: wasmtime::ModuleExport,
    /// Of type `() -> ()`: a handler, called through a typed handle.
    handler: bool,
    /// Of a shape plain calls make through a typed handle (see `call::Typed`).
    shape: Option<call::Shape>,
    /// Its result types, for the buffer its results are written to.
    results: Vec<wasmtime::ValType>,
}

/// The exports of one loaded module that calls use, resolved once: lookups by name hash the
/// name (SipHash) and intern it on every call, lookups by [`wasmtime::ModuleExport`] index
/// straight into the instance.
struct Exports {
    memory: Option<wasmtime::ModuleExport>,
    funcs: Vec<ExportFunc>,
}

impl Exports {
    fn of(module: &wasmtime::Module) -> Exports {
        let index = |name: &str| module.get_export_index(name);
        Exports {
            memory: module
                .get_export("memory")
                .filter(|t| extern_kind(t) == ExternKind::Memory)
                .and_then(|_| index("memory")),
            funcs: module
                .exports()
                .filter_map(|e| {
                    let wasmtime::ExternType::Func(ty) = e.ty() else {
                        return None;
                    };
                    let ExternKind::Func(our) = extern_kind(&e.ty()) else {
                        return None;
                    };
                    Some(ExportFunc {
                        name: e.name().into(),
                        index: index(e.name())?,
                        handler: our == FuncType::handler(),
                        shape: call::Shape::of(&our),
                        results: ty.results().collect(),
                    })
                })
                .collect(),
        }
    }

    /// The index in [`Exports::funcs`] of the exported function `name`.
    fn index(&self, name: &str) -> Result<usize, GuestError> {
        self.funcs
            .iter()
            .position(|f| &*f.name == name)
            .ok_or_else(|| {
                GuestError::new(
                    GuestErrorKind::Export,
                    format!("no exported function \"{name}\""),
                )
            })
    }
}

/// A compiled module, pre-linked to the host ABIs.
pub struct Module {
    engine: wasmtime::Engine,
    module: wasmtime::Module,
    pre: InstancePre<StoreData>,
    exports: Arc<Exports>,
    /// The same module loaded into the worker's pooling engine, for per-request instances.
    pooled: std::sync::OnceLock<Result<Pooled, String>>,
    /// The module imports a host function that may suspend: its calls run on a fiber.
    resumable: bool,
    /// The host functions it imports, in import order.
    host_imports: Vec<&'static engine_api::abi::HostFunction>,
    worker: Arc<WorkerState>,
}

/// A module loaded into the worker's pooling engine.
struct Pooled {
    engine: wasmtime::Engine,
    pre: InstancePre<StoreData>,
    exports: Arc<Exports>,
}

impl Module {
    /// The pooling engine's copy of the module, loaded on first use, if the worker has a
    /// pool.
    fn pooled(&self) -> Option<&Pooled> {
        let pool = self.worker.pool()?;
        let pooled = self.pooled.get_or_init(|| {
            let (engine, pre) = pool
                .load(&self.module, self.resumable)
                .map_err(|e| format!("{e:#}"))?;
            let exports = Arc::new(Exports::of(pre.module()));
            Ok(Pooled {
                engine,
                pre,
                exports,
            })
        });
        pooled.as_ref().ok()
    }

    fn new_instance(
        &self,
        engine: &wasmtime::Engine,
        pre: &InstancePre<StoreData>,
        exports: &Arc<Exports>,
        isolation: Isolation,
        limits: &InstanceLimits,
        budget: &Budget,
    ) -> Result<Instance, (GuestError, bool)> {
        let exchange = self.resumable.then(|| Arc::new(Exchange::default()));
        let data = StoreData {
            limiter: Limiter(MemoryLimiter::new(*limits)),
            exchange: exchange.clone(),
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
        let _running = worker.begin(&mut store, budget).map_err(|e| (e, false))?;
        let made = if self.resumable {
            // Instantiation of a module whose imports may suspend goes through wasmtime's
            // async entry point; a start function runs before any request exists, so its
            // host calls trap instead of suspending, and one poll finishes it.
            let mut future = Box::pin(pre.instantiate_async(&mut store));
            match poll_once(future.as_mut()) {
                std::task::Poll::Ready(r) => r,
                std::task::Poll::Pending => Err(wasmtime::Error::msg(
                    "the start function suspended (no request exists yet)",
                )),
            }
        } else {
            pre.instantiate(&mut store)
        };
        let instance = made.map_err(|e| {
            let pool_full = e
                .downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
                .is_some();
            let limiter = &store.data().limiter.0;
            let error = match budget_stop(&e, budget) {
                Some(stop) => stop,
                None => limiter
                    .instantiate_error(GuestError::new(GuestErrorKind::Instantiate, describe(&e))),
            };
            (error, pool_full)
        })?;
        store.data_mut().memory = exports
            .memory
            .as_ref()
            .and_then(|e| instance.get_module_export(&mut store, e))
            .and_then(wasmtime::Extern::into_memory);
        Ok(Instance::new(
            store,
            instance,
            exports.clone(),
            isolation == Isolation::Worker,
            exchange,
            self.worker.clone(),
        ))
    }
}

impl engine_api::Module for Module {
    type Instance = Instance;

    fn host_imports(&self) -> &[&'static engine_api::abi::HostFunction] {
        &self.host_imports
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

    /// Per-request instances come from the worker's pool when there is one; when every slot
    /// is taken (by suspended calls), from on-demand allocation, like worker instances.
    fn instantiate(
        &self,
        isolation: Isolation,
        limits: &InstanceLimits,
        budget: &Budget,
    ) -> Result<Instance, GuestError> {
        if isolation == Isolation::Request {
            if let Some(p) = self.pooled() {
                match self.new_instance(&p.engine, &p.pre, &p.exports, isolation, limits, budget) {
                    Err((_, true)) => {}
                    other => return other.map_err(|(e, _)| e),
                }
            }
        }
        self.new_instance(
            &self.engine,
            &self.pre,
            &self.exports,
            isolation,
            limits,
            budget,
        )
        .map_err(|(e, _)| e)
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
