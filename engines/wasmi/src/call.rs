//! Running a call on wasmi, in steps.
//!
//! A plain call (no budget, no import that may suspend) runs to the end with wasmi's
//! ordinary `call`. Otherwise the call is resumable: it stops when a fuel slice runs out
//! (the clock is checked, the next slice given, the call resumed: see [`crate::budget`]) and
//! when a host function suspends (the interpreter state is kept in the instance, and
//! [`resume`] feeds the function's result back in). Waiting is not charged to the budget:
//! each step's deadline comes from the call's [`CallMeter`], and the fuel left in the store
//! stays there between steps.

use std::time::Instant;

use engine_api::abi::{self, Pending};
use engine_api::limits::FuelPlan;
use engine_api::{Budget, CallMeter, GuestError, GuestErrorKind, Reply, Step, TrapKind, Val};
use wasmi::{
    ResumableCall, ResumableCallHostTrap, ResumableCallOutOfFuel, Store, TypedFunc,
    TypedResumableCall, TypedResumableCallHostTrap, TypedResumableCallOutOfFuel,
};

use crate::linker::{from_wasmi, to_wasmi};
use crate::{budget, describe, Instance, StoreData};

/// A call suspended inside a host function.
pub(crate) struct Suspended {
    invocation: Trapped,
    pending: Box<Pending>,
    run: Run,
}

/// What a resumable call carries from step to step.
struct Run {
    meter: CallMeter,
    plan: FuelPlan,
    /// The export's results are written here.
    results: Vec<wasmi::Val>,
}

fn trap(e: &wasmi::Error) -> GuestError {
    GuestError::new(GuestErrorKind::Trap, describe(e))
}

fn results_buffer(types: &[wasmi::ValType]) -> Vec<wasmi::Val> {
    types
        .iter()
        .map(|t| wasmi::Val::default_for_ty(*t))
        .collect()
}

/// A call without budget or suspension: wasmi's plain call, typed for handlers.
pub(crate) fn plain(
    store: &mut Store<StoreData>,
    func: wasmi::Func,
    handler: Option<TypedFunc<(), ()>>,
    args: &[Val],
    result_types: &[wasmi::ValType],
) -> Result<Step, GuestError> {
    if let (Some(handler), true) = (handler, args.is_empty()) {
        handler.call(&mut *store, ()).map_err(|e| trap(&e))?;
        return Ok(Step::Done(Vec::new()));
    }
    let args: Vec<wasmi::Val> = args.iter().copied().map(to_wasmi).collect();
    let mut results = results_buffer(result_types);
    func.call(&mut *store, &args, &mut results)
        .map_err(|e| trap(&e))?;
    Ok(Step::Done(results.iter().map(from_wasmi).collect()))
}

/// Starts a resumable call; a handler (`() -> ()`) through its typed handle, which wasmi
/// calls without checking argument and result types.
pub(crate) fn start(
    instance: &mut Instance,
    func: wasmi::Func,
    handler: Option<TypedFunc<(), ()>>,
    args: &[Val],
    result_types: &[wasmi::ValType],
    budget: &Budget,
) -> Result<Step, GuestError> {
    let started = clock(budget);
    let mut run = Run {
        meter: CallMeter::new(*budget),
        plan: FuelPlan::new(budget, budget::SLICE),
        results: results_buffer(result_types),
    };
    if instance.mode.metered {
        let first = run
            .plan
            .next_slice(0)
            .ok_or_else(|| budget.exceeded(TrapKind::OutOfFuel))?;
        instance.store.set_fuel(first).map_err(|e| trap(&e))?;
    }
    let state = match (handler, args.is_empty()) {
        (Some(handler), true) => handler
            .call_resumable(&mut instance.store, ())
            .map(Stopped::from),
        _ => {
            let args: Vec<wasmi::Val> = args.iter().copied().map(to_wasmi).collect();
            func.call_resumable(&mut instance.store, &args, &mut run.results)
                .map(Stopped::from)
        }
    };
    drive(instance, state, run, started)
}

/// The start of a step, when the budget has a timeout (only then does a step's running time
/// count).
fn clock(budget: &Budget) -> Option<Instant> {
    budget.timeout.is_some().then(Instant::now)
}

/// Resumes a suspended call: the host function completes with `reply`, and the guest goes on.
pub(crate) fn resume(
    instance: &mut Instance,
    suspended: Suspended,
    reply: Reply,
) -> Result<Step, GuestError> {
    let Suspended {
        invocation,
        pending,
        mut run,
    } = suspended;
    let started = clock(run.meter.budget());
    let store = &mut instance.store;
    let value = match store.data().memory {
        Some(memory) => {
            let (data, state) = memory.data_and_store_mut(&mut *store);
            abi::finish(pending, Some(data), &mut state.request, reply)
        }
        None => abi::finish(pending, None, &mut store.data_mut().request, reply),
    };
    // A host function that traps as it completes (a cancelled wait) ends the call here: the
    // interpreter state is dropped without running more guest code.
    let value = value.map_err(|t| GuestError::new(GuestErrorKind::Trap, t.to_string()))?;
    let inputs: Vec<wasmi::Val> = value.into_iter().map(to_wasmi).collect();
    let state = invocation.resume(&mut *store, &inputs, &mut run.results);
    drive(instance, state, run, started)
}

