//! Crash-loop protection for one module in one worker: log summarising ([`Health`]) and a
//! circuit breaker per export ([`Breaker`]).
//!
//! Pure bookkeeping over a millisecond clock the caller provides (nginx's cached time), so it
//! is unit-tested here; the nginx module logs and arms a timer as these types say.
//!
//! * **Logging.** The first failure of a quiet module is logged in full and opens a window of
//!   `interval`; inside it, the first failure of each other (export, kind) is logged in full
//!   too, and the rest are only counted. When the window closes (a timer), one summary line
//!   reports what was counted, if anything, with the requests refused while an export backed
//!   off. So a module failing on every request costs a few log lines per interval instead of
//!   one per request.
//! * **Backoff.** Each export has a breaker over the outcomes of its calls in the last
//!   [`WINDOW_MS`] (in one-second buckets). Once at least [`MIN_FAILURES`] calls failed in
//!   that window and they are at least [`TRIP_PERCENT`]% of its calls, the export is not run
//!   for [`BACKOFF_FIRST_MS`]: requests needing
//!   it are refused without running the guest (the nginx module answers 503). After the
//!   delay one request is let through as a probe (the others are still refused while it
//!   runs): success closes the breaker, failure doubles the delay, up to [`BACKOFF_MAX_MS`].
//!   A guest that fails now and then is never refused: failures must be the near-certain
//!   outcome, not a bad streak, and a healthy export of the same module is not affected.

/// How far back the breaker counts an export's calls: ten buckets of one second. A count of
/// calls alone would not do: one client retrying a failing request in a loop can make the
/// last few dozen calls of a worker fail while the export serves everyone else.
pub const WINDOW_MS: u64 = 10_000;
const BUCKET_MS: u64 = 1000;
const BUCKETS: usize = (WINDOW_MS / BUCKET_MS) as usize;
/// The fewest failed calls in the window that may open the breaker: an export failing on
/// every call is refused from its 29th failure on.
pub const MIN_FAILURES: u32 = 29;
/// The share of the window's calls that must have failed: one failing on 6 calls in 7, or on
/// one in ten, is never refused.
pub const TRIP_PERCENT: u32 = 90;
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
    /// Log it in full (the first of its export and kind in the open window).
    Log,
    /// Only counted, for the window's summary.
    Counted,
}

/// What a closed window counted beyond the failures it logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Failures not logged one by one.
    pub failures: u32,
    /// Requests refused without running the guest while an export backed off.
    pub refused: u32,
    /// How long the window lasted, in milliseconds.
    pub window_ms: u64,
    /// The last counted failure, as the caller described it.
    pub last: Option<String>,
}

#[derive(Debug, Clone)]
struct Window {
    start: u64,
    failures: u32,
    refused: u32,
    last: Option<String>,
    /// The (export, kind) pairs logged in full in this window.
    logged: Vec<(String, u8)>,
}

impl Window {
    fn new(start: u64) -> Self {
        Window {
            start,
            failures: 0,
            refused: 0,
            last: None,
            logged: Vec::new(),
        }
    }
}

/// The failure log of one module in one worker.
#[derive(Debug, Clone)]
pub struct Health {
    interval_ms: u64,
    window: Option<Window>,
}

impl Health {
    /// A quiet module whose failure summaries cover `interval_ms`.
    pub fn new(interval_ms: u64) -> Self {
        Health {
            interval_ms: interval_ms.max(1),
            window: None,
        }
    }

    /// The length of a log window.
    pub fn interval_ms(&self) -> u64 {
        self.interval_ms
    }

    /// A call of `export` failed at `now` with a failure of class `kind` (the caller's
    /// number for it); `describe` says how, for a summary.
    pub fn failure(
        &mut self,
        now: u64,
        export: &str,
        kind: u8,
        describe: impl FnOnce() -> String,
    ) -> Report {
        match &mut self.window {
            Some(w) => {
                if !w.logged.iter().any(|(e, k)| e == export && *k == kind) {
                    w.logged.push((export.to_string(), kind));
                    return Report::Log;
                }
                w.failures += 1;
                w.last = Some(describe());
                Report::Counted
            }
            None => {
                let mut w = Window::new(now);
                w.logged.push((export.to_string(), kind));
                self.window = Some(w);
                Report::LogAndArm {
                    interval_ms: self.interval_ms,
                }
            }
        }
    }

