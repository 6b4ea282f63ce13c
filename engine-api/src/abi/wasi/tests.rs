//! The WASI functions against the mock request, and a seeded fuzz test of the whole table.

use super::*;
use crate::abi::ngx::tests::MockRequest;
use crate::abi::{finish, invoke, Called, HostFunction};
use crate::phase::Phase;
use crate::request::RequestSlot;
use crate::value::Val;
use crate::wait::{Reply, Wait};
use abi_consts::LogLevel;

fn func(name: &str) -> &'static HostFunction {
    WASI.lookup(name)
        .unwrap_or_else(|| panic!("no wasi function {name}"))
}

/// Calls `name` with `args` over `mem` in `req`'s phase.
fn call(req: &mut MockRequest, mem: &mut [u8], name: &str, args: &[Val]) -> Called {
    let mut slot = RequestSlot::default();
    // SAFETY: unbound below, before `req`'s borrow ends.
    unsafe { slot.bind(req) };
    let called = invoke(func(name), Some(mem), &mut slot, args);
    slot.unbind();
    called.unwrap_or_else(|t| panic!("{name} trapped: {t}"))
}

/// The errno `name` returned.
fn errno_of(req: &mut MockRequest, mem: &mut [u8], name: &str, args: &[i32]) -> u16 {
    let args: Vec<Val> = args.iter().map(|a| Val::I32(*a)).collect();
    match call(req, mem, name, &args) {
        Called::Returned(Some(Val::I32(e))) => u16::try_from(e).expect("an errno"),
        other => panic!("{name} returned {other:?}"),
    }
}

fn content() -> MockRequest {
    MockRequest {
        phase: Phase::Content,
        ..MockRequest::default()
    }
}

fn u32_in(mem: &[u8], at: usize) -> u32 {
    u32_at(mem, at)
}

/// An I/O vector array at 0 pointing at the pieces, which are placed from 64 on.
fn iovecs(mem: &mut [u8], pieces: &[&[u8]]) -> i32 {
    let mut at = 64;
    for (i, p) in pieces.iter().enumerate() {
        mem[i * 8..i * 8 + 4].copy_from_slice(&(at as u32).to_le_bytes());
        mem[i * 8 + 4..i * 8 + 8].copy_from_slice(&(p.len() as u32).to_le_bytes());
        mem[at..at + p.len()].copy_from_slice(p);
        at += p.len();
    }
    pieces.len() as i32
}

#[test]
fn every_function_of_preview_1_is_registered() {
    assert_eq!(WASI.functions.len(), 46);
    for f in WASI.functions {
        assert_eq!(f.phases, crate::phase::PhaseSet::ALL, "{}", f.qualified);
    }
    assert_eq!(func("proc_exit").results, []);
    assert_eq!(
        func("clock_time_get").signature(),
        "(id: i32, precision: i64, time_out: i32) -> i32"
    );
}

#[test]
fn stdout_and_stderr_are_log_lines() {
    let mut req = content();
    let mut mem = vec![0u8; 256];
    let n = iovecs(&mut mem, &[b"hello ", b"world\nsecond\r\n", b"", b"third"]);
    assert_eq!(errno_of(&mut req, &mut mem, "fd_write", &[1, 0, n, 200]), 0);
    assert_eq!(u32_in(&mem, 200), 25, "every byte is reported written");
    let n = iovecs(&mut mem, &[b"oops\n\n"]);
    assert_eq!(errno_of(&mut req, &mut mem, "fd_write", &[2, 0, n, 200]), 0);
    assert_eq!(
        req.logs,
        vec![
            (LogLevel::Info, b"hello world".to_vec()),
            (LogLevel::Info, b"second".to_vec()),
            (LogLevel::Info, b"third".to_vec()),
            (LogLevel::Err, b"oops".to_vec()),
        ]
    );
    for fd in [0, 3, -1] {
        assert_eq!(
            errno_of(&mut req, &mut mem, "fd_write", &[fd, 0, n, 200]),
            Errno::BADF.0
        );
    }
}

