//! The host side of the ABI: [`HostRequest`] over an `ngx_http_request_t`.
//!
//! One [`NgxRequest`] lives for one guest call. What the guest asks for is applied to the
//! request directly (request line, headers, variables) or recorded and carried out when the
//! export returns ([`NgxRequest::conclude`]): the response status, the buffered body, `exit`,
//! `redirect` and `exec`. Groups live in submodules, one per ABI group: [`headers`],
//! [`variables`], [`body`], [`output`], [`subrequest`].

pub mod body;
mod headers;
mod output;
pub mod socket;
pub mod subrequest;
pub mod tls;
mod uri;
mod variables;

pub use variables::Cache as VariableCache;

use std::ptr;

use engine_api::request::HeaderVisitor;
use engine_api::{
    BodySource, CtxStore, Finish, HostRequest, LogLevel, Phase, RequestError, ShdictAnswer,
    ShdictOp, SocketOp, SocketStep, SubrequestSpec, TimerCounts, TimerSpec,
};
use ngx::core::Status;
use ngx::ffi::{
    ngx_http_request_t, ngx_http_set_exten, ngx_log_t, ngx_palloc, ngx_str_t, ngx_table_elt_t,
};
use ngx::ngx_log_error;

use crate::ctx::{self, QueuedSubrequest, RequestCtx};
use crate::HttpWasmModule;
use ngx::http::{HttpModuleLocationConf, HttpModuleMainConf};
pub use output::{busy as output_busy, Outcome};

/// The bytes of an nginx string.
pub fn bytes(s: &ngx_str_t) -> &[u8] {
    if s.len == 0 || s.data.is_null() {
        return &[];
    }
    // SAFETY: nginx strings point at `len` initialized bytes.
    unsafe { std::slice::from_raw_parts(s.data, s.len) }
}

/// The body-filter chunk of one call.
pub struct Chunk {
    /// The chunk's data, gathered from its buffers.
    pub data: Vec<u8>,
    /// It ends the response.
    pub last: bool,
    /// What the guest replaced it with.
    pub replaced: Option<Vec<u8>>,
}

/// What one guest call builds up over its steps, carried out when the export returns: kept
/// in the request context while the call is suspended.
pub struct CallState {
    phase: Phase,
    status: Option<u16>,
    out: output::Pending,
    finish: Option<Finish>,
    exec: Option<(ngx_str_t, ngx_str_t)>,
    /// Response header entries this call added: hidden again if the guest fails.
    added: Vec<*mut ngx_table_elt_t>,
    /// The body-filter chunk, in that phase.
    chunk: Option<Chunk>,
    /// Body bytes the call wrote, and the most it may (`wasm_max_output`).
    written: u64,
    max_output: u64,
    /// A write went past `max_output`: refused, and the call fails when it returns.
    over_output: bool,
    /// The Proxy-Wasm plugin the call runs for (a `proxy_wasm` directive's).
    proxy: Option<Box<engine_api::ProxyFilter<'static>>>,
}

impl CallState {
    /// The phase of the call.
    pub fn phase(&self) -> Phase {
        self.phase
    }
}

/// One guest call's view of a request.
pub struct NgxRequest<'r> {
    r: &'r mut ngx_http_request_t,
    call: CallState,
}

impl<'r> NgxRequest<'r> {
    /// Wraps `r` for a new guest call in `phase` that may write `max_output` body bytes
    /// (`None`: any number).
    pub fn new(r: &'r mut ngx_http_request_t, phase: Phase, max_output: Option<u64>) -> Self {
        NgxRequest {
            r,
            call: CallState {
                phase,
                status: None,
                out: output::Pending::default(),
                finish: None,
                exec: None,
                added: Vec::new(),
                chunk: None,
                written: 0,
                max_output: max_output.unwrap_or(u64::MAX),
                over_output: false,
                proxy: None,
            },
        }
    }

    /// Wraps `r` for the next step of a call that was suspended with `state`.
    pub fn resumed(r: &'r mut ngx_http_request_t, state: CallState) -> Self {
        NgxRequest { r, call: state }
    }

