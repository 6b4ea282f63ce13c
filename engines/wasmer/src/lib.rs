//! Wasmer backend for ngx_wasm (the `sys` backend with Cranelift).
//!
//! This crate adapts [`engine_api`] to wasmer: it compiles modules, builds the `ngx` imports
//! from the host ABI table ([`engine_api::abi::HOST_FUNCTIONS`]) and calls exports. It
//! implements no host function itself.
//!
//! Wasmer has no pre-linked instance (`InstancePre`): functions belong to a store, so each
//! instantiation builds its imports in the new store. That is one reason per-request
//! isolation is costlier on wasmer (see `docs/engines.md`).

mod imports;

use anyhow::Context as _;
use engine_api::{
    validate, ExportCache, ExportType, ExternKind, FuncType, GuestError, GuestErrorKind,
    HostRequest, HostTrap, ImportType, RequestSlot, TrapKind, ValType,
};
use wasmer::{FunctionEnv, Memory, RuntimeError, Store, TypedFunction};

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

// SAFETY: wasmer requires host state to be `Send`. The `RequestSlot` holds a pointer to the
// request only while a call runs on the thread that owns the instance (nginx workers are
// single-threaded); instances are never shared or moved across threads.
unsafe impl Send for HostState {}

/// A wasmer engine (Cranelift, or single-pass with the `singlepass` feature).
pub struct Engine {
    engine: wasmer::Engine,
    name: &'static str,
}

impl Engine {
    /// Creates the engine with the Cranelift compiler.
    pub fn new() -> anyhow::Result<Self> {
        Ok(Engine {
            engine: wasmer::Engine::from(wasmer::sys::Cranelift::default()),
            name: NAME,
        })
    }

    /// Creates the engine with the single-pass compiler.
    #[cfg(feature = "singlepass")]
    pub fn singlepass() -> anyhow::Result<Self> {
        Ok(Engine {
            engine: wasmer::Engine::from(wasmer::sys::Singlepass::default()),
            name: NAME_SINGLEPASS,
        })
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
        let module = pool
            .install(|| wasmer::Module::new(&self.engine, bytes))
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
        Ok(Module {
            engine: self.engine.clone(),
            module,
            imports,
        })
    }
}

/// A compiled module.
pub struct Module {
    engine: wasmer::Engine,
    module: wasmer::Module,
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
        let mut store = Store::new(self.engine.clone());
        let env = FunctionEnv::new(&mut store, HostState::default());
        let imports = imports::build(&mut store, &env);
        let instance = wasmer::Instance::new(&mut store, &self.module, &imports)
            .map_err(|e| GuestError::new(GuestErrorKind::Instantiate, e.to_string()))?;
        let memory = instance.exports.get_memory("memory").ok().cloned();
        env.as_mut(&mut store).memory = memory;
        Ok(Instance {
            store,
            env,
            instance,
            funcs: ExportCache::default(),
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
}

impl Instance {
    fn func(&mut self, name: &str) -> Result<TypedFunction<(), ()>, GuestError> {
        let (instance, store) = (&self.instance, &mut self.store);
        self.funcs.get_or_lookup(name, || {
            instance
                .exports
                .get_typed_function::<(), ()>(&*store, name)
                .map_err(|e| GuestError::new(GuestErrorKind::Export, e.to_string()))
        })
    }
}

impl engine_api::Instance for Instance {
    fn call(&mut self, name: &str, request: &mut dyn HostRequest) -> Result<(), GuestError> {
        let func = self.func(name)?;
        // SAFETY: the request is unbound right after the call, before `request`'s borrow ends;
        // the build uses panic=abort, so no unwinding can skip the unbind.
        unsafe { self.env.as_mut(&mut self.store).request.bind(request) };
        let result = func.call(&mut self.store);
        self.env.as_mut(&mut self.store).request.unbind();
        result.map_err(|e| GuestError::new(GuestErrorKind::Trap, describe(e)))
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
