//! Rust guest SDK for ngx_wasm: OpenResty's `ngx.*` API for WebAssembly handlers.
//!
//! Safe wrappers over the host functions a guest imports from the `ngx` module (see
//! `docs/abi.md`); no `unsafe` for users. The modules mirror OpenResty: [`req`]
//! (`ngx.req.*`), [`resp`] (`ngx.status`, `ngx.header`, `ngx.print`, `ngx.exit`...), [`var`]
//! (`ngx.var`), [`ctx`] (`ngx.ctx`), [`body_filter`] (`ngx.arg` in `body_filter_by_lua`),
//! [`log`] (`ngx.log`), [`location`] (`ngx.location.capture`), [`socket`]
//! (`ngx.socket.tcp`), [`http`] (an HTTP/1.1 client on sockets), [`now`], [`sleep`]
//! (`ngx.sleep`) and [`phase`].
//!
//! ```ignore
//! use ngx_wasm_guest as ngx;
//!
//! ngx::handler!(on_content, || {
//!     let name = ngx::req::arg("name").unwrap_or_else(|| "world".into());
//!     ngx::say!("hello, {}", name);
//! });
//!
//! ngx::handler!(check_key, || {
//!     if ngx::req::header("x-api-key").as_deref() != Some("secret") {
//!         ngx::exit!(401);
//!     }
//! });
//! ```

pub mod ffi;
pub mod fmt;
pub mod http;
pub mod shared;
pub mod socket;

/// A negative status returned by a host function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// -1: no such item.
    NotFound,
    /// -2: an argument was refused (bad level, status out of range, bad header name...).
    BadArgument,
    /// -3: not allowed now (in this phase, after the header was sent, after `exit`...).
    NotAllowed,
    /// -4: the host failed.
    Internal,
    /// -5: a socket operation ran out of time (`timeout`).
    Timeout,
    /// -6: the peer closed the connection, or the socket is closed (`closed`).
    Closed,
    /// -7: the connection could not be made (`connection refused`...).
    ConnectFailed,
    /// -8: the name could not be resolved, or no `resolver` is configured.
    ResolveFailed,
    /// -9: what arrived is longer than the most asked for.
    TooLarge,
    /// -10: the TLS handshake failed (`handshake failed`); the socket is closed.
    TlsFailed,
    /// -11: the peer's certificate was refused (`certificate verify error`, `certificate
    /// host mismatch`); the socket is closed.
    TlsVerifyFailed,
    /// -12: the key exists already (shared dictionary `add`: `exists`).
    Exists,
    /// -13: no room in the shared dictionary (`no memory`).
    NoMemory,
    /// -14: too many timers pending (`wasm_max_pending_timers`).
    TooMany,
    /// Any other negative code (from a newer host).
    Other(i32),
}

/// The result of a host call.
pub type Result<T> = core::result::Result<T, Error>;

fn check(rc: i32) -> Result<i32> {
    use abi_consts::status;
    match rc {
        0.. => Ok(rc),
        status::NOT_FOUND => Err(Error::NotFound),
        status::BAD_ARGUMENT => Err(Error::BadArgument),
        status::NOT_ALLOWED => Err(Error::NotAllowed),
        status::INTERNAL => Err(Error::Internal),
        status::TIMEOUT => Err(Error::Timeout),
        status::CLOSED => Err(Error::Closed),
        status::CONNECT_FAILED => Err(Error::ConnectFailed),
        status::RESOLVE_FAILED => Err(Error::ResolveFailed),
        status::TOO_LARGE => Err(Error::TooLarge),
        status::TLS_FAILED => Err(Error::TlsFailed),
        status::TLS_VERIFY_FAILED => Err(Error::TlsVerifyFailed),
        status::EXISTS => Err(Error::Exists),
        status::NO_MEMORY => Err(Error::NoMemory),
        status::TOO_MANY => Err(Error::TooMany),
        n => Err(Error::Other(n)),
    }
}

fn len(b: &[u8]) -> i32 {
    // Guest memory is at most 4 GiB and slices built here are far smaller; saturate anyway.
    i32::try_from(b.len()).unwrap_or(i32::MAX)
}

