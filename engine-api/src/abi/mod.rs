//! The host ABI: every function a guest can import, declared once.
//!
//! Guests import these from the module [`IMPORT_MODULE`] (`"ngx"`). Every parameter and every
//! result is an `i32`; pointers are offsets into the guest's exported memory named `memory`.
//! Each function returns a status ([`status`]) or, for getters, a length. A pointer or length
//! outside the guest's memory is not a status: it stops the guest with a trap.
//!
//! Adding a host function means adding it to one group file and one line of
//! [`HOST_FUNCTIONS`]; engines pick it up from the table (see `docs/design.md`).

mod log;
mod request;
mod response;

use crate::engine::{FuncType, ValType};
use crate::error::HostTrap;
use crate::memory::GuestMemory;
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
    /// The operation is not allowed now (e.g. in this phase, or after headers were sent).
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
    ($( $name:ident ( $($param:ident),* ) => $func:path; )*) => {
        /// Every host function, in ABI order. Engines link exactly these.
        pub static HOST_FUNCTIONS: &[HostFunction] = &[
            $( HostFunction {
                name: stringify!($name),
                qualified: concat!("ngx.", stringify!($name)),
                params: &[$(stringify!($param)),*],
                func: $func,
            }, )*
        ];
    };
}

host_functions! {
    log(level, msg_ptr, msg_len) => log::log;
    resp_set_status(status) => response::set_status;
    resp_set_header(name_ptr, name_len, value_ptr, value_len) => response::set_header;
    resp_write(data_ptr, data_len) => response::write;
    req_get_uri(out_ptr, out_cap) => request::get_uri;
    req_get_header(name_ptr, name_len, out_ptr, out_cap) => request::get_header;
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
    let mut call = HostCall {
        memory: GuestMemory::new(memory, func.qualified),
        request,
    };
    (func.func)(&mut call, args)
}

/// Maps a [`RequestError`] to its status code.
fn status_of(result: Result<(), RequestError>) -> i32 {
    match result {
        Ok(()) => status::OK,
        Err(RequestError::NotAllowed) => status::NOT_ALLOWED,
        Err(RequestError::Internal) => status::INTERNAL,
    }
}

#[cfg(test)]
pub(crate) mod tests;