#[test]
fn a_line_may_span_writes_where_the_host_keeps_lines() {
    let mut req = MockRequest {
        stdio: Some(StdioLines::default()),
        ..content()
    };
    let mut mem = vec![0u8; 256];
    // Go's runtime writes a panic piece by piece.
    for piece in [&b"panic: "[..], b"boom", b"\n\ngoroutine ", b"1"] {
        let n = iovecs(&mut mem, &[piece]);
        assert_eq!(errno_of(&mut req, &mut mem, "fd_write", &[2, 0, n, 200]), 0);
    }
    let n = iovecs(&mut mem, &[b"out"]);
    assert_eq!(errno_of(&mut req, &mut mem, "fd_write", &[1, 0, n, 200]), 0);
    assert_eq!(req.logs, vec![(LogLevel::Err, b"panic: boom".to_vec())]);
    // The export returned: what is left is logged, each stream on its own line.
    end_of_call(&mut req);
    end_of_call(&mut req);
    assert_eq!(
        req.logs,
        vec![
            (LogLevel::Err, b"panic: boom".to_vec()),
            (LogLevel::Info, b"out".to_vec()),
            (LogLevel::Err, b"goroutine 1".to_vec()),
        ]
    );
}

#[test]
fn a_write_is_cut_at_one_mebibyte() {
    let mut req = content();
    let mut mem = vec![b'x'; 3 << 20];
    // Three vectors of 1 MiB each, the same bytes.
    for i in 0..3 {
        mem[i * 8..i * 8 + 4].copy_from_slice(&64u32.to_le_bytes());
        mem[i * 8 + 4..i * 8 + 8].copy_from_slice(&(1u32 << 20).to_le_bytes());
    }
    assert_eq!(errno_of(&mut req, &mut mem, "fd_write", &[1, 0, 3, 32]), 0);
    assert_eq!(u32_in(&mem, 32) as usize, fd::MAX_WRITE);
    assert_eq!(req.logs.len(), 1);
    assert_eq!(req.logs[0].1.len(), 4096, "a long line is kept to 4 KiB");
}

#[test]
fn bad_pointers_are_efault_not_traps() {
    let mut req = content();
    let mut mem = vec![0u8; 64];
    let fault = Errno::FAULT.0;
    assert_eq!(
        errno_of(&mut req, &mut mem, "fd_write", &[1, 60, 1, 0]),
        fault
    );
    mem[0..8].copy_from_slice(&[0, 0, 0, 0, 0xff, 0, 0, 0]);
    assert_eq!(
        errno_of(&mut req, &mut mem, "fd_write", &[1, 0, 1, 16]),
        fault
    );
    assert_eq!(
        errno_of(&mut req, &mut mem, "fd_write", &[1, 0, -1, 16]),
        fault
    );
    assert_eq!(errno_of(&mut req, &mut mem, "random_get", &[32, 33]), fault);
    assert_eq!(
        errno_of(&mut req, &mut mem, "args_sizes_get", &[0, 61]),
        fault
    );
    let v = [Val::I32(1), Val::I64(0), Val::I32(60)];
    assert!(matches!(
        call(&mut req, &mut mem, "clock_time_get", &v),
        Called::Returned(Some(Val::I32(21)))
    ));
}

#[test]
fn stdin_is_empty_and_there_is_nothing_else() {
    let mut req = content();
    let mut mem = vec![0xaau8; 128];
    assert_eq!(errno_of(&mut req, &mut mem, "fd_read", &[0, 0, 1, 100]), 0);
    assert_eq!(u32_in(&mem, 100), 0);
    assert_eq!(errno_of(&mut req, &mut mem, "fd_read", &[1, 0, 1, 100]), 8);
    assert_eq!(errno_of(&mut req, &mut mem, "fd_prestat_get", &[3, 0]), 8);
    assert_eq!(
        errno_of(
            &mut req,
            &mut mem,
            "path_open",
            &[3, 0, 0, 0, 0, 0, 0, 0, 0]
        ),
        8
    );
    assert_eq!(
        errno_of(&mut req, &mut mem, "path_unlink_file", &[1, 0, 4]),
        54
    );
    assert_eq!(
        errno_of(&mut req, &mut mem, "sock_send", &[1, 0, 0, 0, 0]),
        57
    );
    assert_eq!(errno_of(&mut req, &mut mem, "fd_close", &[1]), 58);
    assert_eq!(errno_of(&mut req, &mut mem, "fd_tell", &[2, 0]), 68);
    assert_eq!(errno_of(&mut req, &mut mem, "fd_fdstat_get", &[1, 0]), 0);
    assert_eq!(mem[0], 2, "a character device");
    assert_eq!(u64_at(&mem, 8) & (1 << 6), 1 << 6, "stdout may be written");
    assert_eq!(
        errno_of(&mut req, &mut mem, "fd_fdstat_set_flags", &[1, 4]),
        0
    );
    assert_eq!(
        errno_of(&mut req, &mut mem, "fd_fdstat_set_flags", &[1, 16]),
        58
    );
    assert_eq!(errno_of(&mut req, &mut mem, "args_sizes_get", &[0, 4]), 0);
    assert_eq!((u32_in(&mem, 0), u32_in(&mem, 4)), (0, 0));
    assert_eq!(errno_of(&mut req, &mut mem, "sched_yield", &[]), 0);
}