/// Calls a getter with a buffer that grows to the length the host reports. The buffer is
/// not zeroed first: the host writes the bytes it reports (when they fit) before we read them.
fn get_bytes(mut getter: impl FnMut(*mut u8, i32) -> i32) -> Result<Vec<u8>> {
    let mut buf: Vec<u8> = Vec::with_capacity(256);
    loop {
        let cap = buf.capacity();
        let n = check(getter(
            buf.as_mut_ptr(),
            i32::try_from(cap).unwrap_or(i32::MAX),
        ))? as usize;
        if n <= cap {
            // SAFETY: the host wrote n <= capacity bytes at the buffer's start (ABI: a getter
            // that returns a length no greater than the capacity has written that many bytes).
            unsafe { buf.set_len(n) };
            return Ok(buf);
        }
        buf.reserve_exact(n);
    }
}

fn get_string(getter: impl FnMut(*mut u8, i32) -> i32) -> Result<String> {
    get_bytes(getter).map(|b| {
        String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    })
}

fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut it = raw.split(|&c| c == 0);
    while let (Some(n), Some(v)) = (it.next(), it.next()) {
        if n.is_empty() && v.is_empty() {
            break;
        }
        out.push((
            String::from_utf8_lossy(n).into_owned(),
            String::from_utf8_lossy(v).into_owned(),
        ));
    }
    out
}

/// The first value of header `name` (case-insensitive) among `headers`.
fn first_header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn ok(rc: i32) -> Result<()> {
    check(rc).map(drop)
}

/// Exports `fn() -> ()` handlers under a name a directive can use:
/// `handler!(on_content, || { ... });` or `handler!(on_content, path::to::function);`.
#[macro_export]
macro_rules! handler {
    ($name:ident, $body:expr) => {
        #[no_mangle]
        pub extern "C" fn $name() {
            let f: fn() = $body;
            f()
        }
    };
}

/// `ngx.say(...)` with `format!` arguments; returns the host's result. The text is formatted
/// on the stack (no heap allocation) when it fits in [`fmt::STACK_BYTES`].
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::fmt::with_formatted(::core::format_args!($($arg)*), |b| $crate::resp::say(b))
    };
}

/// `ngx.print(...)` with `format!` arguments; returns the host's result. Formats like
/// [`say!`].
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::fmt::with_formatted(::core::format_args!($($arg)*), |b| $crate::resp::print(b))
    };
}

/// `ngx.say(a, b, c)`: appends each argument as it is (text, bytes, integers in decimal; see
/// [`fmt::Piece`]) and a newline, without `format!` machinery; returns the host's result.
/// `say_parts!(name, " has ", n, " items")`.
#[macro_export]
macro_rules! say_parts {
    ($($piece:expr),+ $(,)?) => {
        $crate::fmt::with_pieces(&[$(&$piece as &dyn $crate::fmt::Piece),+], |b| $crate::resp::say(b))
    };
}

/// `ngx.print(a, b, c)`: like [`say_parts!`] without the newline.
#[macro_export]
macro_rules! print_parts {
    ($($piece:expr),+ $(,)?) => {
        $crate::fmt::with_pieces(&[$(&$piece as &dyn $crate::fmt::Piece),+], |b| $crate::resp::print(b))
    };
}

/// `return ngx.exit(status)`: records the status and returns from the handler.
#[macro_export]
macro_rules! exit {
    ($status:expr) => {{
        let _ = $crate::resp::exit($status);
        return;
    }};
}

/// `ngx.log(level, ...)` with `format!` arguments: `log!(ERR, "bad {}", x)`.
#[macro_export]
macro_rules! log {
    ($level:ident, $($arg:tt)*) => {
        $crate::fmt::with_formatted(::core::format_args!($($arg)*), |m| {
            $crate::log::log_bytes($crate::log::Level::$level, m)
        })
    };
}

/// Logging to the nginx error log (`ngx.log`).
pub mod log {
    use abi_consts::LogLevel;

    /// nginx log levels (same numbers as `ngx.ERR`, `ngx.INFO`... in OpenResty).
    #[allow(clippy::upper_case_acronyms)]
    #[derive(Debug, Clone, Copy)]
    #[repr(i32)]
    pub enum Level {
        /// `emerg`
        Emerg = LogLevel::Emerg.to_abi(),
        /// `alert`
        Alert = LogLevel::Alert.to_abi(),
        /// `crit`
        Crit = LogLevel::Crit.to_abi(),
        /// `error`
        Err = LogLevel::Err.to_abi(),
        /// `warn`
        Warn = LogLevel::Warn.to_abi(),
        /// `notice`
        Notice = LogLevel::Notice.to_abi(),
        /// `info`
        Info = LogLevel::Info.to_abi(),
        /// `debug`
        Debug = LogLevel::Debug.to_abi(),
    }

