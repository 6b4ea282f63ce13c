//! The request a guest call runs for, as the host ABI sees it.
//!
//! The nginx module implements [`HostRequest`] over `ngx_http_request_t`; tests implement it
//! over plain data. Host functions validate their arguments before they reach this trait, so an
//! implementation receives well-formed values only (a status in 100..=599, header names that
//! are HTTP tokens, header values without CR, LF or NUL).

use std::ptr::NonNull;

use abi_consts::LogLevel;

use crate::ctx::CtxStore;
use crate::error::RequestError;
use crate::phase::Phase;

/// What `exit`, `redirect` and `exec` ask the host to do once the export returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// `exit(0)`: end this handler; the request goes on to the next handler or phase.
    Continue,
    /// `exit(status)`, status >= 200: finish the request with this status (nginx's page for
    /// it when nothing was written and the status is >= 300).
    Status(u16),
}

/// Where a subrequest's request body comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodySource<'a> {
    /// This body (`Content-Length` set to its length).
    Given(&'a [u8]),
    /// The parent's body, whatever the method (`always_forward_body`).
    Parent,
    /// The parent's body for `POST` and `PUT`; none for other methods when the parent has
    /// one (OpenResty's default).
    ParentForPostPut,
}

/// A subrequest a guest queues (`subreq_add`), validated by the host function: the method
/// is upper-case ASCII letters, the args have no space, control character or `#`. The host
/// checks the URI with nginx's own rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubrequestSpec<'a> {
    /// `GET`, `POST`...
    pub method: &'a [u8],
    /// The path, maybe with a query (`/backend?x=1`).
    pub uri: &'a [u8],
    /// Extra query arguments, joined to the URI's with `&`.
    pub args: &'a [u8],
    /// The subrequest's request body.
    pub body: BodySource<'a>,
    /// Start with a copy of the parent's variables.
    pub copy_vars: bool,
    /// Share the parent's variables.
    pub share_vars: bool,
}

/// What a receive waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until<'a> {
    /// Exactly this many bytes.
    Bytes(usize),
    /// A line (without its `\n` or `\r\n`) of at most `max` bytes.
    Line {
        /// The longest line accepted.
        max: usize,
    },
    /// Everything until the peer closes, at most `max` bytes.
    All {
        /// The most bytes accepted.
        max: usize,
    },
    /// Whatever has arrived (waiting for something if nothing has), at most `max` bytes.
    Any {
        /// The most bytes returned.
        max: usize,
    },
    /// Everything before `pattern` (consumed), at most `max` bytes.
    Pattern {
        /// What ends the piece.
        pattern: &'a [u8],
        /// The most bytes before it.
        max: usize,
    },
}

/// A socket operation a guest asks for, validated by its host function. A timeout of `None`
/// is the location's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketOp<'a> {
    /// Connect to `host:port` (an IP address, a name, or `unix:/path`).
    Connect {
        /// The host.
        host: &'a [u8],
        /// The port (ignored for `unix:`).
        port: u16,
        /// Milliseconds.
        timeout_ms: Option<u32>,
    },
    /// Send every byte of `data` on socket `id`.
    Send {
        /// The socket.
        id: usize,
        /// The bytes.
        data: &'a [u8],
        /// Milliseconds.
        timeout_ms: Option<u32>,
    },
    /// A TLS handshake on socket `id`'s connection, as its client.
    Handshake {
        /// The socket.
        id: usize,
        /// The name sent as SNI and checked against the certificate; empty for none.
        server_name: &'a [u8],
        /// Verify the peer's certificate chain and name.
        verify: bool,
        /// Milliseconds.
        timeout_ms: Option<u32>,
    },
    /// Receive on socket `id`.
    Receive {
        /// The socket.
        id: usize,
        /// What to wait for.
        until: Until<'a>,
        /// Milliseconds.
        timeout_ms: Option<u32>,
    },
}

