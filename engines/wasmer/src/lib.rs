//! Wasmer backend for ngx_wasm (the `sys` backend with Cranelift).
//!
//! This crate adapts [`engine_api`] to wasmer: it compiles modules, builds their imports from
//! the host ABIs ([`engine_api::abi::ABIS`]) and runs calls ([`call`]). It implements no host
//! function itself. Calls of a module that imports a host function which may suspend run on
//! a coroutine (wasmer's `experimental-async`); every other module's calls stay plain.
//!
//! Wasmer has no pre-linked instance (`InstancePre`) and no instance pool: functions belong
//! to a store, so each instantiation builds its imports in the new store. That is why
//! per-request isolation is costlier on wasmer (see `docs/engines.md`).
//!
//! Budgets go through metering ([`metering`], [`budget`]): a configuration with `wasm_fuel`
//! or `wasm_timeout` compiles every module with an instruction counter and a stop flag, each
//! in its own engine. `wasm_max_memory` goes through per-instance tunables ([`limits`]).

mod budget;
mod call;
mod imports;
mod limits;
mod metering;

use std::sync::{Arc, Mutex, OnceLock};

use anyhow::Context as _;
use engine_api::abi::{HostAbi, HostFunction};
use engine_api::suspend::Exchange;
use engine_api::{
    validate, Budget, Capabilities, EngineOptions, ExportType, ExternKind, FuncType, GuestError,
    GuestErrorKind, HostTrap, ImportType, InstanceLimits, Isolation, MemoryLimiter, RequestSlot,
    TrapKind, ValType,
};
use wasmer::sys::{BaseTunables, CompilerConfig as _, NativeEngineExt as _};
use wasmer::{FunctionEnv, Memory, RuntimeError, Store};

use crate::budget::{Points, Watchdog};
pub use crate::call::Instance;
use crate::limits::{LimitingTunables, SharedLimiter};

/// The name this engine is known by in directives and logs (Cranelift compiler).
pub const NAME: &str = "wasmer";

/// The name of the same engine with the single-pass compiler (feature `singlepass`).
pub const NAME_SINGLEPASS: &str = "wasmer-singlepass";

/// The wasmer version this crate is built against (kept in step with Cargo.toml).
pub const VERSION: &str = "7.3.0";

/// Per-instance host state: the request slot host functions reach the request through, the
/// guest memory, looked up once per instance, and, for a module whose calls may suspend, the
/// exchange its suspending host functions talk to the instance through.
#[derive(Default)]
pub struct HostState {
    request: RequestSlot,
    memory: Option<Memory>,
    /// The guest's allocator export (`engine_api::abi::ALLOCATORS`), for host functions that
    /// hand it bytes.
    allocator: Option<wasmer::TypedFunction<i32, i32>>,
    exchange: Option<Arc<Exchange>>,
}

/// What a worker process adds to an engine made in the master: the watchdog thread that
/// enforces timeouts (threads do not survive nginx's `fork`).
#[derive(Default)]
pub(crate) struct WorkerState {
    watchdog: OnceLock<Result<Watchdog, String>>,
}

impl WorkerState {
    /// The watchdog, started on first use.
    pub(crate) fn watchdog(&self) -> Result<&Watchdog, GuestError> {
        self.watchdog
            .get_or_init(|| {
                Watchdog::start().map_err(|e| format!("cannot start the watchdog thread: {e}"))
            })
            .as_ref()
            .map_err(|e| GuestError::new(GuestErrorKind::Instantiate, e.clone()))
    }
}

// SAFETY: wasmer requires host state to be `Send`. The `RequestSlot` holds a pointer to the
// request only while a call runs on the thread that owns the instance (nginx workers are
// single-threaded); instances are never shared or moved across threads.
unsafe impl Send for HostState {}

/// Which wasmer compiler an engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compiler {
    Cranelift,
    #[cfg(feature = "singlepass")]
    Singlepass,
}

impl Compiler {
    /// A wasmer engine of this compiler, with the metering middleware when `metered`.
    ///
    /// The threads proposal is off, as on wasmtime and wasmi: a shared memory is refused
    /// when the module is compiled (`nginx -t`), since `memory.atomic.wait32` with no timeout
    /// would block the worker past any budget.
    fn engine(self, metered: bool) -> wasmer::Engine {
        macro_rules! build {
            ($config:expr) => {{
                let mut config = $config;
                if metered {
                    config.push_middleware(budget::middleware());
                }
                let target = wasmer::sys::Target::default();
                let mut features = config.default_features_for_target(&target);
                // The WebAssembly proposals, the same list on every engine (docs/engines.md
                // "Proposals"); threads off: an atomic wait would block past any budget.
                features
                    .threads(false)
                    .memory64(false)
                    .bulk_memory(true)
                    .multi_memory(true)
                    .extended_const(true)
                    .exceptions(false)
                    .tail_call(false)
                    .relaxed_simd(false)
                    .wide_arithmetic(false);
                wasmer::Engine::from(
                    wasmer::sys::EngineBuilder::new(config)
                        .set_target(Some(target))
                        .set_features(Some(features)),
                )
            }};
        }
        match self {
            Compiler::Cranelift => build!(wasmer::sys::Cranelift::default()),
            #[cfg(feature = "singlepass")]
            Compiler::Singlepass => build!(wasmer::sys::Singlepass::default()),
        }
    }
}

