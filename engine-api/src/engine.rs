//! The traits a WebAssembly runtime implements to run ngx_wasm guests.
//!
//! The shape follows wasmtime's typed API: an [`Engine`] compiles bytes into a [`Module`]
//! (shareable, compiled once per file at nginx configuration time); a module is instantiated
//! into an [`Instance`] (per worker, or per call), whose exports are called with the request
//! they run for.
//!
//! A call is made of steps. [`Instance::start`] runs the export until it returns
//! ([`Step::Done`]) or until a host function asks to wait ([`Step::Suspended`]); then the
//! guest's stack stays in the instance while the host carries the wait out, and
//! [`Instance::resume`] runs the next step with the host's [`Reply`]. Budgets
//! ([`crate::limits`]) count the steps' running time, not the time spent waiting.
//!
//! Instantiation goes through the module so that an engine can pre-link it once
//! (wasmtime's `InstancePre`) and draw per-call instances from a pool
//! ([`Isolation::Request`]).

use crate::error::GuestError;
use crate::limits::{Budget, InstanceLimits};
use crate::request::HostRequest;
use crate::value::{FuncType, Val};
use crate::wait::{Reply, Wait};

/// What kind of item an import or export is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternKind {
    /// A function with its signature.
    Func(FuncType),
    /// A linear memory.
    Memory,
    /// A table.
    Table,
    /// A global.
    Global,
    /// Anything else (tags...).
    Other,
}

impl ExternKind {
    /// "function", "memory", ... for messages.
    pub fn noun(&self) -> &'static str {
        match self {
            ExternKind::Func(_) => "function",
            ExternKind::Memory => "memory",
            ExternKind::Table => "table",
            ExternKind::Global => "global",
            ExternKind::Other => "item",
        }
    }
}

/// One import of a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportType {
    /// Import module name, e.g. `ngx`.
    pub module: String,
    /// Item name, e.g. `resp_write`.
    pub name: String,
    /// Its kind and type.
    pub kind: ExternKind,
}

/// One export of a module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportType {
    /// Export name.
    pub name: String,
    /// Its kind and type.
    pub kind: ExternKind,
}

/// What an engine can do beyond running code to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// It can suspend a call inside a host function and resume it later. A module that
    /// imports a host function which may suspend is refused by an engine that cannot
    /// ([`crate::validate::check_imports`]).
    pub suspend: bool,
}

/// Where a call stands after one step.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The export returned these results.
    Done(Vec<Val>),
    /// A host function asked to wait for this; the guest is suspended until
    /// [`Instance::resume`].
    Suspended(Wait),
}

/// A WebAssembly runtime configured for ngx_wasm.
pub trait Engine {
    /// The compiled-module type of this engine.
    type Module: Module;

    /// Short engine name used in logs and in the `wasm_engine` directive, e.g. `wasmtime`.
    fn name(&self) -> &'static str;

    /// The runtime's version, e.g. `48.0.8`.
    fn version(&self) -> &'static str;

    /// What the engine can do.
    fn capabilities(&self) -> Capabilities;

    /// Compiles and validates `bytes` (a binary WebAssembly module).
    ///
    /// Implementations must reject modules whose imports the host does not provide, with the
    /// message of [`crate::validate::check_imports`], so every engine reports the same error.
    fn compile(&self, bytes: &[u8]) -> anyhow::Result<Self::Module>;

    /// Prepares the current process to run guests. nginx calls it once in each worker (after
    /// `fork`) before the first instantiation: threads (wasmtime's epoch ticker) and
    /// instance pools do not survive `fork`, so they are made here, never in the master.
    /// `request_isolation` says whether some handler uses [`Isolation::Request`]. Calling it
    /// again is harmless.
    fn init_worker(&self, request_isolation: bool) -> anyhow::Result<()> {
        let _ = request_isolation;
        Ok(())
    }
}

/// How long an instance lives, which decides how an engine makes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Isolation {
    /// One instance per module per worker, reused by every request until it fails.
    #[default]
    Worker,
    /// A fresh instance for each call, dropped after it: no state survives between
    /// requests. Engines make these cheap where they can (wasmtime: a pooling allocator).
    Request,
}

/// A compiled, validated module. Compiled once and shared by every instance.
pub trait Module {
    /// The instance type of this engine.
    type Instance: Instance;

    /// The module's exports.
    fn exports(&self) -> Vec<ExportType>;

    /// The host functions it imports, in import order (checked at compile time).
    fn host_imports(&self) -> &[&'static crate::abi::HostFunction];

    /// Creates a fresh instance, linked to the host ABIs, whose memories and tables stay
    /// within `limits`. A start function runs under `budget`.
    fn instantiate(
        &self,
        isolation: Isolation,
        limits: &InstanceLimits,
        budget: &Budget,
    ) -> Result<Self::Instance, GuestError>;
}

/// A live instance: its own memory, globals and tables, and at most one call in progress.
///
/// An `Err` from a step means the guest trapped or was stopped, and the call is over; the
/// caller should discard the instance, whose state may be inconsistent. Dropping an instance
/// whose call is suspended cancels the call first ([`Reply::Cancel`]).
pub trait Instance {
    /// Starts a call of export `name` with `args` for `host`, under `budget` (the whole
    /// call's: its steps share it).
    fn start(
        &mut self,
        name: &str,
        args: &[Val],
        host: &mut dyn HostRequest,
        budget: &Budget,
    ) -> Result<Step, GuestError>;

    /// Runs the next step of the suspended call: the waiting host function completes with
    /// `reply` (or traps, for [`Reply::Cancel`]) and the guest goes on, for `host`.
    fn resume(&mut self, reply: Reply, host: &mut dyn HostRequest) -> Result<Step, GuestError>;
}

/// Typed export handles an instance has looked up, by name: an instance calls a handful of
/// exports, so a short list searched linearly beats a hash map.
pub struct ExportCache<F> {
    entries: Vec<(String, F)>,
}

impl<F> Default for ExportCache<F> {
    fn default() -> Self {
        ExportCache {
            entries: Vec::new(),
        }
    }
}

impl<F> ExportCache<F> {
    /// The handle for `name`, looked up with `lookup` the first time. It is lent, not cloned:
    /// cloning an engine's typed handle costs reference counting on every call.
    pub fn get_or_lookup<E>(
        &mut self,
        name: &str,
        lookup: impl FnOnce() -> Result<F, E>,
    ) -> Result<&F, E> {
        let i = match self.entries.iter().position(|(n, _)| n == name) {
            Some(i) => i,
            None => {
                let f = lookup()?;
                self.entries.push((name.to_string(), f));
                self.entries.len() - 1
            }
        };
        Ok(&self.entries[i].1)
    }
}

#[cfg(test)]
mod tests {
    use super::ExportCache;

    #[test]
    fn export_cache_looks_up_once_per_name() {
        let mut cache = ExportCache::<u32>::default();
        let mut lookups = 0;
        for _ in 0..3 {
            let f = cache.get_or_lookup("a", || {
                lookups += 1;
                Ok::<u32, ()>(7)
            });
            assert_eq!(f, Ok(&7));
        }
        assert_eq!(lookups, 1);
        let missing = cache.get_or_lookup("b", || Err("no export"));
        assert_eq!(missing, Err("no export"));
        assert_eq!(
            cache.get_or_lookup("b", || Ok::<u32, &str>(9)),
            Ok(&9),
            "failures are not cached"
        );
    }
}
