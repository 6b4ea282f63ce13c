//! Running a call on wasmer, in steps.
//!
//! A module that imports no host function which may suspend keeps plain calls: a typed call
//! for handlers (`() -> ()`), an untyped one otherwise, run to the end. A module that does
//! lives in an async store (`StoreAsync`) and runs every call with `call_async`, which runs
//! the guest on a coroutine; the call's future is polled once per step with a no-op waker.
//! When a suspending host function waits, the poll returns `Pending` and the instance returns
//! [`Step::Suspended`]; [`Instance::resume`] hands the reply to the function through the
//! store's [`Exchange`] and polls again.
//!
//! Budgets span the steps: the metering points set at the start stay in the instance's
//! globals between steps, and each step is watched with what the call's timeout leaves.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use engine_api::suspend::{poll_once, Exchange};
use engine_api::{
    Budget, CallMeter, ExportCache, GuestError, GuestErrorKind, HostRequest, Reply, Step, TrapKind,
    Val,
};
use wasmer::{AsStoreMut, Function, FunctionEnv, RuntimeError, Store, StoreAsync, TypedFunction};

use crate::budget::{Points, Watch};
use crate::imports::{from_wasmer, to_wasmer};
use crate::limits::{self, SharedLimiter};
use crate::{budget, describe, HostState, WorkerState};

/// What a call's future gives back when the call ends.
type Outcome = Result<Box<[wasmer::Value]>, RuntimeError>;

/// A call running on a coroutine, suspended between steps.
struct InFlight {
    future: Pin<Box<dyn Future<Output = Outcome>>>,
    meter: CallMeter,
    /// The watchdog stopped one of its steps.
    fired: bool,
}

/// An export's handles in one instance.
#[derive(Clone)]
struct Resolved {
    func: Function,
    /// The typed handle, for a handler (`() -> ()`).
    handler: Option<TypedFunction<(), ()>>,
}

/// The store of an instance: plain, or async for a module whose calls may suspend.
enum Stored {
    Plain(Store),
    Async(StoreAsync),
}

impl Stored {
    /// Runs `f` on the store (an async store is locked for it: it is free between steps).
    fn edit<R>(&mut self, f: impl FnOnce(&mut wasmer::StoreMut<'_>) -> R) -> R {
        match self {
            Stored::Plain(store) => f(&mut store.as_store_mut()),
            Stored::Async(store) => {
                use wasmer::AsStoreAsync as _;
                let mut lock = store.store().write();
                f(&mut lock.as_store_mut())
            }
        }
    }
}

/// A live wasmer instance with its store.
pub struct Instance {
    store: Stored,
    env: FunctionEnv<HostState>,
    instance: wasmer::Instance,
    /// Handles of the exports called so far.
    funcs: ExportCache<Resolved>,
    limiter: SharedLimiter,
    /// The instance's metering globals, when metered.
    points: Option<Points>,
    /// For a module whose calls may suspend.
    exchange: Option<Arc<Exchange>>,
    /// The call in progress, while it is suspended.
    call: Option<InFlight>,
    worker: Arc<WorkerState>,
}

impl Instance {
    pub(crate) fn new(
        store: Store,
        env: FunctionEnv<HostState>,
        instance: wasmer::Instance,
        limiter: SharedLimiter,
        points: Option<Points>,
        exchange: Option<Arc<Exchange>>,
        worker: Arc<WorkerState>,
    ) -> Self {
        let store = match exchange {
            Some(_) => Stored::Async(store.into_async()),
            None => Stored::Plain(store),
        };
        Instance {
            store,
            env,
            instance,
            funcs: ExportCache::default(),
            limiter,
            points,
            exchange,
            call: None,
            worker,
        }
    }

    /// The handles of export `name`, looked up once per instance.
    fn resolve(&mut self, name: &str) -> Result<Resolved, GuestError> {
        let (instance, store) = (&self.instance, &mut self.store);
        self.funcs
            .get_or_lookup(name, || {
                let func = instance
                    .exports
                    .get_function(name)
                    .map_err(|e| GuestError::new(GuestErrorKind::Export, e.to_string()))?
                    .clone();
                let handler = store.edit(|s| func.typed::<(), ()>(&*s).ok());
                Ok(Resolved { func, handler })
            })
            .cloned()
    }

    /// Binds `request` to the instance's request slot.
    ///
    /// # Safety
    /// The slot must be unbound before `request`'s borrow ends ([`Instance::unbind`]).
    unsafe fn bind(&mut self, request: &mut dyn HostRequest) {
        let env = self.env.clone();
        // SAFETY: the caller upholds `RequestSlot::bind`'s contract.
        self.store
            .edit(|s| unsafe { env.as_mut(s).request.bind(request) });
    }

    fn unbind(&mut self) {
        let env = self.env.clone();
        self.store.edit(|s| env.as_mut(s).request.unbind());
    }

    /// The error for a failed step: a budget stop if the metering says so.
    fn call_error(&mut self, e: RuntimeError, budget: &Budget, fired: bool) -> GuestError {
        if let Some(points) = &self.points {
            if self.store.edit(|s| points.exhausted(s)) {
                return budget.exceeded(if fired {
                    TrapKind::Timeout
                } else {
                    TrapKind::OutOfFuel
                });
            }
        }
        limits::lock(&self.limiter).call_error(GuestError::new(GuestErrorKind::Trap, describe(e)))
    }

