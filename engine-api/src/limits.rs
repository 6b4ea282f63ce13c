//! Budgets and limits a guest runs under, with the same meaning and the same log text on
//! every engine.
//!
//! * [`EngineOptions`]: what compiled code must be able to enforce. Known once the whole
//!   configuration is read, because engines compile the checks into the code (wasmtime's
//!   epoch and fuel checks, wasmer's metering) or switch them on per engine (wasmi's fuel).
//! * [`Budget`]: what one call may spend (`wasm_timeout`, `wasm_fuel`).
//! * [`InstanceLimits`]: what one instance may hold (`wasm_max_memory`), enforced through
//!   [`MemoryLimiter`], which every engine plugs into its own resource-limiter hook.
//!
//! * [`LogBudget`]: how much a request's guests may write to the error log.
//!
//! See `docs/safety.md` for how precisely each engine enforces them.

use std::fmt;
use std::time::{Duration, Instant};

use crate::error::{GuestError, GuestErrorKind};
use crate::trap::TrapKind;

/// What compiled code must be able to enforce, for every module of a configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineOptions {
    /// Some handler runs under a `wasm_timeout`.
    pub timeouts: bool,
    /// Some handler runs under a `wasm_fuel` budget.
    pub fuel: bool,
}

/// What one guest call (or one instantiation, for a start function) may spend.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Budget {
    /// Wall-clock time (`wasm_timeout`); `None`: unlimited.
    pub timeout: Option<Duration>,
    /// Instructions, in the engine's fuel unit (`wasm_fuel`); `None`: unlimited.
    pub fuel: Option<u64>,
}

impl Budget {
    /// No limit at all.
    pub const UNLIMITED: Budget = Budget {
        timeout: None,
        fuel: None,
    };

    /// The instant a call started at `start` must end by, if it has a timeout.
    pub fn deadline(&self, start: Instant) -> Option<Instant> {
        self.timeout.and_then(|t| start.checked_add(t))
    }

    /// The error for a call this budget stopped. `kind` is [`TrapKind::Timeout`] or
    /// [`TrapKind::OutOfFuel`]; the message names the limit as configured.
    pub fn exceeded(&self, kind: TrapKind) -> GuestError {
        let reason = match kind {
            TrapKind::OutOfFuel => match self.fuel {
                Some(n) => format!("fuel {n} exhausted"),
                None => "fuel exhausted".to_string(),
            },
            _ => match self.timeout {
                Some(t) => format!("timeout {} exceeded", format_duration(t)),
                None => "timeout exceeded".to_string(),
            },
        };
        GuestError::new(GuestErrorKind::Budget, reason)
    }
}

/// What is left of a call's [`Budget`] for its next step. A call that suspends runs in
/// several steps; `wasm_timeout` counts the guest's own running time, so the time a call
/// spends waiting is not charged. (Fuel needs no meter: an engine keeps what is left in the
/// instance between steps.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallMeter {
    budget: Budget,
    ran: Duration,
}

impl CallMeter {
    /// A meter for a call under `budget`.
    pub fn new(budget: Budget) -> Self {
        CallMeter {
            budget,
            ran: Duration::ZERO,
        }
    }

    /// The call's budget.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// When a step starting at `now` must end: the timeout less what earlier steps ran.
    pub fn step_deadline(&self, now: Instant) -> Option<Instant> {
        let left = self.budget.timeout?.saturating_sub(self.ran);
        now.checked_add(left)
    }

    /// Charges a step that ran from `start` to `end`.
    pub fn charge(&mut self, start: Instant, end: Instant) {
        self.ran += end.saturating_duration_since(start);
    }

    /// Running time charged so far.
    pub fn ran(&self) -> Duration {
        self.ran
    }
}

/// A duration the way nginx configurations write it: `50ms`, `2s`, `1500ms`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms >= 1000 && ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// Host bytes counted for each table element against [`InstanceLimits::max_memory`] (a
/// function reference is one pointer).
pub const TABLE_ELEMENT_BYTES: u64 = 8;

/// What one instance may hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct InstanceLimits {
    /// The most bytes of linear memory the instance may have, all memories together
    /// (`wasm_max_memory`); also caps tables at this many bytes, counting
    /// [`TABLE_ELEMENT_BYTES`] per element. `None`: what WebAssembly allows.
    pub max_memory: Option<u64>,
}

impl InstanceLimits {
    /// The most table elements an instance may have, all tables together.
    pub fn max_table_elements(&self) -> Option<u64> {
        self.max_memory.map(|m| m / TABLE_ELEMENT_BYTES)
    }
}

/// What a refused growth asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// Linear memory, in bytes.
    Memory,
    /// Table elements.
    Table,
}

