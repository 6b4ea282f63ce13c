//! Budgets on wasmi: fuel, in slices.
//!
//! wasmi has no epochs and no threads, but a call that runs out of fuel can be resumed
//! (`call_resumable` returns `OutOfFuel`, and the invocation resumes after more fuel is put
//! in the store). A call with a `wasm_timeout` therefore runs in slices of [`SLICE`] fuel
//! units, with a clock check between slices; `wasm_fuel` caps the slices' total. Precision:
//! a guest is stopped at the first slice boundary after its deadline (a slice takes about
//! 0.1-0.5 ms; see `docs/safety.md`).

use std::time::{Duration, Instant};

use engine_api::limits::FuelPlan;
use engine_api::{Budget, GuestError, GuestErrorKind, TrapKind};
use wasmi::{Store, TypedFunc, TypedResumableCall};

use crate::{describe, StoreData};

/// Fuel per slice when a call has a timeout: the interpreter runs roughly 100-500 million
/// units a second here, so a slice is a fraction of a millisecond, and the cost of a resume
/// (about 0.3 µs) stays under 0.5%.
pub(crate) const SLICE: u64 = 100_000;

/// Fuel a start function gets when its budget has a timeout but no fuel: a start function
/// cannot be resumed, so it is bounded by fuel alone, at this many units per millisecond of
/// timeout (more than wasmi executes per millisecond on current hardware, so it only stops
/// guests that overran the timeout).
const START_FUEL_PER_MS: u64 = 2_000_000;

/// The fuel a start function (run during instantiation) gets under `budget`.
pub(crate) fn start_fuel(budget: &Budget) -> u64 {
    match (budget.fuel, budget.timeout) {
        (Some(f), _) => f,
        (None, Some(t)) => {
            START_FUEL_PER_MS.saturating_mul(u64::try_from(t.as_millis()).unwrap_or(u64::MAX))
        }
        (None, None) => u64::MAX,
    }
}

fn store_error(e: wasmi::Error) -> GuestError {
    GuestError::new(GuestErrorKind::Trap, describe(&e))
}

/// Calls `func` on a metered store under `budget`.
pub(crate) fn call(
    store: &mut Store<StoreData>,
    func: &TypedFunc<(), ()>,
    budget: &Budget,
) -> Result<(), GuestError> {
    let Some(timeout) = budget.timeout else {
        // Fuel alone: one plain call with the whole budget.
        store
            .set_fuel(budget.fuel.unwrap_or(u64::MAX))
            .map_err(store_error)?;
        return func
            .call(&mut *store, ())
            .map_err(|e| match e.as_trap_code() {
                Some(wasmi::TrapCode::OutOfFuel) => budget.exceeded(TrapKind::OutOfFuel),
                _ => store_error(e),
            });
    };
    sliced(store, func, budget, timeout)
}

fn sliced(
    store: &mut Store<StoreData>,
    func: &TypedFunc<(), ()>,
    budget: &Budget,
    timeout: Duration,
) -> Result<(), GuestError> {
    let start = Instant::now();
    let deadline = start.checked_add(timeout);
    let mut plan = FuelPlan::new(budget, SLICE);
    let out_of_fuel = || budget.exceeded(TrapKind::OutOfFuel);
    let first = plan.next_slice(0).ok_or_else(out_of_fuel)?;
    store.set_fuel(first).map_err(store_error)?;
    let mut state = func.call_resumable(&mut *store, ());
    loop {
        match state {
            Ok(TypedResumableCall::Finished(())) => return Ok(()),
            Ok(TypedResumableCall::HostTrap(invocation)) => {
                // A host function refused (bad pointer...): not resumed, the call fails.
                return Err(GuestError::new(
                    GuestErrorKind::Trap,
                    describe(invocation.host_error()),
                ));
            }
            Ok(TypedResumableCall::OutOfFuel(invocation)) => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Err(budget.exceeded(TrapKind::Timeout));
                }
                // Fuel the slice left unused (less than the next instruction needs) goes back
                // to the budget before the next slice is taken from it.
                plan.give_back(store.get_fuel().unwrap_or(0));
                let next = plan
                    .next_slice(invocation.required_fuel())
                    .ok_or_else(out_of_fuel)?;
                store.set_fuel(next).map_err(store_error)?;
                state = invocation.resume(&mut *store);
            }
            Err(e) => return Err(store_error(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_functions_get_fuel_in_proportion_to_the_timeout() {
        let b = |timeout: Option<u64>, fuel| Budget {
            timeout: timeout.map(Duration::from_millis),
            fuel,
        };
        assert_eq!(start_fuel(&b(None, Some(7))), 7);
        assert_eq!(start_fuel(&b(Some(50), Some(7))), 7);
        assert_eq!(start_fuel(&b(Some(50), None)), 100_000_000);
        assert_eq!(start_fuel(&b(None, None)), u64::MAX);
    }
}