    #[allow(non_upper_case_globals, missing_docs)]
    impl Level {
        pub const EMERG: Level = Level::Emerg;
        pub const ALERT: Level = Level::Alert;
        pub const CRIT: Level = Level::Crit;
        pub const ERR: Level = Level::Err;
        pub const WARN: Level = Level::Warn;
        pub const NOTICE: Level = Level::Notice;
        pub const INFO: Level = Level::Info;
        pub const DEBUG: Level = Level::Debug;
    }

    /// Writes `msg` to the error log at `level` (shown as `[wasm] msg`).
    pub fn log(level: Level, msg: &str) -> super::Result<()> {
        log_bytes(level, msg.as_bytes())
    }

    /// Writes `msg` (UTF-8, or bytes the log shows as they are) at `level`.
    pub fn log_bytes(level: Level, msg: &[u8]) -> super::Result<()> {
        // SAFETY: the pointer and length describe a live slice of this guest's memory.
        super::ok(unsafe { super::ffi::log(level as i32, msg.as_ptr(), super::len(msg)) })
    }
}

/// nginx's cached time, in milliseconds since the epoch (`ngx.now() * 1000`).
pub fn now() -> u64 {
    let mut v = 0u64;
    // SAFETY: a pointer to a live u64 of this guest.
    unsafe { ffi::now(&mut v) };
    v
}

/// Subrequests captured in memory (`ngx.location.capture`, `ngx.location.capture_multi`).
///
/// ```ignore
/// use ngx_wasm_guest::location::{self, Request};
///
/// let res = location::capture(&Request::get("/backend").args("id=7"))?;
/// ngx::say!("{} {}", res.status, String::from_utf8_lossy(&res.body));
/// ```
///
/// A subrequest to a location with `proxy_pass` is nginx's own outbound HTTP call.
pub mod location {
    use super::{check, ffi, get_bytes, len, pairs, Error, Result};
    use abi_consts::subreq;

    /// One subrequest: `ngx.location.capture`'s URI and options table.
    #[derive(Debug, Clone, Copy)]
    pub struct Request<'a> {
        method: &'a str,
        uri: &'a str,
        args: &'a str,
        body: Option<&'a [u8]>,
        options: i32,
    }

    impl<'a> Request<'a> {
        /// A `GET` of `uri` (a path, maybe with a `?query`).
        pub fn get(uri: &'a str) -> Self {
            Self::new("GET", uri)
        }

        /// A `method` request (`GET`, `POST`, `PUT`, `DELETE`, `HEAD`...) of `uri`.
        pub fn new(method: &'a str, uri: &'a str) -> Self {
            Request {
                method,
                uri,
                args: "",
                body: None,
                options: 0,
            }
        }

        /// Query arguments, joined to the URI's own with `&` (`args`).
        pub fn args(mut self, args: &'a str) -> Self {
            self.args = args;
            self
        }

        /// The request body (`body`); without it a `POST` or `PUT` forwards the parent's.
        pub fn body(mut self, body: &'a [u8]) -> Self {
            self.body = Some(body);
            self.options |= subreq::WITH_BODY;
            self
        }

        /// Start with a copy of the parent's variables (`copy_all_vars`).
        pub fn copy_all_vars(mut self) -> Self {
            self.options |= subreq::COPY_ALL_VARS;
            self
        }

        /// Share the parent's variables (`share_all_vars`).
        pub fn share_all_vars(mut self) -> Self {
            self.options |= subreq::SHARE_ALL_VARS;
            self
        }

        /// Forward the parent's body whatever the method (`always_forward_body`).
        pub fn always_forward_body(mut self) -> Self {
            self.options |= subreq::ALWAYS_FORWARD_BODY;
            self
        }
    }

    /// What a subrequest answered.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct Response {
        /// The status (`res.status`).
        pub status: u16,
        /// The response headers, in order (`res.header`).
        pub headers: Vec<(String, String)>,
        /// The body (`res.body`).
        pub body: Vec<u8>,
        /// The body ended early: its upstream failed mid-response (`res.truncated`).
        pub truncated: bool,
    }

    impl Response {
        /// The first value of header `name` (case-insensitive).
        pub fn header(&self, name: &str) -> Option<&str> {
            super::first_header(&self.headers, name)
        }
    }

    /// Issues `req` and waits for its answer without blocking the worker
    /// (`ngx.location.capture`).
    pub fn capture(req: &Request<'_>) -> Result<Response> {
        let mut all = capture_multi(core::slice::from_ref(req))?;
        all.pop().ok_or(Error::Internal)
    }

    /// Issues every request at once, in parallel, and waits until all have answered
    /// (`ngx.location.capture_multi`); the answers come in the order of `reqs`.
    pub fn capture_multi(reqs: &[Request<'_>]) -> Result<Vec<Response>> {
        for r in reqs {
            let body = r.body.unwrap_or_default();
            // SAFETY: every pointer and length describes a live slice of this guest.
            check(unsafe {
                ffi::subreq_add(
                    r.method.as_ptr(),
                    len(r.method.as_bytes()),
                    r.uri.as_ptr(),
                    len(r.uri.as_bytes()),
                    r.args.as_ptr(),
                    len(r.args.as_bytes()),
                    body.as_ptr(),
                    len(body),
                    r.options,
                )
            })?;
        }
        // SAFETY: no pointers.
        let n = check(unsafe { ffi::subreq_wait() })?;
        (0..n).map(response).collect()
    }

    fn response(id: i32) -> Result<Response> {
        // SAFETY (each call): no pointers, or buffers that are live slices of this guest.
        let status = check(unsafe { ffi::subreq_status(id) })?;
        let truncated = check(unsafe { ffi::subreq_truncated(id) })? == 1;
        let headers = get_bytes(|p, c| unsafe { ffi::subreq_headers(id, p, c) })?;
        let body = get_bytes(|p, c| unsafe { ffi::subreq_body(id, p, c) })?;
        Ok(Response {
            status: u16::try_from(status).unwrap_or(0),
            headers: pairs(&headers),
            body,
            truncated,
        })
    }
}

