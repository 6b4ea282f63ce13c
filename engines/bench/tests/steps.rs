//! The engine contract, on every engine compiled in: typed arguments and results, calls that
//! suspend inside a host function and resume, cancellation, budgets that span steps, and
//! misuse refused. Driven through the `engine-api` traits exactly as the nginx module
//! drives them.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use engine_api::abi::ABIS;
use engine_api::{
    Budget, Engine, EngineOptions, GuestErrorKind, Instance, InstanceLimits, Isolation, Module,
    Reply, Step, Val, Wait,
};
use engine_bench::{for_each_engine, BenchRequest, GUEST_WAT, RESUMABLE_WAT};

const YIELD: Step = Step::Suspended(Wait::Yield { delay_ms: 0 });

fn instance<E: Engine>(engine: &E, wat: &str, budget: &Budget) -> <E::Module as Module>::Instance {
    engine.init_worker(true).expect("worker state");
    let bytes = wat::parse_str(wat).expect("valid WAT");
    let module = engine.compile(&bytes).expect("compiles");
    module
        .instantiate(Isolation::Worker, &InstanceLimits::default(), budget)
        .expect("instantiates")
}

fn typed_values_cross_both_ways<E: Engine>(engine: E, name: &str) {
    let mut i = instance(&engine, RESUMABLE_WAT, &Budget::UNLIMITED);
    let args = [
        Val::I32(1),
        Val::I64(1 << 40),
        Val::F32(0.5),
        Val::F64(0.25),
    ];
    let step = i.start("mix", &args, &mut BenchRequest, &Budget::UNLIMITED);
    assert_eq!(
        step,
        Ok(Step::Done(vec![Val::F64(1_099_511_627_777.75)])),
        "{name}"
    );
    // A module without a host function that may suspend keeps plain calls.
    let mut plain = instance(&engine, GUEST_WAT, &Budget::UNLIMITED);
    let step = plain.start("noop", &[], &mut BenchRequest, &Budget::UNLIMITED);
    assert_eq!(step, Ok(Step::Done(vec![])), "{name}");
}

fn suspends_and_resumes<E: Engine>(engine: E, name: &str) {
    let mut i = instance(&engine, RESUMABLE_WAT, &Budget::UNLIMITED);
    for round in 0..2 {
        let mut step = i.start(
            "suspend_n",
            &[Val::I32(3)],
            &mut BenchRequest,
            &Budget::UNLIMITED,
        );
        for _ in 0..3 {
            assert_eq!(step, Ok(YIELD), "{name} round {round}");
            step = i.resume(Reply::Ready, &mut BenchRequest);
        }
        // The tokens 0, 1 and 2 came back through the three resumptions.
        assert_eq!(
            step,
            Ok(Step::Done(vec![Val::I64(3)])),
            "{name} round {round}"
        );
    }
    // Misuse is refused, and the instance stays usable.
    let e = i.resume(Reply::Ready, &mut BenchRequest).unwrap_err();
    assert_eq!(e.kind, GuestErrorKind::Usage, "{name}");
    let step = i.start(
        "suspend_n",
        &[Val::I32(1)],
        &mut BenchRequest,
        &Budget::UNLIMITED,
    );
    assert_eq!(step, Ok(YIELD), "{name}");
    let e = i
        .start("noop", &[], &mut BenchRequest, &Budget::UNLIMITED)
        .unwrap_err();
    assert_eq!(e.kind, GuestErrorKind::Usage, "{name}");
    assert_eq!(
        i.resume(Reply::Ready, &mut BenchRequest),
        Ok(Step::Done(vec![Val::I64(0)])),
        "{name}"
    );
}

fn cancels<E: Engine>(engine: E, name: &str) {
    let mut i = instance(&engine, RESUMABLE_WAT, &Budget::UNLIMITED);
    let step = i.start(
        "suspend_then_trap",
        &[],
        &mut BenchRequest,
        &Budget::UNLIMITED,
    );
    assert_eq!(step, Ok(YIELD), "{name}");
    let e = i.resume(Reply::Cancel, &mut BenchRequest).unwrap_err();
    assert_eq!(e.kind, GuestErrorKind::Trap, "{name}");
    assert!(
        e.reason.contains("ngx_test.suspend: cancelled"),
        "{name}: {e}"
    );
    // Dropping an instance whose call is suspended cancels the call first.
    for _ in 0..3 {
        let mut i = instance(&engine, RESUMABLE_WAT, &Budget::UNLIMITED);
        let step = i.start(
            "suspend_n",
            &[Val::I32(5)],
            &mut BenchRequest,
            &Budget::UNLIMITED,
        );
        assert_eq!(step, Ok(YIELD), "{name}");
        drop(i);
    }
}

fn budgets_span_steps<E: Engine>(make: impl Fn(EngineOptions) -> E, name: &str) {
    let engine = make(EngineOptions {
        timeouts: true,
        fuel: false,
    });
    let budget = Budget {
        timeout: Some(Duration::from_millis(50)),
        fuel: None,
    };
    let mut i = instance(&engine, RESUMABLE_WAT, &budget);
    assert_eq!(
        i.start("suspend_then_spin", &[], &mut BenchRequest, &budget),
        Ok(YIELD),
        "{name}"
    );
    // Waiting is not running: the 200 ms spent here are not charged to the 50 ms.
    std::thread::sleep(Duration::from_millis(200));
    let resumed = Instant::now();
    let e = i.resume(Reply::Ready, &mut BenchRequest).unwrap_err();
    assert_eq!(e.kind, GuestErrorKind::Budget, "{name}: {e}");
    assert_eq!(e.reason, "timeout 50ms exceeded", "{name}");
    assert!(
        resumed.elapsed() >= Duration::from_millis(30),
        "{name}: the resumed step was stopped after {:?}, as if the wait had been charged",
        resumed.elapsed()
    );

    let engine = make(EngineOptions {
        timeouts: false,
        fuel: true,
    });
    let budget = Budget {
        timeout: None,
        fuel: Some(10_000),
    };
    let mut i = instance(&engine, RESUMABLE_WAT, &budget);
    assert_eq!(
        i.start("suspend_then_spin", &[], &mut BenchRequest, &budget),
        Ok(YIELD),
        "{name}"
    );
    let e = i.resume(Reply::Ready, &mut BenchRequest).unwrap_err();
    assert_eq!(e.kind, GuestErrorKind::Budget, "{name}: {e}");
    assert_eq!(e.reason, "fuel 10000 exhausted", "{name}");
}

macro_rules! engine_tests {
    ($name:literal, $new:path) => {
        let make = |o| $new(o, ABIS).expect("engine");
        typed_values_cross_both_ways(make(EngineOptions::default()), $name);
        suspends_and_resumes(make(EngineOptions::default()), $name);
        cancels(make(EngineOptions::default()), $name);
        budgets_span_steps(make, $name);
    };
}

#[test]
fn every_engine_keeps_the_contract() {
    for_each_engine!(engine_tests);
}
