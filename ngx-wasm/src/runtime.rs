//! The engine a configuration runs on, chosen among the engines compiled in.
//!
//! One enum per engine-api trait, one variant per compiled engine; every method forwards to
//! the variant. The wasmtime backend is the default.

use engine_api::{ExportType, GuestError, HostRequest, ImportType};

#[cfg(not(feature = "wasmtime"))]
compile_error!("ngx-wasm needs at least one engine feature (wasmtime)");

/// The engine of a configuration.
pub enum Engine {
    /// Wasmtime (Cranelift JIT).
    #[cfg(feature = "wasmtime")]
    Wasmtime(engine_wasmtime::Engine),
}

/// A module compiled by [`Engine`].
pub enum Module {
    /// Compiled by wasmtime.
    #[cfg(feature = "wasmtime")]
    Wasmtime(engine_wasmtime::Module),
}

/// An instance of a [`Module`].
pub enum Instance {
    /// A wasmtime instance.
    #[cfg(feature = "wasmtime")]
    Wasmtime(engine_wasmtime::Instance),
}

impl Engine {
    /// The default engine among those compiled in.
    pub fn new_default() -> anyhow::Result<Engine> {
        Ok(Engine::Wasmtime(engine_wasmtime::Engine::new()?))
    }
}

impl engine_api::Engine for Engine {
    type Module = Module;

    fn name(&self) -> &'static str {
        match self {
            Engine::Wasmtime(e) => e.name(),
        }
    }

    fn version(&self) -> &'static str {
        match self {
            Engine::Wasmtime(e) => e.version(),
        }
    }

    fn compile(&self, bytes: &[u8]) -> anyhow::Result<Module> {
        match self {
            Engine::Wasmtime(e) => e.compile(bytes).map(Module::Wasmtime),
        }
    }
}

impl engine_api::Module for Module {
    type Instance = Instance;

    fn imports(&self) -> Vec<ImportType> {
        match self {
            Module::Wasmtime(m) => m.imports(),
        }
    }

    fn exports(&self) -> Vec<ExportType> {
        match self {
            Module::Wasmtime(m) => m.exports(),
        }
    }

    fn instantiate(&self) -> Result<Instance, GuestError> {
        match self {
            Module::Wasmtime(m) => m.instantiate().map(Instance::Wasmtime),
        }
    }
}

impl engine_api::Instance for Instance {
    fn call(&mut self, name: &str, request: &mut dyn HostRequest) -> Result<(), GuestError> {
        match self {
            Instance::Wasmtime(i) => i.call(name, request),
        }
    }
}
