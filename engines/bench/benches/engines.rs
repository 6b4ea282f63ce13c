//! Engine micro-figures: instantiation (worker and per-request), an empty export call with and
//! without a timeout budget, `HOST_CALLS` host calls from one export (the host-call cost is
//! (host_loop - noop) / HOST_CALLS), and a call that suspends once inside a host function and
//! is resumed (suspend + resume = that figure less the resumable module's noop). Run with
//! `make bench-micro`.

// Benchmark code: a failed unwrap is a failed run; criterion's macros generate undocumented
// functions.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use engine_api::abi::ABIS;
use engine_api::{
    Budget, Engine, EngineOptions, Instance, InstanceLimits, Isolation, Module, Reply, Step, Val,
};
use engine_bench::{for_each_engine, BenchRequest, GUEST_WAT, RESUMABLE_WAT};

const TIMEOUT: Budget = Budget {
    timeout: Some(Duration::from_secs(1)),
    fuel: None,
};

fn call<I: Instance>(instance: &mut I, name: &str, budget: &Budget) {
    let step = instance.start(name, &[], &mut BenchRequest, budget);
    assert!(matches!(step, Ok(Step::Done(_))), "{name}: {step:?}");
}

fn bench_engine<E: Engine>(c: &mut Criterion, name: &str, make: impl Fn(EngineOptions) -> E) {
    let bytes = wat::parse_str(GUEST_WAT).expect("the guest is valid WAT");
    let limits = InstanceLimits::default();
    let mut group = c.benchmark_group(name);

    let plain = make(EngineOptions::default());
    plain.init_worker(true).expect("worker state");
    let module = plain.compile(&bytes).expect("compiles");
    group.bench_function("instantiate (worker)", |b| {
        b.iter(|| module.instantiate(Isolation::Worker, &limits, &Budget::UNLIMITED))
    });
    group.bench_function("instantiate (request)", |b| {
        b.iter(|| module.instantiate(Isolation::Request, &limits, &Budget::UNLIMITED))
    });
    let mut instance = module
        .instantiate(Isolation::Worker, &limits, &Budget::UNLIMITED)
        .expect("instantiates");
    group.bench_function("call noop", |b| {
        b.iter(|| call(&mut instance, "noop", &Budget::UNLIMITED))
    });
    group.bench_function("call host_loop (1000 host calls)", |b| {
        b.iter(|| call(&mut instance, "host_loop", &Budget::UNLIMITED))
    });

    let resumable = wat::parse_str(RESUMABLE_WAT).expect("the guest is valid WAT");
    let module = plain.compile(&resumable).expect("compiles");
    let mut instance = module
        .instantiate(Isolation::Worker, &limits, &Budget::UNLIMITED)
        .expect("instantiates");
    group.bench_function("call noop (module that may suspend)", |b| {
        b.iter(|| call(&mut instance, "noop", &Budget::UNLIMITED))
    });
    group.bench_function("call suspending once, resumed", |b| {
        b.iter(|| {
            let step = instance.start(
                "suspend_n",
                &[Val::I32(1)],
                &mut BenchRequest,
                &Budget::UNLIMITED,
            );
            assert!(matches!(step, Ok(Step::Suspended(_))), "{step:?}");
            let step = instance.resume(Reply::Ready, &mut BenchRequest);
            assert!(matches!(step, Ok(Step::Done(_))), "{step:?}");
        })
    });

    let budgeted = make(EngineOptions {
        timeouts: true,
        fuel: false,
    });
    budgeted.init_worker(false).expect("worker state");
    let module = budgeted.compile(&bytes).expect("compiles");
    let mut instance = module
        .instantiate(Isolation::Worker, &limits, &TIMEOUT)
        .expect("instantiates");
    group.bench_function("call noop (timeout 1s)", |b| {
        b.iter(|| call(&mut instance, "noop", &TIMEOUT))
    });
    group.bench_function("call host_loop (timeout 1s)", |b| {
        b.iter(|| call(&mut instance, "host_loop", &TIMEOUT))
    });
    group.finish();
}

fn engines(c: &mut Criterion) {
    macro_rules! bench {
        ($name:literal, $new:path) => {
            bench_engine(c, $name, |o| $new(o, ABIS).expect("engine"));
        };
    }
    for_each_engine!(bench);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = engines
}
criterion_main!(benches);