/// Waits `ms` milliseconds without blocking the worker (`ngx.sleep(ms / 1000)`): the call is
/// suspended on an nginx timer and resumes after it, while nginx serves other requests.
/// `sleep(0)` waits for the next turn of the event loop. Time spent waiting does not count
/// against `wasm_timeout`. [`Error::NotAllowed`] where a call cannot wait (header and body
/// filters, log, init_worker).
pub fn sleep(ms: u32) -> Result<()> {
    let ms = i32::try_from(ms).map_err(|_| Error::BadArgument)?;
    // SAFETY: a host function taking and returning a number.
    ok(unsafe { ffi::sleep(ms) })
}

/// The phase a handler runs in (`ngx.get_phase()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// `init_worker_by_wasm`
    InitWorker,
    /// `server_rewrite_by_wasm`
    ServerRewrite,
    /// `rewrite_by_wasm`
    Rewrite,
    /// `access_by_wasm`
    Access,
    /// `content_by_wasm`
    Content,
    /// `header_filter_by_wasm`
    HeaderFilter,
    /// `body_filter_by_wasm`
    BodyFilter,
    /// `log_by_wasm`
    Log,
    /// A timer's run ([`timer::at`], [`timer::every`]).
    Timer,
    /// A phase this SDK does not know (a newer host).
    Other,
}

/// The current phase.
pub fn phase() -> Phase {
    // SAFETY: buffer pointers describe live slices of this guest.
    let name = get_bytes(|p, c| unsafe { ffi::get_phase(p, c) }).unwrap_or_default();
    match &name[..] {
        b"init_worker" => Phase::InitWorker,
        b"server_rewrite" => Phase::ServerRewrite,
        b"rewrite" => Phase::Rewrite,
        b"access" => Phase::Access,
        b"content" => Phase::Content,
        b"header_filter" => Phase::HeaderFilter,
        b"body_filter" => Phase::BodyFilter,
        b"log" => Phase::Log,
        b"timer" => Phase::Timer,
        _ => Phase::Other,
    }
}

/// The request (`ngx.req.*`).
pub mod req {
    use super::{check, ffi, get_bytes, get_string, len, ok, pairs, Result};

    /// The request method (`ngx.req.get_method()`).
    pub fn method() -> String {
        // SAFETY: buffer pointers describe live slices of this guest.
        get_string(|p, c| unsafe { ffi::req_get_method(p, c) }).unwrap_or_default()
    }

    /// Changes the method (`ngx.req.set_method`), e.g. `"POST"`.
    pub fn set_method(method: &str) -> Result<()> {
        // SAFETY: a live slice of this guest.
        ok(unsafe { ffi::req_set_method(method.as_ptr(), len(method.as_bytes())) })
    }

