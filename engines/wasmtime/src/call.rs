//! Running a call on wasmtime, in steps.
//!
//! A module that imports no host function which may suspend keeps plain calls: a typed
//! call for handlers (`() -> ()`) and the `i32` shapes of Proxy-Wasm callbacks ([`Shape`]),
//! an untyped one otherwise, run to the end. A module that
//! does runs every call with `call_async` (typed for handlers, too) on a fiber: the call's
//! future owns the store while it runs and is polled once per step with a no-op waker. When a suspending host function
//! waits, the poll returns `Pending`, the fiber keeps the guest's stack, and the instance
//! returns [`Step::Suspended`]; [`Instance::resume`] hands the reply to the function through
//! the store's [`Exchange`] and polls again. When the call finishes, the future gives the
//! store back.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use engine_api::suspend::{poll_once, Exchange};
use engine_api::{
    Budget, CallMeter, ExportCache, GuestError, GuestErrorKind, HostRequest, Reply, Step, Val,
};
use wasmtime::{Store, TypedFunc};

use crate::linker::{from_wasmtime, to_wasmtime};
use crate::worker::WorkerState;
use crate::{budget_stop, describe, Exports, StoreData};

/// What a finished call's future gives back: the store, the outcome and the results.
type Finished = (Store<StoreData>, wasmtime::Result<()>, Vec<wasmtime::Val>);

/// A call running on a fiber, suspended between steps.
struct InFlight {
    future: Pin<Box<dyn Future<Output = Finished> + Send>>,
    meter: CallMeter,
}

/// The export types plain calls make through a typed handle: a handler, and the `i32`
/// shapes of the Proxy-Wasm callbacks (`(context_id, ...) -> action`), which otherwise pay
/// for loading the function's type, checking each argument and two vectors on every call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Shape {
    /// `() -> ()`.
    Unit,
    /// `(i32) -> ()`, `(i32, i32) -> ()`, `(i32, i32, i32) -> ()`, with `true`: `-> i32`.
    I32s(u8, bool),
}

impl Shape {
    pub(crate) fn of(ty: &engine_api::FuncType) -> Option<Shape> {
        use engine_api::ValType;
        if ty.params.is_empty() && ty.results.is_empty() {
            return Some(Shape::Unit);
        }
        let n = u8::try_from(ty.params.len())
            .ok()
            .filter(|n| (1..=3).contains(n))?;
        if !ty.params.iter().all(|t| *t == ValType::I32) {
            return None;
        }
        match ty.results.as_slice() {
            [] => Some(Shape::I32s(n, false)),
            [ValType::I32] => Some(Shape::I32s(n, true)),
            _ => None,
        }
    }
}

/// A typed handle of one of the [`Shape`]s.
#[derive(Clone)]
enum Typed {
    Unit(TypedFunc<(), ()>),
    P1(TypedFunc<i32, ()>),
    P1R(TypedFunc<i32, i32>),
    P2(TypedFunc<(i32, i32), ()>),
    P2R(TypedFunc<(i32, i32), i32>),
    P3(TypedFunc<(i32, i32, i32), ()>),
    P3R(TypedFunc<(i32, i32, i32), i32>),
}

impl Typed {
    /// # Safety
    /// `func` must have the type `shape` describes.
    unsafe fn new(store: &Store<StoreData>, func: wasmtime::Func, shape: Shape) -> Option<Typed> {
        // SAFETY: the caller checked the function's type.
        unsafe {
            Some(match shape {
                Shape::Unit => Typed::Unit(TypedFunc::new_unchecked(store, func)),
                Shape::I32s(1, false) => Typed::P1(TypedFunc::new_unchecked(store, func)),
                Shape::I32s(1, true) => Typed::P1R(TypedFunc::new_unchecked(store, func)),
                Shape::I32s(2, false) => Typed::P2(TypedFunc::new_unchecked(store, func)),
                Shape::I32s(2, true) => Typed::P2R(TypedFunc::new_unchecked(store, func)),
                Shape::I32s(3, false) => Typed::P3(TypedFunc::new_unchecked(store, func)),
                Shape::I32s(3, true) => Typed::P3R(TypedFunc::new_unchecked(store, func)),
                Shape::I32s(..) => return None,
            })
        }
    }

