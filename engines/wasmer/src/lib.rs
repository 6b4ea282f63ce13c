//! Wasmer backend for ngx_wasm (the `sys` backend with Cranelift).
//!
//! This crate adapts [`engine_api`] to wasmer: it compiles modules, builds the `ngx` imports
//! from the host ABI table ([`engine_api::abi::HOST_FUNCTIONS`]) and calls exports. It
//! implements no host function itself.
//!
//! Wasmer has no pre-linked instance (`InstancePre`) and no instance pool: functions belong
//! to a store, so each instantiation builds its imports in the new store. That is why
//! per-request isolation is costlier on wasmer (see `docs/engines.md`).
//!
//! Budgets go through metering ([`metering`], [`budget`]): a configuration with `wasm_fuel`
//! or `wasm_timeout` compiles every module with an instruction counter and a stop flag, each
//! in its own engine. `wasm_max_memory` goes through per-instance tunables ([`limits`]).

mod budget;
mod imports;
mod limits;
mod metering;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use anyhow::Context as _;
use engine_api::{
    validate, Budget, EngineOptions, ExportCache, ExportType, ExternKind, FuncType, GuestError,
    GuestErrorKind, HostRequest, HostTrap, ImportType, InstanceLimits, Isolation, MemoryLimiter,
    RequestSlot, TrapKind, ValType,
};
use wasmer::sys::{BaseTunables, CompilerConfig as _, NativeEngineExt as _};
use wasmer::{FunctionEnv, Memory, RuntimeError, Store, TypedFunction};

use crate::budget::{Points, Watchdog};
use crate::limits::{LimitingTunables, SharedLimiter};

/// The name this engine is known by in directives and logs (Cranelift compiler).
pub const NAME: &str = "wasmer";

/// The name of the same engine with the single-pass compiler (feature `singlepass`).
pub const NAME_SINGLEPASS: &str = "wasmer-singlepass";

/// The wasmer version this crate is built against (kept in step with Cargo.toml).
pub const VERSION: &str = "7.3.0";

/// Per-instance host state: the request slot host functions reach the request through, and
/// the guest memory, looked up once per instance.
#[derive(Default)]
pub struct HostState {
    request: RequestSlot,
    memory: Option<Memory>,
}

/// What a worker process adds to an engine made in the master: the watchdog thread that
/// enforces timeouts (threads do not survive nginx's `fork`).
#[derive(Default)]
struct WorkerState {
    watchdog: OnceLock<Result<Watchdog, String>>,
}

