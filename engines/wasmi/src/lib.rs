//! wasmi backend for ngx_wasm: an interpreter, for builds without a JIT.
//!
//! This crate adapts [`engine_api`] to wasmi: it compiles (validates and translates) modules,
//! links the host ABI table ([`engine_api::abi::HOST_FUNCTIONS`]) into a [`wasmi::Linker`]
//! and calls exports. It implements no host function itself.

mod linker;

use std::fmt;

use anyhow::Context as _;
use engine_api::{
    validate, ExportCache, ExportType, ExternKind, FuncType, GuestError, GuestErrorKind,
    HostRequest, HostTrap, ImportType, RequestSlot, TrapKind, ValType,
};
use wasmi::{Memory, Store, TypedFunc};

/// The name this engine is known by in directives and logs.
pub const NAME: &str = "wasmi";

/// The wasmi version this crate is built against (kept in step with Cargo.toml).
pub const VERSION: &str = "2.0.0";

/// Per-store data: the request slot host functions reach the request through, and the guest
/// memory, looked up once per instance.
#[derive(Default)]
pub struct StoreData {
    request: RequestSlot,
    memory: Option<Memory>,
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

/// A wasmi engine with the host ABI linked once.
pub struct Engine {
    engine: wasmi::Engine,
    linker: wasmi::Linker<StoreData>,
}

impl Engine {
    /// Creates the engine and links the ABI table.
    pub fn new() -> anyhow::Result<Self> {
        let engine = wasmi::Engine::new(&wasmi::Config::default());
        let linker = linker::build(&engine)?;
        Ok(Engine { engine, linker })
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

    fn compile(&self, bytes: &[u8]) -> anyhow::Result<Module> {
        let module = wasmi::Module::new(&self.engine, bytes)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("not a valid WebAssembly module")?;
        let imports: Vec<ImportType> = module
            .imports()
            .map(|i| ImportType {
                module: i.module().to_string(),
                name: i.name().to_string(),
                kind: extern_kind(i.ty()),
            })
            .collect();
        validate::check_imports(&imports)?;
        Ok(Module {
            engine: self.engine.clone(),
            linker: self.linker.clone(),
            module,
            imports,
        })
    }
}

/// A compiled module with the linker it instantiates against.
pub struct Module {
    engine: wasmi::Engine,
    linker: wasmi::Linker<StoreData>,
    module: wasmi::Module,
    imports: Vec<ImportType>,
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

    fn instantiate(&self) -> Result<Instance, GuestError> {
        let mut store = Store::new(&self.engine, StoreData::default());
        let instance = self
            .linker
            .instantiate_and_start(&mut store, &self.module)
            .map_err(|e| GuestError::new(GuestErrorKind::Instantiate, describe(&e)))?;
        store.data_mut().memory = instance.get_memory(&store, "memory");
        Ok(Instance {
            store,
            instance,
            funcs: ExportCache::default(),
        })
    }
}

/// A live wasmi instance with its store.
pub struct Instance {
    store: Store<StoreData>,
    instance: wasmi::Instance,
    /// Typed handles of the exports called so far.
    funcs: ExportCache<TypedFunc<(), ()>>,
}

impl Instance {
    fn func(&mut self, name: &str) -> Result<TypedFunc<(), ()>, GuestError> {
        let (instance, store) = (&self.instance, &mut self.store);
        self.funcs.get_or_lookup(name, || {
            instance
                .get_typed_func::<(), ()>(&*store, name)
                .map_err(|e| GuestError::new(GuestErrorKind::Export, describe(&e)))
        })
    }
}

impl engine_api::Instance for Instance {
    fn call(&mut self, name: &str, request: &mut dyn HostRequest) -> Result<(), GuestError> {
        let func = self.func(name)?;
        // SAFETY: the request is unbound right after the call, before `request`'s borrow ends;
        // the build uses panic=abort, so no unwinding can skip the unbind.
        unsafe { self.store.data_mut().request.bind(request) };
        let result = func.call(&mut self.store, ());
        self.store.data_mut().request.unbind();
        result.map_err(|e| GuestError::new(GuestErrorKind::Trap, describe(&e)))
    }
}

/// One line saying why a call or instantiation failed.
fn describe(e: &wasmi::Error) -> String {
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
