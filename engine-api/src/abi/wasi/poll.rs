//! `poll_oneoff`: waits for clocks and descriptors, without ever blocking the worker.
//!
//! Subscriptions that are ready now (stdio, a clock already due, an error) are answered at
//! once. When every subscription is a clock still to come, the call waits for the earliest on
//! an nginx timer, as `ngx.sleep` does, where a call may wait (the phases before the
//! response header, and timers); elsewhere (filters, the log phase, init_worker) it answers
//! `ENOTSUP`, since waiting there would block the worker.

use super::super::{Args, Flow, HostCall};
use super::clock::Clock;
use super::{errno, put_u32, records, u32_at, u64_at, word_at, Answer, Errno};
use crate::error::HostTrap;
use crate::memory::GuestMemory;
use crate::phase::PhaseSet;
use crate::value::Val;
use crate::wait::Wait;

const SUBSCRIPTION: usize = 48;
const EVENT: usize = 32;
const CLOCK: u8 = 0;
const FD_READ: u8 = 1;
const FD_WRITE: u8 = 2;
/// `subclockflags::subscription_clock_abstime`.
const ABSTIME: u16 = 1;
/// `eventrwflags::fd_readwrite_hangup`: stdin is at its end.
const HANGUP: u16 = 1;

/// One subscription, as read from the guest.
#[derive(Debug, Clone, Copy)]
enum Sub {
    /// A clock: how long until it is due (0: due), or the error it answers.
    Clock { wait_ns: u64, relative: bool },
    /// Answered at once, with this error and these `eventrwflags`.
    Ready(Errno, u16),
    /// An unknown subscription type.
    Unknown,
}

fn parse(sub: &[u8]) -> Sub {
    let fd = u32_at(sub, 16);
    match sub[8] {
        CLOCK => {
            let clock = match Clock::of(u32_at(sub, 16)) {
                Ok(c) => c,
                Err(e) => return Sub::Ready(e, 0),
            };
            let timeout = u64_at(sub, 24);
            let flags = u16::from_le_bytes([sub[40], sub[41]]);
            if flags & ABSTIME != 0 {
                Sub::Clock {
                    wait_ns: timeout.saturating_sub(clock.now_ns()),
                    relative: false,
                }
            } else {
                Sub::Clock {
                    wait_ns: timeout,
                    relative: true,
                }
            }
        }
        FD_READ if fd == 0 => Sub::Ready(Errno::SUCCESS, HANGUP),
        FD_WRITE if fd == 1 || fd == 2 => Sub::Ready(Errno::SUCCESS, 0),
        FD_READ | FD_WRITE => Sub::Ready(Errno::BADF, 0),
        _ => Sub::Unknown,
    }
}

/// One subscription as read: its userdata, its type and what it asks.
type Parsed = ([u8; 8], u8, Sub);

/// The subscriptions, read once, after checking that every array lies in memory (an
/// unknown type is `EINVAL`).
fn read(memory: &GuestMemory<'_>, a: Args<'_>) -> Result<Vec<Parsed>, Errno> {
    if a.i32(2) <= 0 {
        return Err(Errno::INVAL);
    }
    records(memory, a.i32(1), a.i32(2), EVENT)?;
    records(memory, a.i32(3), 1, 4)?;
    let subs = records(memory, a.i32(0), a.i32(2), SUBSCRIPTION)?;
    let parsed: Vec<Parsed> = subs
        .chunks_exact(SUBSCRIPTION)
        .map(|s| (word_at(s, 0), s[8], parse(s)))
        .collect();
    if parsed.iter().any(|(_, _, sub)| matches!(sub, Sub::Unknown)) {
        return Err(Errno::INVAL);
    }
    Ok(parsed)
}

/// Writes the events of the subscriptions `fired` picks, and their count.
fn answer(
    memory: &mut GuestMemory<'_>,
    a: Args<'_>,
    subs: &[Parsed],
    fired: impl Fn(Sub) -> bool,
) -> Answer {
    let mut out = Vec::new();
    for &(userdata, tag, sub) in subs.iter().filter(|(_, _, sub)| fired(*sub)) {
        let mut event = [0u8; EVENT];
        event[0..8].copy_from_slice(&userdata);
        event[10] = tag;
        if let Sub::Ready(error, flags) = sub {
            event[8..10].copy_from_slice(&error.0.to_le_bytes());
            event[24..26].copy_from_slice(&flags.to_le_bytes());
        }
        out.extend_from_slice(&event);
    }
    memory.write(a.i32(1), &out)?;
    put_u32(memory, a.i32(3), (out.len() / EVENT) as u32)
}

/// `poll_oneoff(subscriptions, events_out, nsubscriptions, nevents_out)`: answers what is
/// ready, or waits for the earliest clock.
pub(in crate::abi) fn start(call: &mut HostCall<'_>, a: Args<'_>) -> Result<Flow, HostTrap> {
    let now = |r: Answer| Ok(Flow::Return(Some(Val::I32(errno(r)))));
    let subs = match read(&call.memory, a) {
        Ok(subs) => subs,
        Err(e) => return now(Err(e)),
    };
    let earliest = subs
        .iter()
        .map(|(_, _, s)| match s {
            Sub::Clock { wait_ns, .. } => *wait_ns,
            _ => 0,
        })
        .min()
        .unwrap_or(0);
    if earliest == 0 {
        return now(answer(&mut call.memory, a, &subs, is_due));
    }
    if !PhaseSet::WAIT.contains(call.request.phase()) {
        return now(Err(Errno::NOTSUP));
    }
    let delay_ms = u32::try_from(earliest.div_ceil(1_000_000)).unwrap_or(u32::MAX);
    Ok(Flow::Wait(Wait::Yield { delay_ms }))
}

/// Completes a `poll_oneoff` that waited: the earliest relative clocks and every absolute
/// clock now due have fired (at least one does: the host waited for it).
pub(in crate::abi) fn finish(
    call: &mut HostCall<'_>,
    a: Args<'_>,
) -> Result<Option<Val>, HostTrap> {
    let subs = match read(&call.memory, a) {
        Ok(s) => s,
        Err(e) => return Ok(Some(Val::I32(errno(Err(e))))),
    };
    let clocks = || {
        subs.iter().filter_map(|(_, _, s)| match *s {
            Sub::Clock { wait_ns, relative } => Some((wait_ns, relative)),
            _ => None,
        })
    };
    let shortest = clocks()
        .filter(|(_, relative)| *relative)
        .map(|(w, _)| w)
        .min();
    let earliest = clocks().map(|(w, _)| w).min().unwrap_or(0);
    let absolute_due = clocks().any(|(w, relative)| !relative && w == 0);
    // An absolute clock now due was the earliest; otherwise the shortest relative one is
    // (the host waited that long), or, with absolute clocks only, the earliest of them
    // (nginx's timer fired within its millisecond of the deadline).
    let fired = move |s: Sub| match s {
        Sub::Clock { wait_ns, relative } if absolute_due => !relative && wait_ns == 0,
        Sub::Clock {
            wait_ns,
            relative: true,
        } => Some(wait_ns) == shortest,
        Sub::Clock { wait_ns, .. } => shortest.is_none() && wait_ns == earliest,
        _ => false,
    };
    Ok(Some(Val::I32(errno(answer(
        &mut call.memory,
        a,
        &subs,
        fired,
    )))))
}

/// What fires without waiting: answered subscriptions and clocks already due.
fn is_due(s: Sub) -> bool {
    match s {
        Sub::Clock { wait_ns, .. } => wait_ns == 0,
        Sub::Ready(..) => true,
        Sub::Unknown => false,
    }
}
