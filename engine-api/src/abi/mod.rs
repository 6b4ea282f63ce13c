//! The host ABI: every function a guest can import, declared once.
//!
//! Guests import these from the module [`IMPORT_MODULE`] (`"ngx"`). Every parameter and every
//! result is an `i32`; pointers are offsets into the guest's exported memory named `memory`.
//! Each function returns a status ([`status`]) or, for getters, a length. A pointer or length
//! outside the guest's memory is not a status: it stops the guest with a trap.
//!
//! Adding a host function means adding it to one group file and one line of
//! [`HOST_FUNCTIONS`]; engines pick it up from the table (see `docs/design.md`).

mod body;
mod body_filter;
mod ctx;
mod log;
mod misc;
mod name;
mod req_headers;
mod request;
mod resp_headers;
mod response;
mod variables;

use crate::engine::{FuncType, ValType};
use crate::error::HostTrap;
use crate::memory::GuestMemory;
use crate::phase::PhaseSet;
use crate::request::{HostRequest, RequestError, RequestSlot};

/// The import module name guests use for every host function.
pub const IMPORT_MODULE: &str = "ngx";

/// Status codes returned by host functions (getters return a length `>= 0` instead of `OK`).
pub mod status {
    /// Success.
    pub const OK: i32 = 0;
    /// The requested item (e.g. a header) does not exist.
    pub const NOT_FOUND: i32 = -1;
    /// An argument is invalid (unknown log level, status out of range, bad header name...).
    pub const BAD_ARGUMENT: i32 = -2;
    /// The operation is not allowed now: in this phase, after the response header was sent,
    /// on a header nginx manages, on a variable that cannot be changed...
    pub const NOT_ALLOWED: i32 = -3;
    /// The host failed (e.g. out of memory).
    pub const INTERNAL: i32 = -4;
}

/// What a host function sees of one call: the guest's memory and the request.
pub struct HostCall<'a> {
    /// The guest's linear memory, bounds-checked.
    pub memory: GuestMemory<'a>,
    /// The request the guest runs for.
    pub request: &'a mut dyn HostRequest,
}

/// The implementation of a host function: arguments in, status (or length) out.
pub type HostFn = fn(&mut HostCall<'_>, &[i32]) -> Result<i32, HostTrap>;

/// One entry of the ABI table.
pub struct HostFunction {
    /// Import name inside [`IMPORT_MODULE`], e.g. `resp_write`.
    pub name: &'static str,
    /// `ngx.<name>`, for messages.
    pub qualified: &'static str,
    /// Parameter names (all `i32`); their number is the arity. The result is one `i32`.
    pub params: &'static [&'static str],
    /// The phases it may be called in; elsewhere it returns [`status::NOT_ALLOWED`] without
    /// looking at its arguments.
    pub phases: PhaseSet,
    /// The implementation.
    pub func: HostFn,
}

impl HostFunction {
    /// The WebAssembly signature guests must import it with.
    pub fn func_type(&self) -> FuncType {
        FuncType {
            params: vec![ValType::I32; self.params.len()],
            results: vec![ValType::I32],
        }
    }
}

macro_rules! host_functions {
    ($( $name:ident ( $($param:ident),* ) [$phases:ident] => $func:path; )*) => {
        /// Every host function, in ABI order. Engines link exactly these.
        pub static HOST_FUNCTIONS: &[HostFunction] = &[
            $( HostFunction {
                name: stringify!($name),
                qualified: concat!("ngx.", stringify!($name)),
                params: &[$(stringify!($param)),*],
                phases: PhaseSet::$phases,
                func: $func,
            }, )*
        ];
    };
}

