//! The engine trait and the host ABIs of ngx_wasm.
//!
//! This crate knows nothing about nginx and nothing about any particular WebAssembly runtime.
//! It holds what every backend must agree on:
//!
//! * [`engine`]: the [`Engine`] / [`Module`] / [`Instance`] traits a runtime implements
//!   (compile, inspect exports, instantiate, run a call in resumable steps);
//! * [`abi`]: the host functions guests import, declared **once** per ABI ([`abi::HostAbi`],
//!   every ABI in [`abi::ABIS`]) and implemented once against two small interfaces:
//!   [`memory::GuestMemory`] (bounds-checked access to the guest's linear memory) and
//!   [`request::HostRequest`] (the request a call runs for, implemented by the nginx module);
//! * what a suspended call waits for ([`wait`]), and the suspension helper of engines that
//!   run calls on their own stacks ([`suspend`]);
//! * budgets and limits ([`limits`]), trap names ([`trap`]), configuration-time checks
//!   ([`validate`]) and crash-loop bookkeeping ([`health`]), the same on every engine.
//!
//! An engine crate only adapts the tables to its linker: it never implements a host function.

pub mod abi;
pub mod ctx;
pub mod engine;
pub mod error;
pub mod health;
pub mod limits;
pub mod memory;
pub mod phase;
pub mod request;
pub mod stdio;
pub mod suspend;
pub mod ticker;
pub mod trap;
pub mod validate;
pub mod value;
pub mod wait;

pub use abi_consts::LogLevel;
pub use ctx::CtxStore;
pub use engine::{
    Capabilities, Engine, ExportCache, ExportType, ExternKind, ImportType, Instance, Isolation,
    Module, Step,
};
pub use error::{GuestError, GuestErrorKind, HostTrap, RequestError};
pub use limits::{
    Budget, CallMeter, EngineOptions, InstanceLimits, LogBudget, LogVerdict, MemoryLimiter,
};
pub use memory::GuestMemory;
pub use phase::{Phase, PhaseSet};
pub use request::{
    BodySource, Finish, HostRequest, ProxyFilter, RequestSlot, ShdictAnswer, ShdictBytes, ShdictOp,
    SocketOp, SocketStep, SubrequestSpec, TimerCounts, TimerSpec, Until, WorkerInfo,
};
pub use trap::TrapKind;
pub use value::{FuncType, Val, ValType};
pub use wait::{Reply, Wait};
