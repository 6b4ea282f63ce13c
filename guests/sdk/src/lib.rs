//! Rust guest SDK for ngx_wasm.
//!
//! Safe wrappers over the host functions a guest imports from the `ngx` module (see
//! `docs/abi.md`). Handlers are plain exported functions of type `() -> ()`:
//!
//! ```ignore
//! #[no_mangle]
//! pub extern "C" fn on_content() {
//!     ngx_wasm_guest::resp::write(b"hello\n");
//! }
//! ```

pub mod ffi;

/// A non-zero status returned by a host function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// -1: no such item.
    NotFound,
    /// -2: an argument was refused (bad level, status out of range, bad header name...).
    BadArgument,
    /// -3: not allowed now (phase, or headers already sent).
    NotAllowed,
    /// -4: the host failed.
    Internal,
    /// Any other negative code (from a newer host).
    Other(i32),
}

fn check(rc: i32) -> Result<i32, Error> {
    match rc {
        0.. => Ok(rc),
        -1 => Err(Error::NotFound),
        -2 => Err(Error::BadArgument),
        -3 => Err(Error::NotAllowed),
        -4 => Err(Error::Internal),
        n => Err(Error::Other(n)),
    }
}

fn len(b: &[u8]) -> i32 {
    // Guest memory is at most 4 GiB and slices built here are far smaller; saturate anyway.
    i32::try_from(b.len()).unwrap_or(i32::MAX)
}

/// Logging to the nginx error log.
pub mod log {
    /// nginx log levels (same numbers as `ngx.ERR`, `ngx.INFO`... in OpenResty).
    #[derive(Debug, Clone, Copy)]
    #[repr(i32)]
    pub enum Level {
        /// `emerg`
        Emerg = 1,
        /// `alert`
        Alert = 2,
        /// `crit`
        Crit = 3,
        /// `error`
        Err = 4,
        /// `warn`
        Warn = 5,
        /// `notice`
        Notice = 6,
        /// `info`
        Info = 7,
        /// `debug`
        Debug = 8,
    }

    /// Writes `msg` to the error log at `level`.
    pub fn log(level: Level, msg: &str) -> Result<(), super::Error> {
        // SAFETY: the pointer and length describe a live slice of this guest's memory.
        super::check(unsafe {
            super::ffi::log(level as i32, msg.as_ptr(), super::len(msg.as_bytes()))
        })
        .map(drop)
    }
}

/// The response.
pub mod resp {
    use super::{check, ffi, len, Error};

    /// Sets the response status (100..=599).
    pub fn set_status(status: u16) -> Result<(), Error> {
        // SAFETY: no pointers involved.
        check(unsafe { ffi::resp_set_status(i32::from(status)) }).map(drop)
    }

    /// Sets a response header (replacing earlier values); an empty value removes it.
    pub fn set_header(name: &str, value: &str) -> Result<(), Error> {
        // SAFETY: both pointer/length pairs describe live slices of this guest's memory.
        check(unsafe {
            ffi::resp_set_header(
                name.as_ptr(),
                len(name.as_bytes()),
                value.as_ptr(),
                len(value.as_bytes()),
            )
        })
        .map(drop)
    }

    /// Appends `data` to the response body.
    pub fn write(data: &[u8]) -> Result<(), Error> {
        // SAFETY: the pointer and length describe a live slice of this guest's memory.
        check(unsafe { ffi::resp_print(data.as_ptr(), len(data)) }).map(drop)
    }
}

/// The request.
pub mod req {
    use super::{check, ffi, len, Error};

    /// Calls a getter with a growing buffer until the value fits.
    fn get(mut getter: impl FnMut(*mut u8, i32) -> i32) -> Result<Vec<u8>, Error> {
        let mut buf = vec![0u8; 128];
        loop {
            let n = check(getter(buf.as_mut_ptr(), len(&buf)))? as usize;
            if n <= buf.len() {
                buf.truncate(n);
                return Ok(buf);
            }
            buf.resize(n, 0);
        }
    }

    /// The request URI (nginx's `$uri`).
    pub fn uri() -> Vec<u8> {
        // SAFETY: the buffer pointer and capacity describe a live Vec of this guest.
        get(|p, c| unsafe { ffi::req_get_uri(p, c) }).unwrap_or_default()
    }

    /// The first request header named `name` (case-insensitive), if present.
    pub fn header(name: &str) -> Option<Vec<u8>> {
        // SAFETY: the name and buffer pointers describe live slices of this guest's memory.
        get(|p, c| unsafe { ffi::req_get_header(name.as_ptr(), len(name.as_bytes()), p, c) }).ok()
    }
}
