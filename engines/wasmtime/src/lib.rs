//! Wasmtime backend for ngx_wasm.
//!
//! This crate adapts [`engine_api`] to wasmtime: it compiles modules, links the host ABI table
//! ([`engine_api::abi::HOST_FUNCTIONS`]) into a [`wasmtime::Linker`] and calls exports. It
//! implements no host function itself.

mod linker;

use std::sync::Arc;

use anyhow::Context as _;
use engine_api::{
    validate, ExportCache, ExportType, ExternKind, FuncType, GuestError, GuestErrorKind,
    HostRequest, HostTrap, ImportType, RequestSlot, TrapKind, ValType,
};
use wasmtime::{InstancePre, Memory, Store, Trap, TypedFunc};

/// The name this engine is known by in directives and logs.
pub const NAME: &str = "wasmtime";

/// The wasmtime version this crate is built against (kept in step with Cargo.toml).
pub const VERSION: &str = "48.0.8";

/// Per-store data: the request slot host functions reach the request through, and the guest
/// memory, looked up once per instance (looking it up on every host call costs 10x).
#[derive(Default)]
pub struct StoreData {
    request: RequestSlot,
    memory: Option<Memory>,
}

/// A wasmtime engine with the host ABI linked once.
pub struct Engine {
    engine: wasmtime::Engine,
    linker: Arc<wasmtime::Linker<StoreData>>,
}

impl Engine {
    /// Creates the engine and links the ABI table.
    pub fn new() -> anyhow::Result<Self> {
        let config = wasmtime::Config::new();
        let engine = wasmtime::Engine::new(&config).map_err(anyhow::Error::from)?;
        let linker = linker::build(&engine)?;
        Ok(Engine {
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
            module,
            pre,
            imports,
        })
    }
}

/// A compiled module, pre-linked to the host ABI.
pub struct Module {
    engine: wasmtime::Engine,
    module: wasmtime::Module,
    pre: InstancePre<StoreData>,
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
                kind: extern_kind(&e.ty()),
            })
            .collect()
    }

    fn instantiate(&self) -> Result<Instance, GuestError> {
        let mut store = Store::new(&self.engine, StoreData::default());
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| GuestError::new(GuestErrorKind::Instantiate, describe(&e)))?;
        store.data_mut().memory = instance.get_memory(&mut store, "memory");
        Ok(Instance {
            store,
            instance,
            funcs: ExportCache::default(),
        })
    }
}

/// A live wasmtime instance with its store.
pub struct Instance {
    store: Store<StoreData>,
    instance: wasmtime::Instance,
    /// Typed handles of the exports called so far.
    funcs: ExportCache<TypedFunc<(), ()>>,
}

impl Instance {
    fn func(&mut self, name: &str) -> Result<TypedFunc<(), ()>, GuestError> {
        let (instance, store) = (&self.instance, &mut self.store);
        self.funcs.get_or_lookup(name, || {
            instance
                .get_typed_func::<(), ()>(&mut *store, name)
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
        Trap::Interrupt => TrapKind::Interrupt,
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