/// A wasmer engine (Cranelift, or single-pass with the `singlepass` feature).
pub struct Engine {
    /// The engine unmetered modules are compiled with.
    engine: wasmer::Engine,
    compiler: Compiler,
    name: &'static str,
    options: EngineOptions,
    abis: &'static [&'static HostAbi],
    worker: Arc<WorkerState>,
}

impl Engine {
    /// Creates the engine with the Cranelift compiler, for modules importing from `abis`.
    /// `options` says which budgets must be enforced: with any, every module is compiled with
    /// metering.
    pub fn new(options: EngineOptions, abis: &'static [&'static HostAbi]) -> anyhow::Result<Self> {
        Ok(Engine::with(Compiler::Cranelift, NAME, options, abis))
    }

    /// Creates the engine with the single-pass compiler.
    #[cfg(feature = "singlepass")]
    pub fn singlepass(
        options: EngineOptions,
        abis: &'static [&'static HostAbi],
    ) -> anyhow::Result<Self> {
        Ok(Engine::with(
            Compiler::Singlepass,
            NAME_SINGLEPASS,
            options,
            abis,
        ))
    }

    fn with(
        compiler: Compiler,
        name: &'static str,
        options: EngineOptions,
        abis: &'static [&'static HostAbi],
    ) -> Self {
        Engine {
            engine: compiler.engine(false),
            compiler,
            name,
            options,
            abis,
            worker: Arc::new(WorkerState::default()),
        }
    }

    fn metered(&self) -> bool {
        self.options.timeouts || self.options.fuel
    }
}

impl engine_api::Engine for Engine {
    type Module = Module;

    fn name(&self) -> &'static str {
        self.name
    }

    fn version(&self) -> &'static str {
        VERSION
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities { suspend: true }
    }

    fn init_worker(&self, _request_isolation: bool) -> anyhow::Result<()> {
        if self.options.timeouts {
            self.worker
                .watchdog()
                .map_err(|e| anyhow::anyhow!("{}", e.reason))?;
        }
        Ok(())
    }

    fn compile(&self, bytes: &[u8]) -> anyhow::Result<Module> {
        // Wasmer's Cranelift backend compiles on rayon's *global* pool by default. nginx
        // compiles in the master, which then forks (daemon, workers) and compiles again on
        // reload: threads do not survive fork, so a global pool created before the fork
        // waits forever afterwards (seen: `nginx -s reload` hung the master). A pool made for
        // this compilation and dropped after it has no thread to lose.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(
                std::thread::available_parallelism()
                    .map_or(1, |n| n.get())
                    .min(4),
            )
            .thread_name(|i| format!("ngx-wasm-wasmer-compile-{i}"))
            .build()
            .context("cannot start wasmer's compilation threads")?;
        // A metered module needs its own engine: the metering middleware serves one module.
        let engine = if self.metered() {
            self.compiler.engine(true)
        } else {
            self.engine.clone()
        };
        let module = pool
            .install(|| wasmer::Module::new(&engine, bytes))
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("not a valid WebAssembly module")?;
        drop(pool);
        let imports: Vec<ImportType> = module
            .imports()
            .map(|i| ImportType {
                module: i.module().to_string(),
                name: i.name().to_string(),
                kind: extern_kind(i.ty()),
            })
            .collect();
        let host_imports = validate::check_imports(&imports, self.abis, self.capabilities())?;
        Ok(Module {
            engine,
            module,
            resumable: validate::may_suspend(&host_imports),
            host_imports,
            metered: self.metered(),
            worker: self.worker.clone(),
        })
    }
}

/// A compiled module.
pub struct Module {
    engine: wasmer::Engine,
    module: wasmer::Module,
    /// The host functions it imports, in import order.
    host_imports: Vec<&'static HostFunction>,
    /// It imports a host function that may suspend: its calls run on a coroutine.
    resumable: bool,
    metered: bool,
    worker: Arc<WorkerState>,
}

impl engine_api::Module for Module {
    type Instance = Instance;

    fn host_imports(&self) -> &[&'static HostFunction] {
        &self.host_imports
    }

    fn exports(&self) -> Vec<ExportType> {
        self.module
            .exports()
            .map(|e| ExportType {
                name: e.name().to_string(),
                kind: extern_kind(e.ty()),
            })
            .collect()
    }

