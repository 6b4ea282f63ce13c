//! Crash-loop protection in nginx: logs and times what [`engine_api::health::Health`] and
//! each export's [`engine_api::health::Breaker`] decide for each module in one worker
//! ([`Supervisors`]).
//!
//! The first failure of a quiet module is logged in full (`wasm guest trapped: ...`, the
//! format `t/trap.t` checks), and so is the first of each other export and kind within
//! `wasm_trap_log_interval`; the rest are counted, and a timer logs one summary line when
//! the interval ends. Backoff refusals are counted the same way; an export starting to back
//! off says so at once. Pending summaries are flushed when the worker exits
//! (`exit_process`).

use std::cell::{RefCell, UnsafeCell};
use std::ffi::c_void;
use std::path::PathBuf;
use std::ptr;

use engine_api::health::{Admission, Breaker, Health, Report, Summary, TRIP_PERCENT, WINDOW_MS};
use engine_api::limits::format_duration;
use engine_api::GuestError;
use ngx::ffi::{ngx_add_timer, ngx_del_timer, ngx_event_t, ngx_log_t, NGX_LOG_ERR};
use ngx::ngx_log_error;

use crate::clock::monotonic_ms;

/// The cycle's log, for lines not tied to a request.
pub(crate) fn cycle_log() -> *mut ngx_log_t {
    // SAFETY: ngx_cycle is set by nginx before any module code runs in a process.
    unsafe {
        let cycle = ngx::ffi::ngx_cycle;
        if cycle.is_null() {
            ptr::null_mut()
        } else {
            (*cycle).log
        }
    }
}

/// An export's breaker in a [`Supervisor`], as [`Supervisor::admit`] found it.
#[derive(Debug, Clone, Copy)]
pub struct Slot(usize);

/// Where and how a call failed, for the full log line.
pub struct Failure<'a> {
    /// What went wrong.
    pub error: &'a GuestError,
    /// The export called.
    pub export: &'a str,
    /// The phase it was called in.
    pub phase: &'a str,
    /// `name version` of the engine.
    pub engine: &'a str,
}

/// The health of every module of a configuration in this worker, by module index. Each
/// supervisor is boxed so that it stays where its timer event points, whatever happens to
/// the list.
#[allow(clippy::vec_box)]
pub struct Supervisors(Vec<Box<Supervisor>>);

impl Supervisors {
    /// One supervisor per module path, summarising every `interval_ms`.
    pub fn new(paths: impl IntoIterator<Item = PathBuf>, interval_ms: u64) -> Self {
        Supervisors(
            paths
                .into_iter()
                .map(|p| Supervisor::new(p, interval_ms))
                .collect(),
        )
    }

    /// The supervisor of module `id`.
    pub fn get(&self, id: usize) -> Option<&Supervisor> {
        self.0.get(id).map(|s| &**s)
    }

    /// The worker exits: log the failure summaries still pending.
    pub fn flush(&self) {
        for s in &self.0 {
            s.flush();
        }
    }
}

/// The health of one module in this worker, with the timer that ends its log window.
/// Boxed: the timer event points at it.
pub struct Supervisor {
    path: PathBuf,
    health: RefCell<Health>,
    /// One breaker per export called, in the order first called.
    breakers: RefCell<Vec<(String, Breaker)>>,
    engine: RefCell<String>,
    /// nginx's timer event; only nginx's event loop and this struct touch it.
    event: UnsafeCell<ngx_event_t>,
}

impl Supervisor {
    /// The supervisor of the module at `path`, summarising every `interval_ms`.
    pub fn new(path: PathBuf, interval_ms: u64) -> Box<Supervisor> {
        Box::new(Supervisor {
            path,
            health: RefCell::new(Health::new(interval_ms)),
            breakers: RefCell::new(Vec::new()),
            engine: RefCell::new(String::new()),
            // SAFETY: an all-zero ngx_event_t is nginx's own idea of an unused event
            // (ngx_pcalloc); the handler and data are set when the timer is armed.
            event: UnsafeCell::new(unsafe { std::mem::zeroed() }),
        })
    }

    /// Whether `export` may run now: the slot of its breaker, for [`Supervisor::success`]
    /// and [`Supervisor::failure`], or `None` while it backs off (the refusal is counted for
    /// the window's summary).
    pub fn admit(&self, engine: &str, export: &str) -> Option<Slot> {
        let now = monotonic_ms();
        let mut breakers = self.breakers.borrow_mut();
        let slot = match breakers.iter().position(|(e, _)| e == export) {
            Some(i) => i,
            None => {
                breakers.push((export.to_string(), Breaker::default()));
                breakers.len() - 1
            }
        };
        match breakers[slot].1.admit(now) {
            Admission::Run | Admission::Probe => Some(Slot(slot)),
            Admission::Refuse => {
                drop(breakers);
                if let Some(interval_ms) = self.health.borrow_mut().refused(now) {
                    self.arm(interval_ms, engine);
                }
                None
            }
        }
    }

    /// A call succeeded.
    pub fn success(&self, slot: Slot) {
        if let Some((_, b)) = self.breakers.borrow_mut().get_mut(slot.0) {
            b.success(monotonic_ms());
        }
    }

