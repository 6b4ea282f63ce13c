//! Response headers: get one (all values), get all, set, add, clear. `Content-Type` is
//! included; `Content-Length`, `Transfer-Encoding`, `Connection` and `Keep-Alive` are nginx's
//! to manage.

use super::name::NameBuf;
use super::{
    get_all as get_all_headers, get_joined, header_name, status, status_of, Args, HostCall,
};
use super::{Headers, Out};
use crate::error::HostTrap;

/// True for an RFC 9110 token: the characters allowed in a header name.
pub(crate) fn is_token(name: &[u8]) -> bool {
    !name.is_empty()
        && name
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c))
}

/// True for a header value nginx can send as is: no CR, LF or NUL.
pub(crate) fn is_header_value(value: &[u8]) -> bool {
    !value.iter().any(|&c| c == b'\r' || c == b'\n' || c == 0)
}

/// `resp_get_header(name_ptr, name_len, out_ptr, out_cap) -> len`: every value of the
/// response header `name`, joined with `", "`, or -1.
pub(super) fn get(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let name = NameBuf::copy(call.memory.read(a.i32(0), a.i32(1))?);
    get_joined(call, Headers::Response, &name, Out(a.i32(2), a.i32(3)))
}

/// `resp_get_headers(out_ptr, out_cap) -> len`: every response header as `name\0value\0`.
pub(super) fn get_all(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    get_all_headers(call, Headers::Response, Out(a.i32(0), a.i32(1)))
}

/// A validated header name and value.
type NameValue<'m> = (&'m [u8], &'m [u8]);

fn name_and_value<'m>(
    memory: &'m crate::memory::GuestMemory<'_>,
    a: Args<'_>,
) -> Result<Option<NameValue<'m>>, HostTrap> {
    let name = header_name(memory, a)?;
    let value = memory.read(a.i32(2), a.i32(3))?;
    Ok(match name {
        Some(n) if is_header_value(value) => Some((n, value)),
        _ => None,
    })
}

/// `resp_set_header(name_ptr, name_len, value_ptr, value_len) -> status`: replaces every value
/// of `name`; an empty value removes it.
pub(super) fn set(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let Some((name, value)) = name_and_value(&call.memory, a)? else {
        return Ok(status::BAD_ARGUMENT);
    };
    Ok(status_of(call.request.set_header(name, value)))
}

/// `resp_add_header(name_ptr, name_len, value_ptr, value_len) -> status`: adds a value,
/// keeping earlier ones (e.g. several `Set-Cookie`).
pub(super) fn add(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    match name_and_value(&call.memory, a)? {
        Some((name, value)) if !value.is_empty() => {
            Ok(status_of(call.request.add_header(name, value)))
        }
        _ => Ok(status::BAD_ARGUMENT),
    }
}

/// `resp_clear_header(name_ptr, name_len) -> status`: removes every value of `name`.
pub(super) fn clear(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let Some(name) = header_name(&call.memory, a)? else {
        return Ok(status::BAD_ARGUMENT);
    };
    Ok(status_of(call.request.set_header(name, b"")))
}