    /// The URI path, decoded and normalized (`ngx.var.uri`).
    pub fn uri() -> Vec<u8> {
        // SAFETY: buffer pointers describe live slices of this guest.
        get_bytes(|p, c| unsafe { ffi::req_get_uri(p, c) }).unwrap_or_default()
    }

    /// Changes the URI; with `jump`, nginx chooses the location again (rewrite phase only),
    /// like `ngx.req.set_uri(uri, true)`.
    pub fn set_uri(uri: &str, jump: bool) -> Result<()> {
        // SAFETY: a live slice of this guest.
        ok(unsafe { ffi::req_set_uri(uri.as_ptr(), len(uri.as_bytes()), i32::from(jump)) })
    }

    /// The raw query string (`ngx.var.args`).
    pub fn query() -> String {
        // SAFETY: buffer pointers describe live slices of this guest.
        get_string(|p, c| unsafe { ffi::req_get_query(p, c) }).unwrap_or_default()
    }

    /// Replaces the query string.
    pub fn set_query(query: &str) -> Result<()> {
        // SAFETY: a live slice of this guest.
        ok(unsafe { ffi::req_set_query(query.as_ptr(), len(query.as_bytes())) })
    }

    /// The decoded value of query argument `name` (`ngx.req.get_uri_args()[name]`).
    pub fn arg(name: &str) -> Option<String> {
        // SAFETY: live slices of this guest.
        get_string(|p, c| unsafe { ffi::req_get_arg(name.as_ptr(), len(name.as_bytes()), p, c) })
            .ok()
    }

    /// The HTTP version times ten: 10, 11, 20, 30 (`ngx.req.http_version()`).
    pub fn http_version() -> u32 {
        // SAFETY: no pointers.
        unsafe { ffi::req_http_version() }.max(0) as u32
    }

    /// True after an internal redirect (`ngx.req.is_internal()`).
    pub fn is_internal() -> bool {
        // SAFETY: no pointers.
        (unsafe { ffi::req_is_internal() }) == 1
    }

    /// When the request started, in milliseconds since the epoch (`ngx.req.start_time()`).
    pub fn start_time() -> u64 {
        let mut v = 0u64;
        // SAFETY: a pointer to a live u64 of this guest.
        unsafe { ffi::req_start_time(&mut v) };
        v
    }

    /// Every value of request header `name` (case-insensitive), joined with `", "`.
    pub fn header(name: &str) -> Option<String> {
        // SAFETY: live slices of this guest.
        get_string(|p, c| unsafe { ffi::req_get_header(name.as_ptr(), len(name.as_bytes()), p, c) })
            .ok()
    }

    /// Every request header, in order (`ngx.req.get_headers()`).
    pub fn headers() -> Vec<(String, String)> {
        // SAFETY: buffer pointers describe live slices of this guest.
        pairs(&get_bytes(|p, c| unsafe { ffi::req_get_headers(p, c) }).unwrap_or_default())
    }

    /// Replaces every value of request header `name` (`ngx.req.set_header`).
    pub fn set_header(name: &str, value: &str) -> Result<()> {
        // SAFETY: live slices of this guest.
        ok(unsafe {
            ffi::req_set_header(
                name.as_ptr(),
                len(name.as_bytes()),
                value.as_ptr(),
                len(value.as_bytes()),
            )
        })
    }

    /// Adds a request header value.
    pub fn add_header(name: &str, value: &str) -> Result<()> {
        // SAFETY: live slices of this guest.
        ok(unsafe {
            ffi::req_add_header(
                name.as_ptr(),
                len(name.as_bytes()),
                value.as_ptr(),
                len(value.as_bytes()),
            )
        })
    }

    /// Removes request header `name` (`ngx.req.clear_header`).
    pub fn clear_header(name: &str) -> Result<()> {
        // SAFETY: a live slice of this guest.
        ok(unsafe { ffi::req_clear_header(name.as_ptr(), len(name.as_bytes())) })
    }

    /// Reads the request body without blocking the worker (`ngx.req.read_body()`): returns at
    /// once when the body is complete, else waits while nginx reads it. Afterwards
    /// [`body`] and [`body_len`] see it. A body that was discarded is not read (`Ok` all the
    /// same, as OpenResty does). [`Error::Internal`] when nginx refused the body (larger than
    /// `client_max_body_size`...): the request is answered 413 (or 400) when the handler
    /// returns, so return at once.
    pub fn read_body() -> Result<()> {
        // SAFETY: no pointers.
        ok(unsafe { ffi::req_read_body() })
    }

