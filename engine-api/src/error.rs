//! Errors, shared by all engines: what a guest can cause ([`GuestError`], [`HostTrap`]) and
//! why a request operation was refused ([`RequestError`]).

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
    /// The host asked for what the instance cannot do now (a call while another is
    /// suspended, a resume with nothing suspended): a bug on the host side.
    Usage,
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

    /// A [`GuestErrorKind::Usage`] error: the host asked for what the instance cannot do now.
    pub fn usage(what: impl Into<String>) -> Self {
        GuestError::new(GuestErrorKind::Usage, what)
    }

    /// A call started while another is suspended in the same instance.
    pub fn already_suspended() -> Self {
        GuestError::usage("a call is already suspended in this instance")
    }

    /// A resume with no call suspended in the instance.
    pub fn nothing_suspended() -> Self {
        GuestError::usage("no call is suspended in this instance")
    }
}

impl fmt::Display for GuestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            GuestErrorKind::Instantiate => "instantiation failed",
            GuestErrorKind::Trap => "trapped",
            GuestErrorKind::Export => "bad export",
            GuestErrorKind::Budget => "stopped",
            GuestErrorKind::Usage => "misused",
        };
        write!(f, "{what}: {}", self.reason)
    }
}

impl std::error::Error for GuestError {}

/// Why a [`crate::HostRequest`] operation failed; each maps to an ABI status code
/// ([`crate::abi::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestError {
    /// The item does not exist (e.g. an unknown variable).
    NotFound,
    /// The host rejects the value (e.g. an unknown method, a variable that cannot be set).
    BadArgument,
    /// The operation is not possible in the current state (e.g. headers already sent).
    NotAllowed,
    /// The host failed (e.g. out of memory in the request pool).
    Internal,
    /// The socket is closed.
    Closed,
    /// The key exists already (shared dictionary `add`).
    Exists,
    /// No room in the shared dictionary.
    NoMemory,
    /// A limit on work in progress is reached (`wasm_max_pending_timers`).
    TooMany,
    /// More than a limit allows (`wasm_max_output`).
    TooLarge,
}

impl RequestError {
    /// The ABI status code of this error.
    pub fn status(self) -> i32 {
        use abi_consts::status;
        match self {
            RequestError::NotFound => status::NOT_FOUND,
            RequestError::BadArgument => status::BAD_ARGUMENT,
            RequestError::NotAllowed => status::NOT_ALLOWED,
            RequestError::Internal => status::INTERNAL,
            RequestError::Closed => status::CLOSED,
            RequestError::Exists => status::EXISTS,
            RequestError::NoMemory => status::NO_MEMORY,
            RequestError::TooMany => status::TOO_MANY,
            RequestError::TooLarge => status::TOO_LARGE,
        }
    }
}