host_functions! {
    // logging, time, phase (log.rs, misc.rs)
    log(level, msg_ptr, msg_len) [ALL] => log::log;
    now(out_ptr) [ALL] => misc::now;
    get_phase(out_ptr, out_cap) [ALL] => misc::get_phase;
    // request line and arguments (request.rs)
    req_get_method(out_ptr, out_cap) [REQUEST] => request::get_method;
    req_set_method(method_ptr, method_len) [BEFORE_CONTENT_END] => request::set_method;
    req_get_uri(out_ptr, out_cap) [REQUEST] => request::get_uri;
    req_set_uri(uri_ptr, uri_len, jump) [BEFORE_CONTENT_END] => request::set_uri;
    req_get_query(out_ptr, out_cap) [REQUEST] => request::get_query;
    req_set_query(query_ptr, query_len) [BEFORE_CONTENT_END] => request::set_query;
    req_get_arg(name_ptr, name_len, out_ptr, out_cap) [REQUEST] => request::get_arg;
    req_http_version() [REQUEST] => request::http_version;
    req_is_internal() [REQUEST] => request::is_internal;
    req_start_time(out_ptr) [REQUEST] => request::start_time;
    // request headers (req_headers.rs)
    req_get_header(name_ptr, name_len, out_ptr, out_cap) [REQUEST] => req_headers::get;
    req_get_headers(out_ptr, out_cap) [REQUEST] => req_headers::get_all;
    req_set_header(name_ptr, name_len, value_ptr, value_len) [BEFORE_CONTENT_END] => req_headers::set;
    req_add_header(name_ptr, name_len, value_ptr, value_len) [BEFORE_CONTENT_END] => req_headers::add;
    req_clear_header(name_ptr, name_len) [BEFORE_CONTENT_END] => req_headers::clear;
    // nginx variables (variables.rs)
    var_get(name_ptr, name_len, out_ptr, out_cap) [REQUEST] => variables::get;
    var_set(name_ptr, name_len, value_ptr, value_len) [REQUEST] => variables::set;
    // request body (body.rs)
    req_body_len() [BODY_READABLE] => body::len;
    req_get_body(offset, out_ptr, out_cap) [BODY_READABLE] => body::get;
    req_discard_body() [BEFORE_CONTENT_END] => body::discard;
    // response status, body and control flow (response.rs)
    resp_get_status() [REQUEST] => response::get_status;
    resp_set_status(status) [HEADERS_WRITABLE] => response::set_status;
    resp_print(data_ptr, data_len) [BEFORE_CONTENT_END] => response::print;
    resp_say(data_ptr, data_len) [BEFORE_CONTENT_END] => response::say;
    resp_flush() [BEFORE_CONTENT_END] => response::flush;
    resp_exit(status) [BEFORE_CONTENT_END] => response::exit;
    resp_redirect(uri_ptr, uri_len, status) [BEFORE_CONTENT_END] => response::redirect;
    req_exec(uri_ptr, uri_len, args_ptr, args_len) [BEFORE_CONTENT_END] => response::exec;
    // response headers (resp_headers.rs)
    resp_get_header(name_ptr, name_len, out_ptr, out_cap) [REQUEST] => resp_headers::get;
    resp_get_headers(out_ptr, out_cap) [REQUEST] => resp_headers::get_all;
    resp_set_header(name_ptr, name_len, value_ptr, value_len) [HEADERS_WRITABLE] => resp_headers::set;
    resp_add_header(name_ptr, name_len, value_ptr, value_len) [HEADERS_WRITABLE] => resp_headers::add;
    resp_clear_header(name_ptr, name_len) [HEADERS_WRITABLE] => resp_headers::clear;
    // body filter (body_filter.rs)
    body_chunk_get(out_ptr, out_cap) [BODY_FILTER] => body_filter::get;
    body_chunk_set(data_ptr, data_len) [BODY_FILTER] => body_filter::set;
    body_chunk_is_last() [BODY_FILTER] => body_filter::is_last;
    // per-request context (ctx.rs)
    ctx_get(key_ptr, key_len, out_ptr, out_cap) [REQUEST] => ctx::get;
    ctx_set(key_ptr, key_len, value_ptr, value_len) [REQUEST] => ctx::set;
    ctx_delete(key_ptr, key_len) [REQUEST] => ctx::delete;
}

/// The host function imported as `ngx.<name>`.
pub fn lookup(name: &str) -> Option<&'static HostFunction> {
    HOST_FUNCTIONS.iter().find(|f| f.name == name)
}