    /// A call of the export of `slot` failed: logs it in full, or counts it for the window's
    /// summary; says so when the export starts to back off.
    pub fn failure(&self, log: *mut ngx_log_t, slot: Slot, f: &Failure<'_>) {
        let now = monotonic_ms();
        let report = self
            .health
            .borrow_mut()
            .failure(now, f.export, f.error.kind as u8, || {
                format!("{}, export: \"{}\", phase: {}", f.error, f.export, f.phase)
            });
        if report != Report::Counted {
            ngx_log_error!(
                NGX_LOG_ERR,
                log,
                "wasm guest {} (module: \"{}\", export: \"{}\", engine: {}, phase: {})",
                f.error,
                self.path.display(),
                f.export,
                f.engine,
                f.phase
            );
        }
        if let Report::LogAndArm { interval_ms } = report {
            self.arm(interval_ms, f.engine);
        }
        let opened = self
            .breakers
            .borrow_mut()
            .get_mut(slot.0)
            .and_then(|(_, b)| {
                let probing = b.delay_ms() > 0;
                b.failure(now).map(|delay| (delay, probing, b.window()))
            });
        if let Some((delay, probing, (calls, failed))) = opened {
            let why = if probing {
                "its probe failed".to_string()
            } else {
                format!(
                    "{failed} of its {calls} calls in the last {} failed (at least {TRIP_PERCENT}%)",
                    format_duration(std::time::Duration::from_millis(WINDOW_MS))
                )
            };
            ngx_log_error!(
                NGX_LOG_ERR,
                log,
                "wasm module \"{}\" export \"{}\" is backing off: {why}; not run for {}, requests that need it are answered 503, then one request probes it (engine: {})",
                self.path.display(),
                f.export,
                format_duration(std::time::Duration::from_millis(delay)),
                f.engine
            );
        }
    }

    fn arm(&self, interval_ms: u64, engine: &str) {
        engine.clone_into(&mut self.engine.borrow_mut());
        let ev = self.event.get();
        // SAFETY: `ev` is this supervisor's event, alive as long as it is (Drop deletes the
        // timer); nginx's event loop runs on this thread only.
        unsafe {
            if (*ev).timer_set() != 0 {
                return;
            }
            (*ev).handler = Some(on_window_end);
            (*ev).data = ptr::from_ref(self).cast_mut().cast::<c_void>();
            (*ev).log = cycle_log();
            // A pending summary must not delay a graceful shutdown.
            (*ev).set_cancelable(1);
            ngx_add_timer(ev, interval_ms as ngx::ffi::ngx_msec_t);
        }
    }

    fn log_summary(&self, s: &Summary, exiting: bool) {
        let log = cycle_log();
        if log.is_null() {
            return;
        }
        let period = if exiting {
            format!(
                "in the last {} (logged as the worker exits)",
                format_duration(std::time::Duration::from_millis(s.window_ms))
            )
        } else {
            format!(
                "in the last {}",
                format_duration(std::time::Duration::from_millis(s.window_ms))
            )
        };
        let mut line = format!(
            "wasm module \"{}\" failed {} more time{} {period}, not logged one by one",
            self.path.display(),
            s.failures,
            if s.failures == 1 { "" } else { "s" }
        );
        if let Some(last) = &s.last {
            line.push_str(&format!(" (last: {last})"));
        }
        if s.refused > 0 {
            line.push_str(&format!(
                "; {} request{} answered 503 while it backed off",
                s.refused,
                if s.refused == 1 { "" } else { "s" }
            ));
        }
        let backing_off: Vec<String> = self
            .breakers
            .borrow()
            .iter()
            .filter(|(_, b)| b.delay_ms() > 0)
            .map(|(e, b)| {
                format!(
                    "\"{e}\" (next attempt after {})",
                    format_duration(std::time::Duration::from_millis(b.delay_ms()))
                )
            })
            .collect();
        if !backing_off.is_empty() {
            line.push_str(&format!("; backing off: {}", backing_off.join(", ")));
        }
        ngx_log_error!(
            NGX_LOG_ERR,
            log,
            "{line} (engine: {})",
            self.engine.borrow()
        );
    }

    /// The worker exits: logs what the open window counted and removes its timer.
    pub fn flush(&self) {
        self.cancel();
        if let Some(s) = self.health.borrow_mut().close_window(monotonic_ms()) {
            self.log_summary(&s, true);
        }
    }

    fn cancel(&self) {
        let ev = self.event.get();
        // SAFETY: as in `arm`.
        unsafe {
            if (*ev).timer_set() != 0 {
                ngx_del_timer(ev);
            }
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        // A single-process nginx drops the old configuration on reload while its event loop
        // goes on: the timer must not fire into freed memory.
        self.cancel();
    }
}

extern "C" fn on_window_end(ev: *mut ngx_event_t) {
    // SAFETY: nginx calls the handler with the event armed in `Supervisor::arm`, whose data
    // points at the supervisor, which deletes the timer before it is freed.
    let sup = unsafe { &*(*ev).data.cast::<Supervisor>() };
    // The window length is the configured interval (the timer's), not nginx's coarser clock.
    let summary = sup.health.borrow_mut().close_window(monotonic_ms());
    if let Some(mut s) = summary {
        s.window_ms = sup.health.borrow().interval_ms();
        sup.log_summary(&s, false);
    }
}