    /// Calls with `args`; `None` when they do not fit the shape (the untyped call then
    /// reports the mismatch).
    fn call(
        &self,
        store: &mut Store<StoreData>,
        args: &[Val],
    ) -> Option<wasmtime::Result<Vec<Val>>> {
        let mut ints = [0i32; 3];
        for (slot, a) in ints.iter_mut().zip(args) {
            let Val::I32(v) = a else { return None };
            *slot = *v;
        }
        let [a, b, c] = ints;
        let none = |r: wasmtime::Result<()>| r.map(|()| Vec::new());
        let one = |r: wasmtime::Result<i32>| r.map(|v| vec![Val::I32(v)]);
        Some(match (self, args.len()) {
            (Typed::Unit(f), 0) => none(f.call(store, ())),
            (Typed::P1(f), 1) => none(f.call(store, a)),
            (Typed::P1R(f), 1) => one(f.call(store, a)),
            (Typed::P2(f), 2) => none(f.call(store, (a, b))),
            (Typed::P2R(f), 2) => one(f.call(store, (a, b))),
            (Typed::P3(f), 3) => none(f.call(store, (a, b, c))),
            (Typed::P3R(f), 3) => one(f.call(store, (a, b, c))),
            _ => return None,
        })
    }
}

/// An export's handles in one instance.
#[derive(Clone)]
pub(crate) struct Resolved {
    func: wasmtime::Func,
    /// The typed handle, for a handler (`() -> ()`).
    handler: Option<TypedFunc<(), ()>>,
    /// The typed handle of a [`Shape`] plain calls use.
    typed: Option<Typed>,
    /// Its index in the module's [`Exports`], for its result types.
    export: usize,
}

/// A live wasmtime instance with its store.
pub struct Instance {
    /// `None` while a call runs on a fiber (its future owns the store).
    store: Option<Store<StoreData>>,
    instance: wasmtime::Instance,
    exports: Arc<Exports>,
    /// Handles of the exports called so far (worker instances, which serve many calls).
    funcs: ExportCache<Resolved>,
    cache_funcs: bool,
    /// For a module whose calls may suspend.
    exchange: Option<Arc<Exchange>>,
    /// The call in progress, while it is suspended.
    call: Option<InFlight>,
    worker: Arc<WorkerState>,
}

/// Zeros of `types`, where a call's results are written.
fn results_buffer(types: &[wasmtime::ValType]) -> Vec<wasmtime::Val> {
    types
        .iter()
        .map(|t| wasmtime::Val::default_for_ty(t).unwrap_or(wasmtime::Val::I32(0)))
        .collect()
}

impl Instance {
    pub(crate) fn new(
        store: Store<StoreData>,
        instance: wasmtime::Instance,
        exports: Arc<Exports>,
        cache_funcs: bool,
        exchange: Option<Arc<Exchange>>,
        worker: Arc<WorkerState>,
    ) -> Self {
        Instance {
            store: Some(store),
            instance,
            exports,
            funcs: ExportCache::default(),
            cache_funcs,
            exchange,
            call: None,
            worker,
        }
    }

    /// The handles of export `name` in `instance`.
    fn lookup(
        instance: &wasmtime::Instance,
        exports: &Exports,
        store: &mut Store<StoreData>,
        name: &str,
    ) -> Result<Resolved, GuestError> {
        let index = exports.index(name)?;
        let export = &exports.funcs[index];
        let func = instance
            .get_module_export(&mut *store, &export.index)
            .and_then(wasmtime::Extern::into_func)
            .ok_or_else(|| {
                GuestError::new(
                    GuestErrorKind::Export,
                    format!("export \"{name}\" is not a function of this instance"),
                )
            })?;
        Ok(Resolved {
            func,
            // SAFETY: `handler` is set only for exports whose type is `() -> ()` (checked in
            // `Exports::of`), of the module `instance` was made from.
            handler: export
                .handler
                .then(|| unsafe { TypedFunc::new_unchecked(&*store, func) }),
            // SAFETY: `shape` is the export's type (computed in `Exports::of`), of the module
            // `instance` was made from.
            typed: export
                .shape
                .and_then(|shape| unsafe { Typed::new(&*store, func, shape) }),
            export: index,
        })
    }

    /// The error for a failed step.
    fn call_error(store: &Store<StoreData>, e: &wasmtime::Error, budget: &Budget) -> GuestError {
        match budget_stop(e, budget) {
            Some(stop) => stop,
            None => store
                .data()
                .limiter
                .0
                .call_error(GuestError::new(GuestErrorKind::Trap, describe(e))),
        }
    }

    /// A plain call, run to the end.
    fn run_plain(
        store: &mut Store<StoreData>,
        resolved: &Resolved,
        exports: &Exports,
        args: &[Val],
        budget: &Budget,
    ) -> Result<Step, GuestError> {
        let typed = resolved
            .typed
            .as_ref()
            .and_then(|t| t.call(&mut *store, args));
        let outcome = match typed {
            Some(outcome) => outcome,
            None => {
                let params: Vec<wasmtime::Val> = args.iter().copied().map(to_wasmtime).collect();
                let mut results = results_buffer(&exports.funcs[resolved.export].results);
                resolved
                    .func
                    .call(&mut *store, &params, &mut results)
                    .map(|()| results.iter().map(from_wasmtime).collect())
            }
        };
        outcome
            .map(Step::Done)
            .map_err(|e| Self::call_error(store, &e, budget))
    }