    /// A request was refused at `now` because an export backs off: counted for the window's
    /// summary. Returns `Some(interval_ms)` when this opened the window (arm its timer).
    pub fn refused(&mut self, now: u64) -> Option<u64> {
        match &mut self.window {
            Some(w) => {
                w.refused += 1;
                None
            }
            None => {
                let mut w = Window::new(now);
                w.refused = 1;
                self.window = Some(w);
                Some(self.interval_ms)
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
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Calls run; outcomes are recorded.
    Closed,
    /// Calls are refused until `until`.
    Open { until: u64, delay: u64 },
    /// The delay is over: one probe runs (admitted at `since`), the others are refused.
    Probing { since: u64, delay: u64 },
}

/// Whether a call may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Run the guest.
    Run,
    /// Run the guest as the probe of a breaker that was open.
    Probe,
    /// The export is backing off: answer without running it.
    Refuse,
}

/// The circuit breaker of one export: the outcomes of its recent calls and whether it backs
/// off (see the module documentation).
#[derive(Debug, Clone)]
pub struct Breaker {
    /// (calls, failed calls) per second, indexed by second modulo `BUCKETS`.
    buckets: [(u32, u32); BUCKETS],
    /// The second of the newest bucket, and its index.
    second: u64,
    current: usize,
    state: State,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            buckets: [(0, 0); BUCKETS],
            second: 0,
            current: 0,
            state: State::Closed,
        }
    }
}

impl Breaker {
    /// Whether a call may run at `now`.
    pub fn admit(&mut self, now: u64) -> Admission {
        match self.state {
            State::Closed => Admission::Run,
            State::Open { until, delay } if now >= until => {
                self.state = State::Probing { since: now, delay };
                Admission::Probe
            }
            // A probe that never reported (its request went away while it waited) is
            // replaced by another after a delay.
            State::Probing { since, delay } if now >= since.saturating_add(delay) => {
                self.state = State::Probing { since: now, delay };
                Admission::Probe
            }
            State::Open { .. } | State::Probing { .. } => Admission::Refuse,
        }
    }

    /// A call succeeded at `now`: a probe's success closes the breaker and forgets the past.
    pub fn success(&mut self, now: u64) {
        if self.state == State::Closed {
            self.record(now, false);
        } else {
            *self = Breaker::default();
        }
    }

    /// A call (or the instantiation it needed) failed at `now`. Returns the delay when this
    /// failure opened the breaker.
    pub fn failure(&mut self, now: u64) -> Option<u64> {
        match self.state {
            State::Closed => {
                self.record(now, true);
                let (calls, failed) = self.window();
                if failed >= MIN_FAILURES && failed * 100 >= calls * TRIP_PERCENT {
                    self.open(now, BACKOFF_FIRST_MS);
                    return Some(BACKOFF_FIRST_MS);
                }
                None
            }
            State::Probing { delay, .. } => {
                let delay = (delay * 2).min(BACKOFF_MAX_MS);
                self.open(now, delay);
                Some(delay)
            }
            // A call admitted before the breaker opened, ending now: nothing to add.
            State::Open { .. } => None,
        }
    }

    /// The backoff delay in force (0: closed).
    pub fn delay_ms(&self) -> u64 {
        match self.state {
            State::Closed => 0,
            State::Open { delay, .. } | State::Probing { delay, .. } => delay,
        }
    }

    /// (calls, failed calls) in the window, as of the last call recorded.
    pub fn window(&self) -> (u32, u32) {
        self.buckets
            .iter()
            .fold((0, 0), |(c, f), (bc, bf)| (c + bc, f + bf))
    }

    #[inline]
    fn record(&mut self, now: u64, failed: bool) {
        let second = now / BUCKET_MS;
        if second > self.second {
            self.advance(second);
        }
        let b = &mut self.buckets[self.current % BUCKETS];
        b.0 = b.0.saturating_add(1);
        b.1 = b.1.saturating_add(u32::from(failed));
    }

    /// Moves the newest bucket to `second`, emptying those of the seconds that passed (all
    /// of them after a long pause).
    #[cold]
    fn advance(&mut self, second: u64) {
        let passed = (second - self.second).min(BUCKETS as u64) as usize;
        for _ in 0..passed {
            self.current = (self.current + 1) % BUCKETS;
            self.buckets[self.current] = (0, 0);
        }
        self.second = second;
    }

