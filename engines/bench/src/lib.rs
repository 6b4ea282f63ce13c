//! What the engine micro-benchmarks (`benches/engines.rs`, `make bench-micro`) and the
//! cross-engine step tests (`tests/steps.rs`) share: the guests they run, a minimal request
//! for their host calls, and the list of engines compiled in. No nginx: the engines are
//! driven through the `engine-api` traits exactly as the module drives them.

use engine_api::{HostRequest, LogLevel, Phase};

/// A guest that never suspends, in WebAssembly text: `noop` does nothing; `host_loop` calls
/// the host function `now` (which writes 8 bytes to guest memory) [`HOST_CALLS`] times.
pub const GUEST_WAT: &str = r#"
(module
  (import "ngx" "now" (func $now (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "noop"))
  (func (export "host_loop")
    (local $i i32)
    (loop $again
      (drop (call $now (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 1000))))))
"#;

/// A guest whose calls may suspend (it imports `ngx_test.suspend`): `suspend_n(n)` suspends
/// `n` times and returns the sum of the tokens 0..n it got back; `mix` passes each number
/// type to and from the host; the others suspend once and then spin, trap or return.
pub const RESUMABLE_WAT: &str = r#"
(module
  (import "ngx_test" "suspend" (func $suspend (param i32 i64) (result i64)))
  (import "ngx_test" "add_mixed" (func $mix (param i32 i64 f32 f64) (result f64)))
  (memory (export "memory") 1)
  (func (export "noop"))
  (func (export "mix") (param i32 i64 f32 f64) (result f64)
    (call $mix (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "suspend_n") (param $n i32) (result i64)
    (local $i i32) (local $sum i64)
    (block $done
      (loop $again
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i64.add (local.get $sum)
          (call $suspend (i32.const 0) (i64.extend_i32_u (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (local.get $sum))
  (func (export "suspend_then_spin")
    (drop (call $suspend (i32.const 0) (i64.const 0)))
    (loop $spin (br $spin)))
  (func (export "suspend_then_trap")
    (drop (call $suspend (i32.const 0) (i64.const 0)))
    unreachable))
"#;

/// How many host calls one `host_loop` makes.
pub const HOST_CALLS: u32 = 1000;

/// A request with nothing but a phase and a clock.
pub struct BenchRequest;

impl HostRequest for BenchRequest {
    fn phase(&self) -> Phase {
        Phase::Content
    }

    fn log(&mut self, _level: LogLevel, _msg: &[u8]) {}

    fn wall_clock_ms(&self) -> u64 {
        1_700_000_000_000
    }
}

/// Calls `$body!(name, constructor)` for every engine compiled into this crate, where the
/// constructor is a function `(EngineOptions, abis) -> anyhow::Result<Engine>`.
#[macro_export]
macro_rules! for_each_engine {
    ($body:ident) => {
        #[cfg(feature = "wasmtime")]
        $body!("wasmtime", engine_wasmtime::Engine::new);
        #[cfg(feature = "wasmer")]
        $body!("wasmer", engine_wasmer::Engine::new);
        #[cfg(feature = "wasmer-singlepass")]
        $body!("wasmer-singlepass", engine_wasmer::Engine::singlepass);
        #[cfg(feature = "wasmi")]
        $body!("wasmi", engine_wasmi::Engine::new);
    };
}
