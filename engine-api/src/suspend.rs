//! Suspension for engines that run a call on a stack of its own (wasmtime's fibers, wasmer's
//! coroutines), where a suspending host function is a future and the call a future polled
//! by the engine adapter.
//!
//! While the call is suspended the adapter cannot reach its store (wasmtime: the store
//! lives inside the call's future), so the two sides talk through an [`Exchange`] they both
//! hold: the host function's future says what it waits for ([`Exchange::suspend`]); the
//! adapter reads it ([`Exchange::waiting`]), returns [`crate::Step::Suspended`], and later
//! hands in the reply, the request of the next step and its deadline
//! ([`Exchange::resume_with`]) before polling the call again. Polls use a no-op waker: the
//! host knows when to poll (it replies), so nothing needs waking.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use crate::error::{GuestError, GuestErrorKind};
use crate::limits::CallMeter;
use crate::request::{HostRequest, RequestSlot};
use crate::wait::{Reply, Wait};

/// What the adapter hands a suspended host function when the call resumes.
pub struct Resume {
    /// The host's reply to the wait.
    pub reply: Reply,
    /// The request of the step that starts now, bound: the host function moves it into its
    /// store's data, and unbinds it before it suspends again.
    pub request: RequestSlot,
    /// When the step must end (the call's `wasm_timeout` less what earlier steps ran).
    pub deadline: Option<Instant>,
}

#[derive(Default)]
struct Slots {
    waiting: Option<Wait>,
    resume: Option<Resume>,
}

/// The meeting point of one instance and the suspending host functions of its store.
#[derive(Default)]
pub struct Exchange {
    slots: Mutex<Slots>,
}

// SAFETY: `Resume` holds a `RequestSlot`, a pointer to a request that is not `Send`. The
// runtimes require host state and host-function futures to be `Send` + `Sync` for their async
// APIs, but an exchange is shared only by one instance and the futures running in that
// instance's store, which are all polled on the thread that owns the instance: nginx workers
// are single-threaded, and engines never move an instance to another thread.
unsafe impl Send for Exchange {}
// SAFETY: as above; the mutex orders the accesses anyway.
unsafe impl Sync for Exchange {}

impl Exchange {
    fn slots(&self) -> MutexGuard<'_, Slots> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// For a host function's future: announces `wait` and resolves once the adapter resumes
    /// the call.
    pub fn suspend(self: &Arc<Self>, wait: Wait) -> Suspension {
        Suspension {
            exchange: self.clone(),
            wait: Some(wait),
        }
    }

    /// For the adapter, after a poll of the call returned `Pending`: what the call waits for
    /// (`None` if no host function suspended).
    pub fn waiting(&self) -> Option<Wait> {
        self.slots().waiting.take()
    }

    /// For the adapter, after a poll of a step that `started` returned `Pending`: what the
    /// call waits for, with the step's running time charged to `meter`. An error if the
    /// instance has no exchange (it cannot suspend) or no host function waits (the runtime
    /// suspended for a reason of its own).
    pub fn suspended_step(
        exchange: Option<&Exchange>,
        meter: &mut CallMeter,
        started: Instant,
    ) -> Result<Wait, GuestError> {
        let Some(exchange) = exchange else {
            return Err(GuestError::usage(
                "a call suspended in an instance that cannot suspend",
            ));
        };
        let wait = exchange.waiting().ok_or_else(|| {
            GuestError::new(
                GuestErrorKind::Trap,
                "the call suspended without a host function waiting",
            )
        })?;
        meter.charge(started, Instant::now());
        Ok(wait)
    }

    /// For the adapter, before it polls a suspended call again: the reply, the request the
    /// next step runs for and its deadline.
    ///
    /// # Safety
    /// The adapter must call [`Exchange::withdraw`] after the poll and make sure the store's
    /// request slot is unbound before `request`'s borrow ends: the host function moves the
    /// binding into its store. Binding follows [`RequestSlot::bind`]'s contract.
    pub unsafe fn resume_with(
        &self,
        reply: Reply,
        request: &mut dyn HostRequest,
        deadline: Option<Instant>,
    ) {
        let mut slot = RequestSlot::default();
        // SAFETY: the caller upholds `bind`'s contract (see above).
        unsafe { slot.bind(request) };
        self.slots().resume = Some(Resume {
            reply,
            request: slot,
            deadline,
        });
    }

    /// For the adapter, before it polls a suspended call it abandons (an instance dropped
    /// while its call waits): the waiting host function gets [`Reply::Cancel`], traps, and
    /// the call ends without running more guest code; no request is bound.
    pub fn cancel(&self) {
        self.slots().resume = Some(Resume {
            reply: Reply::Cancel,
            request: RequestSlot::default(),
            deadline: None,
        });
    }

    /// For the adapter, after each poll: drops a resumption no host function took (and the
    /// request binding in it).
    pub fn withdraw(&self) {
        let mut slots = self.slots();
        if let Some(mut r) = slots.resume.take() {
            r.request.unbind();
        }
    }
}

/// The future a suspending host function awaits: pending until the adapter resumes the call.
pub struct Suspension {
    exchange: Arc<Exchange>,
    wait: Option<Wait>,
}

impl Future for Suspension {
    type Output = Resume;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Resume> {
        if let Some(wait) = self.wait.take() {
            self.exchange.slots().waiting = Some(wait);
            return Poll::Pending;
        }
        match self.exchange.slots().resume.take() {
            Some(r) => Poll::Ready(r),
            None => Poll::Pending,
        }
    }
}

/// Polls `future` once with a waker that does nothing: the way adapters drive a call.
pub fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::ngx::tests::MockRequest;

    #[test]
    fn a_suspension_waits_for_its_resumption() {
        let ex = Arc::new(Exchange::default());
        let mut s = Box::pin(ex.suspend(Wait::Yield { delay_ms: 3 }));
        assert!(poll_once(s.as_mut()).is_pending());
        assert_eq!(ex.waiting(), Some(Wait::Yield { delay_ms: 3 }));
        assert_eq!(ex.waiting(), None, "read once");
        assert!(poll_once(s.as_mut()).is_pending(), "no reply yet");
        let mut req = MockRequest::default();
        // SAFETY: the binding is dropped (unbound) below, before `req`'s borrow ends.
        unsafe { ex.resume_with(Reply::Ready, &mut req, None) };
        let Poll::Ready(mut r) = poll_once(s.as_mut()) else {
            panic!("not resumed");
        };
        assert_eq!(r.reply, Reply::Ready);
        assert!(r.request.get().is_some());
        r.request.unbind();
        // A resumption nobody takes is withdrawn, binding and all.
        // SAFETY: withdrawn right away.
        unsafe { ex.resume_with(Reply::Cancel, &mut req, None) };
        ex.withdraw();
        assert!(ex.slots().resume.is_none());
    }
}
