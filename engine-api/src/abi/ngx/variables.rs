//! nginx variables: `ngx.var.NAME` get and set.

use super::name::NameBuf;
use super::{status, status_of, Args, HostCall};
use crate::error::HostTrap;

/// How a name a guest passed reads as a variable name.
#[derive(PartialEq)]
enum NameCase {
    /// Letters, digits and `_`, no upper case letter.
    Lower,
    /// Letters, digits and `_`, some upper case.
    Mixed,
    /// Empty, or a byte nginx does not accept in a variable name.
    Invalid,
}

/// Checks `name` in one pass.
fn name_case(name: &[u8]) -> NameCase {
    if name.is_empty() {
        return NameCase::Invalid;
    }
    let mut case = NameCase::Lower;
    for &c in name {
        if c.is_ascii_uppercase() {
            case = NameCase::Mixed;
        } else if !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_') {
            return NameCase::Invalid;
        }
    }
    case
}

/// `var_get(name_ptr, name_len, out_ptr, out_cap) -> len`: the value of `$name` (names are
/// case-insensitive), -1 when the variable is not set for this request (OpenResty's `nil`),
/// -2 when no variable of that name exists.
pub(super) fn get(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    call.memory.slice_mut(a.i32(2), a.i32(3))?;
    let raw = call.memory.read(a.i32(0), a.i32(1))?;
    // Names are usually lower case already: then nginx reads them where the guest put them.
    let lowered;
    let name = match name_case(raw) {
        NameCase::Invalid => return Ok(status::BAD_ARGUMENT),
        NameCase::Lower => raw,
        NameCase::Mixed => {
            lowered = NameBuf::lowercase(raw);
            &lowered[..]
        }
    };
    match call.request.variable(name) {
        Ok(Some(v)) => call.memory.write_out(a.i32(2), a.i32(3), v),
        Ok(None) => Ok(status::NOT_FOUND),
        Err(crate::error::RequestError::NotFound) => Ok(status::BAD_ARGUMENT),
        Err(e) => Ok(e.status()),
    }
}

/// `var_set(name_ptr, name_len, value_ptr, value_len) -> status`: sets `$name`; -2 when no such
/// variable exists or the value holds CR, LF or NUL (a variable may reach a request line or a
/// header, e.g. `$args` through `proxy_pass`), -3 when it cannot be changed (declare it with
/// `set $name "";`).
pub(super) fn set(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let name = NameBuf::lowercase(call.memory.read(a.i32(0), a.i32(1))?);
    let value = call.memory.read(a.i32(2), a.i32(3))?;
    if value.iter().any(|&c| matches!(c, b'\r' | b'\n' | 0)) {
        return Ok(status::BAD_ARGUMENT);
    }
    if name_case(&name) == NameCase::Invalid {
        return Ok(status::BAD_ARGUMENT);
    }
    match call.request.set_variable(&name, value) {
        Err(crate::error::RequestError::NotFound) => Ok(status::BAD_ARGUMENT),
        r => Ok(status_of(r)),
    }
}
