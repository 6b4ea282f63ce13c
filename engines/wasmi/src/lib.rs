//! wasmi backend for ngx_wasm: an interpreter, for builds without a JIT.
//!
//! This crate adapts [`engine_api`] to wasmi: it compiles (validates and translates) modules,
//! links the host ABIs ([`engine_api::abi::ABIS`]) into a [`wasmi::Linker`] and runs calls. It
//! implements no host function itself.
//!
//! Calls are resumable without a native stack: a host function that suspends makes wasmi's
//! `call_resumable` return a host trap carrying the interpreter state, which [`call`] keeps
//! and resumes with the function's result. Budgets: wasmi only meters fuel, but a call that
//! runs out of fuel can be resumed too, so a `wasm_timeout` is enforced by running the guest
//! in fuel slices with a clock check between them ([`budget`]); `wasm_max_memory` is a
//! [`wasmi::ResourceLimiter`] over [`engine_api::MemoryLimiter`].

mod budget;
mod call;
mod linker;

use std::fmt;

use anyhow::Context as _;
use engine_api::abi::{HostAbi, Pending};
use engine_api::{
    validate, Budget, Capabilities, EngineOptions, ExportCache, ExportType, ExternKind, FuncType,
    GuestError, GuestErrorKind, HostRequest, HostTrap, InstanceLimits, Isolation, MemoryLimiter,
    Reply, RequestSlot, Step, TrapKind, Val, ValType,
};
use wasmi::{Memory, Store, TypedFunc};

use crate::call::Suspended;

/// The name this engine is known by in directives and logs.
pub const NAME: &str = "wasmi";

/// The wasmi version this crate is built against (kept in step with Cargo.toml).
pub const VERSION: &str = "2.0.0";

/// Per-store data: the request slot host functions reach the request through, the guest
/// memory, looked up once per instance, the memory limiter, and the pending half of a host
/// function that just suspended.
#[derive(Default)]
pub struct StoreData {
    request: RequestSlot,
    memory: Option<Memory>,
    limiter: Limiter,
    pending: Option<Box<Pending>>,
}

/// [`MemoryLimiter`] as wasmi's resource limiter.
#[derive(Default)]
struct Limiter(MemoryLimiter);

impl wasmi::ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        Ok(self.0.memory_growing(current as u64, desired as u64))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        Ok(self.0.table_growing(current as u64, desired as u64))
    }

    // wasmi asks the limiter before it charges fuel for the growth: a growth that then runs
    // out of fuel is retried after the next slice, and must not count twice.
    fn memory_grow_failed(
        &mut self,
        _error: &wasmi::errors::MemoryError,
    ) -> Result<(), wasmi_core::LimiterError> {
        self.0.memory_grow_failed();
        Ok(())
    }

    fn table_grow_failed(
        &mut self,
        _error: &wasmi::errors::TableError,
    ) -> Result<(), wasmi_core::LimiterError> {
        self.0.table_grow_failed();
        Ok(())
    }

    // Counts of instances, tables and memories per store: wasmi's defaults (one instance
    // per store here; the byte and element limits above are what matter).
    fn instances(&self) -> usize {
        wasmi::StoreLimits::default().instances()
    }

    fn tables(&self) -> usize {
        wasmi::StoreLimits::default().tables()
    }

    fn memories(&self) -> usize {
        wasmi::StoreLimits::default().memories()
    }
}

/// A [`HostTrap`] carried through wasmi's error type (wasmi needs its `HostError` trait).
#[derive(Debug)]
struct Trap(HostTrap);

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl wasmi::errors::HostError for Trap {}

/// The error a suspending host function returns: a resumable call stops there, and the
/// function's pending half is in [`StoreData::pending`].
#[derive(Debug)]
struct Suspend;

impl fmt::Display for Suspend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a host function suspended the call outside a resumable call")
    }
}

impl wasmi::errors::HostError for Suspend {}

/// A wasmi engine with the host ABIs linked once.
pub struct Engine {
    engine: wasmi::Engine,
    linker: wasmi::Linker<StoreData>,
    abis: &'static [&'static HostAbi],
    metered: bool,
}

