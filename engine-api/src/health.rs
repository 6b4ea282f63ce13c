//! Crash-loop protection for one module in one worker: log summarising and backoff.
//!
//! Pure bookkeeping over a millisecond clock the caller provides (nginx's cached time), so it
//! is unit-tested here; the nginx module logs and arms a timer as [`Health`] says.
//!
//! * **Logging.** The first failure of a quiet module is logged in full and opens a window of
//!   `interval`; further failures inside it are only counted. When the window closes (a
//!   timer), one summary line reports what was counted, if anything. The next failure logs in
//!   full again and opens a new window. So a module failing on every request costs at most
//!   two log lines per interval instead of one per request.
//! * **Backoff.** After [`BACKOFF_AFTER`] failures in a row (no successful call between
//!   them), the module is not run for [`BACKOFF_FIRST_MS`]; requests needing it are refused
//!   without running the guest (the nginx module answers 503). The first call after the delay
//!   is a probe on a fresh instance: success ends the backoff, failure doubles the delay, up
//!   to [`BACKOFF_MAX_MS`]. A failing guest then costs the worker one instantiation and one
//!   failed call per delay instead of one per request.

/// Failures in a row after which the module backs off.
pub const BACKOFF_AFTER: u32 = 5;
/// The first backoff delay.
pub const BACKOFF_FIRST_MS: u64 = 1000;
/// The longest backoff delay.
pub const BACKOFF_MAX_MS: u64 = 30_000;

/// What the caller should do with a failure it just reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// Log it in full, and arm a timer to close the window in `interval_ms`.
    LogAndArm {
        /// When to call [`Health::close_window`], in milliseconds from now.
        interval_ms: u64,
    },
    /// Only counted, for the window's summary.
    Counted,
}

/// Whether a call may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Run the guest.
    Run,
    /// The module is backing off: answer without running it.
    Refuse {
        /// `Some(interval_ms)` when no log window was open: log that the module backs off
        /// and arm the window's timer; later refusals are counted in it.
        announce: Option<u64>,
    },
}

/// What a closed window counted beyond its first, logged, failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Failures not logged one by one.
    pub failures: u32,
    /// Requests refused without running the guest while the module backed off.
    pub refused: u32,
    /// How long the window lasted, in milliseconds.
    pub window_ms: u64,
    /// The last counted failure, as the caller described it.
    pub last: Option<String>,
    /// The backoff delay in force when the window closed (0: none).
    pub backoff_ms: u64,
}

#[derive(Debug, Clone)]
struct Window {
    start: u64,
    failures: u32,
    refused: u32,
    last: Option<String>,
}

/// The health of one module in one worker.
#[derive(Debug, Clone)]
pub struct Health {
    interval_ms: u64,
    in_a_row: u32,
    backoff_ms: u64,
    backoff_until: u64,
    window: Option<Window>,
}

impl Health {
    /// A healthy module whose failure summaries cover `interval_ms`.
    pub fn new(interval_ms: u64) -> Self {
        Health {
            interval_ms: interval_ms.max(1),
            in_a_row: 0,
            backoff_ms: 0,
            backoff_until: 0,
            window: None,
        }
    }

    /// Whether the guest may run at `now`. Refusals (during a backoff) are counted for the
    /// summary; the caller answers without running the guest.
    pub fn admit(&mut self, now: u64) -> Admission {
        if self.backoff_ms == 0 || now >= self.backoff_until {
            return Admission::Run;
        }
        match &mut self.window {
            Some(w) => {
                w.refused += 1;
                Admission::Refuse { announce: None }
            }
            None => {
                self.window = Some(Window {
                    start: now,
                    failures: 0,
                    refused: 0,
                    last: None,
                });
                Admission::Refuse {
                    announce: Some(self.interval_ms),
                }
            }
        }
    }

    /// The length of a log window.
    pub fn interval_ms(&self) -> u64 {
        self.interval_ms
    }

    /// A call succeeded: the module is healthy again.
    pub fn success(&mut self) {
        self.in_a_row = 0;
        self.backoff_ms = 0;
    }