/// An operation on a shared dictionary (`wasm_shared_dict`), validated by its host function.
/// `dict` is the zone's name; keys are 1 to 65,535 bytes; times are milliseconds, `None` for
/// "never expires".
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShdictOp<'a> {
    /// The value of `key`, unless absent or expired (with `stale`: also an expired one that
    /// is not freed yet, `get_stale`).
    Get {
        /// The zone.
        dict: &'a [u8],
        /// The key.
        key: &'a [u8],
        /// Return an expired value too.
        stale: bool,
    },
    /// The keys of live entries, at most `max` (0: all), most recently used first.
    Keys {
        /// The zone.
        dict: &'a [u8],
        /// The most keys returned.
        max: u32,
    },
    /// Stores `value` under `key` (one of `abi_consts::shdict::{SET, SAFE_SET, ADD,
    /// SAFE_ADD, REPLACE}`).
    Set {
        /// The zone.
        dict: &'a [u8],
        /// The key.
        key: &'a [u8],
        /// How (`abi_consts::shdict::SET`...).
        op: i32,
        /// The value's kind (`abi_consts::shdict::BYTES`...).
        kind: u8,
        /// Its bytes.
        value: &'a [u8],
        /// The guest's flags, returned with the value.
        flags: u32,
        /// Time to live.
        ttl_ms: Option<u64>,
    },
    /// Removes `key`.
    Delete {
        /// The zone.
        dict: &'a [u8],
        /// The key.
        key: &'a [u8],
    },
    /// Adds `n` to the number at `key` (or creates it with `init` + `n`).
    Incr {
        /// The zone.
        dict: &'a [u8],
        /// The key.
        key: &'a [u8],
        /// The increment.
        n: f64,
        /// The value to start from when the key is absent, and its time to live.
        init: Option<(f64, Option<u64>)>,
    },
    /// The time `key` has left.
    Ttl {
        /// The zone.
        dict: &'a [u8],
        /// The key.
        key: &'a [u8],
    },
    /// Sets the time `key` has left.
    Expire {
        /// The zone.
        dict: &'a [u8],
        /// The key.
        key: &'a [u8],
        /// The new time to live.
        ttl_ms: Option<u64>,
    },
    /// Marks every entry expired.
    FlushAll {
        /// The zone.
        dict: &'a [u8],
    },
    /// Frees up to `max` expired entries (0: all).
    FlushExpired {
        /// The zone.
        dict: &'a [u8],
        /// The most to free.
        max: u32,
    },
    /// Pushes a value (bytes or `f64`) at the head (`left`) or tail of the list at `key`,
    /// creating it; the answer is the new length.
    Push {
        /// The zone.
        dict: &'a [u8],
        /// The key.
        key: &'a [u8],
        /// `lpush` (else `rpush`).
        left: bool,
        /// The value's kind.
        kind: u8,
        /// Its bytes.
        value: &'a [u8],
    },
    /// Pops the head (`left`) or tail of the list at `key` if it fits in `cap` bytes (else
    /// [`ShdictAnswer::Needed`]); an emptied list is removed.
    Pop {
        /// The zone.
        dict: &'a [u8],
        /// The key.
        key: &'a [u8],
        /// `lpop` (else `rpop`).
        left: bool,
        /// The most bytes the guest can take.
        cap: usize,
    },
    /// The length of the list at `key` (0 when absent).
    Len {
        /// The zone.
        dict: &'a [u8],
        /// The key.
        key: &'a [u8],
    },
    /// The zone's size in bytes.
    Capacity {
        /// The zone.
        dict: &'a [u8],
    },
    /// The bytes of the zone's free pages.
    FreeSpace {
        /// The zone.
        dict: &'a [u8],
    },
}

/// The bytes of a value a shared dictionary answers: up to 64 inline, so that reading a
/// small value costs no allocation.
pub type ShdictBytes = smallvec::SmallVec<[u8; 64]>;

/// What a shared dictionary operation answered.
#[derive(Debug, Clone, PartialEq)]
pub enum ShdictAnswer {
    /// The value of a `Get`: kind, flags, bytes, and whether it expired (only with
    /// `stale`); `None` when absent (or expired, without `stale`).
    Value(Option<(u8, u32, ShdictBytes, bool)>),
    /// The keys of a `Keys`.
    Keys(Vec<Vec<u8>>),
    /// A `Pop` whose value needs this many bytes: nothing was popped.
    Needed(u64),
    /// Stored; `true` when live entries were evicted to make room (`forcible`).
    Stored(bool),
    /// The number after `Incr`, and whether entries were evicted.
    Number(f64, bool),
    /// The time left after `Ttl` (`None`: never expires).
    Ttl(Option<u64>),
    /// A count (`FlushExpired`) or a size in bytes.
    Count(u64),
    /// Done (`Delete`, `Expire`, `FlushAll`).
    Done,
}