impl WorkerState {
    /// The watchdog, started on first use.
    fn watchdog(&self) -> Result<&Watchdog, GuestError> {
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
    fn engine(self, metered: bool) -> wasmer::Engine {
        macro_rules! build {
            ($config:expr) => {{
                let mut config = $config;
                if metered {
                    config.push_middleware(budget::middleware());
                }
                wasmer::Engine::from(config)
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
    worker: Arc<WorkerState>,
}

impl Engine {
    /// Creates the engine with the Cranelift compiler. `options` says which budgets must be
    /// enforced: with any, every module is compiled with metering.
    pub fn new(options: EngineOptions) -> anyhow::Result<Self> {
        Ok(Engine::with(Compiler::Cranelift, NAME, options))
    }

    /// Creates the engine with the single-pass compiler.
    #[cfg(feature = "singlepass")]
    pub fn singlepass(options: EngineOptions) -> anyhow::Result<Self> {
        Ok(Engine::with(Compiler::Singlepass, NAME_SINGLEPASS, options))
    }

    fn with(compiler: Compiler, name: &'static str, options: EngineOptions) -> Self {
        Engine {
            engine: compiler.engine(false),
            compiler,
            name,
            options,
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
        validate::check_imports(&imports)?;
        // check_imports accepted only host functions, so every name resolves.
        let host_imports = imports
            .iter()
            .map(|i| engine_api::abi::lookup(&i.name))
            .collect::<Option<Vec<_>>>()
            .context("the module imports something other than a host function")?;
        Ok(Module {
            engine,
            module,
            imports,
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
    imports: Vec<ImportType>,
    /// The host functions it imports, in import order.
    host_imports: Vec<&'static engine_api::abi::HostFunction>,
    metered: bool,
    worker: Arc<WorkerState>,
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
        let env = FunctionEnv::new(&mut store, HostState::default());
        let externs = imports::build(&mut store, &env, &self.host_imports);
        // A start function runs with the metering global's initial points
        // (budget::START_POINTS): the budget cannot reach it.
        let instance =
            wasmer::Instance::new_by_index(&mut store, &self.module, &externs).map_err(|e| {
                limits::lock(&limiter)
                    .instantiate_error(GuestError::new(GuestErrorKind::Instantiate, e.to_string()))
            })?;
        let points = match self.metered {
            true => Some(
                Points::of(&mut store, &instance)
                    .map_err(|e| GuestError::new(GuestErrorKind::Instantiate, e.to_string()))?,
            ),
            false => None,
        };
        let memory = instance.exports.get_memory("memory").ok().cloned();
        env.as_mut(&mut store).memory = memory;
        Ok(Instance {
            store,
            env,
            instance,
            funcs: ExportCache::default(),
            limiter,
            points,
            worker: self.worker.clone(),
        })
    }
}

/// A live wasmer instance with its store.
pub struct Instance {
    store: Store,
    env: FunctionEnv<HostState>,
    instance: wasmer::Instance,
    /// Typed handles of the exports called so far.
    funcs: ExportCache<TypedFunction<(), ()>>,
    limiter: SharedLimiter,
    /// The instance's metering globals, when metered.
    points: Option<Points>,
    worker: Arc<WorkerState>,
}

impl Instance {
    /// The typed handle of export `name`, looked up once per instance (fields apart, so the
    /// handle can be borrowed while the store is used mutably).
    fn func<'a>(
        funcs: &'a mut ExportCache<TypedFunction<(), ()>>,
        instance: &wasmer::Instance,
        store: &mut Store,
        name: &str,
    ) -> Result<&'a TypedFunction<(), ()>, GuestError> {
        funcs.get_or_lookup(name, || {
            instance
                .exports
                .get_typed_function::<(), ()>(&*store, name)
                .map_err(|e| GuestError::new(GuestErrorKind::Export, e.to_string()))
        })
    }
}

impl engine_api::Instance for Instance {
    fn call(
        &mut self,
        name: &str,
        request: &mut dyn HostRequest,
        budget: &Budget,
    ) -> Result<(), GuestError> {
        let func = Self::func(&mut self.funcs, &self.instance, &mut self.store, name)?;
        let deadline = budget.deadline(Instant::now());
        match &self.points {
            Some(points) => points
                .set(&mut self.store, budget::points(budget))
                .map_err(|e| GuestError::new(GuestErrorKind::Instantiate, e.to_string()))?,
            None if *budget != Budget::UNLIMITED => {
                return Err(GuestError::new(
                    GuestErrorKind::Instantiate,
                    "a budget is configured but the module was compiled without metering",
                ));
            }
            None => {}
        }
        let worker = self.worker.clone();
        let watch = match (deadline, &self.points) {
            (Some(deadline), Some(points)) => Some(worker.watchdog()?.arm(points.flag(), deadline)),
            _ => None,
        };
        limits::lock(&self.limiter).begin_call();
        // SAFETY: the request is unbound right after the call, before `request`'s borrow ends;
        // the build uses panic=abort, so no unwinding can skip the unbind.
        unsafe { self.env.as_mut(&mut self.store).request.bind(request) };
        let result = func.call(&mut self.store);
        // Before anything else touches the counter: the watchdog writes it only until here.
        let fired = watch.is_some_and(|w| w.disarm());
        self.env.as_mut(&mut self.store).request.unbind();
        let Err(e) = result else {
            return Ok(());
        };
        if let Some(points) = &self.points {
            if points.exhausted(&mut self.store) {
                return Err(budget.exceeded(if fired {
                    TrapKind::Timeout
                } else {
                    TrapKind::OutOfFuel
                }));
            }
        }
        Err(limits::lock(&self.limiter)
            .call_error(GuestError::new(GuestErrorKind::Trap, describe(e))))
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
