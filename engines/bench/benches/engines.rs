//! Engine micro-figures: instantiation (worker and per-request), an empty export call with and
//! without a timeout budget, and `HOST_CALLS` host calls from one export (the host-call cost
//! is (host_loop - noop) / HOST_CALLS). Run with `make bench-micro`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use engine_api::{Budget, Engine, EngineOptions, Instance, InstanceLimits, Isolation, Module};
use engine_bench::{BenchRequest, GUEST_WAT};

const TIMEOUT: Budget = Budget {
    timeout: Some(Duration::from_secs(1)),
    fuel: None,
};

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
        b.iter(|| instance.call("noop", &mut BenchRequest, &Budget::UNLIMITED))
    });
    group.bench_function("call host_loop (1000 host calls)", |b| {
        b.iter(|| instance.call("host_loop", &mut BenchRequest, &Budget::UNLIMITED))
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
        b.iter(|| instance.call("noop", &mut BenchRequest, &TIMEOUT))
    });
    group.bench_function("call host_loop (timeout 1s)", |b| {
        b.iter(|| instance.call("host_loop", &mut BenchRequest, &TIMEOUT))
    });
    group.finish();
}

fn engines(c: &mut Criterion) {
    #[cfg(feature = "wasmtime")]
    bench_engine(c, "wasmtime", |o| {
        engine_wasmtime::Engine::new(o).expect("engine")
    });
    #[cfg(feature = "wasmer")]
    bench_engine(c, "wasmer", |o| {
        engine_wasmer::Engine::new(o).expect("engine")
    });
    #[cfg(feature = "wasmer-singlepass")]
    bench_engine(c, "wasmer-singlepass", |o| {
        engine_wasmer::Engine::singlepass(o).expect("engine")
    });
    #[cfg(feature = "wasmi")]
    bench_engine(c, "wasmi", |o| {
        engine_wasmi::Engine::new(o).expect("engine")
    });
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
