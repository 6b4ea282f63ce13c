//! WebAssembly traps, named the same way on every engine.
//!
//! Each engine maps its own trap codes to a [`TrapKind`], so the error log says the same
//! thing whichever engine ran the guest (the conformance suite relies on it).

/// Why the WebAssembly code itself stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrapKind {
    /// Call stack exhausted (deep recursion).
    StackOverflow,
    /// A load or store outside linear memory.
    MemoryOutOfBounds,
    /// A misaligned atomic access.
    HeapMisaligned,
    /// A table access out of bounds.
    TableOutOfBounds,
    /// `call_indirect` to a null table entry.
    IndirectCallToNull,
    /// `call_indirect` with a signature mismatch.
    BadSignature,
    /// Integer overflow (e.g. `i32::MIN / -1`).
    IntegerOverflow,
    /// Integer division or remainder by zero.
    IntegerDivisionByZero,
    /// Float to integer conversion out of range.
    BadConversionToInteger,
    /// The `unreachable` instruction.
    Unreachable,
    /// The call's wall-clock budget (`wasm_timeout`) ran out. Engines stop the guest in their
    /// own way (wasmtime: an epoch deadline; wasmi: a clock check between fuel slices;
    /// wasmer: a stop flag in its metering that a watchdog thread raises at the deadline)
    /// and all report this kind.
    Timeout,
    /// The call's instruction budget (`wasm_fuel`) ran out.
    OutOfFuel,
    /// A memory or table could not be created within `wasm_max_memory`.
    MemoryLimit,
}

impl TrapKind {
    /// The message used in logs (the WebAssembly spec test suite's wording).
    pub fn message(self) -> &'static str {
        match self {
            TrapKind::StackOverflow => "call stack exhausted",
            TrapKind::MemoryOutOfBounds => "out of bounds memory access",
            TrapKind::HeapMisaligned => "unaligned atomic",
            TrapKind::TableOutOfBounds => "undefined element: out of bounds table access",
            TrapKind::IndirectCallToNull => "uninitialized element",
            TrapKind::BadSignature => "indirect call type mismatch",
            TrapKind::IntegerOverflow => "integer overflow",
            TrapKind::IntegerDivisionByZero => "integer divide by zero",
            TrapKind::BadConversionToInteger => "invalid conversion to integer",
            TrapKind::Unreachable => "wasm `unreachable` instruction executed",
            TrapKind::Timeout => "timeout exceeded",
            TrapKind::OutOfFuel => "all fuel consumed by WebAssembly",
            TrapKind::MemoryLimit => "memory limit exceeded",
        }
    }

    /// True for the kinds that mean a budget ran out rather than a fault of the guest.
    pub fn is_budget(self) -> bool {
        matches!(self, TrapKind::Timeout | TrapKind::OutOfFuel)
    }

    /// `wasm trap: <message>`, the reason a [`crate::GuestError`] carries.
    pub fn reason(self) -> String {
        format!("wasm trap: {}", self.message())
    }
}
