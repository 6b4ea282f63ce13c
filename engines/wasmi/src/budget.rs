//! Budgets on wasmi: fuel, in slices.
//!
//! wasmi has no epochs and no threads, but a call that runs out of fuel can be resumed
//! (`call_resumable` returns `OutOfFuel`, and the invocation resumes after more fuel is put
//! in the store). A call with a `wasm_timeout` therefore runs in slices of [`SLICE`] fuel
//! units, with a clock check between slices ([`crate::call`]); `wasm_fuel` caps the slices'
//! total. Precision: a guest is stopped at the first slice boundary after its deadline (a
//! slice takes about 0.1-0.5 ms; see `docs/safety.md`).

use engine_api::Budget;

/// Fuel per slice when a call has a timeout: the interpreter runs roughly 100-500 million
/// units a second here, so a slice is a fraction of a millisecond, and the cost of a resume
/// (about 0.3 µs) stays under 0.5%.
pub(crate) const SLICE: u64 = 100_000;

/// Fuel a start function gets when its budget has a timeout but no fuel: a start function
/// cannot be resumed (wasmi 2.0 has no resumable start), so it is bounded by fuel alone, at
/// this many units per millisecond of timeout. Fuel is not time: measured here, a branch to
/// itself runs ~33,000 units a millisecond, straight-line code ~6,000,000. The rate is that
/// of the slowest shape, so a looping start function stops about at its timeout (it was
/// 2,000,000, which let one run 60 times its timeout: 12 s for 200 ms); straight-line work
/// gets about 1/200 of the timeout (25 ms under the default 5 s). `wasm_fuel` gives a start
/// function exactly that fuel instead.
const START_FUEL_PER_MS: u64 = 30_000;

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn start_functions_get_fuel_in_proportion_to_the_timeout() {
        let b = |timeout: Option<u64>, fuel| Budget {
            timeout: timeout.map(Duration::from_millis),
            fuel,
        };
        assert_eq!(start_fuel(&b(None, Some(7))), 7);
        assert_eq!(start_fuel(&b(Some(50), Some(7))), 7);
        assert_eq!(start_fuel(&b(Some(50), None)), 1_500_000);
        assert_eq!(start_fuel(&b(None, None)), u64::MAX);
    }
}