    /// Polls the call on its fiber for one step.
    fn poll(&mut self, mut call: InFlight, started: Instant) -> Result<Step, GuestError> {
        let exchange = self.exchange.clone();
        let polled = poll_once(call.future.as_mut());
        if let Some(ex) = &exchange {
            ex.withdraw();
        }
        match polled {
            Poll::Ready((mut store, outcome, results)) => {
                store.data_mut().request.unbind();
                let step = match outcome {
                    Ok(()) => Ok(Step::Done(results.iter().map(from_wasmtime).collect())),
                    Err(e) => Err(Self::call_error(&store, &e, call.meter.budget())),
                };
                self.store = Some(store);
                step
            }
            Poll::Pending => {
                let wait = Exchange::suspended_step(exchange.as_deref(), &mut call.meter, started)?;
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
        let Some(store) = self.store.as_mut() else {
            return Err(GuestError::usage(
                "the instance's store is in use by a suspended call",
            ));
        };
        // Worker instances keep the handles of the exports they call; a per-request instance
        // makes one call, so looking the export up is cheaper than caching it. Lent, not
        // cloned: cloning a typed handle costs reference counting on every call.
        let (instance, exports) = (&self.instance, &self.exports);
        let fresh;
        let resolved = if self.cache_funcs {
            self.funcs
                .get_or_lookup(name, || Self::lookup(instance, exports, store, name))?
        } else {
            fresh = Self::lookup(instance, exports, store, name)?;
            &fresh
        };
        if self.exchange.is_none() {
            let _running = self.worker.begin(store, budget)?;
            store.data_mut().limiter.0.begin_call();
            // SAFETY: the request is unbound right after the call, before `request`'s borrow
            // ends; the build uses panic=abort, so no unwinding can skip the unbind.
            unsafe { store.data_mut().request.bind(request) };
            let step = Self::run_plain(store, resolved, exports, args, budget);
            store.data_mut().request.unbind();
            return step;
        }
        let started = Instant::now();
        let worker = self.worker.clone();
        let _running = worker.begin(store, budget)?;
        store.data_mut().limiter.0.begin_call();
        // SAFETY: the request is unbound before this function returns, before `request`'s
        // borrow ends: by the step that ends the call (`poll`) or by the host function that
        // suspends it (which unbinds before it waits). The build uses panic=abort, so no
        // unwinding can skip the unbind.
        unsafe { store.data_mut().request.bind(request) };
        let params: Vec<wasmtime::Val> = args.iter().copied().map(to_wasmtime).collect();
        let mut results = results_buffer(&exports.funcs[resolved.export].results);
        let Some(mut store) = self.store.take() else {
            return Err(GuestError::usage(
                "the instance's store is in use by a suspended call",
            ));
        };
        let func = resolved.func;
        // A handler goes through its typed handle, which skips loading the function's type
        // and checking arguments on every call (~250 instructions); cloning it costs less.
        let handler = match (&resolved.handler, args.is_empty()) {
            (Some(handler), true) => Some(handler.clone()),
            _ => None,
        };
        let future = Box::pin(async move {
            let outcome = match handler {
                Some(handler) => handler.call_async(&mut store, ()).await,
                None => func.call_async(&mut store, &params, &mut results).await,
            };
            (store, outcome, results)
        });
        let call = InFlight {
            future,
            meter: CallMeter::new(*budget),
        };
        self.poll(call, started)
    }

    fn resume(&mut self, reply: Reply, request: &mut dyn HostRequest) -> Result<Step, GuestError> {
        let (Some(call), Some(exchange)) = (self.call.take(), self.exchange.clone()) else {
            return Err(GuestError::nothing_suspended());
        };
        let started = Instant::now();
        let deadline = call.meter.step_deadline(started);
        let worker = self.worker.clone();
        let _running = match deadline {
            Some(_) => Some(worker.watch()?),
            None => None,
        };
        // SAFETY: `poll` withdraws whatever the host function did not take, and the host
        // function unbinds what it took before it suspends again; when the call ends, `poll`
        // unbinds the store's slot. All of it happens before this function returns.
        unsafe { exchange.resume_with(reply, request, deadline) };
        self.poll(call, started)
    }
}

impl Drop for Instance {
    /// A call still suspended is cancelled: its waiting host function traps, which ends the
    /// guest's call on its fiber through wasmtime's ordinary trap path.
    fn drop(&mut self) {
        if let (Some(mut call), Some(exchange)) = (self.call.take(), self.exchange.as_ref()) {
            exchange.cancel();
            let _ = poll_once(call.future.as_mut());
            exchange.withdraw();
        }
    }
}