impl Engine {
    /// Creates the engine and links `abis`. Fuel metering is on when `options` has timeouts
    /// or fuel budgets (wasmi meters time through fuel slices).
    pub fn new(options: EngineOptions, abis: &'static [&'static HostAbi]) -> anyhow::Result<Self> {
        let metered = options.timeouts || options.fuel;
        let mut config = wasmi::Config::default();
        config.consume_fuel(metered);
        // The WebAssembly proposals, the same list on every engine (docs/engines.md
        // "Proposals"). memory64 and SIMD are off because wasmi is built without those
        // crate features.
        config
            .wasm_bulk_memory(true)
            .wasm_multi_memory(true)
            .wasm_extended_const(true)
            .wasm_tail_call(false);
        if metered {
            // wasmi compiles functions lazily on first call by default and charges that to
            // the call's fuel, outside the resumable path: a slice too small for a large
            // function would fail the call, and a first call would cost more than later ones.
            // Metered modules are compiled eagerly, in the master, at configuration time.
            config.compilation_mode(wasmi::CompilationMode::Eager);
        }
        let engine = wasmi::Engine::new(&config);
        let linker = linker::build(&engine, abis)?;
        Ok(Engine {
            engine,
            linker,
            abis,
            metered,
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

    fn compile(&self, bytes: &[u8]) -> anyhow::Result<Module> {
        let module = wasmi::Module::new(&self.engine, bytes)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("not a valid WebAssembly module")?;
        let imports: Vec<engine_api::ImportType> = module
            .imports()
            .map(|i| engine_api::ImportType {
                module: i.module().to_string(),
                name: i.name().to_string(),
                kind: extern_kind(i.ty()),
            })
            .collect();
        let funcs = validate::check_imports(&imports, self.abis, self.capabilities())?;
        Ok(Module {
            engine: self.engine.clone(),
            linker: self.linker.clone(),
            module,
            mode: Mode {
                metered: self.metered,
                resumable: validate::may_suspend(&funcs),
            },
            host_imports: funcs,
        })
    }
}

/// How calls of a module run.
#[derive(Debug, Clone, Copy)]
struct Mode {
    /// Fuel metering is on (some budget is configured).
    metered: bool,
    /// The module imports a host function that may suspend.
    resumable: bool,
}

/// A compiled module with the linker it instantiates against.
pub struct Module {
    engine: wasmi::Engine,
    linker: wasmi::Linker<StoreData>,
    module: wasmi::Module,
    mode: Mode,
    /// The host functions it imports, in import order.
    host_imports: Vec<&'static engine_api::abi::HostFunction>,
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
                kind: extern_kind(e.ty()),
            })
            .collect()
    }

    /// wasmi has no instance pool: both isolations instantiate through the linker, which
    /// resolves the module's imports against the pre-built ABI linker (about 3 µs for a small
    /// guest).
    fn instantiate(
        &self,
        _isolation: Isolation,
        limits: &InstanceLimits,
        budget: &Budget,
    ) -> Result<Instance, GuestError> {
        let data = StoreData {
            limiter: Limiter(MemoryLimiter::new(*limits)),
            ..StoreData::default()
        };
        let mut store = Store::new(&self.engine, data);
        store.limiter(|d| &mut d.limiter);
        if self.mode.metered {
            // A start function cannot be resumed, so it gets fuel only (see budget.rs).
            store
                .set_fuel(budget::start_fuel(budget))
                .map_err(|e| GuestError::new(GuestErrorKind::Instantiate, e.to_string()))?;
        }
        let instance =
            self.linker
                .instantiate_and_start(&mut store, &self.module)
                .map_err(|e| match e.as_trap_code() {
                    Some(wasmi::TrapCode::OutOfFuel) => budget.exceeded(if budget.fuel.is_some() {
                        TrapKind::OutOfFuel
                    } else {
                        TrapKind::Timeout
                    }),
                    _ => store.data().limiter.0.instantiate_error(GuestError::new(
                        GuestErrorKind::Instantiate,
                        describe(&e),
                    )),
                })?;
        store.data_mut().memory = instance.get_memory(&store, "memory");
        Ok(Instance {
            store,
            instance,
            exports: ExportCache::default(),
            mode: self.mode,
            call: None,
        })
    }
}

/// An export an instance has looked up.
struct Export {
    func: wasmi::Func,
    /// The typed handle, when the export is a handler (`() -> ()`): the fast path.
    handler: Option<TypedFunc<(), ()>>,
    /// Its result types, for the buffer its results are written to.
    results: Vec<wasmi::ValType>,
}

/// A live wasmi instance with its store.
pub struct Instance {
    store: Store<StoreData>,
    instance: wasmi::Instance,
    /// The exports called so far.
    exports: ExportCache<Export>,
    mode: Mode,
    /// The call in progress, while it is suspended.
    call: Option<Suspended>,
}