    /// The length of the request body that was read (`wasm_need_request_body on`, or
    /// [`read_body`]).
    pub fn body_len() -> Option<usize> {
        // SAFETY: no pointers.
        check(unsafe { ffi::req_body_len() })
            .ok()
            .map(|n| n as usize)
    }

    /// The whole request body that was read, or `None` if none was read.
    pub fn body() -> Option<Vec<u8>> {
        let total = body_len()?;
        let mut out = vec![0u8; total];
        let mut at = 0;
        while at < total {
            let rest = &mut out[at..];
            // SAFETY: a live slice of this guest.
            let n = check(unsafe { ffi::req_get_body(at as i32, rest.as_mut_ptr(), len(rest)) })
                .ok()?;
            if n == 0 {
                break;
            }
            at += n as usize;
        }
        out.truncate(at);
        Some(out)
    }

    /// Reads and discards the request body (`ngx.req.discard_body()`).
    pub fn discard_body() -> Result<()> {
        // SAFETY: no pointers.
        ok(unsafe { ffi::req_discard_body() })
    }
}

/// The response (`ngx.status`, `ngx.header`, `ngx.say`, `ngx.exit`...).
pub mod resp {
    use super::{ffi, get_bytes, get_string, len, ok, pairs, Result};

    /// The response status so far, 0 if none (`ngx.status`).
    pub fn status() -> u16 {
        // SAFETY: no pointers.
        unsafe { ffi::resp_get_status() }.clamp(0, 999) as u16
    }

    /// Sets the response status (`ngx.status = ...`).
    pub fn set_status(status: u16) -> Result<()> {
        // SAFETY: no pointers.
        ok(unsafe { ffi::resp_set_status(i32::from(status)) })
    }

    /// Every value of response header `name`, joined with `", "` (`ngx.header[name]`).
    pub fn header(name: &str) -> Option<String> {
        // SAFETY: live slices of this guest.
        get_string(|p, c| unsafe {
            ffi::resp_get_header(name.as_ptr(), len(name.as_bytes()), p, c)
        })
        .ok()
    }

    /// Every response header.
    pub fn headers() -> Vec<(String, String)> {
        // SAFETY: buffer pointers describe live slices of this guest.
        pairs(&get_bytes(|p, c| unsafe { ffi::resp_get_headers(p, c) }).unwrap_or_default())
    }

    /// Replaces every value of response header `name`; an empty value removes it
    /// (`ngx.header[name] = value`).
    pub fn set_header(name: &str, value: &str) -> Result<()> {
        // SAFETY: live slices of this guest.
        ok(unsafe {
            ffi::resp_set_header(
                name.as_ptr(),
                len(name.as_bytes()),
                value.as_ptr(),
                len(value.as_bytes()),
            )
        })
    }

    /// Adds a response header value (e.g. another `Set-Cookie`).
    pub fn add_header(name: &str, value: &str) -> Result<()> {
        // SAFETY: live slices of this guest.
        ok(unsafe {
            ffi::resp_add_header(
                name.as_ptr(),
                len(name.as_bytes()),
                value.as_ptr(),
                len(value.as_bytes()),
            )
        })
    }

    /// Removes response header `name` (`ngx.header[name] = nil`).
    pub fn clear_header(name: &str) -> Result<()> {
        // SAFETY: a live slice of this guest.
        ok(unsafe { ffi::resp_clear_header(name.as_ptr(), len(name.as_bytes())) })
    }

    /// Appends text or bytes to the body (`ngx.print`).
    pub fn print(data: impl AsRef<[u8]>) -> Result<()> {
        let data = data.as_ref();
        // SAFETY: a live slice of this guest.
        ok(unsafe { ffi::resp_print(data.as_ptr(), len(data)) })
    }

    /// Appends bytes to the body (same as [`print`]).
    pub fn write(data: &[u8]) -> Result<()> {
        print(data)
    }

    /// Appends text and a newline (`ngx.say`).
    pub fn say(data: impl AsRef<[u8]>) -> Result<()> {
        let data = data.as_ref();
        // SAFETY: a live slice of this guest.
        ok(unsafe { ffi::resp_say(data.as_ptr(), len(data)) })
    }