    fn open(&mut self, now: u64, delay: u64) {
        self.state = State::Open {
            until: now.saturating_add(delay),
            delay,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_failure_of_each_export_and_kind_is_logged_then_counted() {
        let mut h = Health::new(10_000);
        assert_eq!(
            h.failure(0, "a", 1, || "a1".into()),
            Report::LogAndArm {
                interval_ms: 10_000
            }
        );
        assert_eq!(h.failure(5, "a", 1, || "a1 again".into()), Report::Counted);
        // Another kind, another export: logged in full once each.
        assert_eq!(h.failure(6, "a", 2, || "a2".into()), Report::Log);
        assert_eq!(h.failure(7, "b", 1, || "b1".into()), Report::Log);
        assert_eq!(h.failure(8, "b", 1, || "b1 again".into()), Report::Counted);
        assert_eq!(h.refused(9), None);
        let s = h.close_window(10_000).expect("summary");
        assert_eq!((s.failures, s.refused, s.window_ms), (2, 1, 10_000));
        assert_eq!(s.last.as_deref(), Some("b1 again"));
        // A new window: logged in full again.
        assert!(matches!(
            h.failure(10_001, "a", 1, String::new),
            Report::LogAndArm { .. }
        ));
        // Nothing counted: no summary.
        assert_eq!(h.close_window(20_001), None);
        // A refusal with no window open opens one.
        assert_eq!(h.refused(20_002), Some(10_000));
        assert_eq!(h.close_window(30_002).map(|s| s.refused), Some(1));
    }

    #[test]
    fn an_export_failing_always_opens_at_its_29th_failure_then_probes_one_at_a_time() {
        let mut b = Breaker::default();
        for t in 0..u64::from(MIN_FAILURES) - 1 {
            assert_eq!(b.admit(t), Admission::Run);
            assert_eq!(b.failure(t), None);
        }
        assert_eq!(b.failure(20), Some(BACKOFF_FIRST_MS));
        assert_eq!(b.admit(21), Admission::Refuse);
        assert_eq!(b.admit(20 + BACKOFF_FIRST_MS - 1), Admission::Refuse);
        // One probe after the delay; the others are refused while it runs.
        assert_eq!(b.admit(20 + BACKOFF_FIRST_MS), Admission::Probe);
        assert_eq!(b.admit(21 + BACKOFF_FIRST_MS), Admission::Refuse);
        // It fails: the delay doubles.
        assert_eq!(b.failure(30 + BACKOFF_FIRST_MS), Some(2 * BACKOFF_FIRST_MS));
        assert_eq!(b.admit(40 + BACKOFF_FIRST_MS), Admission::Refuse);
        let t = 30 + 3 * BACKOFF_FIRST_MS;
        assert_eq!(b.admit(t), Admission::Probe);
        // A probe that never reports is replaced after its delay.
        assert_eq!(b.admit(t + 2 * BACKOFF_FIRST_MS - 1), Admission::Refuse);
        assert_eq!(b.admit(t + 2 * BACKOFF_FIRST_MS), Admission::Probe);
        // Capped.
        let mut now = t + 2 * BACKOFF_FIRST_MS;
        for _ in 0..10 {
            b.failure(now);
            now += BACKOFF_MAX_MS;
            assert_eq!(b.admit(now), Admission::Probe);
        }
        assert_eq!(b.delay_ms(), BACKOFF_MAX_MS);
        // A probe's success closes it and forgets the failures.
        b.success(now);
        assert_eq!(
            (b.admit(now + 1), b.delay_ms(), b.window()),
            (Admission::Run, 0, (0, 0))
        );
        assert_eq!(b.failure(now + 2), None);
    }

    #[test]
    fn an_export_failing_sometimes_never_opens() {
        // 10%, 50%, and six failures in every seven calls (86%, and runs longer than the old
        // five-in-a-row rule allowed): never refused.
        for (fail_every, of) in [(1, 10), (1, 2), (6, 7)] {
            let mut b = Breaker::default();
            for t in 0..10_000u64 {
                assert_eq!(b.admit(t), Admission::Run, "{fail_every}/{of} at {t}");
                if t % of < fail_every {
                    assert_eq!(b.failure(t), None);
                } else {
                    b.success(t);
                }
            }
        }
    }

    #[test]
    fn the_rate_counts_the_last_ten_seconds_only() {
        let mut b = Breaker::default();
        // 300 successes, then a burst of 100 failures in the same seconds: 25% failed, not
        // refused (one client looping on a failing request beside healthy traffic).
        for t in 0..300 {
            b.success(t * 10);
        }
        for t in 0..100 {
            assert_eq!(b.failure(3000 + t), None);
        }
        assert_eq!(b.window(), (400, 100));
        // Ten seconds later the successes are out of the window: failures alone open it at
        // the 29th.
        for t in 0..28 {
            assert_eq!(b.failure(20_000 + t), None);
        }
        assert_eq!(b.window(), (28, 28));
        assert_eq!(b.failure(20_028), Some(BACKOFF_FIRST_MS));
    }
}