impl Instance {
    /// The export `name`, looked up once per instance (fields apart, so the handle can be
    /// borrowed while the store is used mutably).
    fn export<'a>(
        exports: &'a mut ExportCache<Export>,
        instance: &wasmi::Instance,
        store: &Store<StoreData>,
        name: &str,
    ) -> Result<&'a Export, GuestError> {
        exports.get_or_lookup(name, || {
            let func = instance.get_func(store, name).ok_or_else(|| {
                GuestError::new(
                    GuestErrorKind::Export,
                    format!("no exported function \"{name}\""),
                )
            })?;
            let ty = func.ty(store);
            let is_handler = ty.params().is_empty() && ty.results().is_empty();
            Ok(Export {
                func,
                handler: is_handler.then(|| func.typed(store).ok()).flatten(),
                results: ty.results().to_vec(),
            })
        })
    }

    /// Runs `step` with `host` bound to the store's request slot.
    fn with_host<R>(&mut self, host: &mut dyn HostRequest, step: impl FnOnce(&mut Self) -> R) -> R {
        // SAFETY: the request is unbound right after the step, before `host`'s borrow ends;
        // the build uses panic=abort, so no unwinding can skip the unbind.
        unsafe { self.store.data_mut().request.bind(host) };
        let r = step(self);
        self.store.data_mut().request.unbind();
        r
    }
}

impl engine_api::Instance for Instance {
    fn start(
        &mut self,
        name: &str,
        args: &[Val],
        host: &mut dyn HostRequest,
        budget: &Budget,
    ) -> Result<Step, GuestError> {
        if self.call.is_some() {
            return Err(GuestError::already_suspended());
        }
        if !self.mode.metered && *budget != Budget::UNLIMITED {
            return Err(GuestError::new(
                GuestErrorKind::Instantiate,
                "a budget is configured but the engine was made without fuel metering",
            ));
        }
        let export = Self::export(&mut self.exports, &self.instance, &self.store, name)?;
        let (func, handler, result_types) = (export.func, export.handler, export.results.clone());
        self.store.data_mut().limiter.0.begin_call();
        let result = self.with_host(host, |this| {
            if this.mode.metered || this.mode.resumable {
                call::start(this, func, handler, args, &result_types, budget)
            } else {
                call::plain(&mut this.store, func, handler, args, &result_types)
            }
        });
        result.map_err(|e| self.store.data().limiter.0.call_error(e))
    }

    fn resume(&mut self, reply: Reply, host: &mut dyn HostRequest) -> Result<Step, GuestError> {
        let Some(suspended) = self.call.take() else {
            return Err(GuestError::nothing_suspended());
        };
        let result = self.with_host(host, |this| call::resume(this, suspended, reply));
        result.map_err(|e| self.store.data().limiter.0.call_error(e))
    }
}

/// One line saying why a call or instantiation failed.
pub(crate) fn describe(e: &wasmi::Error) -> String {
    if let Some(t) = e.downcast_ref::<Trap>() {
        return t.0.to_string();
    }
    if let Some(code) = e.as_trap_code() {
        return match trap_kind(code) {
            Some(kind) => kind.reason(),
            None => format!("wasm trap: {code}"),
        };
    }
    e.to_string()
        .lines()
        .next()
        .unwrap_or("unknown error")
        .to_string()
}

fn trap_kind(code: wasmi::TrapCode) -> Option<TrapKind> {
    use wasmi::TrapCode as C;
    Some(match code {
        C::StackOverflow => TrapKind::StackOverflow,
        C::MemoryOutOfBounds => TrapKind::MemoryOutOfBounds,
        C::TableOutOfBounds => TrapKind::TableOutOfBounds,
        C::IndirectCallToNull => TrapKind::IndirectCallToNull,
        C::BadSignature => TrapKind::BadSignature,
        C::IntegerOverflow => TrapKind::IntegerOverflow,
        C::IntegerDivisionByZero => TrapKind::IntegerDivisionByZero,
        C::BadConversionToInteger => TrapKind::BadConversionToInteger,
        C::UnreachableCodeReached => TrapKind::Unreachable,
        C::OutOfFuel => TrapKind::OutOfFuel,
        _ => return None,
    })
}

fn val_type(t: &wasmi::ValType) -> ValType {
    match t {
        wasmi::ValType::I32 => ValType::I32,
        wasmi::ValType::I64 => ValType::I64,
        wasmi::ValType::F32 => ValType::F32,
        wasmi::ValType::F64 => ValType::F64,
        wasmi::ValType::V128 => ValType::V128,
        wasmi::ValType::FuncRef | wasmi::ValType::ExternRef => ValType::Ref,
    }
}

fn extern_kind(t: &wasmi::ExternType) -> ExternKind {
    match t {
        wasmi::ExternType::Func(f) => ExternKind::Func(FuncType {
            params: f.params().iter().map(val_type).collect(),
            results: f.results().iter().map(val_type).collect(),
        }),
        wasmi::ExternType::Memory(_) => ExternKind::Memory,
        wasmi::ExternType::Table(_) => ExternKind::Table,
        wasmi::ExternType::Global(_) => ExternKind::Global,
    }
}