    /// Sends the header and what was written so far (`ngx.flush(true)`); the response then
    /// goes out chunked and its status and headers are fixed. While the client has not taken
    /// the output yet, the call waits (without blocking the worker) until it has: a guest
    /// that streams with `flush` is paced by its client.
    pub fn flush() -> Result<()> {
        // SAFETY: no pointers.
        ok(unsafe { ffi::resp_flush() })
    }

    /// `ngx.exit(status)`: 0 lets the request go on; 200..=599 finishes it when the handler
    /// returns. Return right after (the [`exit!`](crate::exit) macro does).
    pub fn exit(status: u16) -> Result<()> {
        // SAFETY: no pointers.
        ok(unsafe { ffi::resp_exit(i32::from(status)) })
    }

    /// `ngx.redirect(uri, status)` (status 301, 302, 303, 307, 308; 0 = 302). Return right
    /// after.
    pub fn redirect(uri: &str, status: u16) -> Result<()> {
        // SAFETY: a live slice of this guest.
        ok(unsafe { ffi::resp_redirect(uri.as_ptr(), len(uri.as_bytes()), i32::from(status)) })
    }

    /// `ngx.exec(uri, args)`: internal redirect to a path or `@name`. Return right after.
    ///
    /// A path's own query (`/t?a=1`) is joined with `args` by `&`, as `ngx.exec` does. A path
    /// nginx calls unsafe (a `..` segment or a NUL, also percent-encoded) is refused with
    /// [`Error::BadArgument`] and logged by nginx as `unsafe URI "..." was detected`.
    pub fn exec(uri: &str, args: &str) -> Result<()> {
        // SAFETY: live slices of this guest.
        ok(unsafe {
            ffi::req_exec(
                uri.as_ptr(),
                len(uri.as_bytes()),
                args.as_ptr(),
                len(args.as_bytes()),
            )
        })
    }
}

/// nginx variables (`ngx.var`).
pub mod var {
    use super::{ffi, get_string, len, ok, Result};

    /// The value of `$name`; `None` when unset or unknown.
    pub fn get(name: &str) -> Option<String> {
        // SAFETY: live slices of this guest.
        get_string(|p, c| unsafe { ffi::var_get(name.as_ptr(), len(name.as_bytes()), p, c) }).ok()
    }

    /// Sets `$name` (declared with `set $name ...;` in the configuration).
    pub fn set(name: &str, value: &str) -> Result<()> {
        // SAFETY: live slices of this guest.
        ok(unsafe {
            ffi::var_set(
                name.as_ptr(),
                len(name.as_bytes()),
                value.as_ptr(),
                len(value.as_bytes()),
            )
        })
    }
}

/// The per-request context (`ngx.ctx`), shared by every phase of one request.
pub mod ctx {
    use super::{ffi, get_bytes, len, ok, Result};

    /// The value stored under `key`.
    pub fn get(key: &str) -> Option<Vec<u8>> {
        // SAFETY: live slices of this guest.
        get_bytes(|p, c| unsafe { ffi::ctx_get(key.as_ptr(), len(key.as_bytes()), p, c) }).ok()
    }

    /// Stores `value` under `key` for the rest of the request.
    pub fn set(key: &str, value: impl AsRef<[u8]>) -> Result<()> {
        let v = value.as_ref();
        // SAFETY: live slices of this guest.
        ok(unsafe { ffi::ctx_set(key.as_ptr(), len(key.as_bytes()), v.as_ptr(), len(v)) })
    }

    /// Removes `key`.
    pub fn delete(key: &str) -> Result<()> {
        // SAFETY: a live slice of this guest.
        ok(unsafe { ffi::ctx_delete(key.as_ptr(), len(key.as_bytes())) })
    }
}

/// The body filter's chunk (`ngx.arg[1]`, `ngx.arg[2]` in `body_filter_by_lua`).
pub mod body_filter {
    use super::{ffi, get_bytes, len, ok, Result};

    /// The data of the chunk passing through.
    pub fn chunk() -> Vec<u8> {
        // SAFETY: buffer pointers describe live slices of this guest.
        get_bytes(|p, c| unsafe { ffi::body_chunk_get(p, c) }).unwrap_or_default()
    }

    /// Replaces the chunk (`ngx.arg[1] = data`); empty drops it.
    pub fn set_chunk(data: impl AsRef<[u8]>) -> Result<()> {
        let d = data.as_ref();
        // SAFETY: a live slice of this guest.
        ok(unsafe { ffi::body_chunk_set(d.as_ptr(), len(d)) })
    }

