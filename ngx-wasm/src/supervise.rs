//! Crash-loop protection in nginx: logs and times what [`engine_api::health::Health`]
//! decides for each module in one worker ([`Supervisors`]).
//!
//! The first failure of a quiet module is logged in full (`wasm guest trapped: ...`, the
//! format `t/trap.t` checks); later ones within `wasm_trap_log_interval` are counted, and a
//! timer logs one summary line when the interval ends. Backoff refusals are counted the same
//! way. Pending summaries are flushed when the worker exits (`exit_process`).

use std::cell::{RefCell, UnsafeCell};
use std::ffi::c_void;
use std::path::PathBuf;
use std::ptr;

use engine_api::health::{Admission, Health, Report, Summary};
use engine_api::limits::format_duration;
use engine_api::GuestError;
use ngx::ffi::{ngx_add_timer, ngx_del_timer, ngx_event_t, ngx_log_t, NGX_LOG_ERR};
use ngx::ngx_log_error;

use crate::clock::monotonic_ms;

/// The cycle's log, for lines not tied to a request.
fn cycle_log() -> *mut ngx_log_t {
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
            engine: RefCell::new(String::new()),
            // SAFETY: an all-zero ngx_event_t is nginx's own idea of an unused event
            // (ngx_pcalloc); the handler and data are set when the timer is armed.
            event: UnsafeCell::new(unsafe { std::mem::zeroed() }),
        })
    }

    /// Whether the module may run now; a refusal is counted or, if no window is open,
    /// announced once.
    pub fn admit(&self, log: *mut ngx_log_t, engine: &str) -> bool {
        let admission = self.health.borrow_mut().admit(monotonic_ms());
        match admission {
            Admission::Run => true,
            Admission::Refuse { announce: None } => false,
            Admission::Refuse {
                announce: Some(interval_ms),
            } => {
                let backoff = self.health.borrow().backoff_ms();
                ngx_log_error!(
                    NGX_LOG_ERR,
                    log,
                    "wasm module \"{}\" is backing off after failing {} times in a row: not run for {}, requests that need it are answered 503 (engine: {})",
                    self.path.display(),
                    engine_api::health::BACKOFF_AFTER,
                    format_duration(std::time::Duration::from_millis(backoff)),
                    engine
                );
                self.arm(interval_ms, engine);
                false
            }
        }
    }

    /// A call succeeded.
    pub fn success(&self) {
        self.health.borrow_mut().success();
    }

    /// A call failed: logs it in full, or counts it for the window's summary.
    pub fn failure(&self, log: *mut ngx_log_t, f: &Failure<'_>) {
        let report = self.health.borrow_mut().failure(monotonic_ms(), || {
            format!("{}, export: \"{}\", phase: {}", f.error, f.export, f.phase)
        });
        if let Report::LogAndArm { interval_ms } = report {
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
            self.arm(interval_ms, f.engine);
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
        if s.backoff_ms > 0 {
            line.push_str(&format!(
                "; backing off: next attempt after {}",
                format_duration(std::time::Duration::from_millis(s.backoff_ms))
            ));
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