    /// The request and what the call built so far, to keep while it is suspended.
    pub fn into_parts(self) -> (&'r mut ngx_http_request_t, CallState) {
        (self.r, self.call)
    }

    /// Hands the body filter's chunk to the call.
    pub fn set_chunk(&mut self, chunk: Chunk) {
        self.call.chunk = Some(chunk);
    }

    /// Runs the next calls for the Proxy-Wasm plugin `filter` (boxed: the state of a
    /// suspended call stays small).
    pub fn set_proxy(&mut self, filter: engine_api::ProxyFilter<'static>) {
        self.call.proxy = Some(Box::new(filter));
    }

    /// Takes the body filter's chunk back after the call.
    pub fn take_chunk(&mut self) -> Option<Chunk> {
        self.call.chunk.take()
    }

    /// The request's connection log.
    pub fn log_ptr(&self) -> *mut ngx_log_t {
        // SAFETY: a live request has a connection with a log.
        unsafe { (*self.r.connection).log }
    }

    /// Undoes what a failed call did to the response headers.
    pub fn discard_headers(&mut self) {
        for &h in &self.call.added {
            // SAFETY: entries this call pushed into headers_out, still allocated in r->pool.
            unsafe { (*h).hash = 0 };
        }
    }

    /// Forgets how long the request may still wait for an instance (a call started).
    pub fn clear_instance_deadline(&mut self) {
        if let Some(mut c) = ctx::get(self.r) {
            // SAFETY: the context outlives this call (see ctx_mut).
            unsafe { c.as_mut() }.instance_deadline = None;
        }
    }

    /// Discards the request body unless it was read (or is being read): what a content
    /// handler does before it answers.
    pub fn discard_unread_body(&mut self) -> Status {
        if body::len(self.r).is_some() {
            return Status::NGX_OK;
        }
        // SAFETY: r is a live request; nginx ignores a body already read or discarded.
        Status(unsafe { ngx::ffi::ngx_http_discard_request_body(self.r) })
    }

    /// True once the response header went out.
    pub fn header_sent(&self) -> bool {
        self.r.header_sent() != 0
    }

    fn pool_copy(&mut self, data: &[u8]) -> Result<ngx_str_t, RequestError> {
        pool_copy(self.r, data)
    }

    fn ctx_mut(&mut self) -> Result<&mut RequestCtx, RequestError> {
        let mut c = ctx::get_or_create(self.r).ok_or(RequestError::Internal)?;
        // SAFETY: the context lives as long as the request pool, longer than this borrow of
        // the request; nothing else holds a reference to it during a guest call.
        Ok(unsafe { c.as_mut() })
    }

    fn finished(&self) -> bool {
        matches!(self.call.finish, Some(Finish::Status(_))) || self.call.exec.is_some()
    }
}