/// Runs a resumable call until it finishes, fails or suspends, refilling fuel slices and
/// checking the step's deadline between them.
fn drive(
    instance: &mut Instance,
    mut state: Result<Stopped, wasmi::Error>,
    mut run: Run,
    started: Option<Instant>,
) -> Result<Step, GuestError> {
    let budget = *run.meter.budget();
    let deadline = started.and_then(|t| run.meter.step_deadline(t));
    let store = &mut instance.store;
    loop {
        state = match state {
            Ok(Stopped::Finished) => {
                return Ok(Step::Done(run.results.iter().map(from_wasmi).collect()));
            }
            Ok(Stopped::HostTrap(invocation)) => {
                let Some(pending) = store.data_mut().pending.take() else {
                    // A host function refused (bad pointer...): not resumed, the call fails.
                    return Err(trap(invocation.host_error()));
                };
                if let Some(t) = started {
                    run.meter.charge(t, Instant::now());
                }
                let wait = pending.wait();
                instance.call = Some(Suspended {
                    invocation,
                    pending,
                    run,
                });
                return Ok(Step::Suspended(wait));
            }
            Ok(Stopped::OutOfFuel(invocation)) => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Err(budget.exceeded(TrapKind::Timeout));
                }
                // Fuel the slice left unused (less than the next instruction needs) goes back
                // to the budget before the next slice is taken from it.
                run.plan.give_back(store.get_fuel().unwrap_or(0));
                let next = run
                    .plan
                    .next_slice(invocation.required_fuel())
                    .ok_or_else(|| budget.exceeded(TrapKind::OutOfFuel))?;
                store.set_fuel(next).map_err(|e| trap(&e))?;
                invocation.resume(&mut *store, &mut run.results)
            }
            Err(e) => return Err(trap(&e)),
        };
    }
}

/// Where a resumable call stopped, whether it was started through a typed handle or not.
enum Stopped {
    Finished,
    HostTrap(Trapped),
    OutOfFuel(Starved),
}

/// A call stopped in a host function that returned an error (a refusal or a suspension).
enum Trapped {
    Typed(TypedResumableCallHostTrap<()>),
    Untyped(ResumableCallHostTrap),
}

/// A call stopped because its fuel slice ran out.
enum Starved {
    Typed(TypedResumableCallOutOfFuel<()>),
    Untyped(ResumableCallOutOfFuel),
}

impl From<TypedResumableCall<()>> for Stopped {
    fn from(call: TypedResumableCall<()>) -> Self {
        match call {
            TypedResumableCall::Finished(()) => Stopped::Finished,
            TypedResumableCall::HostTrap(t) => Stopped::HostTrap(Trapped::Typed(t)),
            TypedResumableCall::OutOfFuel(f) => Stopped::OutOfFuel(Starved::Typed(f)),
        }
    }
}

impl From<ResumableCall> for Stopped {
    fn from(call: ResumableCall) -> Self {
        match call {
            ResumableCall::Finished => Stopped::Finished,
            ResumableCall::HostTrap(t) => Stopped::HostTrap(Trapped::Untyped(t)),
            ResumableCall::OutOfFuel(f) => Stopped::OutOfFuel(Starved::Untyped(f)),
        }
    }
}

impl Trapped {
    fn host_error(&self) -> &wasmi::Error {
        match self {
            Trapped::Typed(t) => t.host_error(),
            Trapped::Untyped(t) => t.host_error(),
        }
    }

    /// Completes the host function with `inputs` and runs on (an untyped call writes its
    /// results to `results`; a typed one has none).
    fn resume(
        self,
        store: &mut Store<StoreData>,
        inputs: &[wasmi::Val],
        results: &mut [wasmi::Val],
    ) -> Result<Stopped, wasmi::Error> {
        match self {
            Trapped::Typed(t) => t.resume(store, inputs).map(Stopped::from),
            Trapped::Untyped(t) => t.resume(store, inputs, results).map(Stopped::from),
        }
    }
}

impl Starved {
    fn required_fuel(&self) -> u64 {
        match self {
            Starved::Typed(f) => f.required_fuel(),
            Starved::Untyped(f) => f.required_fuel(),
        }
    }

    /// Runs on with the fuel now in the store.
    fn resume(
        self,
        store: &mut Store<StoreData>,
        results: &mut [wasmi::Val],
    ) -> Result<Stopped, wasmi::Error> {
        match self {
            Starved::Typed(f) => f.resume(store).map(Stopped::from),
            Starved::Untyped(f) => f.resume(store, results).map(Stopped::from),
        }
    }
}
