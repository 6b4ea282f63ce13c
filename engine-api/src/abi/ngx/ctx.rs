//! The per-request context (`ngx.ctx`): bytes under byte keys, shared by all phases of a
//! request and freed with it.

use super::name::NameBuf;
use super::{status, status_of, Args, HostCall};
use crate::error::HostTrap;

/// `ctx_get(key_ptr, key_len, out_ptr, out_cap) -> len`: the value stored under `key`, or -1.
pub(super) fn get(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let key = NameBuf::copy(call.memory.read(a.i32(0), a.i32(1))?);
    call.memory.slice_mut(a.i32(2), a.i32(3))?;
    let store = match call.request.ctx() {
        Ok(s) => s,
        Err(e) => return Ok(e.status()),
    };
    match store.get(&key) {
        Some(v) => call.memory.write_out(a.i32(2), a.i32(3), v),
        None => Ok(status::NOT_FOUND),
    }
}

/// `ctx_set(key_ptr, key_len, value_ptr, value_len) -> status`: stores `value` under `key`
/// (replacing); -3 when the request's context would exceed 1 MiB.
pub(super) fn set(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let key = call.memory.read(a.i32(0), a.i32(1))?;
    let value = call.memory.read(a.i32(2), a.i32(3))?;
    if key.is_empty() {
        return Ok(status::BAD_ARGUMENT);
    }
    Ok(status_of(
        call.request.ctx().and_then(|s| s.set(key, value)),
    ))
}

/// `ctx_delete(key_ptr, key_len) -> status`: removes `key`; -1 if it was not there.
pub(super) fn delete(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let key = call.memory.read(a.i32(0), a.i32(1))?;
    match call.request.ctx().map(|s| s.delete(key)) {
        Ok(true) => Ok(status::OK),
        Ok(false) => Ok(status::NOT_FOUND),
        Err(e) => Ok(e.status()),
    }
}