    /// True when this chunk ends the response (`ngx.arg[2]`).
    pub fn is_last() -> bool {
        // SAFETY: no pointers.
        (unsafe { ffi::body_chunk_is_last() }) == 1
    }
}

/// The nginx worker process the guest runs in (`ngx.worker.*`).
pub mod worker {
    use super::ffi;

    /// This worker's number, 0 to [`count`]` - 1` (0 with `master_process off`).
    pub fn id() -> u32 {
        // SAFETY: no arguments.
        unsafe { ffi::worker_id() }.max(0) as u32
    }

    /// `worker_processes`.
    pub fn count() -> u32 {
        // SAFETY: no arguments.
        unsafe { ffi::worker_count() }.max(1) as u32
    }

    /// This process's id.
    pub fn pid() -> u32 {
        // SAFETY: no arguments.
        unsafe { ffi::worker_pid() }.max(0) as u32
    }

    /// True while the worker shuts down (graceful shutdown, or an old worker after a reload).
    pub fn exiting() -> bool {
        // SAFETY: no arguments.
        (unsafe { ffi::worker_exiting() }) == 1
    }
}

/// Timers (`ngx.timer.*`): an export of this module run later, outside any request, in the
/// `timer` phase. A timer's run may log, use shared dictionaries, sleep, keep a context of
/// its own and add timers; the request API refuses ([`Error::NotAllowed`]). It runs with
/// the `http` level's `wasm_timeout`, `wasm_fuel` and `wasm_max_memory`.
///
/// The export is named, not passed: it must be a `() -> ()` export of the same module (see
/// [`crate::handler!`]), and the run reads its argument with [`arg`]. At a graceful shutdown
/// every pending timer runs at once with [`crate::worker::exiting`] true (OpenResty's
/// `premature`).
///
/// ```ignore
/// ngx::handler!(refresh, || {
///     let key = ngx::timer::arg();
///     // ... fetch and store in a shared dictionary ...
/// });
/// ngx::handler!(on_init_worker, || {
///     let _ = ngx::timer::every(5_000, "refresh", b"config");
/// });
/// ```
pub mod timer {
    use super::{ffi, get_bytes, len, ok, Result};

    /// Runs export `export` once, `delay_ms` milliseconds from now (0: at the next turn of
    /// nginx's event loop), with `arg` (at most 64 KiB) for [`arg`] (`ngx.timer.at`).
    /// [`crate::Error::BadArgument`] when the module has no such `() -> ()` export,
    /// [`crate::Error::TooMany`] past `wasm_max_pending_timers`,
    /// [`crate::Error::NotAllowed`] once the worker is exiting.
    pub fn at(delay_ms: u32, export: &str, arg: &[u8]) -> Result<()> {
        let delay = i32::try_from(delay_ms).map_err(|_| crate::Error::BadArgument)?;
        // SAFETY: pointers and lengths of live slices.
        ok(unsafe {
            ffi::timer_at(
                delay,
                export.as_ptr(),
                len(export.as_bytes()),
                arg.as_ptr(),
                len(arg),
            )
        })
    }

    /// As [`at`], then again every `interval_ms` (> 0) until the worker exits
    /// (`ngx.timer.every`); a run that fails does not stop the timer.
    pub fn every(interval_ms: u32, export: &str, arg: &[u8]) -> Result<()> {
        let interval = i32::try_from(interval_ms).map_err(|_| crate::Error::BadArgument)?;
        // SAFETY: pointers and lengths of live slices.
        ok(unsafe {
            ffi::timer_every(
                interval,
                export.as_ptr(),
                len(export.as_bytes()),
                arg.as_ptr(),
                len(arg),
            )
        })
    }

    /// The argument the running timer was added with (empty outside a timer).
    pub fn arg() -> Vec<u8> {
        // SAFETY: the getter convention over a buffer this function owns.
        get_bytes(|p, c| unsafe { ffi::timer_arg(p, c) }).unwrap_or_default()
    }

    /// Timers of this worker waiting to run (`ngx.timer.pending_count`).
    pub fn pending_count() -> u32 {
        // SAFETY: no arguments.
        unsafe { ffi::timer_pending_count() }.max(0) as u32
    }

    /// Timer runs of this worker in progress, waiting ones included
    /// (`ngx.timer.running_count`).
    pub fn running_count() -> u32 {
        // SAFETY: no arguments.
        unsafe { ffi::timer_running_count() }.max(0) as u32
    }
}