    /// Registers the step with the watchdog, when it has a deadline and the module is
    /// metered (the watchdog raises the metering's stop flag).
    fn watch<'w>(
        worker: &'w WorkerState,
        points: Option<&Points>,
        deadline: Option<Instant>,
    ) -> Result<Option<Watch<'w>>, GuestError> {
        Ok(match (deadline, points) {
            (Some(deadline), Some(points)) => Some(worker.watchdog()?.arm(points.flag(), deadline)),
            _ => None,
        })
    }

    /// Polls the call on its coroutine for one step.
    fn poll(
        &mut self,
        mut call: InFlight,
        started: Instant,
        watch: Option<Watch<'_>>,
    ) -> Result<Step, GuestError> {
        let polled = poll_once(call.future.as_mut());
        // Before anything else touches the counter: the watchdog writes it only until here.
        call.fired |= watch.is_some_and(|w| w.disarm());
        if let Some(ex) = &self.exchange {
            ex.withdraw();
        }
        match polled {
            Poll::Ready(outcome) => {
                self.unbind();
                match outcome {
                    Ok(results) => Ok(Step::Done(results.iter().map(from_wasmer).collect())),
                    Err(e) => {
                        let budget = *call.meter.budget();
                        Err(self.call_error(e, &budget, call.fired))
                    }
                }
            }
            Poll::Pending => {
                let wait =
                    Exchange::suspended_step(self.exchange.as_deref(), &mut call.meter, started)?;
                self.call = Some(call);
                Ok(Step::Suspended(wait))
            }
        }
    }
}

impl engine_api::Instance for Instance {
    fn start(
        &mut self,
        name: &str,
        args: &[Val],
        request: &mut dyn HostRequest,
        budget: &Budget,
    ) -> Result<Step, GuestError> {
        if self.call.is_some() {
            return Err(GuestError::already_suspended());
        }
        let resolved = self.resolve(name)?;
        // The clock is read only when something needs it (a timeout, a call that may wait):
        // it costs more than the rest of a plain call.
        let started = (budget.timeout.is_some() || self.exchange.is_some()).then(Instant::now);
        match &self.points {
            Some(points) => self
                .store
                .edit(|s| points.set(s, budget::points(budget)))
                .map_err(|e| GuestError::new(GuestErrorKind::Instantiate, e.to_string()))?,
            None if *budget != Budget::UNLIMITED => {
                return Err(GuestError::new(
                    GuestErrorKind::Instantiate,
                    "a budget is configured but the module was compiled without metering",
                ));
            }
            None => {}
        }
        let worker = self.worker.clone();
        let deadline = started.and_then(|t| budget.deadline(t));
        let watch = Self::watch(&worker, self.points.as_ref(), deadline)?;
        limits::lock(&self.limiter).begin_call();
        // SAFETY: the request is unbound before this function returns, before `request`'s
        // borrow ends: right after a plain call; for a call on a coroutine, by the step that
        // ends it (`poll`) or by the host function that suspends it (which unbinds before it
        // waits). The build uses panic=abort, so no unwinding can skip the unbind.
        unsafe { self.bind(request) };
        if let Stored::Plain(store) = &mut self.store {
            let outcome = match (&resolved.handler, args.is_empty()) {
                (Some(handler), true) => handler.call(store).map(|()| Vec::new()),
                _ => {
                    let params: Vec<wasmer::Value> = args.iter().copied().map(to_wasmer).collect();
                    resolved
                        .func
                        .call(store, &params)
                        .map(|r| r.iter().map(from_wasmer).collect())
                }
            };
            let fired = watch.is_some_and(|w| w.disarm());
            self.unbind();
            return outcome
                .map(Step::Done)
                .map_err(|e| self.call_error(e, budget, fired));
        }
        let Stored::Async(store) = &self.store else {
            self.unbind();
            return Err(GuestError::usage("the instance has no store"));
        };
        let params: Vec<wasmer::Value> = args.iter().copied().map(to_wasmer).collect();
        let future = Box::pin(resolved.func.call_async(store, params));
        let call = InFlight {
            future,
            meter: CallMeter::new(*budget),
            fired: false,
        };
        self.poll(call, started.unwrap_or_else(Instant::now), watch)
    }

    fn resume(&mut self, reply: Reply, request: &mut dyn HostRequest) -> Result<Step, GuestError> {
        let (Some(call), Some(exchange)) = (self.call.take(), self.exchange.clone()) else {
            return Err(GuestError::nothing_suspended());
        };
        let started = Instant::now();
        let deadline = call.meter.step_deadline(started);
        let worker = self.worker.clone();
        let watch = Self::watch(&worker, self.points.as_ref(), deadline)?;
        // SAFETY: `poll` withdraws whatever the host function did not take, and the host
        // function unbinds what it took before it suspends again; when the call ends, `poll`
        // unbinds the slot. All of it happens before this function returns.
        unsafe { exchange.resume_with(reply, request, deadline) };
        self.poll(call, started, watch)
    }
}

impl Drop for Instance {
    /// A call still suspended is cancelled: its waiting host function traps, which ends the
    /// guest's call on its coroutine through wasmer's ordinary trap path. (Dropping the
    /// coroutine while it is suspended would unwind its stack with a panic, which a
    /// `panic = "abort"` build cannot do.)
    fn drop(&mut self) {
        if let (Some(mut call), Some(exchange)) = (self.call.take(), self.exchange.as_ref()) {
            exchange.cancel();
            let _ = poll_once(call.future.as_mut());
            exchange.withdraw();
        }
    }
}