/// Runs `func` for a guest: the one entry point engines use from their linker closures.
///
/// `memory` is the guest's exported memory (if any) and `slot` the request bound for the
/// current call. `args` must have `func.params.len()` items.
pub fn invoke(
    func: &'static HostFunction,
    memory: Option<&mut [u8]>,
    slot: &mut RequestSlot,
    args: &[i32],
) -> Result<i32, HostTrap> {
    if args.len() != func.params.len() {
        return Err(HostTrap::new(
            func.qualified,
            "called with the wrong number of arguments",
        ));
    }
    let Some(request) = slot.get() else {
        return Err(HostTrap::new(
            func.qualified,
            "called outside a request (host functions are not available during instantiation)",
        ));
    };
    if !func.phases.contains(request.phase()) {
        return Ok(status::NOT_ALLOWED);
    }
    let mut call = HostCall {
        memory: GuestMemory::new(memory, func.qualified),
        request,
    };
    (func.func)(&mut call, args)
}

/// The status code of a [`RequestError`].
fn code_of(e: RequestError) -> i32 {
    match e {
        RequestError::NotFound => status::NOT_FOUND,
        RequestError::BadArgument => status::BAD_ARGUMENT,
        RequestError::NotAllowed => status::NOT_ALLOWED,
        RequestError::Internal => status::INTERNAL,
    }
}

/// Maps a [`RequestError`] to its status code.
fn status_of(result: Result<(), RequestError>) -> i32 {
    match result {
        Ok(()) => status::OK,
        Err(e) => code_of(e),
    }
}

/// Reads the `(name_ptr, name_len)` pair at `a[0..2]` as a header name; `None` if it is not an
/// HTTP token.
fn header_name<'m>(memory: &'m GuestMemory<'_>, a: &[i32]) -> Result<Option<&'m [u8]>, HostTrap> {
    let name = memory.read(a[0], a[1])?;
    Ok(resp_headers::is_token(name).then_some(name))
}

/// Which header list a getter reads.
#[derive(Clone, Copy)]
enum Headers {
    Request,
    Response,
}

fn visit<'r>(req: &'r dyn HostRequest, which: Headers, f: crate::request::HeaderVisitor<'r, '_>) {
    match which {
        Headers::Request => req.request_headers(f),
        Headers::Response => req.response_headers(f),
    }
}

/// The values of the `which` headers named `name` (case-insensitive), joined with `", "`,
/// copied to the output buffer at `a[2..4]` by the getter convention; `NOT_FOUND` if none.
fn get_joined(
    call: &mut HostCall<'_>,
    which: Headers,
    name: &[u8],
    a: &[i32],
) -> Result<i32, HostTrap> {
    let mut first: Option<&[u8]> = None;
    let mut joined: Option<Vec<u8>> = None;
    visit(&*call.request, which, &mut |n, v| {
        if n.eq_ignore_ascii_case(name) {
            match (first, joined.as_mut()) {
                (None, _) => first = Some(v),
                (Some(f), None) => joined = Some([f, b", ", v].concat()),
                (Some(_), Some(j)) => {
                    j.extend_from_slice(b", ");
                    j.extend_from_slice(v);
                }
            }
        }
        true
    });
    match joined.as_deref().or(first) {
        Some(v) => call.memory.write_out(a[2], a[3], v),
        None => {
            call.memory.write_out(a[2], a[3], b"")?;
            Ok(status::NOT_FOUND)
        }
    }
}

/// Every `which` header as `name\0value\0` pairs, copied to the output buffer at `a[0..2]`
/// by the getter convention.
fn get_all(call: &mut HostCall<'_>, which: Headers, a: &[i32]) -> Result<i32, HostTrap> {
    let mut out = Vec::new();
    visit(&*call.request, which, &mut |n, v| {
        out.extend_from_slice(n);
        out.push(0);
        out.extend_from_slice(v);
        out.push(0);
        true
    });
    call.memory.write_out(a[0], a[1], &out)
}

#[cfg(test)]
mod fuzz;
#[cfg(test)]
pub(crate) mod tests;
