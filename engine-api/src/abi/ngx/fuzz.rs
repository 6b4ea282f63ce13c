//! A seeded fuzz test of the whole host ABI against the mock request: random host functions,
//! called in random phases with random (but often nearly valid) pointers, lengths and
//! integers, over random memory, in chains sharing one request. Every case must:
//!
//! - not panic;
//! - return a status the ABI documents (a length `>= 0`, or -1..=-4), or trap only when some
//!   pointer/length pair it was given lies outside memory (and trap whenever a function that
//!   runs in this phase gets such a pair: bounds are checked before anything is done);
//! - outside the function's phases, return -3 and leave memory untouched;
//! - write guest memory only inside the output ranges it was given.
//!
//! `make unit` runs a bounded number of cases; `make fuzz FUZZ_CASES=1000000` runs more.
//! `NGX_WASM_FUZZ_SEED` replays a run (the seed is printed, and a failing case prints its
//! number and arguments).

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::tests::{i32_args, i32_result, MockRequest, SUSPENDED};
use super::{status, NGX};
use crate::abi::{invoke, HostFunction};
use crate::phase::Phase;
use crate::request::RequestSlot;

/// splitmix64: small, fast, and enough to spread cases; determinism is what matters.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub(crate) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Strings guests plausibly pass: header names and values, variable names, URIs, methods,
/// context keys, and some that must be refused.
const WORDS: &[&[u8]] = &[
    b"X-Echo",
    b"host",
    b"Content-Type",
    b"content-length",
    b"Location",
    b"Set-Cookie",
    b"abc",
    b"text/plain",
    b"http_x_echo",
    b"uri",
    b"args",
    b"request_method",
    b"arg_a",
    b"foo",
    b"/path?a=1&b=2",
    b"/",
    b"@named",
    b"GET",
    b"POST",
    b"PATCH",
    b"a=1",
    b"key",
    b"",
    b"bad name",
    b"bad\r\nvalue",
    b"\0\0",
    b"\xff\xfe",
    b"very-long-header-name-that-is-longer-than-sixty-four-bytes-to-leave-the-stack-buffer",
];

/// Integers for the arguments that are not pointers or lengths (levels, statuses, flags,
/// offsets), and for lengths now and then.
pub(crate) const INTS: &[i32] = &[
    -1,
    0,
    1,
    2,
    3,
    4,
    5,
    7,
    8,
    9,
    100,
    199,
    200,
    204,
    301,
    302,
    307,
    399,
    404,
    500,
    599,
    600,
    65_535,
    i32::MAX,
    i32::MIN,
];

/// A pointer/length pair of a call: where the pointer and its length are in `args`, and
/// whether the function may write there.
#[derive(Debug, Clone, Copy)]
struct Span {
    ptr: usize,
    len: Option<usize>,
    /// The size of a pointer without a length (8, or a structure's size).
    fixed: u64,
    out: bool,
}

/// The pointer/length pairs of `f`, from its parameter names (`x_ptr` with `x_len` or
/// `x_cap`; a pointer without a length is an 8-byte word, e.g. `now`'s `out_ptr`, or one of
/// the shared dictionary's structures: `opts_ptr`, `args_ptr`, `meta_ptr`).
fn spans(f: &HostFunction) -> Vec<Span> {
    let mut out = Vec::new();
    for (i, (p, _)) in f.params.iter().enumerate() {
        let Some(stem) = p.strip_suffix("_ptr") else {
            continue;
        };
        let len = f
            .params
            .iter()
            .position(|(q, _)| *q == format!("{stem}_len") || *q == format!("{stem}_cap"));
        let fixed = match stem {
            "opts" => abi_consts::shdict::SET_OPTS_SIZE as u64,
            "args" => abi_consts::shdict::INCR_ARGS_SIZE as u64,
            "meta" => abi_consts::shdict::META_SIZE as u64,
            _ => 8,
        };
        out.push(Span {
            ptr: i,
            len,
            fixed,
            out: stem == "out",
        });
    }
    out
}

/// Byte range of a span for the given arguments (u32 arithmetic, like the ABI's).
fn range(span: &Span, args: &[i32]) -> (u64, u64) {
    let p = args[span.ptr] as u32 as u64;
    let l = span.len.map_or(span.fixed, |i| args[i] as u32 as u64);
    (p, p + l)
}

