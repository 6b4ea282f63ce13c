//! The response: status, headers, body.

use super::{status, status_of, HostCall};
use crate::error::HostTrap;

/// `resp_set_status(status) -> status`: sets the response status (100..=599).
pub(super) fn set_status(call: &mut HostCall<'_>, a: &[i32]) -> Result<i32, HostTrap> {
    let Ok(code @ 100..=599) = u16::try_from(a[0]) else {
        return Ok(status::BAD_ARGUMENT);
    };
    Ok(status_of(call.request.set_status(code)))
}

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

/// `resp_set_header(name_ptr, name_len, value_ptr, value_len) -> status`: sets a response
/// header, replacing earlier values of the same name; an empty value removes it.
pub(super) fn set_header(call: &mut HostCall<'_>, a: &[i32]) -> Result<i32, HostTrap> {
    let name = call.memory.read(a[0], a[1])?;
    let value = call.memory.read(a[2], a[3])?;
    if !is_token(name) || !is_header_value(value) {
        return Ok(status::BAD_ARGUMENT);
    }
    Ok(status_of(call.request.set_header(name, value)))
}

/// `resp_write(data_ptr, data_len) -> status`: appends to the response body.
pub(super) fn write(call: &mut HostCall<'_>, a: &[i32]) -> Result<i32, HostTrap> {
    let data = call.memory.read(a[0], a[1])?;
    Ok(status_of(call.request.write(data)))
}