/// Copies `data` into the request pool.
pub fn pool_copy(r: &ngx_http_request_t, data: &[u8]) -> Result<ngx_str_t, RequestError> {
    if data.is_empty() {
        return Ok(ngx_str_t {
            len: 0,
            data: ptr::null_mut(),
        });
    }
    // SAFETY: r->pool is the live request pool; the copy stays valid for the request.
    let p = unsafe { ngx_palloc(r.pool, data.len()) }.cast::<u8>();
    if p.is_null() {
        return Err(RequestError::Internal);
    }
    // SAFETY: p has room for data.len() bytes and does not overlap data.
    unsafe { ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
    Ok(ngx_str_t {
        len: data.len(),
        data: p,
    })
}

/// Request methods nginx knows, with their `NGX_HTTP_*` bits.
const METHODS: [(&[u8], u32); 15] = [
    (b"GET", ngx::ffi::NGX_HTTP_GET),
    (b"HEAD", ngx::ffi::NGX_HTTP_HEAD),
    (b"POST", ngx::ffi::NGX_HTTP_POST),
    (b"PUT", ngx::ffi::NGX_HTTP_PUT),
    (b"DELETE", ngx::ffi::NGX_HTTP_DELETE),
    (b"MKCOL", ngx::ffi::NGX_HTTP_MKCOL),
    (b"COPY", ngx::ffi::NGX_HTTP_COPY),
    (b"MOVE", ngx::ffi::NGX_HTTP_MOVE),
    (b"OPTIONS", ngx::ffi::NGX_HTTP_OPTIONS),
    (b"PROPFIND", ngx::ffi::NGX_HTTP_PROPFIND),
    (b"PROPPATCH", ngx::ffi::NGX_HTTP_PROPPATCH),
    (b"LOCK", ngx::ffi::NGX_HTTP_LOCK),
    (b"UNLOCK", ngx::ffi::NGX_HTTP_UNLOCK),
    (b"PATCH", ngx::ffi::NGX_HTTP_PATCH),
    (b"TRACE", ngx::ffi::NGX_HTTP_TRACE),
];

impl HostRequest for NgxRequest<'_> {
    fn phase(&self) -> Phase {
        self.call.phase
    }

    fn proxy_filter(&self) -> Option<engine_api::ProxyFilter<'_>> {
        self.call.proxy.as_deref().copied()
    }

    fn log_threshold(&self) -> LogLevel {
        log_threshold(self.log_ptr())
    }

    fn exceeded(&self) -> Option<String> {
        self.call.over_output.then(|| {
            format!(
                "output limit exceeded: the call wrote more than wasm_max_output allows ({} bytes)",
                self.call.max_output
            )
        })
    }

    fn log_budget(&mut self, len: usize) -> engine_api::LogVerdict {
        match ctx::get_or_create(self.r) {
            // SAFETY: the context lives as long as the request; nothing else holds it now.
            Some(mut c) => unsafe { c.as_mut() }.log_budget.charge(len),
            None => engine_api::LogVerdict::Write,
        }
    }

    fn stdio(&mut self, create: bool) -> Option<&mut engine_api::abi::wasi::StdioLines> {
        let c = if create {
            ctx::get_or_create(self.r)
        } else {
            ctx::get(self.r)
        };
        // SAFETY: the context lives as long as the request; nothing else holds it now.
        c.map(|mut c| &mut unsafe { c.as_mut() }.stdio)
    }

    fn log(&mut self, level: LogLevel, msg: &[u8]) {
        ngx_log_error!(
            level as usize,
            self.log_ptr(),
            "[wasm] {}",
            String::from_utf8_lossy(msg)
        );
    }

    fn wall_clock_ms(&self) -> u64 {
        crate::clock::wall_clock_ms()
    }

    fn worker(&self) -> engine_api::WorkerInfo {
        crate::process::info()
    }

    fn method(&self) -> &[u8] {
        bytes(&self.r.method_name)
    }

    fn set_method(&mut self, method: &[u8]) -> Result<(), RequestError> {
        let Some(&(_, bit)) = METHODS.iter().find(|(m, _)| *m == method) else {
            return Err(RequestError::BadArgument);
        };
        let name = self.pool_copy(method)?;
        self.r.method = bit as _;
        self.r.method_name = name;
        Ok(())
    }

    fn uri(&self) -> &[u8] {
        bytes(&self.r.uri)
    }

    fn set_uri(&mut self, uri: &[u8], jump: bool) -> Result<(), RequestError> {
        let uri = self.pool_copy(uri)?;
        self.r.uri = uri;
        self.r.set_valid_unparsed_uri(0);
        // SAFETY: r is a live request; recomputes $exten from the new URI.
        unsafe { ngx_http_set_exten(self.r) };
        if jump {
            self.r.set_uri_changed(1);
        }
        Ok(())
    }

    fn query(&self) -> &[u8] {
        bytes(&self.r.args)
    }

    fn set_query(&mut self, query: &[u8]) -> Result<(), RequestError> {
        self.r.args = self.pool_copy(query)?;
        self.r.set_valid_unparsed_uri(0);
        Ok(())
    }

    fn http_version(&self) -> u32 {
        let v = self.r.http_version as u32;
        v / 1000 * 10 + v % 1000
    }

    fn is_internal(&self) -> bool {
        self.r.internal() != 0
    }

    fn start_time_ms(&self) -> u64 {
        self.r.start_sec as u64 * 1000 + self.r.start_msec as u64
    }

    fn request_headers<'a>(&'a self, visit: HeaderVisitor<'a, '_>) {
        headers::visit_request(self.r, visit)
    }

    fn set_request_header(&mut self, name: &[u8], value: &[u8]) -> Result<(), RequestError> {
        headers::set_request(self.r, name, value, false)
    }

    fn add_request_header(&mut self, name: &[u8], value: &[u8]) -> Result<(), RequestError> {
        headers::set_request(self.r, name, value, true)
    }

    fn variable(&mut self, name: &[u8]) -> Result<Option<&[u8]>, RequestError> {
        variables::get(self.r, name)
    }

    fn set_variable(&mut self, name: &[u8], value: &[u8]) -> Result<(), RequestError> {
        variables::set(self.r, name, value)
    }

    fn body_len(&self) -> Option<usize> {
        body::len(self.r)
    }

    fn read_body(&mut self, offset: usize, out: &mut [u8]) -> Result<usize, RequestError> {
        body::read(self.r, offset, out)
    }

    fn start_reading_body(&mut self) -> Result<bool, RequestError> {
        body::start_reading(self.r).map_err(|status| {
            // As OpenResty does: the handler's answer is nginx's status for the body.
            self.call.finish = Some(Finish::Status(status));
            RequestError::Internal
        })
    }

    fn discard_body(&mut self) -> Result<(), RequestError> {
        if ctx::get(self.r).is_some_and(|c| {
            // SAFETY: the context outlives this call (see ctx_mut).
            unsafe { c.as_ref() }.body_read
        }) {
            return Err(RequestError::NotAllowed);
        }
        // SAFETY: r is a live request.
        match unsafe { ngx::ffi::ngx_http_discard_request_body(self.r) } {
            0 => {
                self.ctx_mut()?.body_discarded = true;
                Ok(())
            }
            _ => Err(RequestError::Internal),
        }
    }

    fn status(&self) -> u16 {
        // As `ngx.status`: the status an error_page gave (`err_status`) first, then the
        // response's.
        match self.call.status {
            Some(s) => s,
            None if self.r.err_status != 0 => u16::try_from(self.r.err_status).unwrap_or(0),
            None => u16::try_from(self.r.headers_out.status).unwrap_or(0),
        }
    }

    fn set_status(&mut self, status: u16) -> Result<(), RequestError> {
        if self.header_sent() {
            return Err(RequestError::NotAllowed);
        }
        if self.call.phase == Phase::HeaderFilter {
            self.r.headers_out.status = status.into();
            self.r.headers_out.status_line.len = 0;
        } else {
            self.call.status = Some(status);
        }
        Ok(())
    }

    fn response_headers<'a>(&'a self, visit: HeaderVisitor<'a, '_>) {
        headers::visit_response(self.r, visit)
    }

    fn set_header(&mut self, name: &[u8], value: &[u8]) -> Result<(), RequestError> {
        if self.header_sent() {
            return Err(RequestError::NotAllowed);
        }
        headers::set_response(self.r, name, value, false, &mut self.call.added)
    }

    fn add_header(&mut self, name: &[u8], value: &[u8]) -> Result<(), RequestError> {
        if self.header_sent() {
            return Err(RequestError::NotAllowed);
        }
        headers::set_response(self.r, name, value, true, &mut self.call.added)
    }

    fn write(&mut self, data: &[u8]) -> Result<(), RequestError> {
        if self.finished() {
            return Err(RequestError::NotAllowed);
        }
        match self.call.out.body(self.r) {
            output::Body::Open => {}
            output::Body::HeaderOnly => return Ok(()),
            output::Body::Refused => return Err(RequestError::NotAllowed),
        }
        let written = self.call.written.saturating_add(data.len() as u64);
        if written > self.call.max_output || self.call.over_output {
            self.call.over_output = true;
            return Err(RequestError::TooLarge);
        }
        self.call.written = written;
        self.call.out.append(self.r, data)?;
        if self.call.out.len() >= output::AUTO_FLUSH {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), RequestError> {
        if self.finished() {
            return Err(RequestError::NotAllowed);
        }
        let status = self.call.status.unwrap_or(200);
        output::flush(self.r, &mut self.call.out, status)
    }

    fn output_busy(&self) -> bool {
        output::busy(self.r)
    }

    fn finish(&mut self, finish: Finish) -> Result<(), RequestError> {
        if self.finished() {
            return Err(RequestError::NotAllowed);
        }
        self.call.finish = Some(finish);
        Ok(())
    }

    fn redirect(&mut self, location: &[u8], status: u16) -> Result<(), RequestError> {
        if self.finished() || self.header_sent() {
            return Err(RequestError::NotAllowed);
        }
        headers::set_response(self.r, b"Location", location, false, &mut self.call.added)?;
        self.call.finish = Some(Finish::Status(status));
        Ok(())
    }

    fn exec(&mut self, uri: &[u8], args: &[u8]) -> Result<(), RequestError> {
        if self.finished() || self.header_sent() {
            return Err(RequestError::NotAllowed);
        }
        let (uri, args) = if uri.first() == Some(&b'@') {
            if !args.is_empty() {
                // As ngx.exec: a named location takes no query.
                ngx_log_error!(
                    ngx::ffi::NGX_LOG_WARN as usize,
                    self.log_ptr(),
                    "query strings {} ignored when exec'ing named location {}",
                    String::from_utf8_lossy(args),
                    String::from_utf8_lossy(uri)
                );
            }
            (self.pool_copy(uri)?, self.pool_copy(args)?)
        } else {
            let (path, query) = uri::check(self.r, uri, args)?;
            (self.pool_copy(&path)?, self.pool_copy(&query)?)
        };
        self.call.exec = Some((uri, args));
        Ok(())
    }

    fn body_chunk(&mut self) -> Result<&[u8], RequestError> {
        match &self.call.chunk {
            Some(c) => Ok(c.replaced.as_deref().unwrap_or(&c.data)),
            None => Err(RequestError::NotAllowed),
        }
    }

    fn set_body_chunk(&mut self, data: &[u8]) -> Result<(), RequestError> {
        match &mut self.call.chunk {
            Some(c) => {
                c.replaced = Some(data.to_vec());
                Ok(())
            }
            None => Err(RequestError::NotAllowed),
        }
    }

    fn body_chunk_is_last(&self) -> bool {
        self.call.chunk.as_ref().is_some_and(|c| c.last)
    }

    fn socket_start(&mut self, op: SocketOp<'_>) -> Result<SocketStep, RequestError> {
        let defaults = HttpWasmModule::location_conf(self.r)
            .map_or(socket::Defaults::NGINX, |l| l.socket_defaults());
        let owner = socket::Owner::request(self.r);
        socket::start(socket::sockets(self.r)?, owner, op, defaults)
    }

    fn shdict(&mut self, op: ShdictOp<'_>) -> Result<ShdictAnswer, RequestError> {
        let mcf = HttpWasmModule::main_conf(self.r).ok_or(RequestError::Internal)?;
        crate::shdict::run(&mcf.shared_dicts, op)
    }

    fn timer_add(&mut self, spec: TimerSpec<'_>) -> Result<(), RequestError> {
        timer_hooks().map_or(Err(RequestError::NotAllowed), |h| (h.add)(spec))
    }

    fn timer_counts(&self) -> TimerCounts {
        timer_hooks().map_or_else(TimerCounts::default, |h| (h.counts)())
    }

    fn socket_result(&mut self) -> i32 {
        socket::sockets(self.r).map_or(engine_api::abi::status::INTERNAL, socket::result)
    }

    fn socket_received(&self, id: usize) -> Option<&[u8]> {
        socket::received(socket::sockets_ref(self.r)?, id)
    }

    fn socket_close(&mut self, id: usize) -> Result<(), RequestError> {
        socket::close(socket::sockets(self.r)?, id)
    }

    fn socket_keepalive(
        &mut self,
        id: usize,
        timeout_ms: Option<u32>,
        pool_size: Option<u32>,
    ) -> Result<(), RequestError> {
        socket::keepalive(socket::sockets(self.r)?, id, timeout_ms, pool_size)
    }

    fn socket_reused(&self, id: usize) -> Option<u32> {
        socket::reused(socket::sockets_ref(self.r)?, id)
    }

    fn add_subrequest(&mut self, spec: &SubrequestSpec<'_>) -> Result<usize, RequestError> {
        if self.finished() {
            return Err(RequestError::NotAllowed);
        }
        let method = METHODS
            .iter()
            .find(|(name, _)| *name == spec.method)
            .map(|(name, bit)| (*bit as usize, *name))
            .ok_or(RequestError::BadArgument)?;
        let (uri, args) = uri::check(self.r, spec.uri, spec.args)?;
        let body = match spec.body {
            BodySource::Given(b) => Some(b.to_vec()),
            BodySource::Parent | BodySource::ParentForPostPut => None,
        };
        let queued = QueuedSubrequest {
            method,
            uri,
            args,
            body,
            forward_body: spec.body == BodySource::Parent,
            copy_vars: spec.copy_vars,
            share_vars: spec.share_vars,
        };
        subrequest::queue(self.r, queued)
    }

    fn queued_subrequests(&self) -> usize {
        subrequest::queued(self.r)
    }

    fn subrequest_count(&self) -> usize {
        subrequest::batch(self.r).len()
    }

    fn subrequest_status(&self, id: usize) -> Option<u16> {
        Some(subrequest::batch(self.r).get(id)?.as_ref()?.status)
    }

    fn subrequest_truncated(&self, id: usize) -> Option<bool> {
        Some(subrequest::batch(self.r).get(id)?.as_ref()?.truncated)
    }

    fn subrequest_headers<'a>(&'a self, id: usize, visit: HeaderVisitor<'a, '_>) {
        let Some(Some(resp)) = subrequest::batch(self.r).get(id) else {
            return;
        };
        for (n, v) in &resp.headers {
            if !visit(n, v) {
                return;
            }
        }
    }

    fn subrequest_body(&self, id: usize) -> Option<&[u8]> {
        Some(&subrequest::batch(self.r).get(id)?.as_ref()?.body)
    }

    fn ctx(&mut self) -> Result<&mut CtxStore, RequestError> {
        Ok(&mut self.ctx_mut()?.store)
    }
}