/// A growth (or a creation, from size 0) that [`MemoryLimiter`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// Memory or table.
    pub resource: Resource,
    /// The size asked for, all memories (or tables) of the instance together: bytes for
    /// memory, elements for tables.
    pub wanted: u64,
    /// The limit it would have exceeded, in the same unit.
    pub limit: u64,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.resource {
            Resource::Memory => write!(
                f,
                "{} bytes of linear memory exceed wasm_max_memory ({} bytes)",
                self.wanted, self.limit
            ),
            Resource::Table => write!(
                f,
                "{} table elements exceed the table limit derived from wasm_max_memory ({} elements)",
                self.wanted, self.limit
            ),
        }
    }
}

/// Applies [`InstanceLimits`] to one instance. Each engine calls it from its own hook
/// (wasmtime's and wasmi's `ResourceLimiter`, wasmer's tunables) when a memory or table is
/// created (from size 0) or grows. A refusal makes `memory.grow` / `table.grow` return -1
/// inside the guest, as WebAssembly specifies, or instantiation fail; the limiter remembers
/// it so the error the guest then causes can say why.
#[derive(Debug, Default, Clone)]
pub struct MemoryLimiter {
    limits: InstanceLimits,
    memory_bytes: u64,
    table_elements: u64,
    /// What the last approved growth of a memory and of a table added, for an engine that
    /// then fails the growth and says so (every adapter does: wasmi when the growth runs out
    /// of a fuel slice and is retried, wasmtime and wasmer when the mapping fails).
    last_memory_growth: u64,
    last_table_growth: u64,
    refused: Option<Refusal>,
}

impl MemoryLimiter {
    /// A limiter for one new instance.
    pub fn new(limits: InstanceLimits) -> Self {
        MemoryLimiter {
            limits,
            ..MemoryLimiter::default()
        }
    }

    /// The limits applied.
    pub fn limits(&self) -> InstanceLimits {
        self.limits
    }

    /// A memory asks to grow from `current` to `desired` bytes (`current` is 0 when it is
    /// created). Returns whether that is allowed.
    pub fn memory_growing(&mut self, current: u64, desired: u64) -> bool {
        let total = self.memory_bytes.saturating_sub(current) + desired;
        match self.limits.max_memory {
            Some(limit) if total > limit => {
                self.refused = Some(Refusal {
                    resource: Resource::Memory,
                    wanted: total,
                    limit,
                });
                false
            }
            _ => {
                self.last_memory_growth = total.saturating_sub(self.memory_bytes);
                self.memory_bytes = total;
                true
            }
        }
    }

    /// The engine failed a memory growth this limiter had approved: it did not happen, so
    /// it no longer counts (otherwise every retry would count it again, and the guest would
    /// meet the limit early).
    pub fn memory_grow_failed(&mut self) {
        self.memory_bytes = self.memory_bytes.saturating_sub(self.last_memory_growth);
        self.last_memory_growth = 0;
    }

    /// As [`MemoryLimiter::memory_grow_failed`], for a table.
    pub fn table_grow_failed(&mut self) {
        self.table_elements = self.table_elements.saturating_sub(self.last_table_growth);
        self.last_table_growth = 0;
    }

    /// A table asks to grow from `current` to `desired` elements (`current` is 0 when it is
    /// created). Returns whether that is allowed.
    pub fn table_growing(&mut self, current: u64, desired: u64) -> bool {
        let total = self.table_elements.saturating_sub(current) + desired;
        match self.limits.max_table_elements() {
            Some(limit) if total > limit => {
                self.refused = Some(Refusal {
                    resource: Resource::Table,
                    wanted: total,
                    limit,
                });
                false
            }
            _ => {
                self.last_table_growth = total.saturating_sub(self.table_elements);
                self.table_elements = total;
                true
            }
        }
    }

    /// Forgets earlier refusals: called before each guest call, so a refusal is reported
    /// only with the call it happened in.
    pub fn begin_call(&mut self) {
        self.refused = None;
    }

    /// The refusal recorded since the last [`MemoryLimiter::begin_call`], if any.
    pub fn refusal(&self) -> Option<Refusal> {
        self.refused
    }

    /// The error for a failed instantiation: the engine's own `error`, unless a limit was
    /// the cause, in which case the message is the same on every engine.
    pub fn instantiate_error(&self, error: GuestError) -> GuestError {
        match self.refused {
            Some(r) => GuestError::new(
                GuestErrorKind::Instantiate,
                format!("{}: {r}", TrapKind::MemoryLimit.message()),
            ),
            None => error,
        }
    }

