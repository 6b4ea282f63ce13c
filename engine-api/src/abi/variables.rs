//! nginx variables: `ngx.var.NAME` get and set.

use super::name::NameBuf;
use super::{code_of, status, status_of, HostCall};
use crate::error::HostTrap;

/// True for a variable name nginx accepts: letters, digits and `_`.
fn is_var_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// `var_get(name_ptr, name_len, out_ptr, out_cap) -> len`: the value of `$name` (names are
/// case-insensitive), -1 when the variable is not set for this request (OpenResty's `nil`),
/// -2 when no variable of that name exists.
pub(super) fn get(call: &mut HostCall<'_>, a: &[i32]) -> Result<i32, HostTrap> {
    let name = NameBuf::lowercase(call.memory.read(a[0], a[1])?);
    call.memory.slice_mut(a[2], a[3])?;
    if !is_var_name(&name) {
        return Ok(status::BAD_ARGUMENT);
    }
    match call.request.variable(&name) {
        Ok(Some(v)) => call.memory.write_out(a[2], a[3], v),
        Ok(None) => Ok(status::NOT_FOUND),
        Err(crate::request::RequestError::NotFound) => Ok(status::BAD_ARGUMENT),
        Err(e) => Ok(code_of(e)),
    }
}

/// `var_set(name_ptr, name_len, value_ptr, value_len) -> status`: sets `$name`; -2 when no such
/// variable exists, -3 when it cannot be changed (declare it with `set $name "";`).
pub(super) fn set(call: &mut HostCall<'_>, a: &[i32]) -> Result<i32, HostTrap> {
    let name = NameBuf::lowercase(call.memory.read(a[0], a[1])?);
    let value = call.memory.read(a[2], a[3])?;
    if !is_var_name(&name) {
        return Ok(status::BAD_ARGUMENT);
    }
    match call.request.set_variable(&name, value) {
        Err(crate::request::RequestError::NotFound) => Ok(status::BAD_ARGUMENT),
        r => Ok(status_of(r)),
    }
}
