//! Budgets on wasmer: metering compiled into the module ([`crate::metering`]), and a
//! watchdog thread that raises its stop flag at the deadline.
//!
//! Wasmer has no epochs, and a call that runs out of metering points cannot be resumed: the
//! metering traps. Its own preemption mechanism (`experimental-host-interrupt`) takes over
//! SIGUSR1, which nginx uses, so it is never enabled. What ngx_wasm does instead:
//!
//! * `wasm_fuel n`: the call's counter starts at `n` (one point per operator).
//! * `wasm_timeout t`: the call is registered with the worker's [`Watchdog`], a thread that
//!   wakes every millisecond while calls with a timeout run ([`engine_api::ticker`]); once
//!   the deadline has passed it raises the instance's stop flag, and the guest traps at its
//!   next charge (the end of the current basic block). The same scheme as wasmtime's
//!   epochs: a thread writes a value that compiled code reads.
//! * A start function (run during instantiation) gets [`START_POINTS`]: the counter is
//!   initialised when the module is compiled, and the instance does not exist yet for the
//!   watchdog.

use std::ptr::NonNull;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use anyhow::Context as _;
use engine_api::ticker::{CallGuard, Ticker};
use engine_api::Budget;
use wasmer::sys::vm::{VMExtern, VMGlobalDefinition};
use wasmer::sys::ModuleMiddleware;
use wasmer::{AsStoreMut, Extern, Global, Instance, Store, Value};

use crate::metering::{Metering, EXHAUSTED, REMAINING, STOP};

/// Points a start function may use: the metering global's initial value.
pub(crate) const START_POINTS: u64 = 1_000_000_000;

/// A fresh metering middleware: it serves one module, so each compilation gets its own (and
/// so its own engine).
pub(crate) fn middleware() -> Arc<dyn ModuleMiddleware> {
    Arc::new(Metering::new(START_POINTS))
}

/// The points a call gets under `budget`: its fuel, or no limit (a timeout is the
/// watchdog's job).
pub(crate) fn points(budget: &Budget) -> u64 {
    budget.fuel.unwrap_or(u64::MAX)
}

/// Where the instance keeps its stop flag: the storage of the global, inside the
/// instance's `VMContext` (stable for the instance's life).
#[derive(Debug, Clone, Copy)]
pub(crate) struct StopFlag(NonNull<VMGlobalDefinition>);

// SAFETY: the watchdog thread only writes through the pointer while the instance's call is
// registered with it (see `Watchdog`), and the instance outlives that registration.
unsafe impl Send for StopFlag {}

/// An instance's metering globals.
pub(crate) struct Points {
    remaining: Global,
    stop: Global,
    exhausted: Global,
    flag: StopFlag,
}

impl Points {
    /// The globals of a metered instance.
    pub(crate) fn of(store: &mut Store, instance: &Instance) -> anyhow::Result<Points> {
        let get = |name| {
            instance
                .exports
                .get_global(name)
                .cloned()
                .with_context(|| format!("metered module without its {name} global"))
        };
        let stop = get(STOP)?;
        // The storage behind the global. `unwrap_sys` cannot fail: the sys backend is the
        // only one compiled in (feature "sys").
        let VMExtern::Global(handle) = Extern::Global(stop.clone()).to_vm_extern().unwrap_sys()
        else {
            anyhow::bail!("{STOP} is not a global");
        };
        let definition = handle.get(store.objects_mut().as_sys()).vmglobal();
        Ok(Points {
            remaining: get(REMAINING)?,
            stop,
            exhausted: get(EXHAUSTED)?,
            flag: StopFlag(definition),
        })
    }

    /// The flag the watchdog raises.
    pub(crate) fn flag(&self) -> StopFlag {
        self.flag
    }

    /// Gives the next call `points`.
    pub(crate) fn set(&self, store: &mut impl AsStoreMut, points: u64) -> anyhow::Result<()> {
        // The global is an i64 compared unsigned: u64::MAX is "unlimited".
        self.remaining
            .set(store, Value::I64(points as i64))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        self.stop
            .set(store, Value::I32(0))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        self.exhausted
            .set(store, Value::I32(0))
            .map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// Whether the last call ran out of points.
    pub(crate) fn exhausted(&self, store: &mut impl AsStoreMut) -> bool {
        matches!(self.exhausted.get(store), Value::I32(v) if v != 0)
    }
}

/// A running call the watchdog may stop.
struct Armed {
    flag: StopFlag,
    deadline: Instant,
    fired: bool,
}

/// The registered calls, innermost last: a call can nest in another (a content handler's
/// `flush` runs body filters), and each keeps its own deadline.
type Slot = Arc<Mutex<Vec<Armed>>>;

fn lock(slot: &Slot) -> MutexGuard<'_, Vec<Armed>> {
    slot.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The watchdog of one worker: a ticker thread that stops each registered call once its
/// deadline has passed.
pub(crate) struct Watchdog {
    slot: Slot,
    ticker: Ticker,
}

impl Watchdog {
    /// Starts the thread (in a worker: threads do not survive nginx's fork).
    pub(crate) fn start() -> std::io::Result<Watchdog> {
        let slot: Slot = Arc::new(Mutex::new(Vec::new()));
        let s = slot.clone();
        let ticker = Ticker::start("ngx-wasm-watchdog", move || {
            let mut armed = lock(&s);
            let now = Instant::now();
            for a in armed.iter_mut() {
                if !a.fired && now >= a.deadline {
                    // SAFETY: the flag belongs to the instance whose call is registered; the
                    // registration (this slot, under the lock) ends before the call returns,
                    // so the instance is alive. The location is an aligned i32 (the first
                    // member of the global's raw value) that the host writes only outside
                    // calls; during the call only the guest's compiled code touches it, and
                    // only to read it (plain loads, as it reads wasmtime's epoch counter).
                    let value =
                        unsafe { std::ptr::addr_of_mut!((*a.flag.0.as_ptr()).val).cast::<i32>() };
                    // SAFETY: as above; `value` is valid and aligned for an atomic i32.
                    unsafe { AtomicI32::from_ptr(value) }.store(1, Ordering::Release);
                    a.fired = true;
                }
            }
        })?;
        Ok(Watchdog { slot, ticker })
    }

    /// Registers a call that must stop at `deadline`; the guard ends the registration.
    pub(crate) fn arm(&self, flag: StopFlag, deadline: Instant) -> Watch<'_> {
        let depth = {
            let mut armed = lock(&self.slot);
            armed.push(Armed {
                flag,
                deadline,
                fired: false,
            });
            armed.len() - 1
        };
        Watch {
            slot: &self.slot,
            depth,
            _call: self.ticker.enter(),
        }
    }
}

/// A registered call.
pub(crate) struct Watch<'a> {
    slot: &'a Slot,
    /// Its place in the stack of registered calls.
    depth: usize,
    _call: CallGuard<'a>,
}

impl Watch<'_> {
    /// Ends the registration; true if the watchdog stopped the call.
    pub(crate) fn disarm(self) -> bool {
        let mut armed = lock(self.slot);
        let fired = armed.get(self.depth).is_some_and(|a| a.fired);
        armed.truncate(self.depth);
        fired
    }
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        // Calls end innermost first: this one and any inner one left behind.
        lock(self.slot).truncate(self.depth);
    }
}