    /// The error for a failed call: a trap that follows a refused growth says so, since the
    /// refusal is most likely why the guest gave up (an allocator aborting, for instance).
    pub fn call_error(&self, error: GuestError) -> GuestError {
        match (self.refused, error.kind) {
            (Some(r), GuestErrorKind::Trap) => GuestError::new(
                GuestErrorKind::Trap,
                format!(
                    "{}, after growth was refused during the call ({r})",
                    error.reason
                ),
            ),
            _ => error,
        }
    }
}

/// How a call of wasmi (and the fuel part of other engines) splits its fuel: slices of at
/// most `slice` units, with a clock check between slices when the budget has a timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuelPlan {
    /// Fuel left in the call's own budget (`u64::MAX` without `wasm_fuel`).
    remaining: u64,
    /// Fuel given per slice.
    slice: u64,
}

impl FuelPlan {
    /// A plan for `budget`, refilling `slice` units at a time when the budget has a timeout
    /// (otherwise the whole budget is one slice).
    pub fn new(budget: &Budget, slice: u64) -> Self {
        let remaining = budget.fuel.unwrap_or(u64::MAX);
        let slice = if budget.timeout.is_some() {
            slice.max(1)
        } else {
            u64::MAX
        };
        FuelPlan { remaining, slice }
    }

    /// The fuel to put in the store for the next slice, taking it from the budget; `None`
    /// when the budget is spent. The slice holds at least `at_least` units (an engine may
    /// need more than a slice for one instruction, e.g. a bulk memory operation); `None` if
    /// the budget has less than that left.
    pub fn next_slice(&mut self, at_least: u64) -> Option<u64> {
        let n = self.slice.max(at_least).max(1).min(self.remaining);
        if n == 0 || n < at_least {
            return None;
        }
        if self.remaining != u64::MAX {
            self.remaining -= n;
        }
        Some(n)
    }

    /// Returns fuel the engine did not use in the last slice (e.g. left in the store when a
    /// slice ended early) to the budget.
    pub fn give_back(&mut self, unused: u64) {
        if self.remaining != u64::MAX {
            self.remaining = self.remaining.saturating_add(unused);
        }
    }

    /// Fuel left for later slices.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }
}

/// The most lines the guests of one request (or one `init_worker` call) may log.
pub const MAX_LOG_LINES: u32 = 1000;
/// The most bytes of messages the guests of one request may log.
pub const MAX_LOG_BYTES: usize = 1 << 20;

/// What [`LogBudget::charge`] decided for one log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogVerdict {
    /// Write it.
    Write,
    /// Drop it; this is the first line dropped: say once that the limit was reached.
    DropFirst,
    /// Drop it.
    Drop,
}

/// The log lines and bytes a request's guests wrote so far: past [`MAX_LOG_LINES`] or
/// [`MAX_LOG_BYTES`] further lines are dropped (and `log` returns -3), so that a guest
/// logging in a loop cannot fill the disk within its time budget.
#[derive(Debug, Clone, Copy, Default)]
pub struct LogBudget {
    lines: u32,
    bytes: usize,
    exhausted: bool,
}