/// How the request API reaches this worker's timers (`crate::timer`, which runs calls and
/// so depends on this module, not the other way round): set when the worker starts.
#[derive(Clone, Copy)]
pub struct TimerHooks {
    /// Adds a timer for the calling module.
    pub add: fn(TimerSpec<'_>) -> Result<(), RequestError>,
    /// The worker's pending and running timers.
    pub counts: fn() -> TimerCounts,
}

thread_local! {
    static TIMER_HOOKS: std::cell::Cell<Option<TimerHooks>> = const { std::cell::Cell::new(None) };
}

/// Connects the request API to the timers (worker start).
pub fn set_timer_hooks(hooks: TimerHooks) {
    TIMER_HOOKS.with(|h| h.set(Some(hooks)));
}

fn timer_hooks() -> Option<TimerHooks> {
    TIMER_HOOKS.with(std::cell::Cell::get)
}

/// The host of an `init_worker_by_wasm` call: no request, so only logging, time, the phase
/// name, the shared dictionaries and timers are available (the ABI refuses the rest in this
/// phase). Also the host of a module's `_initialize` (a WASI reactor's start, run once per
/// new instance), which has no dictionaries or timers: an instance made per request would
/// use them on every request.
pub struct InitWorker<'z> {
    log: *mut ngx_log_t,
    /// `None` for `_initialize`: no dictionaries, no timers.
    dicts: Option<&'z crate::shdict::Zones>,
    log_budget: engine_api::LogBudget,
    stdio: engine_api::abi::wasi::StdioLines,
    /// The Proxy-Wasm plugin whose root context is being created or configured.
    proxy: Option<engine_api::ProxyFilter<'z>>,
}