/// What a guest may know of the nginx process it runs in (`ngx.worker.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerInfo {
    /// The worker's number, 0 to `count - 1` (0 with `master_process off`).
    pub id: u32,
    /// `worker_processes`.
    pub count: u32,
    /// The process id.
    pub pid: u32,
    /// The worker is shutting down (graceful shutdown or reload).
    pub exiting: bool,
}

impl Default for WorkerInfo {
    fn default() -> Self {
        WorkerInfo {
            id: 0,
            count: 1,
            pid: 0,
            exiting: false,
        }
    }
}

/// A timer a guest asks for (`timer_at`, `timer_every`), validated by its host function:
/// the export name is not empty and the argument within [`TimerSpec::MAX_ARG`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerSpec<'a> {
    /// Milliseconds until the first run.
    pub delay_ms: u32,
    /// Run again every `delay_ms` after each run starts (`timer_every`), until the worker
    /// exits.
    pub every: bool,
    /// The export of the calling module to run, of type `() -> ()`.
    pub export: &'a [u8],
    /// Bytes the run reads with `timer_arg`.
    pub arg: &'a [u8],
}

impl TimerSpec<'_> {
    /// The longest argument a timer carries (64 KiB): pending timers hold their argument in
    /// the worker's memory, so it is bounded like everything a guest makes the host keep.
    pub const MAX_ARG: usize = 64 * 1024;
}

/// How many timers this worker has: waiting to run, and running (a run that waits counts
/// as running).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimerCounts {
    /// Pending (`ngx.timer.pending_count`).
    pub pending: u32,
    /// Running (`ngx.timer.running_count`).
    pub running: u32,
}

/// How a socket operation went at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketStep {
    /// It ended with this result: an id, a count or a length (`>= 0`), or an error status.
    Done(i32),
    /// It goes on in nginx's event loop: the call waits for [`crate::Wait::Socket`].
    Wait,
}

/// The Proxy-Wasm filter a call runs for (`proxy_wasm` directive): what its host functions
/// answer about the plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyFilter<'a> {
    /// The plugin's name: the module's file name without `.wasm` (`plugin_name`).
    pub name: &'a [u8],
    /// The directive's configuration string (the `PluginConfiguration` buffer).
    pub config: &'a [u8],
    /// The root context of this filter in its instance.
    pub root_id: u32,
}

/// A visitor over header entries: called with each name and value until it returns false.
pub type HeaderVisitor<'a, 'v> = &'v mut dyn FnMut(&'a [u8], &'a [u8]) -> bool;

/// The request a guest call runs for.
///
/// Host functions check the phase ([`HostRequest::phase`]) against their table entry and
/// validate every argument before calling these methods; implementations check the state
/// (e.g. whether the response header was already sent). Only `phase`, `log` and
/// `wall_clock_ms` are required: the other methods refuse ([`RequestError::NotAllowed`]) or return nothing by
/// default, which suits a host without a request (init_worker); a request host implements
/// them all.
pub trait HostRequest {
    /// The phase of the call.
    fn phase(&self) -> Phase;

    /// Writes `msg` to the error log at `level`, in the request's log context.
    fn log(&mut self, level: LogLevel, msg: &[u8]);
    /// A limit the call went past while it ran (`wasm_max_output`), as a reason fit for the
    /// error log: the host refused the operation with a status, and the call fails with
    /// this reason once it returns, as if a budget had stopped it.
    fn exceeded(&self) -> Option<String> {
        None
    }
    /// Counts a log line of `len` bytes against the request's [`crate::LogBudget`]; hosts
    /// without one write everything.
    fn log_budget(&mut self, _len: usize) -> crate::limits::LogVerdict {
        crate::limits::LogVerdict::Write
    }
    /// Where the starts of the guest's stdout and stderr lines wait for their newline (WASI
    /// `fd_write`); `create` is false when only existing lines are wanted (at the end of a
    /// call). Hosts without one end a line at every write.
    fn stdio(&mut self, _create: bool) -> Option<&mut crate::stdio::StdioLines> {
        None
    }
    /// The wall-clock time, in milliseconds since the epoch, as `ngx.now()` gives it (nginx's
    /// cached time, advanced once per event loop turn).
    fn wall_clock_ms(&self) -> u64;
    /// This process: worker number, worker count, pid, and whether it is exiting
    /// (`ngx.worker.*`).
    fn worker(&self) -> WorkerInfo {
        WorkerInfo::default()
    }