#[test]
fn clocks_and_randomness() {
    let mut req = content();
    let mut mem = vec![0u8; 64];
    let get = |req: &mut MockRequest, mem: &mut [u8], id: i32| {
        let v = [Val::I32(id), Val::I64(1), Val::I32(8)];
        match call(req, mem, "clock_time_get", &v) {
            Called::Returned(Some(Val::I32(e))) => (e, u64_at(mem, 8)),
            other => panic!("{other:?}"),
        }
    };
    let (e, real) = get(&mut req, &mut mem, 0);
    assert_eq!(e, 0);
    assert!(
        real > 1_700_000_000 * 1_000_000_000,
        "nanoseconds since 1970"
    );
    let (_, m1) = get(&mut req, &mut mem, 1);
    let (_, m2) = get(&mut req, &mut mem, 1);
    assert!(m1 > 0 && m2 >= m1, "monotonic");
    assert_eq!(get(&mut req, &mut mem, 2).0, 58, "no CPU-time clock");
    assert_eq!(get(&mut req, &mut mem, 9).0, 28);
    assert_eq!(errno_of(&mut req, &mut mem, "random_get", &[0, 64]), 0);
    let first = mem.clone();
    assert_eq!(errno_of(&mut req, &mut mem, "random_get", &[0, 64]), 0);
    assert_ne!(first, mem, "64 random bytes twice differ");
}

/// A clock subscription at `at` (relative unless `abs`), userdata `tag`.
fn clock_sub(mem: &mut [u8], at: usize, tag: u64, id: u32, timeout: u64, abs: bool) {
    mem[at..at + 48].fill(0);
    mem[at..at + 8].copy_from_slice(&tag.to_le_bytes());
    mem[at + 8] = 0;
    mem[at + 16..at + 20].copy_from_slice(&id.to_le_bytes());
    mem[at + 24..at + 32].copy_from_slice(&timeout.to_le_bytes());
    mem[at + 40] = u8::from(abs);
}

