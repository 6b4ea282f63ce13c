//! Errors a guest can cause, shared by all engines.

use std::fmt;

/// A host function refused to continue: the guest is stopped with a trap carrying this
/// message. Raised for arguments that cannot be answered with a status code, such as a
/// pointer or length outside the guest's memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostTrap {
    /// The import that raised it, e.g. `ngx.resp_write`.
    pub function: &'static str,
    /// Why, in words fit for the nginx error log.
    pub reason: String,
}

impl HostTrap {
    /// A trap raised by `function` for `reason`.
    pub fn new(function: &'static str, reason: impl Into<String>) -> Self {
        HostTrap {
            function,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for HostTrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "host function {}: {}", self.function, self.reason)
    }
}

impl std::error::Error for HostTrap {}

/// What went wrong while instantiating or calling a guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestErrorKind {
    /// The guest could not be instantiated (start function trapped, resources exhausted...).
    Instantiate,
    /// The guest trapped: a WebAssembly trap or a [`HostTrap`].
    Trap,
    /// The export to call does not exist or has the wrong type (normally caught at config time).
    Export,
    /// A budget (`wasm_timeout`, `wasm_fuel`) ran out and the guest was stopped; see
    /// [`crate::Budget::exceeded`].
    Budget,
}

/// An error a guest caused, with a one-line reason. The nginx module adds the module path,
/// export and engine when it logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestError {
    /// The class of failure.
    pub kind: GuestErrorKind,
    /// A single-line description, e.g. "wasm trap: wasm `unreachable` instruction executed".
    pub reason: String,
}

impl GuestError {
    /// An error of `kind` for `reason`.
    pub fn new(kind: GuestErrorKind, reason: impl Into<String>) -> Self {
        GuestError {
            kind,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for GuestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            GuestErrorKind::Instantiate => "instantiation failed",
            GuestErrorKind::Trap => "trapped",
            GuestErrorKind::Export => "bad export",
            GuestErrorKind::Budget => "stopped",
        };
        write!(f, "{what}: {}", self.reason)
    }
}

impl std::error::Error for GuestError {}