    /// The request method name, e.g. `GET`.
    fn method(&self) -> &[u8] {
        &[]
    }
    /// Changes the request method; `method` is upper-case ASCII letters.
    fn set_method(&mut self, _method: &[u8]) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// The request URI: the normalized path, without arguments (nginx's `$uri`).
    fn uri(&self) -> &[u8] {
        &[]
    }
    /// Changes the URI (a path starting with `/`). With `jump`, nginx looks the location up
    /// again after the rewrite phase (`ngx.req.set_uri(uri, true)`).
    fn set_uri(&mut self, _uri: &[u8], _jump: bool) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// The raw query string, without `?` (nginx's `$args`).
    fn query(&self) -> &[u8] {
        &[]
    }
    /// Replaces the query string.
    fn set_query(&mut self, _query: &[u8]) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// The HTTP version times ten: 9, 10, 11, 20 or 30.
    fn http_version(&self) -> u32 {
        0
    }
    /// True for a request reached by an internal redirect (`exec`, `error_page`...).
    fn is_internal(&self) -> bool {
        false
    }
    /// When the request started, in milliseconds since the epoch.
    fn start_time_ms(&self) -> u64 {
        0
    }

    /// Visits every request header, in order, until `visit` returns false.
    fn request_headers<'a>(&'a self, _visit: HeaderVisitor<'a, '_>) {}
    /// Sets a request header, replacing every value of that name; an empty value removes it.
    fn set_request_header(&mut self, _name: &[u8], _value: &[u8]) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// Adds a request header value, keeping earlier ones.
    fn add_request_header(&mut self, _name: &[u8], _value: &[u8]) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }

    /// The value of nginx variable `name` (lower-case), `Ok(None)` when it is not set for
    /// this request, [`RequestError::NotFound`] when no such variable exists.
    fn variable(&mut self, _name: &[u8]) -> Result<Option<&[u8]>, RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// Sets nginx variable `name`; [`RequestError::NotAllowed`] if it cannot be changed.
    fn set_variable(&mut self, _name: &[u8], _value: &[u8]) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }

    /// The length of the request body that was read (`wasm_need_request_body on`, or
    /// `req_read_body`), or `None` when no body was read.
    fn body_len(&self) -> Option<usize> {
        None
    }
    /// Copies body bytes from `offset` into `out`; returns how many were copied.
    fn read_body(&mut self, _offset: usize, _out: &mut [u8]) -> Result<usize, RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// Reads and discards the request body.
    fn discard_body(&mut self) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// Starts reading the request body on demand (`req_read_body`): `Ok(true)` when there is
    /// nothing to wait for (the body is read now, was read before, or was discarded), `Ok(false)`
    /// while nginx reads the rest (the call then waits for [`crate::Wait::RequestBody`]).
    /// An error when nginx refused the body (too large, a bad chunk): the request is then
    /// answered with nginx's status for it once the export returns.
    fn start_reading_body(&mut self) -> Result<bool, RequestError> {
        Err(RequestError::NotAllowed)
    }

    /// The response status set so far (0 if none).
    fn status(&self) -> u16 {
        0
    }
    /// Sets the response status.
    fn set_status(&mut self, _status: u16) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// Visits every response header, in order, until `visit` returns false. `Content-Type`
    /// and `Content-Length` are included when set.
    fn response_headers<'a>(&'a self, _visit: HeaderVisitor<'a, '_>) {}
    /// Sets a response header, replacing every value of that name (case-insensitive). An
    /// empty value removes the header.
    fn set_header(&mut self, _name: &[u8], _value: &[u8]) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// Adds a response header value, keeping earlier ones.
    fn add_header(&mut self, _name: &[u8], _value: &[u8]) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// Appends `data` to the response body.
    fn write(&mut self, _data: &[u8]) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// Sends the response header (if not sent yet) and everything written so far.
    fn flush(&mut self) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// Output handed to nginx is still waiting for the client (nginx's buffers are busy):
    /// `resp_flush` then waits for [`crate::Wait::Output`].
    fn output_busy(&self) -> bool {
        false
    }
    /// Records how the request goes on once the export returns.
    fn finish(&mut self, _finish: Finish) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// Answers with a redirect to `location` (`status` is 301, 302, 303, 307 or 308).
    fn redirect(&mut self, _location: &[u8], _status: u16) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// Internal redirect to `uri` (or a named location `@name`) with `args`, once the export
    /// returns.
    fn exec(&mut self, _uri: &[u8], _args: &[u8]) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }

    /// The body chunk passing through the body filter.
    fn body_chunk(&mut self) -> Result<&[u8], RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// Replaces the body chunk passing through the body filter.
    fn set_body_chunk(&mut self, _data: &[u8]) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// True when the chunk passing through the body filter is the last one.
    fn body_chunk_is_last(&self) -> bool {
        false
    }

    /// Queues a subrequest for the next [`crate::Wait::Subrequests`]; returns its id in that
    /// batch.
    fn add_subrequest(&mut self, _spec: &SubrequestSpec<'_>) -> Result<usize, RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// How many subrequests are queued.
    fn queued_subrequests(&self) -> usize {
        0
    }
    /// How many subrequests the last finished batch had (ids are `0..count`).
    fn subrequest_count(&self) -> usize {
        0
    }
    /// The status subrequest `id` answered.
    fn subrequest_status(&self, _id: usize) -> Option<u16> {
        None
    }
    /// True when subrequest `id`'s body ended early.
    fn subrequest_truncated(&self, _id: usize) -> Option<bool> {
        None
    }
    /// Visits the response headers of subrequest `id`.
    fn subrequest_headers<'a>(&'a self, _id: usize, _visit: HeaderVisitor<'a, '_>) {}
    /// The body subrequest `id` answered.
    fn subrequest_body(&self, _id: usize) -> Option<&[u8]> {
        None
    }

    /// Starts a socket operation.
    fn socket_start(&mut self, _op: SocketOp<'_>) -> Result<SocketStep, RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// The result of the socket operation the call waited for.
    fn socket_result(&mut self) -> i32 {
        abi_consts::status::INTERNAL
    }
    /// The last piece socket `id` received.
    fn socket_received(&self, _id: usize) -> Option<&[u8]> {
        None
    }
    /// Closes socket `id`.
    fn socket_close(&mut self, _id: usize) -> Result<(), RequestError> {
        Err(RequestError::NotFound)
    }
    /// Puts socket `id`'s connection into the keepalive pool.
    fn socket_keepalive(
        &mut self,
        _id: usize,
        _timeout_ms: Option<u32>,
        _pool_size: Option<u32>,
    ) -> Result<(), RequestError> {
        Err(RequestError::NotFound)
    }
    /// How many times socket `id`'s connection was reused from the pool.
    fn socket_reused(&self, _id: usize) -> Option<u32> {
        None
    }
    /// Runs an operation on a shared dictionary; an unknown zone is
    /// [`RequestError::BadArgument`].
    fn shdict(&mut self, _op: ShdictOp<'_>) -> Result<ShdictAnswer, RequestError> {
        Err(RequestError::NotAllowed)
    }

    /// The Proxy-Wasm filter this call runs for (`None` for a call of another directive).
    fn proxy_filter(&self) -> Option<ProxyFilter<'_>> {
        None
    }
    /// The most verbose level the error log writes here (`proxy_get_log_level`).
    fn log_threshold(&self) -> LogLevel {
        LogLevel::Info
    }

    /// The per-request context store, shared by all phases of the request.
    fn ctx(&mut self) -> Result<&mut CtxStore, RequestError> {
        Err(RequestError::NotAllowed)
    }

    /// Schedules a timer of the calling module. [`RequestError::BadArgument`] when the
    /// module has no such `() -> ()` export, [`RequestError::TooMany`] past
    /// `wasm_max_pending_timers`, [`RequestError::NotAllowed`] once the worker is exiting.
    fn timer_add(&mut self, _spec: TimerSpec<'_>) -> Result<(), RequestError> {
        Err(RequestError::NotAllowed)
    }
    /// This worker's pending and running timers.
    fn timer_counts(&self) -> TimerCounts {
        TimerCounts::default()
    }
    /// The argument of the timer this call runs for (`None` outside a timer).
    fn timer_arg(&self) -> Option<&[u8]> {
        None
    }
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