impl<'z> InitWorker<'z> {
    /// A host logging to `log` (the cycle's log), with the configuration's shared dicts.
    pub fn new(log: *mut ngx_log_t, dicts: &'z crate::shdict::Zones) -> Self {
        InitWorker {
            log,
            dicts: Some(dicts),
            log_budget: engine_api::LogBudget::default(),
            stdio: Default::default(),
            proxy: None,
        }
    }

    /// The host of an `_initialize` call, logging to `log`.
    pub fn initializer(log: *mut ngx_log_t) -> InitWorker<'static> {
        InitWorker {
            log,
            dicts: None,
            log_budget: engine_api::LogBudget::default(),
            stdio: Default::default(),
            proxy: None,
        }
    }

    /// The host of a Proxy-Wasm root context's start (`proxy_on_vm_start`,
    /// `proxy_on_configure`) for plugin `filter`, logging to `log`: like `_initialize`'s.
    pub fn proxy_root(log: *mut ngx_log_t, filter: engine_api::ProxyFilter<'z>) -> Self {
        InitWorker {
            log,
            dicts: None,
            log_budget: engine_api::LogBudget::default(),
            stdio: Default::default(),
            proxy: Some(filter),
        }
    }
}

/// The most verbose level `log` writes.
pub fn log_threshold(log: *const ngx_log_t) -> LogLevel {
    if log.is_null() {
        return LogLevel::Info;
    }
    // SAFETY: a live nginx log.
    let level = unsafe { (*log).log_level };
    // Debug levels are a bit mask above NGX_LOG_DEBUG's value.
    LogLevel::from_abi(i32::try_from(level).unwrap_or(i32::MAX)).unwrap_or(LogLevel::Debug)
}

