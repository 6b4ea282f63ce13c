//! The engines compiled into this build, and the one a configuration runs on.
//!
//! One enum per engine-api trait, one variant per compiled engine (cargo features
//! `wasmtime`, `wasmer`, `wasmi`), dispatched with `enum_dispatch`; `cfg-if` picks the
//! default among the compiled ones (wasmtime, then wasmer, then wasmi).

use engine_api::{
    Budget, EngineOptions, ExportType, GuestError, HostRequest, InstanceLimits, Isolation,
};
use enum_dispatch::enum_dispatch;

cfg_if::cfg_if! {
    if #[cfg(feature = "wasmtime")] {
        /// The engine used when the configuration names none.
        pub const DEFAULT_ENGINE: &str = "wasmtime";
    } else if #[cfg(feature = "wasmer")] {
        /// The engine used when the configuration names none.
        pub const DEFAULT_ENGINE: &str = "wasmer";
    } else if #[cfg(feature = "wasmi")] {
        /// The engine used when the configuration names none.
        pub const DEFAULT_ENGINE: &str = "wasmi";
    } else {
        compile_error!("ngx-wasm needs at least one engine feature: wasmtime, wasmer or wasmi");
    }
}

/// Names of the engines compiled into this build, in order of preference.
pub const COMPILED_ENGINES: &[&str] = &[
    #[cfg(feature = "wasmtime")]
    "wasmtime",
    #[cfg(feature = "wasmer")]
    "wasmer",
    #[cfg(feature = "wasmer-singlepass")]
    "wasmer-singlepass",
    #[cfg(feature = "wasmi")]
    "wasmi",
];

/// Every engine name ngx_wasm knows, compiled in or not.
pub const KNOWN_ENGINES: &[&str] = &["wasmtime", "wasmer", "wasmer-singlepass", "wasmi"];

/// Engine operations, object-style (engine-api's traits have associated types, which
/// `enum_dispatch` cannot forward).
#[enum_dispatch]
pub trait EngineOps {
    /// Engine name.
    fn name(&self) -> &'static str;
    /// Engine version.
    fn version(&self) -> &'static str;
    /// Compiles a module.
    fn compile(&self, bytes: &[u8]) -> anyhow::Result<Module>;
    /// Prepares a worker process (threads, pools).
    fn init_worker(&self, request_isolation: bool) -> anyhow::Result<()>;
}

/// Compiled-module operations.
#[enum_dispatch]
pub trait ModuleOps {
    /// The module's exports.
    fn exports(&self) -> Vec<ExportType>;
    /// A fresh instance.
    fn instantiate(
        &self,
        isolation: Isolation,
        limits: &InstanceLimits,
        budget: &Budget,
    ) -> Result<Instance, GuestError>;
}

/// Instance operations.
#[enum_dispatch]
pub trait InstanceOps {
    /// Calls a handler export for a request.
    fn call(
        &mut self,
        name: &str,
        request: &mut dyn HostRequest,
        budget: &Budget,
    ) -> Result<(), GuestError>;
}

impl<E> EngineOps for E
where
    E: engine_api::Engine,
    Module: From<E::Module>,
{
    fn name(&self) -> &'static str {
        engine_api::Engine::name(self)
    }
    fn version(&self) -> &'static str {
        engine_api::Engine::version(self)
    }
    fn compile(&self, bytes: &[u8]) -> anyhow::Result<Module> {
        engine_api::Engine::compile(self, bytes).map(Module::from)
    }
    fn init_worker(&self, request_isolation: bool) -> anyhow::Result<()> {
        engine_api::Engine::init_worker(self, request_isolation)
    }
}

impl<M> ModuleOps for M
where
    M: engine_api::Module,
    Instance: From<M::Instance>,
{
    fn exports(&self) -> Vec<ExportType> {
        engine_api::Module::exports(self)
    }
    fn instantiate(
        &self,
        isolation: Isolation,
        limits: &InstanceLimits,
        budget: &Budget,
    ) -> Result<Instance, GuestError> {
        engine_api::Module::instantiate(self, isolation, limits, budget).map(Instance::from)
    }
}

impl<I: engine_api::Instance> InstanceOps for I {
    fn call(
        &mut self,
        name: &str,
        request: &mut dyn HostRequest,
        budget: &Budget,
    ) -> Result<(), GuestError> {
        engine_api::Instance::call(self, name, request, budget)
    }
}

/// The engine of a configuration.
#[enum_dispatch(EngineOps)]
pub enum Engine {
    /// Wasmtime (Cranelift JIT).
    #[cfg(feature = "wasmtime")]
    Wasmtime(engine_wasmtime::Engine),
    /// Wasmer (sys backend, Cranelift or single-pass).
    #[cfg(feature = "wasmer")]
    Wasmer(engine_wasmer::Engine),
    /// wasmi (interpreter).
    #[cfg(feature = "wasmi")]
    Wasmi(engine_wasmi::Engine),
}

/// A module compiled by an [`Engine`].
#[enum_dispatch(ModuleOps)]
pub enum Module {
    /// Compiled by wasmtime.
    #[cfg(feature = "wasmtime")]
    Wasmtime(engine_wasmtime::Module),
    /// Compiled by wasmer.
    #[cfg(feature = "wasmer")]
    Wasmer(engine_wasmer::Module),
    /// Compiled by wasmi.
    #[cfg(feature = "wasmi")]
    Wasmi(engine_wasmi::Module),
}

/// An instance of a [`Module`].
///
/// wasmi's store is much larger than the others' (about 1.7 KB). Instances are few (one
/// per module per worker) and long-lived, so the size is kept rather than adding a heap
/// indirection to every call.
#[allow(clippy::large_enum_variant)]
#[enum_dispatch(InstanceOps)]
pub enum Instance {
    /// A wasmtime instance.
    #[cfg(feature = "wasmtime")]
    Wasmtime(engine_wasmtime::Instance),
    /// A wasmer instance.
    #[cfg(feature = "wasmer")]
    Wasmer(engine_wasmer::Instance),
    /// A wasmi instance.
    #[cfg(feature = "wasmi")]
    Wasmi(engine_wasmi::Instance),
}

/// Why an engine name was refused.
pub fn engine_name_error(name: &str) -> Option<String> {
    let compiled = COMPILED_ENGINES.join(", ");
    if COMPILED_ENGINES.contains(&name) {
        None
    } else if KNOWN_ENGINES.contains(&name) {
        Some(format!(
            "wasm engine \"{name}\" is not compiled into this module (compiled: {compiled})"
        ))
    } else {
        Some(format!(
            "unknown wasm engine \"{name}\" (compiled: {compiled})"
        ))
    }
}

/// Creates the engine named `name` (one of [`COMPILED_ENGINES`]), able to enforce the
/// budgets of `options`.
pub fn create(name: &str, options: EngineOptions) -> anyhow::Result<Engine> {
    match name {
        #[cfg(feature = "wasmtime")]
        "wasmtime" => Ok(Engine::from(engine_wasmtime::Engine::new(options)?)),
        #[cfg(feature = "wasmer")]
        "wasmer" => Ok(Engine::from(engine_wasmer::Engine::new(options)?)),
        #[cfg(feature = "wasmer-singlepass")]
        "wasmer-singlepass" => Ok(Engine::from(engine_wasmer::Engine::singlepass(options)?)),
        #[cfg(feature = "wasmi")]
        "wasmi" => Ok(Engine::from(engine_wasmi::Engine::new(options)?)),
        other => anyhow::bail!("{}", engine_name_error(other).unwrap_or_default()),
    }
}