struct Case {
    func: &'static HostFunction,
    phase: Phase,
    args: Vec<i32>,
}

/// A memory image: random bytes with words planted at known places.
fn memory(rng: &mut Rng) -> (Option<Vec<u8>>, Vec<(usize, usize)>) {
    memory_with(rng, WORDS)
}

/// A memory image with words of `words` planted at known places (their offsets and
/// lengths).
pub(crate) fn memory_with(
    rng: &mut Rng,
    words: &[&[u8]],
) -> (Option<Vec<u8>>, Vec<(usize, usize)>) {
    let size = *rng.pick(&[0usize, 0, 16, 64, 256, 4096, 65_536]);
    if size == 0 && rng.chance(50) {
        return (None, Vec::new());
    }
    let mut mem: Vec<u8> = (0..size).map(|_| rng.next() as u8).collect();
    let mut planted = Vec::new();
    for _ in 0..rng.below(12) {
        let w = rng.pick(words);
        if w.len() < size {
            let at = rng.below(size - w.len() + 1);
            mem[at..at + w.len()].copy_from_slice(w);
            planted.push((at, w.len()));
        }
    }
    (Some(mem), planted)
}

pub(crate) fn pointer(
    rng: &mut Rng,
    size: usize,
    planted: &[(usize, usize)],
) -> (i32, Option<i32>) {
    match rng.below(10) {
        0..=4 if !planted.is_empty() => {
            let (at, len) = *rng.pick(planted);
            (at as i32, Some(len as i32))
        }
        0..=6 if size > 0 => {
            let at = rng.below(size);
            (at as i32, Some(rng.below(size - at + 1) as i32))
        }
        7 => (size as i32, Some(*rng.pick(&[0, 1, 8]))),
        8 => (size.saturating_sub(rng.below(9)) as i32, None),
        9 => (*rng.pick(&[-1, -8, i32::MAX, i32::MIN, 0x7fff_fff0]), None),
        _ => (0, None),
    }
}

pub(crate) fn length(rng: &mut Rng, size: usize, hint: Option<i32>) -> i32 {
    match (rng.below(10), hint) {
        (0..=6, Some(h)) => h,
        (0..=7, _) => *rng.pick(&[0, 1, 7, 8, 255, 256]),
        (8, _) => (size as i32).wrapping_add(*rng.pick(&[-1, 0, 1])),
        _ => *rng.pick(&[-1, i32::MAX, i32::MIN, 1 << 20]),
    }
}

fn case(rng: &mut Rng, size: usize, planted: &[(usize, usize)]) -> Case {
    let func = rng.pick(NGX.functions);
    // Mostly the phases the function runs in, so that the deep paths are reached.
    let phase = if rng.chance(80) {
        let allowed: Vec<Phase> = Phase::ALL
            .into_iter()
            .filter(|p| func.phases.contains(*p))
            .collect();
        *rng.pick(&allowed)
    } else {
        *rng.pick(&Phase::ALL)
    };
    let mut args: Vec<i32> = (0..func.params.len()).map(|_| *rng.pick(INTS)).collect();
    for s in spans(func) {
        let (p, hint) = pointer(rng, size, planted);
        args[s.ptr] = p;
        if let Some(l) = s.len {
            args[l] = length(rng, size, hint);
        }
    }
    Case { func, phase, args }
}

pub(crate) fn mock(rng: &mut Rng) -> MockRequest {
    let mut req = MockRequest::default();
    for _ in 0..rng.below(4) {
        req.req_headers
            .push((rng.pick(WORDS).to_vec(), rng.pick(WORDS).to_vec()));
    }
    for _ in 0..rng.below(3) {
        req.headers
            .push((rng.pick(WORDS).to_vec(), rng.pick(WORDS).to_vec()));
    }
    req.vars
        .push((b"http_x_echo".to_vec(), Some(b"abc".to_vec()), false));
    req.vars.push((b"foo".to_vec(), None, true));
    if rng.chance(50) {
        req.req_body = Some(rng.pick(WORDS).repeat(rng.below(50)));
    }
    req.chunk = rng.pick(WORDS).to_vec();
    req.last = rng.chance(50);
    req.sent = rng.chance(20);
    req
}

