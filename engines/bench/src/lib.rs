//! What the micro-benchmarks (`benches/engines.rs`, `make bench-micro`) share: the guest they
//! run and a minimal request for its host calls. No nginx: the engines are driven through the
//! `engine-api` traits exactly as the module drives them.

use engine_api::{HostRequest, LogLevel, Phase};

/// The guest, in WebAssembly text: `noop` does nothing; `host_loop` calls the host function
/// `now` (which writes 8 bytes to guest memory) [`HOST_CALLS`] times.
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

/// How many host calls one `host_loop` makes.
pub const HOST_CALLS: u32 = 1000;

/// A request with nothing but a phase and a clock.
pub struct BenchRequest;

impl HostRequest for BenchRequest {
    fn phase(&self) -> Phase {
        Phase::Content
    }

    fn log(&mut self, _level: LogLevel, _msg: &[u8]) {}

    fn now_ms(&self) -> u64 {
        1_700_000_000_000
    }
}
