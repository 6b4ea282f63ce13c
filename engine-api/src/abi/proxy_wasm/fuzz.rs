//! A seeded fuzz test of the Proxy-Wasm table against the mock request, like the `ngx` one
//! (`abi/ngx/fuzz.rs`, whose generators it shares): random functions in random phases with
//! random, often nearly valid, pointers, lengths, map types and serialized maps, in chains
//! sharing one request. Every case must:
//!
//! - not panic;
//! - answer a Proxy-Wasm status (`proxy_status_t`), or bytes to hand over;
//! - trap when an input pointer/length pair lies outside memory, and only when some pair
//!   does (an output may be left unwritten when the function answers `NotFound`); a function
//!   this host does not implement always traps, with its name;
//! - write memory only inside its output words, and for bytes handed over, inside the room
//!   the (simulated) allocator returned, with address and length where the guest asked.
//!
//! `NGX_WASM_FUZZ_CASES` and `NGX_WASM_FUZZ_SEED` work as for the `ngx` fuzz test.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::{missing, serialize_pairs, status, PROXY_WASM};
use crate::abi::ngx::fuzz::{env_u64, length, memory_with, mock, pointer, Rng, INTS};
use crate::abi::ngx::tests::{i32_args, MockRequest};
use crate::abi::{deliver, invoke, Called, Gift, HostFn, HostFunction};
use crate::error::HostTrap;
use crate::phase::Phase;
use crate::request::RequestSlot;
use crate::value::Val;

/// The statuses the table answers.
const STATUSES: [i32; 8] = [
    status::OK,
    status::NOT_FOUND,
    status::BAD_ARGUMENT,
    status::SERIALIZATION_FAILURE,
    status::EMPTY,
    status::CAS_MISMATCH,
    status::INTERNAL_FAILURE,
    status::UNIMPLEMENTED,
];

/// Strings filters pass: header names and values, pseudo-headers, property paths, and some
/// that must be refused; serialized maps are added at run time.
const WORDS: &[&[u8]] = &[
    b"x-echo",
    b"content-length",
    b":path",
    b":method",
    b":authority",
    b":status",
    b"/a?b=1",
    b"/../etc",
    b"GET",
    b"get",
    b"request\0path",
    b"request.url_path",
    b"ngx.foo",
    b"ngx.http_x_echo",
    b"plugin_name",
    b"source\0address",
    b"bad name",
    b"bad\r\nvalue",
    b"\0",
    b"",
];

/// A pointer/length pair of a call (`x_ptr` with `x_len`, read by the function) or an
/// output word (`x_out`, written).
#[derive(Debug, Clone, Copy)]
struct Span {
    ptr: usize,
    len: Option<usize>,
    out: bool,
}

fn spans(f: &HostFunction) -> Vec<Span> {
    let mut out = Vec::new();
    for (i, (p, _)) in f.params.iter().enumerate() {
        if let Some(stem) = p.strip_suffix("_ptr") {
            let len = f
                .params
                .iter()
                .position(|(q, _)| *q == format!("{stem}_len"));
            out.push(Span {
                ptr: i,
                len,
                out: false,
            });
        } else if p.ends_with("_out") {
            out.push(Span {
                ptr: i,
                len: None,
                out: true,
            });
        }
    }
    out
}

/// The bytes an output word takes: a time or a metric is a `u64`, the rest `u32`.
fn out_size(f: &HostFunction, span: &Span) -> u64 {
    match f.params[span.ptr].0 {
        "time_out" | "value_out" => 8,
        _ => 4,
    }
}

fn range(f: &HostFunction, span: &Span, args: &[i32]) -> (u64, u64) {
    let p = args[span.ptr] as u32 as u64;
    let l = span
        .len
        .map_or(out_size(f, span), |i| args[i] as u32 as u64);
    (p, p + l)
}

