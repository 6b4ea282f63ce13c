//! The request a guest call runs for, as the host ABI sees it.
//!
//! The nginx module implements [`HostRequest`] over `ngx_http_request_t`; tests implement it
//! over plain data. Host functions validate their arguments before they reach this trait, so an
//! implementation receives well-formed values only (a status in 100..=599, header names that
//! are HTTP tokens, header values without CR, LF or NUL).

use std::ptr::NonNull;

/// nginx log levels, numbered as nginx (and OpenResty's `ngx.ERR`, `ngx.INFO`...) number them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum LogLevel {
    /// `NGX_LOG_STDERR` (0).
    Stderr = 0,
    /// `NGX_LOG_EMERG` (1).
    Emerg = 1,
    /// `NGX_LOG_ALERT` (2).
    Alert = 2,
    /// `NGX_LOG_CRIT` (3).
    Crit = 3,
    /// `NGX_LOG_ERR` (4).
    Err = 4,
    /// `NGX_LOG_WARN` (5).
    Warn = 5,
    /// `NGX_LOG_NOTICE` (6).
    Notice = 6,
    /// `NGX_LOG_INFO` (7).
    Info = 7,
    /// `NGX_LOG_DEBUG` (8).
    Debug = 8,
}

impl LogLevel {
    /// The level for an ABI level number, if it is one.
    pub fn from_abi(level: i32) -> Option<LogLevel> {
        use LogLevel::*;
        Some(match level {
            0 => Stderr,
            1 => Emerg,
            2 => Alert,
            3 => Crit,
            4 => Err,
            5 => Warn,
            6 => Notice,
            7 => Info,
            8 => Debug,
            _ => return None,
        })
    }
}

/// Why a [`HostRequest`] operation failed; each maps to an ABI status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestError {
    /// The operation is not possible in the current state (e.g. headers already sent).
    NotAllowed,
    /// The host failed (e.g. out of memory in the request pool).
    Internal,
}

/// The request a guest call runs for.
pub trait HostRequest {
    /// Writes `msg` to the error log at `level`, in the request's log context.
    fn log(&mut self, level: LogLevel, msg: &[u8]);
    /// Sets the response status.
    fn set_status(&mut self, status: u16) -> Result<(), RequestError>;
    /// Sets a response header, replacing any header of the same name (case-insensitive).
    /// An empty value removes the header.
    fn set_header(&mut self, name: &[u8], value: &[u8]) -> Result<(), RequestError>;
    /// Appends `data` to the response body.
    fn write(&mut self, data: &[u8]) -> Result<(), RequestError>;
    /// The request URI: the normalized path, without arguments (nginx's `$uri`).
    fn uri(&self) -> &[u8];
    /// The first request header named `name` (case-insensitive), if any.
    fn header(&self, name: &[u8]) -> Option<&[u8]>;
}

/// Where an engine keeps the request of the call in progress, inside its store data.
///
/// Runtimes require store data to be `'static`, while the request only lives for one call. The
/// slot holds a type-erased pointer that is set by [`RequestSlot::bind`] right before the
/// engine calls into the guest and cleared by [`RequestSlot::unbind`] right after; host
/// functions reach the request only through [`RequestSlot::get`] while it is bound.
#[derive(Default)]
pub struct RequestSlot {
    current: Option<NonNull<dyn HostRequest>>,
}

impl RequestSlot {
    /// Binds `request` to this slot.
    ///
    /// # Safety
    /// The caller must call [`RequestSlot::unbind`] before the borrow `'a` ends, and must not
    /// use `request` otherwise while it is bound. Engines do this around a single guest call
    /// (the workspace builds with `panic = "abort"`, so no unwinding skips the unbind).
    pub unsafe fn bind<'a>(&mut self, request: &'a mut (dyn HostRequest + 'a)) {
        let ptr: NonNull<dyn HostRequest + 'a> = NonNull::from(request);
        // SAFETY: only the lifetime bound of the trait object is erased; the caller promises
        // to unbind before 'a ends, so the pointer is never used after the borrow ends.
        self.current = Some(unsafe {
            std::mem::transmute::<NonNull<dyn HostRequest + 'a>, NonNull<dyn HostRequest>>(ptr)
        });
    }

    /// Clears the binding made by [`RequestSlot::bind`].
    pub fn unbind(&mut self) {
        self.current = None;
    }

    /// The bound request, or `None` outside a call (e.g. a guest start function calling the
    /// host during instantiation).
    pub fn get(&mut self) -> Option<&mut dyn HostRequest> {
        // SAFETY: `bind`'s contract keeps the pointee alive and otherwise unused while it is
        // bound; the returned borrow is tied to `&mut self`, so it cannot outlive the binding.
        self.current.map(|mut p| unsafe { p.as_mut() })
    }
}