    /// A call (or instantiation) failed at `now`; `describe` says how, for a summary.
    pub fn failure(&mut self, now: u64, describe: impl FnOnce() -> String) -> Report {
        self.in_a_row = self.in_a_row.saturating_add(1);
        if self.in_a_row >= BACKOFF_AFTER {
            self.backoff_ms = if self.backoff_ms == 0 {
                BACKOFF_FIRST_MS
            } else {
                (self.backoff_ms * 2).min(BACKOFF_MAX_MS)
            };
            self.backoff_until = now + self.backoff_ms;
        }
        match &mut self.window {
            Some(w) => {
                w.failures += 1;
                w.last = Some(describe());
                Report::Counted
            }
            None => {
                self.window = Some(Window {
                    start: now,
                    failures: 0,
                    refused: 0,
                    last: None,
                });
                Report::LogAndArm {
                    interval_ms: self.interval_ms,
                }
            }
        }
    }

    /// The window's timer fired at `now`: closes it and returns its summary, if it counted
    /// anything. The next failure is logged in full.
    pub fn close_window(&mut self, now: u64) -> Option<Summary> {
        let w = self.window.take()?;
        if w.failures == 0 && w.refused == 0 {
            return None;
        }
        Some(Summary {
            failures: w.failures,
            refused: w.refused,
            window_ms: now.saturating_sub(w.start),
            last: w.last,
            backoff_ms: self.backoff_ms,
        })
    }

    /// The backoff delay in force (0: none).
    pub fn backoff_ms(&self) -> u64 {
        self.backoff_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_failure_is_logged_then_counted_until_the_window_closes() {
        let mut h = Health::new(10_000);
        assert_eq!(
            h.failure(0, || "a".into()),
            Report::LogAndArm {
                interval_ms: 10_000
            }
        );
        assert_eq!(h.failure(5, || "b".into()), Report::Counted);
        h.success();
        assert_eq!(h.failure(7, || "c".into()), Report::Counted);
        let s = h.close_window(10_000).expect("summary");
        assert_eq!((s.failures, s.refused, s.window_ms), (2, 0, 10_000));
        assert_eq!(s.last.as_deref(), Some("c"));
        // A new window: logged in full again.
        assert!(matches!(
            h.failure(10_001, || "d".into()),
            Report::LogAndArm { .. }
        ));
        // Nothing counted: no summary.
        assert_eq!(h.close_window(20_001), None);
        assert_eq!(h.close_window(20_002), None);
    }

    #[test]
    fn backoff_after_failures_in_a_row_doubles_and_resets() {
        let mut h = Health::new(60_000);
        let refused = Admission::Refuse { announce: None };
        for t in 0..BACKOFF_AFTER as u64 - 1 {
            assert_eq!(h.admit(t), Admission::Run);
            h.failure(t, String::new);
        }
        assert_eq!(h.backoff_ms(), 0);
        h.failure(10, String::new);
        assert_eq!(h.backoff_ms(), BACKOFF_FIRST_MS);
        assert_eq!(h.admit(11), refused);
        assert_eq!(h.admit(10 + BACKOFF_FIRST_MS - 1), refused);
        // The probe after the delay fails: the delay doubles.
        assert_eq!(h.admit(10 + BACKOFF_FIRST_MS), Admission::Run);
        h.failure(10 + BACKOFF_FIRST_MS, String::new);
        assert_eq!(h.backoff_ms(), 2 * BACKOFF_FIRST_MS);
        assert_eq!(h.admit(20 + BACKOFF_FIRST_MS), refused);
        let s = h.close_window(30_000).expect("summary");
        assert_eq!(s.refused, 3);
        assert_eq!(s.backoff_ms, 2 * BACKOFF_FIRST_MS);
        // Refused with no window open: announced once, then counted.
        h.failure(30_001, String::new);
        assert_eq!(h.close_window(30_002).map(|s| s.failures), None);
        assert_eq!(
            h.admit(30_003),
            Admission::Refuse {
                announce: Some(60_000)
            }
        );
        assert_eq!(h.admit(30_004), refused);
        assert_eq!(h.close_window(90_000).map(|s| s.refused), Some(1));
        // Capped.
        for _ in 0..20 {
            h.failure(40_000, String::new);
        }
        assert_eq!(h.backoff_ms(), BACKOFF_MAX_MS);
        // A success ends it.
        h.success();
        assert_eq!(h.admit(40_001), Admission::Run);
        h.failure(40_002, String::new);
        assert_eq!(h.backoff_ms(), 0);
    }

    #[test]
    fn failures_with_successes_between_never_back_off() {
        let mut h = Health::new(1000);
        for t in 0..100 {
            h.failure(t, String::new);
            h.success();
        }
        assert_eq!(h.admit(100), Admission::Run);
        assert_eq!(h.backoff_ms(), 0);
    }
}