/// True when `[p, end)` is outside a memory of `size` bytes (any byte when there is none).
fn outside(p: u64, end: u64, memory: Option<u64>) -> bool {
    match memory {
        Some(size) => end > size,
        None => end > p,
    }
}

fn is_missing(f: &HostFunction) -> bool {
    matches!(f.func, HostFn::Status(g) if std::ptr::fn_addr_eq(g, missing::trap as fn(_, _) -> _))
}

struct Case {
    func: &'static HostFunction,
    phase: Phase,
    args: Vec<i32>,
}

fn case(rng: &mut Rng, size: usize, planted: &[(usize, usize)]) -> Case {
    let func = rng.pick(PROXY_WASM.functions);
    let phase = *rng.pick(&Phase::ALL);
    let mut args: Vec<i32> = func
        .params
        .iter()
        .map(|(name, _)| match *name {
            // Map, buffer and stream types: mostly ones that exist.
            "map_type" | "buffer_type" | "stream_type" if rng.chance(80) => {
                *rng.pick(&[0, 1, 2, 3, 6, 7])
            }
            _ => *rng.pick(INTS),
        })
        .collect();
    for s in spans(func) {
        let (p, hint) = pointer(rng, size, planted);
        args[s.ptr] = p;
        if let Some(l) = s.len {
            args[l] = length(rng, size, hint);
        }
    }
    Case { func, phase, args }
}

/// Where the simulated allocator puts `len` bytes: mostly room in memory, sometimes 0 (no
/// memory), past the end, or no allocator at all.
fn allocate(rng: &mut Rng, size: usize, len: usize) -> Option<i32> {
    match rng.below(10) {
        0..=6 if len < size => Some(rng.below(size - len + 1) as i32),
        7 => None,
        8 => Some(0),
        _ => Some(size.saturating_sub(len / 2) as i32),
    }
}

#[derive(PartialEq)]
enum Outcome {
    Ran,
    Gave,
    Trapped,
}

/// Runs one call (and, for bytes handed over, the delivery) and checks the invariants.
fn check(
    rng: &mut Rng,
    case: &Case,
    mem: &mut Option<Vec<u8>>,
    req: &mut MockRequest,
) -> Result<Outcome, String> {
    req.phase = case.phase;
    let before = mem.clone();
    let mut slot = RequestSlot::default();
    // SAFETY: unbound below, before `req`'s borrow ends.
    unsafe { slot.bind(req) };
    let result = catch_unwind(AssertUnwindSafe(|| {
        invoke(
            case.func,
            mem.as_deref_mut(),
            &mut slot,
            &i32_args(&case.args),
        )
    }));
    slot.unbind();
    let result: Result<Called, HostTrap> = result.map_err(|_| "panicked".to_string())?;
    let size = mem.as_ref().map(|m| m.len() as u64);
    let f = case.func;
    let spans = spans(f);
    let bad_input = spans.iter().filter(|s| !s.out).any(|s| {
        let (p, end) = range(f, s, &case.args);
        outside(p, end, size)
    });
    let bad_any = spans.iter().any(|s| {
        let (p, end) = range(f, s, &case.args);
        outside(p, end, size)
    });
    let mut allowed: Vec<(u64, u64)> = spans
        .iter()
        .filter(|s| s.out)
        .map(|s| range(f, s, &case.args))
        .collect();
    let outcome = match result {
        Err(trap) if is_missing(f) => {
            if !trap.to_string().contains(f.name) {
                return Err(format!(
                    "an unimplemented function trapped without its name: {trap}"
                ));
            }
            return Ok(Outcome::Trapped);
        }
        _ if is_missing(f) => return Err("an unimplemented function did not trap".into()),
        Err(trap) if !bad_any => {
            return Err(format!("trapped with every pointer in bounds: {trap}"))
        }
        Err(_) => Outcome::Trapped,
        Ok(_) if bad_input => return Err("an out-of-bounds input did not trap".into()),
        Ok(Called::Returned(Some(Val::I32(rc)))) if STATUSES.contains(&rc) => Outcome::Ran,
        Ok(Called::Give(gift)) => {
            let gift: Gift = *gift;
            let ptr = allocate(rng, size.unwrap_or(0) as usize, gift.bytes.len());
            let (ptr_out, len_out, len) = (gift.ptr_out, gift.len_out, gift.bytes.len());
            let at = ptr.map_or(0, |p| p as u32 as u64);
            let delivered =
                catch_unwind(AssertUnwindSafe(|| deliver(gift, mem.as_deref_mut(), ptr)))
                    .map_err(|_| "deliver panicked".to_string())?;
            let words = [ptr_out, len_out].map(|p| (p as u32 as u64, p as u32 as u64 + 4));
            let bad_delivery = ptr.is_some_and(|p| p != 0 || len == 0)
                && (outside(at, at + len as u64, size)
                    || words.iter().any(|(p, e)| outside(*p, *e, size)));
            match delivered {
                Ok(Val::I32(Gift::OK | Gift::NO_MEMORY)) if !bad_delivery => {}
                Err(_) if bad_delivery => {}
                other => return Err(format!("delivery answered {other:?} (bad: {bad_delivery})")),
            }
            allowed.push((at, at + len as u64));
            allowed.extend(words);
            Outcome::Gave
        }
        Ok(other) => return Err(format!("answered {other:?}, not a Proxy-Wasm status")),
    };
    if let (Some(before), Some(after)) = (before.as_ref(), mem.as_ref()) {
        for (i, (b, a)) in before.iter().zip(after).enumerate() {
            let i = i as u64;
            if a != b && !allowed.iter().any(|(p, end)| (*p..*end).contains(&i)) {
                return Err(format!("wrote byte {i} outside its output ranges"));
            }
        }
    }
    Ok(outcome)
}

