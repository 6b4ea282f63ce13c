//! Request headers: get one (all values), get all, set, add, clear.

use super::name::NameBuf;
use super::{
    get_all as get_all_headers, get_joined, header_name, status, status_of, Args, HostCall,
};
use super::{resp_headers::is_header_value, Headers, Out};
use crate::error::HostTrap;

/// `req_get_header(name_ptr, name_len, out_ptr, out_cap) -> len`: every value of the request
/// header `name` (case-insensitive), joined with `", "`, or -1.
pub(super) fn get(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let name = NameBuf::copy(call.memory.read(a.i32(0), a.i32(1))?);
    get_joined(call, Headers::Request, &name, Out(a.i32(2), a.i32(3)))
}

/// `req_get_headers(out_ptr, out_cap) -> len`: every request header as `name\0value\0`
/// pairs, in the order the client sent them.
pub(super) fn get_all(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    get_all_headers(call, Headers::Request, Out(a.i32(0), a.i32(1)))
}

/// `req_set_header(name_ptr, name_len, value_ptr, value_len) -> status`: replaces every value
/// of the request header `name`; an empty value removes it.
pub(super) fn set(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let Some(name) = header_name(&call.memory, a)? else {
        call.memory.read(a.i32(2), a.i32(3))?;
        return Ok(status::BAD_ARGUMENT);
    };
    let value = call.memory.read(a.i32(2), a.i32(3))?;
    if !is_header_value(value) {
        return Ok(status::BAD_ARGUMENT);
    }
    Ok(status_of(call.request.set_request_header(name, value)))
}

/// `req_add_header(name_ptr, name_len, value_ptr, value_len) -> status`: adds a value,
/// keeping earlier ones.
pub(super) fn add(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let Some(name) = header_name(&call.memory, a)? else {
        call.memory.read(a.i32(2), a.i32(3))?;
        return Ok(status::BAD_ARGUMENT);
    };
    let value = call.memory.read(a.i32(2), a.i32(3))?;
    if value.is_empty() || !is_header_value(value) {
        return Ok(status::BAD_ARGUMENT);
    }
    Ok(status_of(call.request.add_request_header(name, value)))
}

/// `req_clear_header(name_ptr, name_len) -> status`: removes every value of `name`.
pub(super) fn clear(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let Some(name) = header_name(&call.memory, a)? else {
        return Ok(status::BAD_ARGUMENT);
    };
    Ok(status_of(call.request.set_request_header(name, b"")))
}