/// What a call did, when it kept the invariants.
#[derive(PartialEq)]
enum Outcome {
    Ran,
    Trapped,
    Refused,
}

/// True when some pointer/length pair of `case` lies outside a memory of `size` bytes (or
/// asks for bytes when there is no memory).
fn out_of_bounds(case: &Case, has_memory: bool, size: u64) -> bool {
    spans(case.func).iter().any(|s| {
        let (p, end) = range(s, &case.args);
        if has_memory {
            end > size
        } else {
            end > p
        }
    })
}

/// Runs one call and checks the invariants; `Err` describes a violation.
fn check(case: &Case, mem: &mut Option<Vec<u8>>, req: &mut MockRequest) -> Result<Outcome, String> {
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
        .map(i32_result)
    }));
    slot.unbind();
    let result = result.map_err(|_| "panicked".to_string())?;
    // A function that may wait answered by waiting: a success, with nothing to check yet.
    let result = result.map(|rc| if rc == SUSPENDED { status::OK } else { rc });
    let size = mem.as_ref().map_or(0, Vec::len) as u64;
    let bad_span = out_of_bounds(case, mem.is_some(), size);
    let spans = spans(case.func);
    let allowed = case.func.phases.contains(case.phase);
    if !allowed {
        if result.as_ref().ok() != Some(&status::NOT_ALLOWED) {
            return Err(format!("outside its phases it returned {result:?}, not -3"));
        }
        if *mem != before {
            return Err("outside its phases it changed memory".into());
        }
        return Ok(Outcome::Refused);
    }
    match &result {
        Ok(rc) if *rc < status::NO_MEMORY => return Err(format!("undocumented status {rc}")),
        Ok(_) if bad_span => return Err("an out-of-bounds pointer did not trap".into()),
        Err(trap) if !bad_span => {
            return Err(format!("trapped with every pointer in bounds: {trap}"))
        }
        _ => {}
    }
    if let (Some(before), Some(after)) = (before.as_ref(), mem.as_ref()) {
        for (i, (b, a)) in before.iter().zip(after).enumerate() {
            let i = i as u64;
            let inside_output = spans.iter().filter(|s| s.out).any(|s| {
                let (p, end) = range(s, &case.args);
                (p..end).contains(&i)
            });
            if a != b && !inside_output {
                return Err(format!("wrote byte {i} outside its output range"));
            }
        }
    }
    Ok(if result.is_err() {
        Outcome::Trapped
    } else {
        Outcome::Ran
    })
}

pub(crate) fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn host_abi_survives_random_calls() {
    let cases = env_u64("NGX_WASM_FUZZ_CASES", 200_000);
    let seed = env_u64("NGX_WASM_FUZZ_SEED", 0x6e67_785f_7761_736d);
    let mut rng = Rng(seed);
    let started = std::time::Instant::now();
    let (mut done, mut traps, mut refused, mut ran) = (0u64, 0u64, 0u64, 0u64);
    while done < cases {
        let (mut mem, planted) = memory(&mut rng);
        let size = mem.as_ref().map_or(0, Vec::len);
        let mut req = mock(&mut rng);
        // A chain of calls on one request and one memory: state (headers sent, exit, ctx,
        // headers set earlier) carries from one to the next.
        for _ in 0..1 + rng.below(8) {
            let c = case(&mut rng, size, &planted);
            match check(&c, &mut mem, &mut req) {
                Ok(outcome) => {
                    traps += u64::from(outcome == Outcome::Trapped);
                    refused += u64::from(outcome == Outcome::Refused);
                    ran += u64::from(outcome == Outcome::Ran);
                }
                Err(why) => panic!(
                    "seed {seed:#x}, case {done}: {}({:?}) in phase {:?} with memory of {size} \
                     bytes: {why}",
                    c.func.name, c.args, c.phase
                ),
            }
            done += 1;
        }
    }
    println!(
        "host ABI fuzz: {done} calls from seed {seed:#x} in {:.1?} ({ran} ran, {traps} \
         trapped on an out-of-bounds pointer, {refused} refused outside their phases), no \
         violation",
        started.elapsed()
    );
}
