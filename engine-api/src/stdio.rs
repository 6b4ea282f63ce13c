//! The starts of a guest's stdout and stderr lines (WASI `fd_write`) that wait for their
//! newline, kept by each host ([`crate::HostRequest::stdio`]).

use std::cell::Cell;

thread_local! {
    /// How many hosts of this worker hold the start of a line: `abi::wasi::end_of_call`
    /// looks no further when there is none, which keeps it off every call's cost.
    static PENDING: Cell<u32> = const { Cell::new(0) };
}

/// The starts of stdout and stderr lines whose newline has not come yet: a host keeps one
/// per request (or per init_worker or timer call) and returns it from
/// [`crate::HostRequest::stdio`].
#[derive(Debug, Default)]
pub struct StdioLines {
    out: Vec<u8>,
    err: Vec<u8>,
}

impl StdioLines {
    fn slot(&mut self, out: bool) -> &mut Vec<u8> {
        if out {
            &mut self.out
        } else {
            &mut self.err
        }
    }

    pub(crate) fn take(&mut self, out: bool) -> Vec<u8> {
        let line = std::mem::take(self.slot(out));
        if !line.is_empty() {
            PENDING.with(|p| p.set(p.get().saturating_sub(1)));
        }
        line
    }

    pub(crate) fn put(&mut self, out: bool, line: Vec<u8>) {
        if !line.is_empty() {
            PENDING.with(|p| p.set(p.get() + 1));
        }
        *self.slot(out) = line;
    }
}

/// True when some host of this worker holds the start of a line.
pub(crate) fn any_pending() -> bool {
    PENDING.with(Cell::get) != 0
}