impl HostRequest for InitWorker<'_> {
    fn phase(&self) -> Phase {
        Phase::InitWorker
    }

    fn proxy_filter(&self) -> Option<engine_api::ProxyFilter<'_>> {
        self.proxy
    }

    fn log_threshold(&self) -> LogLevel {
        log_threshold(self.log)
    }

    fn log_budget(&mut self, len: usize) -> engine_api::LogVerdict {
        self.log_budget.charge(len)
    }

    fn stdio(&mut self, _create: bool) -> Option<&mut engine_api::abi::wasi::StdioLines> {
        Some(&mut self.stdio)
    }

    fn log(&mut self, level: LogLevel, msg: &[u8]) {
        ngx_log_error!(
            level as usize,
            self.log,
            "[wasm] {}",
            String::from_utf8_lossy(msg)
        );
    }

    fn wall_clock_ms(&self) -> u64 {
        crate::clock::wall_clock_ms()
    }

    fn worker(&self) -> engine_api::WorkerInfo {
        crate::process::info()
    }

    fn shdict(&mut self, op: ShdictOp<'_>) -> Result<ShdictAnswer, RequestError> {
        let dicts = self.dicts.ok_or(RequestError::NotAllowed)?;
        crate::shdict::run(dicts, op)
    }

    fn timer_add(&mut self, spec: TimerSpec<'_>) -> Result<(), RequestError> {
        self.dicts.ok_or(RequestError::NotAllowed)?;
        timer_hooks().map_or(Err(RequestError::NotAllowed), |h| (h.add)(spec))
    }

    fn timer_counts(&self) -> TimerCounts {
        timer_hooks().map_or_else(TimerCounts::default, |h| (h.counts)())
    }
}