#[test]
fn poll_answers_what_is_ready_and_waits_for_clocks() {
    let mut req = content();
    let mut mem = vec![0u8; 1024];
    // A due clock and stdin: both answered at once.
    clock_sub(&mut mem, 0, 7, 1, 0, false);
    mem[48..96].fill(0);
    mem[48] = 9;
    mem[56] = 1; // fd_read of fd 0
    let args = [Val::I32(0), Val::I32(512), Val::I32(2), Val::I32(1000)];
    assert!(matches!(
        call(&mut req, &mut mem, "poll_oneoff", &args),
        Called::Returned(Some(Val::I32(0)))
    ));
    assert_eq!(u32_in(&mem, 1000), 2);
    assert_eq!((mem[512], mem[544]), (7, 9), "userdata copied");
    assert_eq!(mem[544 + 10], 1, "an fd_read event");
    assert_eq!(mem[544 + 24], 1, "stdin hung up");

    // Two future clocks: the call waits for the earliest (25 ms, rounded up), then the
    // shortest has fired.
    clock_sub(&mut mem, 0, 1, 1, 40_000_000, false);
    clock_sub(&mut mem, 48, 2, 1, 24_000_001, false);
    let mut slot = RequestSlot::default();
    // SAFETY: unbound below, before `req`'s borrow ends.
    unsafe { slot.bind(&mut req) };
    let called = invoke(func("poll_oneoff"), Some(&mut mem), &mut slot, &args);
    let Ok(Called::Suspended(pending)) = called else {
        panic!("did not wait: {called:?}");
    };
    assert_eq!(pending.wait(), Wait::Yield { delay_ms: 25 });
    let done = finish(pending, Some(&mut mem), &mut slot, Reply::Ready);
    slot.unbind();
    assert_eq!(done, Ok(Some(Val::I32(0))));
    assert_eq!(u32_in(&mem, 1000), 1);
    assert_eq!(mem[512], 2, "the 24 ms clock fired");

    // Where a call cannot wait, a future clock is ENOTSUP.
    req.phase = Phase::BodyFilter;
    assert!(matches!(
        call(&mut req, &mut mem, "poll_oneoff", &args),
        Called::Returned(Some(Val::I32(58)))
    ));
    // A realtime deadline already past is due at once, anywhere.
    clock_sub(&mut mem, 0, 3, 0, 1, true);
    let one = [Val::I32(0), Val::I32(512), Val::I32(1), Val::I32(1000)];
    assert!(matches!(
        call(&mut req, &mut mem, "poll_oneoff", &one),
        Called::Returned(Some(Val::I32(0)))
    ));
    assert_eq!(mem[512], 3);
    // No subscriptions, an unknown type: EINVAL.
    let none = [Val::I32(0), Val::I32(512), Val::I32(0), Val::I32(1000)];
    assert!(matches!(
        call(&mut req, &mut mem, "poll_oneoff", &none),
        Called::Returned(Some(Val::I32(28)))
    ));
    mem[8] = 9;
    assert!(matches!(
        call(&mut req, &mut mem, "poll_oneoff", &one),
        Called::Returned(Some(Val::I32(28)))
    ));
}

#[test]
fn proc_exit_ends_the_call() {
    let mut req = content();
    let mut slot = RequestSlot::default();
    // SAFETY: unbound below, before `req`'s borrow ends.
    unsafe { slot.bind(&mut req) };
    let e =
        invoke(func("proc_exit"), None, &mut slot, &[Val::I32(3)]).expect_err("proc_exit traps");
    slot.unbind();
    assert_eq!(e.function, "wasi_snapshot_preview1.proc_exit");
    assert!(e.reason.contains("exited with code 3"), "{e}");
}

/// splitmix64, as the `ngx` fuzz test uses.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Random calls of every WASI function with random arguments over random memory, in every
/// phase: none panics, none traps but `proc_exit`, each answers an errno of the
/// specification (0..=76) or waits (`poll_oneoff`).
#[test]
fn wasi_survives_random_calls() {
    let mut rng = 0x7761_7369u64;
    let ints = [
        0i64,
        1,
        2,
        3,
        4,
        8,
        16,
        24,
        48,
        64,
        255,
        4096,
        -1,
        i32::MAX as i64,
    ];
    for case in 0..50_000 {
        let f = &WASI.functions[next(&mut rng) as usize % WASI.functions.len()];
        let size = [0usize, 16, 256, 4096][next(&mut rng) as usize % 4];
        let mut mem: Vec<u8> = (0..size).map(|_| next(&mut rng) as u8).collect();
        let args: Vec<Val> = f
            .params
            .iter()
            .map(|(_, t)| {
                let v = if next(&mut rng) % 3 == 0 {
                    (next(&mut rng) % (size as u64 + 8)) as i64
                } else {
                    ints[next(&mut rng) as usize % ints.len()]
                };
                match t {
                    crate::value::ValType::I64 => Val::I64(v),
                    _ => Val::I32(v as i32),
                }
            })
            .collect();
        let mut req = MockRequest {
            phase: Phase::ALL[next(&mut rng) as usize % Phase::ALL.len()],
            ..MockRequest::default()
        };
        let mut slot = RequestSlot::default();
        // SAFETY: unbound below, before `req`'s borrow ends.
        unsafe { slot.bind(&mut req) };
        let called = invoke(f, Some(&mut mem), &mut slot, &args);
        slot.unbind();
        match called {
            Ok(Called::Returned(Some(Val::I32(e)))) if (0..=76).contains(&e) => {}
            Ok(Called::Suspended(_)) if f.name == "poll_oneoff" => {}
            Err(_) if f.name == "proc_exit" => {}
            other => panic!("case {case}: {}({args:?}) gave {other:?}", f.name),
        }
    }
}
