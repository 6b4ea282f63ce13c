//! A thread that runs a callback every tick while guest calls with a timeout are running:
//! wasmtime advances its epoch there, wasmer's watchdog checks the running call's deadline.
//!
//! Made in the worker (threads do not survive nginx's `fork`), on first use. It parks itself
//! after [`IDLE_TICKS`] ticks without a call, so an idle worker is not woken up a thousand
//! times a second; a call that finds it parked wakes it (one futex syscall). While calls keep
//! coming, starting a call costs two atomic operations.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU8, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle, Thread};
use std::time::Duration;

/// How often the callback runs while the ticker is awake: the precision of timeouts.
pub const TICK: Duration = Duration::from_millis(1);

/// Ticks without any guest call after which the ticker parks (1 s).
pub const IDLE_TICKS: u32 = 1000;

const RUNNING: u8 = 0;
const PARKED: u8 = 1;

struct Shared {
    state: AtomicU8,
    /// Guest calls with a timeout running: more than one when a call nests in another (a
    /// content handler's `flush` running a body filter).
    in_call: AtomicU32,
    /// A guest call ran since the ticker last looked.
    touched: AtomicBool,
    stop: AtomicBool,
}

/// The ticker thread; stopped and joined when dropped.
pub struct Ticker {
    shared: Arc<Shared>,
    thread: Thread,
    handle: Option<JoinHandle<()>>,
}

/// Marks a guest call in progress: the ticker does not park while one exists.
pub struct CallGuard<'a>(&'a Shared);

impl Drop for CallGuard<'_> {
    fn drop(&mut self) {
        self.0.touched.store(true, Ordering::Relaxed);
        self.0.in_call.fetch_sub(1, Ordering::Release);
    }
}

impl Ticker {
    /// Starts a thread named `name` that calls `on_tick` every [`TICK`] while awake.
    pub fn start(name: &str, on_tick: impl FnMut() + Send + 'static) -> std::io::Result<Ticker> {
        let shared = Arc::new(Shared {
            state: AtomicU8::new(RUNNING),
            in_call: AtomicU32::new(0),
            touched: AtomicBool::new(true),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        let handle = thread::Builder::new()
            .name(name.into())
            .stack_size(64 * 1024)
            .spawn(move || run(&s, on_tick))?;
        Ok(Ticker {
            shared,
            thread: handle.thread().clone(),
            handle: Some(handle),
        })
    }

    /// Marks the start of a guest call with a timeout, waking the ticker if it parked.
    pub fn enter(&self) -> CallGuard<'_> {
        let s = &*self.shared;
        // Sequentially consistent with the ticker's "park, then look at in_call": either it
        // sees this call, or this call sees it parked and wakes it.
        s.in_call.fetch_add(1, Ordering::SeqCst);
        if s.state.load(Ordering::SeqCst) == PARKED
            && s.state
                .compare_exchange(PARKED, RUNNING, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            self.thread.unpark();
        }
        CallGuard(s)
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.thread.unpark();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn run(s: &Shared, mut on_tick: impl FnMut()) {
    let mut idle = 0u32;
    while !s.stop.load(Ordering::SeqCst) {
        if s.state.load(Ordering::SeqCst) == PARKED {
            // Woken by a call (state back to RUNNING), by Drop, or spuriously.
            thread::park();
            idle = 0;
            continue;
        }
        thread::sleep(TICK);
        on_tick();
        if s.in_call.load(Ordering::SeqCst) > 0 || s.touched.swap(false, Ordering::Relaxed) {
            idle = 0;
            continue;
        }
        idle += 1;
        if idle >= IDLE_TICKS {
            s.state.store(PARKED, Ordering::SeqCst);
            if s.in_call.load(Ordering::SeqCst) > 0 {
                // A call started meanwhile; it may or may not have seen PARKED. Either way
                // the state ends RUNNING (its CAS or ours) and a stray unpark is harmless.
                let _ =
                    s.state
                        .compare_exchange(PARKED, RUNNING, Ordering::SeqCst, Ordering::SeqCst);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;
    use std::time::Instant;

    #[test]
    fn ticks_while_calls_run_and_stops_when_dropped() {
        let ticks = Arc::new(AtomicU64::new(0));
        let t = ticks.clone();
        let ticker = Ticker::start("test-ticker", move || {
            t.fetch_add(1, Ordering::SeqCst);
        })
        .expect("thread");
        {
            let _call = ticker.enter();
            let start = Instant::now();
            while ticks.load(Ordering::SeqCst) < 5 {
                assert!(start.elapsed() < Duration::from_secs(5), "no ticks");
                thread::sleep(Duration::from_millis(1));
            }
        }
        drop(ticker);
        let after = ticks.load(Ordering::SeqCst);
        thread::sleep(Duration::from_millis(20));
        assert!(
            ticks.load(Ordering::SeqCst) <= after + 1,
            "ticks after drop"
        );
    }
}