#[test]
fn proxy_wasm_abi_survives_random_calls() {
    let cases = env_u64("NGX_WASM_FUZZ_CASES", 200_000);
    let seed = env_u64("NGX_WASM_FUZZ_SEED", 0x7072_6f78_7977_6173);
    let mut rng = Rng(seed);
    let maps: Vec<Vec<u8>> = vec![
        serialize_pairs(&[(b"x-echo", b"1")]),
        serialize_pairs(&[(b":status", b"201"), (b"x-a", b"b")]),
        serialize_pairs(&[(b"bad name", b"v")]),
        serialize_pairs(&[(b"x", b"bad\r\nvalue")]),
        serialize_pairs(&[]),
    ];
    let words: Vec<&[u8]> = WORDS
        .iter()
        .copied()
        .chain(maps.iter().map(Vec::as_slice))
        .collect();
    let (mut done, mut ran, mut gave, mut traps) = (0u64, 0u64, 0u64, 0u64);
    while done < cases {
        let (mut mem, planted) = memory_with(&mut rng, &words);
        let size = mem.as_ref().map_or(0, Vec::len);
        let mut req = mock(&mut rng);
        for _ in 0..1 + rng.below(8) {
            let c = case(&mut rng, size, &planted);
            match check(&mut rng, &c, &mut mem, &mut req) {
                Ok(Outcome::Ran) => ran += 1,
                Ok(Outcome::Gave) => gave += 1,
                Ok(Outcome::Trapped) => traps += 1,
                Err(why) => panic!(
                    "seed {seed:#x}, case {done}: {}({:?}) in phase {:?} with memory of {size} \
                     bytes: {why}",
                    c.func.name, c.args, c.phase
                ),
            }
            done += 1;
        }
    }
    assert!(
        ran > 0 && gave > 0 && traps > 0,
        "{ran} ran, {gave} gave, {traps} trapped"
    );
    println!(
        "Proxy-Wasm ABI fuzz: {done} calls from seed {seed:#x} ({ran} answered a status, \
         {gave} handed bytes over, {traps} trapped), no violation"
    );
}
