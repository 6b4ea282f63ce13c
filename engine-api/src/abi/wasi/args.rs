//! Arguments and environment: a guest has neither, as in Kong's and Envoy's hosts.
//!
//! A handler is not a process started with a command line; configuration reaches it
//! through nginx variables. Both lists are empty, so the `*_get` functions write nothing;
//! they still check that the two arrays they were given lie in memory.

use super::super::{Args, HostCall};
use super::{put_u32, Answer};

/// `args_sizes_get(argc_out, argv_buf_size_out)` and `environ_sizes_get`: 0 and 0.
pub(super) fn sizes_get(call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    put_u32(&mut call.memory, a.i32(0), 0)?;
    put_u32(&mut call.memory, a.i32(1), 0)
}

/// `args_get(argv, argv_buf)`: no arguments to write.
pub(super) fn args_get(call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    no_strings(call, a)
}

/// `environ_get(environ, environ_buf)`: no variables to write.
pub(super) fn environ_get(call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    no_strings(call, a)
}

/// Zero pointers and zero bytes: only the two arrays' starts must lie in memory.
fn no_strings(call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    call.memory.read(a.i32(0), 0)?;
    call.memory.read(a.i32(1), 0)?;
    Ok(())
}