impl LogBudget {
    /// Counts a line of `len` bytes and says whether to write it.
    pub fn charge(&mut self, len: usize) -> LogVerdict {
        if self.exhausted {
            return LogVerdict::Drop;
        }
        if self.lines >= MAX_LOG_LINES || self.bytes.saturating_add(len) > MAX_LOG_BYTES {
            self.exhausted = true;
            return LogVerdict::DropFirst;
        }
        self.lines += 1;
        self.bytes += len;
        LogVerdict::Write
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_messages_name_the_configured_limit() {
        let b = Budget {
            timeout: Some(Duration::from_millis(50)),
            fuel: Some(1000),
        };
        let t = b.exceeded(TrapKind::Timeout);
        assert_eq!(t.kind, GuestErrorKind::Budget);
        assert_eq!(t.to_string(), "stopped: timeout 50ms exceeded");
        assert_eq!(
            b.exceeded(TrapKind::OutOfFuel).to_string(),
            "stopped: fuel 1000 exhausted"
        );
        assert_eq!(format_duration(Duration::from_secs(2)), "2s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
        assert!(Budget::UNLIMITED.deadline(Instant::now()).is_none());
    }

    #[test]
    fn meter_charges_running_time_only() {
        let budget = Budget {
            timeout: Some(Duration::from_millis(50)),
            fuel: None,
        };
        let mut m = CallMeter::new(budget);
        let t0 = Instant::now();
        assert_eq!(m.step_deadline(t0), Some(t0 + Duration::from_millis(50)));
        m.charge(t0, t0 + Duration::from_millis(20));
        // A second step, a second later (the call waited), has the 30 ms left.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(m.step_deadline(t1), Some(t1 + Duration::from_millis(30)));
        m.charge(t1, t1 + Duration::from_millis(40));
        assert_eq!(m.step_deadline(t1), Some(t1), "overrun: no time left");
        assert_eq!(m.ran(), Duration::from_millis(60));
        assert_eq!(CallMeter::new(Budget::UNLIMITED).step_deadline(t0), None);
    }

    #[test]
    fn limiter_counts_all_memories_and_remembers_refusals() {
        let mut l = MemoryLimiter::new(InstanceLimits {
            max_memory: Some(1 << 20),
        });
        assert!(l.memory_growing(0, 65536 * 8));
        assert!(l.memory_growing(65536 * 8, 65536 * 16));
        assert_eq!(l.refusal(), None);
        // A second memory counts with the first.
        assert!(!l.memory_growing(0, 65536));
        let r = l.refusal().expect("refused");
        assert_eq!(
            (r.resource, r.wanted, r.limit),
            (Resource::Memory, 1114112, 1 << 20)
        );
        l.begin_call();
        assert_eq!(l.refusal(), None);
        // Tables: 8 bytes per element.
        assert!(l.table_growing(0, 131072));
        assert!(!l.table_growing(131072, 131073));
        assert_eq!(l.refusal().map(|r| r.resource), Some(Resource::Table));
    }

    #[test]
    fn a_failed_growth_does_not_count() {
        // wasmi: approved, then out of fuel, then asked again after the next slice.
        let mut l = MemoryLimiter::new(InstanceLimits {
            max_memory: Some(3 << 16),
        });
        assert!(l.memory_growing(0, 1 << 16));
        for _ in 0..10 {
            assert!(l.memory_growing(1 << 16, 2 << 16));
            l.memory_grow_failed();
        }
        assert!(l.memory_growing(1 << 16, 2 << 16));
        assert!(l.memory_growing(2 << 16, 3 << 16));
        assert!(!l.memory_growing(3 << 16, 4 << 16));
        let mut t = MemoryLimiter::new(InstanceLimits {
            max_memory: Some(80),
        });
        assert!(t.table_growing(0, 8));
        t.table_grow_failed();
        assert!(t.table_growing(0, 10));
    }

    #[test]
    fn unlimited_limiter_allows_everything() {
        let mut l = MemoryLimiter::new(InstanceLimits::default());
        assert!(l.memory_growing(0, 4 << 30));
        assert!(l.table_growing(0, 10_000_000));
        assert_eq!(l.refusal(), None);
    }

    #[test]
    fn limiter_explains_errors() {
        let mut l = MemoryLimiter::new(InstanceLimits {
            max_memory: Some(65536),
        });
        let engine_error = GuestError::new(GuestErrorKind::Instantiate, "engine words");
        assert_eq!(l.instantiate_error(engine_error.clone()), engine_error);
        assert!(!l.memory_growing(0, 131072));
        assert_eq!(
            l.instantiate_error(engine_error).to_string(),
            "instantiation failed: memory limit exceeded: 131072 bytes of linear memory exceed wasm_max_memory (65536 bytes)"
        );
        let trap = GuestError::new(GuestErrorKind::Trap, TrapKind::Unreachable.reason());
        assert!(l
            .call_error(trap)
            .reason
            .ends_with("after growth was refused during the call (131072 bytes of linear memory exceed wasm_max_memory (65536 bytes))"));
        let stop = GuestError::new(GuestErrorKind::Budget, "timeout 1ms exceeded");
        assert_eq!(l.call_error(stop.clone()), stop);
    }

    #[test]
    fn fuel_plan_slices_the_budget() {
        let timeout = Some(Duration::from_millis(10));
        let mut p = FuelPlan::new(
            &Budget {
                timeout,
                fuel: Some(25),
            },
            10,
        );
        assert_eq!(p.next_slice(0), Some(10));
        assert_eq!(p.next_slice(0), Some(10));
        p.give_back(3);
        assert_eq!(p.remaining(), 8);
        // More than is left is not given.
        assert_eq!(p.next_slice(9), None);
        assert_eq!(p.next_slice(0), Some(8));
        assert_eq!(p.next_slice(0), None);

        // No fuel budget: endless slices.
        let mut p = FuelPlan::new(
            &Budget {
                timeout,
                fuel: None,
            },
            10,
        );
        for _ in 0..100 {
            assert_eq!(p.next_slice(0), Some(10));
        }
        assert_eq!(p.next_slice(1000), Some(1000));
        // No timeout: the whole budget at once.
        let mut p = FuelPlan::new(
            &Budget {
                timeout: None,
                fuel: Some(25),
            },
            10,
        );
        assert_eq!(p.next_slice(0), Some(25));
        assert_eq!(p.next_slice(0), None);
    }
}