    /// Wasmer has no instance pool: both isolations build a new store, its imports and
    /// the instance.
    fn instantiate(
        &self,
        _isolation: Isolation,
        limits: &InstanceLimits,
        _budget: &Budget,
    ) -> Result<Instance, GuestError> {
        // Each instance's engine clone carries tunables that apply its own limits.
        let limiter: SharedLimiter = Arc::new(Mutex::new(MemoryLimiter::new(*limits)));
        let mut engine = self.engine.clone();
        let base = BaseTunables::for_target(engine.target());
        engine.set_tunables(LimitingTunables::new(base, limiter.clone()));
        let mut store = Store::new(engine);
        let exchange = self.resumable.then(|| Arc::new(Exchange::default()));
        let state = HostState {
            exchange: exchange.clone(),
            ..HostState::default()
        };
        let env = FunctionEnv::new(&mut store, state);
        let externs = imports::build(&mut store, &env, &self.host_imports);
        // A start function runs with the metering global's initial points
        // (budget::START_POINTS): the budget cannot reach it. It runs before any request
        // exists, so a host function that may suspend traps in it instead.
        let instance =
            wasmer::Instance::new_by_index(&mut store, &self.module, &externs).map_err(|e| {
                limits::lock(&limiter).instantiate_error(GuestError::new(
                    GuestErrorKind::Instantiate,
                    instantiation_reason(e),
                ))
            })?;
        let points = match self.metered {
            true => Some(
                Points::of(&mut store, &instance)
                    .map_err(|e| GuestError::new(GuestErrorKind::Instantiate, e.to_string()))?,
            ),
            false => None,
        };
        let memory = instance.exports.get_memory("memory").ok().cloned();
        let allocator = engine_api::abi::ALLOCATORS.iter().find_map(|name| {
            instance
                .exports
                .get_typed_function::<i32, i32>(&store, name)
                .ok()
        });
        let state = env.as_mut(&mut store);
        state.memory = memory;
        state.allocator = allocator;
        Ok(Instance::new(
            store,
            env,
            instance,
            limiter,
            points,
            exchange,
            self.worker.clone(),
        ))
    }
}

/// One line saying why an instantiation failed: a start function's trap in the words of a
/// call's (wasmer's own text carries a backtrace on the lines after it).
fn instantiation_reason(e: wasmer::InstantiationError) -> String {
    match e {
        wasmer::InstantiationError::Start(trap) => describe(trap),
        other => other
            .to_string()
            .lines()
            .next()
            .unwrap_or("unknown error")
            .to_string(),
    }
}

/// One line saying why a call failed.
fn describe(e: RuntimeError) -> String {
    if let Some(t) = e.downcast_ref::<HostTrap>() {
        return t.to_string();
    }
    let message = e.message();
    match e.to_trap().and_then(trap_kind) {
        Some(kind) => kind.reason(),
        None => message
            .lines()
            .next()
            .unwrap_or("unknown error")
            .to_string(),
    }
}

fn trap_kind(code: wasmer_types::TrapCode) -> Option<TrapKind> {
    use wasmer_types::TrapCode as C;
    Some(match code {
        C::StackOverflow => TrapKind::StackOverflow,
        C::HeapAccessOutOfBounds => TrapKind::MemoryOutOfBounds,
        C::HeapMisaligned | C::UnalignedAtomic => TrapKind::HeapMisaligned,
        C::TableAccessOutOfBounds => TrapKind::TableOutOfBounds,
        C::IndirectCallToNull => TrapKind::IndirectCallToNull,
        C::BadSignature => TrapKind::BadSignature,
        C::IntegerOverflow => TrapKind::IntegerOverflow,
        C::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
        C::BadConversionToInteger => TrapKind::BadConversionToInteger,
        C::UnreachableCodeReached => TrapKind::Unreachable,
        _ => return None,
    })
}

fn val_type(t: &wasmer::Type) -> ValType {
    match t {
        wasmer::Type::I32 => ValType::I32,
        wasmer::Type::I64 => ValType::I64,
        wasmer::Type::F32 => ValType::F32,
        wasmer::Type::F64 => ValType::F64,
        wasmer::Type::V128 => ValType::V128,
        _ => ValType::Ref,
    }
}

fn extern_kind(t: &wasmer::ExternType) -> ExternKind {
    match t {
        wasmer::ExternType::Function(f) => ExternKind::Func(FuncType {
            params: f.params().iter().map(val_type).collect(),
            results: f.results().iter().map(val_type).collect(),
        }),
        wasmer::ExternType::Memory(_) => ExternKind::Memory,
        wasmer::ExternType::Table(_) => ExternKind::Table,
        wasmer::ExternType::Global(_) => ExternKind::Global,
        _ => ExternKind::Other,
    }
}
