//! The engines compiled into this build, and the one a configuration runs on.
//!
//! One enum per engine-api trait, one variant per compiled engine (cargo features
//! `wasmtime`, `wasmer`, `wasmi`), each implementing the engine-api trait itself by
//! delegating to the variant ([`dispatch!`], the one thin delegating macro: a new trait
//! method is one line here and its implementation in each engine). `cfg-if` picks the
//! default among the compiled ones (wasmtime, then wasmer, then wasmi).
//!
//! (`enum_dispatch` cannot forward engine-api's traits: they have associated types and live
//! in another crate, which is what the mirrored object-style traits it needed existed for.)

use engine_api::abi::{HostAbi, ABIS};
use engine_api::{
    Budget, Capabilities, EngineOptions, ExportType, GuestError, HostRequest, InstanceLimits,
    Isolation, Reply, Step, Val,
};

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

/// The ABIs every engine links: all the host provides.
pub const HOST_ABIS: &[&HostAbi] = ABIS;

/// Evaluates `$body` with `$inner` bound to the engine-specific value inside `$value`, an
/// [`AnyEngine`], [`AnyModule`] or [`AnyInstance`] (named by `$enum`).
macro_rules! dispatch {
    ($value:expr, $enum:ident($inner:ident) => $body:expr) => {
        match $value {
            #[cfg(feature = "wasmtime")]
            $enum::Wasmtime($inner) => $body,
            #[cfg(feature = "wasmer")]
            $enum::Wasmer($inner) => $body,
            #[cfg(feature = "wasmi")]
            $enum::Wasmi($inner) => $body,
        }
    };
}

/// The engine of a configuration: any of the engines compiled in.
pub enum AnyEngine {
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

/// A module compiled by an [`AnyEngine`].
pub enum AnyModule {
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

/// An instance of an [`AnyModule`].
///
/// wasmi's store is much larger than the others' (about 1.7 KB). Instances are few and
/// long-lived, and the registry boxes them, so the size is kept.
#[allow(clippy::large_enum_variant)]
pub enum AnyInstance {
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

impl engine_api::Engine for AnyEngine {
    type Module = AnyModule;

    fn name(&self) -> &'static str {
        dispatch!(self, AnyEngine(e) => e.name())
    }

    fn version(&self) -> &'static str {
        dispatch!(self, AnyEngine(e) => e.version())
    }

    fn capabilities(&self) -> Capabilities {
        dispatch!(self, AnyEngine(e) => e.capabilities())
    }

    fn compile(&self, bytes: &[u8]) -> anyhow::Result<AnyModule> {
        dispatch!(self, AnyEngine(e) => e.compile(bytes).map(Into::into))
    }

    fn init_worker(&self, request_isolation: bool) -> anyhow::Result<()> {
        dispatch!(self, AnyEngine(e) => e.init_worker(request_isolation))
    }
}

impl engine_api::Module for AnyModule {
    type Instance = AnyInstance;

    fn host_imports(&self) -> &[&'static engine_api::abi::HostFunction] {
        dispatch!(self, AnyModule(m) => m.host_imports())
    }

    fn exports(&self) -> Vec<ExportType> {
        dispatch!(self, AnyModule(m) => m.exports())
    }

    fn instantiate(
        &self,
        isolation: Isolation,
        limits: &InstanceLimits,
        budget: &Budget,
    ) -> Result<AnyInstance, GuestError> {
        dispatch!(self, AnyModule(m) => m.instantiate(isolation, limits, budget).map(Into::into))
    }
}

impl engine_api::Instance for AnyInstance {
    fn start(
        &mut self,
        name: &str,
        args: &[Val],
        host: &mut dyn HostRequest,
        budget: &Budget,
    ) -> Result<Step, GuestError> {
        dispatch!(self, AnyInstance(i) => i.start(name, args, host, budget))
    }

    fn resume(&mut self, reply: Reply, host: &mut dyn HostRequest) -> Result<Step, GuestError> {
        dispatch!(self, AnyInstance(i) => i.resume(reply, host))
    }
}

/// `From` for each variant of the three enums.
macro_rules! variants {
    ($($feature:literal $variant:ident $krate:ident),*) => {
        $(
            #[cfg(feature = $feature)]
            impl From<$krate::Engine> for AnyEngine {
                fn from(e: $krate::Engine) -> Self {
                    AnyEngine::$variant(e)
                }
            }
            #[cfg(feature = $feature)]
            impl From<$krate::Module> for AnyModule {
                fn from(m: $krate::Module) -> Self {
                    AnyModule::$variant(m)
                }
            }
            #[cfg(feature = $feature)]
            impl From<$krate::Instance> for AnyInstance {
                fn from(i: $krate::Instance) -> Self {
                    AnyInstance::$variant(i)
                }
            }
        )*
    };
}

variants!(
    "wasmtime" Wasmtime engine_wasmtime,
    "wasmer" Wasmer engine_wasmer,
    "wasmi" Wasmi engine_wasmi
);

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
/// budgets of `options`, with every host ABI linked.
pub fn create(name: &str, options: EngineOptions) -> anyhow::Result<AnyEngine> {
    match name {
        #[cfg(feature = "wasmtime")]
        "wasmtime" => Ok(engine_wasmtime::Engine::new(options, HOST_ABIS)?.into()),
        #[cfg(feature = "wasmer")]
        "wasmer" => Ok(engine_wasmer::Engine::new(options, HOST_ABIS)?.into()),
        #[cfg(feature = "wasmer-singlepass")]
        "wasmer-singlepass" => Ok(engine_wasmer::Engine::singlepass(options, HOST_ABIS)?.into()),
        #[cfg(feature = "wasmi")]
        "wasmi" => Ok(engine_wasmi::Engine::new(options, HOST_ABIS)?.into()),
        other => anyhow::bail!("{}", engine_name_error(other).unwrap_or_default()),
    }
}
