//! The body filter: the chunk passing through (`ngx.arg[1]`), whether it is the last
//! (`ngx.arg[2]`), and replacing it.

use super::{status_of, Args, HostCall};
use crate::error::HostTrap;

/// `body_chunk_get(out_ptr, out_cap) -> len`: the data of the chunk passing through.
pub(super) fn get(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    match call.request.body_chunk() {
        Ok(data) => call.memory.write_out(a.i32(0), a.i32(1), data),
        Err(e) => Ok(e.status()),
    }
}

/// `body_chunk_set(data_ptr, data_len) -> status`: replaces the chunk's data (an empty one
/// drops it); the end-of-stream flag is kept.
pub(super) fn set(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let data = call.memory.read(a.i32(0), a.i32(1))?;
    Ok(status_of(call.request.set_body_chunk(data)))
}

/// `body_chunk_is_last() -> i32`: 1 when this chunk ends the response body, else 0.
pub(super) fn is_last(call: &mut HostCall<'_>, _a: Args<'_>) -> Result<i32, HostTrap> {
    Ok(i32::from(call.request.body_chunk_is_last()))
}
