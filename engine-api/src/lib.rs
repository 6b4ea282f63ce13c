//! The engine trait and the host ABI of ngx_wasm.
//!
//! This crate knows nothing about nginx and nothing about any particular WebAssembly runtime.
//! It holds the two things every backend must agree on:
//!
//! * [`engine`]: the [`Engine`] / [`Module`] / [`Instance`] traits a runtime implements
//!   (compile, inspect imports and exports, instantiate, call an export);
//! * [`abi`]: the host functions guests import from the `ngx` module, declared **once** as a
//!   table ([`abi::HOST_FUNCTIONS`]) and implemented once against two small interfaces:
//!   [`memory::GuestMemory`] (bounds-checked access to the guest's linear memory) and
//!   [`request::HostRequest`] (the request a call runs for, implemented by the nginx module).
//!
//! An engine crate only adapts the table to its linker: it never implements a host function.

pub mod abi;
pub mod ctx;
pub mod engine;
pub mod error;
pub mod health;
pub mod limits;
pub mod memory;
pub mod phase;
pub mod request;
pub mod ticker;
pub mod trap;
pub mod validate;

pub use ctx::CtxStore;
pub use engine::{
    Engine, ExportCache, ExportType, ExternKind, FuncType, ImportType, Instance, Isolation, Module,
    ValType,
};
pub use error::{GuestError, GuestErrorKind, HostTrap};
pub use limits::{Budget, EngineOptions, InstanceLimits, MemoryLimiter};
pub use memory::GuestMemory;
pub use phase::{Phase, PhaseSet};
pub use request::{Finish, HostRequest, LogLevel, RequestError, RequestSlot};
pub use trap::TrapKind;
