//! A call that waits, on the nginx side: the request is parked until the wait is over, then
//! the call resumes from nginx's event loop.
//!
//! * **Park** ([`park`]): the call, with what it built so far ([`CallState`]), goes into the
//!   request context; the wait is armed (an nginx timer for [`Wait::Yield`]; for
//!   [`Wait::RequestBody`], nginx's post-read handler, `request::body`, wakes it; for
//!   [`Wait::Subrequests`] they are issued, and the last to finish wakes it; for
//!   [`Wait::Socket`], the socket's events, `request::socket`, wake it; for [`Wait::Output`],
//!   the connection's write events, as `ngx_http_writer` waits on them); the request's
//!   read handler watches for the client closing the connection (unless nginx is reading
//!   it already); its write handler does nothing until the call is done. The phase handler returns `NGX_DONE` (the content phase
//!   first takes a reference on the request, which the content checker's finalization drops).
//! * **Wake** (the timer's handler): the next step runs. If the call waits again it is
//!   parked again; when it ends, the outcome goes into the context and nginx re-runs the
//!   phases: the same phase handler is entered again and concludes the call exactly as it
//!   concludes one that never waited ([`take_completed`]).
//! * **Cancel** (a request cleanup, run when nginx terminates or frees the request: the client
//!   went away, the request timed out): a call still parked is cancelled and its instance
//!   dropped, the timer deleted.

use std::ffi::c_void;
use std::ptr;
use std::time::{Duration, Instant};

use engine_api::{Phase, Wait};
use ngx::core::Status;
use ngx::ffi::{
    ngx_add_timer, ngx_del_timer, ngx_event_t, ngx_handle_write_event, ngx_http_block_reading,
    ngx_http_cleanup_add, ngx_http_core_run_phases, ngx_http_finalize_request,
    ngx_http_output_filter, ngx_http_request_empty_handler, ngx_http_request_t,
    ngx_http_run_posted_requests, ngx_http_test_reading, ngx_int_t, ngx_msec_t,
    NGX_HTTP_REQUEST_TIME_OUT, NGX_LOG_INFO,
};
use ngx::http::{HttpModuleLocationConf, NgxHttpCoreModule};
use ngx::ngx_log_error;

use crate::call::{self, Call, Outcome};
use crate::conf::MainConf;
use crate::ctx;
use crate::registry::{Handler, ModuleId};
use crate::request::{self, subrequest, CallState, NgxRequest};

/// A call that finished after waiting, for its phase handler to conclude.
pub struct Completed {
    /// What the call built.
    pub state: CallState,
    /// `Err` carries the status to answer, as [`crate::call::Outcome::Failed`] does.
    pub result: Result<(), u16>,
}

/// An nginx timer event owned by a parked call: deleted when dropped, so it never fires
/// into freed memory.
struct Timer(Box<ngx_event_t>);

impl Timer {
    fn new(r: &ngx_http_request_t) -> Timer {
        // SAFETY: an all-zero ngx_event_t is nginx's own idea of an unused event
        // (ngx_pcalloc); the handler, data and log are set here.
        let mut ev: Box<ngx_event_t> = Box::new(unsafe { std::mem::zeroed() });
        ev.handler = Some(on_wake);
        ev.data = ptr::from_ref(r).cast_mut().cast::<c_void>();
        // SAFETY: a live request has a connection with a log.
        ev.log = unsafe { (*r.connection).log };
        Timer(ev)
    }

    fn disarm(&mut self) {
        if self.0.timer_set() != 0 {
            // SAFETY: the event is in nginx's timer tree; this removes it.
            unsafe { ngx_del_timer(&mut *self.0) };
        }
    }

    fn arm(&mut self, delay_ms: u32) {
        // SAFETY: the event is boxed (its address stays put) and lives until this timer is
        // dropped, which deletes it first; nginx's event loop runs on this thread only.
        unsafe { ngx_add_timer(&mut *self.0, delay_ms as ngx_msec_t) };
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.disarm();
    }
}

/// A call of a request that waits.
struct Parked {
    call: Call,
    state: CallState,
    timer: Timer,
}

/// A request waiting for an instance of its module (`wasm_max_instances` reached): woken
/// when a call of the module ends, or when its wait runs out.
struct Queued {
    mcf: &'static MainConf,
    module: ModuleId,
    ticket: u64,
    timer: Timer,
}

/// What this module keeps in the request context.
enum Suspension {
    Parked(Parked),
    Completed(Completed),
    Queued(Queued),
}

/// Takes this module's state out of the request context.
fn take(r: &ngx_http_request_t) -> Option<Suspension> {
    let mut c = ctx::get(r)?;
    // SAFETY: the context lives as long as the request pool; nothing else holds a reference
    // to it while a handler of this module runs.
    let c = unsafe { c.as_mut() };
    let boxed = c.suspension.take()?;
    match boxed.downcast::<Suspension>() {
        Ok(s) => Some(*s),
        Err(other) => {
            c.suspension = Some(other);
            None
        }
    }
}

fn put(r: &mut ngx_http_request_t, s: Suspension) -> bool {
    let Some(mut c) = ctx::get_or_create(r) else {
        return false;
    };
    // SAFETY: as in `take`.
    unsafe { c.as_mut() }.suspension = Some(Box::new(s));
    true
}

/// Puts back a state that [`take`] took out but its caller does not want.
fn put_back(r: &ngx_http_request_t, s: Suspension) {
    if let Some(mut c) = ctx::get(r) {
        // SAFETY: as in `take`.
        unsafe { c.as_mut() }.suspension = Some(Box::new(s));
    }
}

/// Where a phase handler finds a call of its request, when nginx enters it.
pub enum Found {
    /// No call of this module waits or finished waiting: start one.
    Nothing,
    /// A call is still parked (nginx re-entered the phase early): keep waiting.
    Parked,
    /// The call of this phase finished after waiting: conclude it.
    Completed(Completed),
}

/// What a phase handler for `phase` finds of a call of `r` that waited. The common case, a
/// request that never waited, costs one pointer read.
#[inline]
pub fn find(r: &ngx_http_request_t, phase: Phase) -> Found {
    if ctx::get(r).is_none() {
        return Found::Nothing;
    }
    find_in_context(r, phase)
}

fn find_in_context(r: &ngx_http_request_t, phase: Phase) -> Found {
    match take(r) {
        None => Found::Nothing,
        Some(Suspension::Completed(done)) if done.state.phase() == phase => Found::Completed(done),
        Some(other) => {
            let parked = matches!(other, Suspension::Parked(_) | Suspension::Queued(_));
            put_back(r, other);
            if parked {
                Found::Parked
            } else {
                Found::Nothing
            }
        }
    }
}

/// The queued start of `r`, if there is one.
fn take_queued(r: &ngx_http_request_t) -> Option<Queued> {
    match take(r)? {
        Suspension::Queued(q) => Some(q),
        other => {
            put_back(r, other);
            None
        }
    }
}

/// The parked call of `r`, if there is one.
fn take_parked(r: &ngx_http_request_t) -> Option<Parked> {
    match take(r)? {
        Suspension::Parked(p) => Some(p),
        other => {
            put_back(r, other);
            None
        }
    }
}

/// Parks the request of `host` on `call`'s `wait`, from its phase handler; returns what the
/// handler returns to nginx.
pub fn park(host: NgxRequest<'_>, call: Call, wait: Wait) -> Status {
    let phase = call.phase();
    let (r, state) = host.into_parts();
    if !watch_request(r) {
        let mut host = NgxRequest::resumed(r, state);
        let log = host.log_ptr();
        call.cancel(
            &mut host,
            log,
            "the request could not be parked (out of memory)",
        );
        return Status::NGX_ERROR;
    }
    if !arm(r, call, state, wait) {
        return Status::NGX_ERROR;
    }
    if phase == Phase::Content {
        hold(r);
    }
    Status::NGX_DONE
}

/// Takes a reference on the request for a content handler that returns `NGX_DONE`: the
/// content checker finalizes `NGX_DONE`, which drops one.
pub fn hold(r: &mut ngx_http_request_t) {
    // SAFETY: r->main is the live main request.
    unsafe {
        let main = &mut *r.main;
        main.set_count(main.count() + 1);
    }
}

/// Registers the cleanup that cancels a parked call (once per request) and makes the
/// connection's events do the right thing while the call waits: a closed connection
/// finalizes the request (499), and writes wait for the call.
fn watch_request(r: &mut ngx_http_request_t) -> bool {
    let Some(mut c) = ctx::get_or_create(r) else {
        return false;
    };
    // SAFETY: as in `take`.
    let c = unsafe { c.as_mut() };
    if !c.cleanup_registered {
        // SAFETY: r is a live request; the cleanup lives in its pool and runs when nginx
        // terminates or frees it.
        let cln = unsafe { ngx_http_cleanup_add(r, 0) };
        if cln.is_null() {
            return false;
        }
        // SAFETY: cln was just added.
        unsafe {
            (*cln).handler = Some(on_cleanup);
            (*cln).data = ptr::from_mut(r).cast::<c_void>();
        }
        c.cleanup_registered = true;
    }
    watch_reading(r);
    r.write_event_handler = Some(ngx_http_request_empty_handler);
    true
}

/// A request event handler.
type RequestHandler = unsafe extern "C" fn(*mut ngx_http_request_t);

fn handler_is(h: Option<RequestHandler>, f: RequestHandler) -> bool {
    h.is_some_and(|h| ptr::fn_addr_eq(h, f))
}

/// While a call waits, a connection nothing reads is watched for the client closing it
/// (`ngx_http_test_reading` finalizes the request with 499, which in a subrequest ends the
/// main request); one nginx reads already (a request body being discarded) keeps its
/// reader, which ends the request on a closed connection too.
fn watch_reading(r: &mut ngx_http_request_t) {
    // A subrequest reads nothing (nginx gives it an empty read handler); while it is the
    // connection's active request, it is the one that must notice the client going away.
    let idle_subrequest =
        !ptr::eq(r.main, r) && handler_is(r.read_event_handler, ngx_http_request_empty_handler);
    if idle_subrequest || handler_is(r.read_event_handler, ngx_http_block_reading) {
        r.read_event_handler = Some(ngx_http_test_reading);
    }
}

/// The call runs again: reading goes back to what it was.
fn unwatch_reading(r: &mut ngx_http_request_t) {
    if handler_is(r.read_event_handler, ngx_http_test_reading) {
        r.read_event_handler = Some(ngx_http_block_reading);
    }
}

/// Arms `wait` and keeps the call in the request context until it is over.
fn arm(r: &mut ngx_http_request_t, call: Call, state: CallState, wait: Wait) -> bool {
    let mut timer = Timer::new(r);
    r.write_event_handler = Some(ngx_http_request_empty_handler);
    match wait {
        Wait::Output => {
            r.write_event_handler = Some(on_output);
            if !wait_writable(r) {
                return false;
            }
        }
        Wait::Yield { delay_ms } => timer.arm(delay_ms),
        Wait::RequestBody => {
            // The guest's host call started reading; nginx's post-read handler wakes us.
            let Some(mut c) = ctx::get_or_create(r) else {
                return false;
            };
            // SAFETY: as in `take`.
            unsafe { c.as_mut() }.on_body = Some(wake);
        }
        Wait::Socket { .. } => {
            // The socket's events end the operation and wake the call.
            let Some(mut c) = ctx::get_or_create(r) else {
                return false;
            };
            // SAFETY: as in `take`.
            unsafe { c.as_mut() }.on_socket = Some(wake);
        }
        Wait::Subrequests => {
            if subrequest::issue(r, on_subrequests_done) == 0 {
                // None could be created (each answers 500): go on at the next turn.
                timer.arm(0);
            }
        }
    }
    let parked = Parked { call, state, timer };
    if put(r, Suspension::Parked(parked)) {
        return true;
    }
    // Cannot happen once `watch_request` made the context; the parked call (timer and all)
    // was dropped with the failed `put`.
    false
}

/// Parks the request of a phase handler whose call could not start (`Outcome::Busy`) until
/// a call of `handler`'s module ends; then nginx enters the handler again, which starts the
/// call. Past `wasm_instance_queue_timeout` (counted from the first time the request had to
/// wait) the handler answers 503 instead. Returns what the handler returns to nginx.
pub fn wait_for_instance(
    r: &mut ngx_http_request_t,
    mcf: &'static MainConf,
    handler: &Handler,
    phase: Phase,
) -> Status {
    let log = {
        // SAFETY: a live request has a connection with a log.
        unsafe { (*r.connection).log }
    };
    let now = Instant::now();
    let timeout = Duration::from_millis(mcf.instance_queue_timeout());
    let deadline = match ctx::get_or_create(r) {
        // SAFETY: as in `take`.
        Some(mut c) => *unsafe { c.as_mut() }
            .instance_deadline
            .get_or_insert(now + timeout),
        None => return Status::NGX_ERROR,
    };
    let left = deadline.saturating_duration_since(now);
    if left.is_zero() {
        let waited = format!(
            "no call ended within wasm_instance_queue_timeout {}ms",
            timeout.as_millis()
        );
        call::busy(mcf, handler, phase, log, &waited);
        return Status(call::BUSY_STATUS as ngx_int_t);
    }
    if !watch_request(r) {
        return Status::NGX_ERROR;
    }
    let data = ptr::from_mut(r).cast::<c_void>();
    // SAFETY: the request stays alive until its cleanup, which forgets the ticket first.
    let ticket = unsafe {
        mcf.registry
            .wait_for_instance(handler.module, instance_freed, data)
    };
    let mut timer = Timer::new(r);
    timer.arm(u32::try_from(left.as_millis()).unwrap_or(u32::MAX).max(1));
    let queued = Queued {
        mcf,
        module: handler.module,
        ticket,
        timer,
    };
    if !put(r, Suspension::Queued(queued)) {
        mcf.registry.forget(handler.module, ticket);
        return Status::NGX_ERROR;
    }
    if phase == Phase::Content {
        hold(r);
    }
    Status::NGX_DONE
}

/// A call of the module a request waits for ended: wake the request at once.
unsafe fn instance_freed(data: *mut c_void) {
    // SAFETY: the data registered by `wait_for_instance`: a request alive until its cleanup
    // forgets the ticket.
    let r = unsafe { &mut *data.cast::<ngx_http_request_t>() };
    match take(r) {
        Some(Suspension::Queued(mut q)) => {
            q.timer.disarm();
            q.timer.arm(0);
            put_back(r, Suspension::Queued(q));
        }
        Some(other) => put_back(r, other),
        None => {}
    }
}

/// The wait is over: run the call's next step.
unsafe extern "C" fn on_wake(ev: *mut ngx_event_t) {
    // SAFETY: the timer's data is the request it was armed for, alive: the request's cleanup
    // deletes the timer before the request is freed.
    let r = unsafe { &mut *(*ev).data.cast::<ngx_http_request_t>() };
    let c = r.connection;
    wake(r);
    // SAFETY: c is the request's connection, alive: nginx frees it only from its own
    // handlers, after this one returns.
    unsafe { ngx_http_run_posted_requests(c) };
}

fn wake(r: &mut ngx_http_request_t) {
    if let Some(q) = take_queued(r) {
        // A call ended, or the wait ran out: nginx enters the phase handler again, which
        // starts the call or answers 503.
        q.mcf.registry.forget(q.module, q.ticket);
        drop(q);
        unwatch_reading(r);
        r.write_event_handler = Some(ngx_http_core_run_phases);
        // SAFETY: r is live; this is how nginx resumes a request parked by NGX_DONE.
        unsafe { ngx_http_core_run_phases(r) };
        return;
    }
    let Some(parked) = take_parked(r) else {
        return;
    };
    let Parked { call, state, timer } = parked;
    // The timer fired: it is no longer in nginx's tree.
    drop(timer);
    unwatch_reading(r);
    let mut host = NgxRequest::resumed(r, state);
    let log = host.log_ptr();
    let result = match call.resume(&mut host, log) {
        Outcome::Suspended(call, wait) => {
            let (r, state) = host.into_parts();
            watch_reading(r);
            let _ = arm(r, call, state, wait);
            return;
        }
        Outcome::Done => Ok(()),
        Outcome::Failed(status) => Err(status),
        // A resumed call holds its instance already.
        Outcome::Busy => Err(call::BUSY_STATUS),
    };
    let (r, state) = host.into_parts();
    if !put(r, Suspension::Completed(Completed { state, result })) {
        return;
    }
    r.write_event_handler = Some(ngx_http_core_run_phases);
    // SAFETY: r is live; this is how nginx resumes a request parked by NGX_DONE: the phase
    // handler that parked it is entered again and concludes the call.
    unsafe { ngx_http_core_run_phases(r) };
}

/// Waits for the connection to take more output, as `ngx_http_writer` does: the write event
/// with `send_lowat`, and `send_timeout` unless `limit_rate` delays it (its own timer then).
fn wait_writable(r: &mut ngx_http_request_t) -> bool {
    let Some(clcf) = NgxHttpCoreModule::location_conf(r) else {
        return false;
    };
    let (timeout, lowat) = (clcf.send_timeout, clcf.send_lowat);
    // SAFETY: a live request has its connection and its write event.
    let wev = unsafe { &mut *(*r.connection).write };
    if wev.delayed() == 0 {
        // SAFETY: the connection's write event, alive as long as the connection; nginx's
        // event loop runs on this thread only.
        unsafe { ngx_add_timer(wev, timeout) };
    }
    // SAFETY: as above.
    unsafe { ngx_handle_write_event(wev, lowat) == Status::NGX_OK.0 }
}

/// The request's write handler while a `resp_flush` waits: pushes the output nginx holds,
/// as `ngx_http_writer` does, and wakes the call once the client has taken it all.
unsafe extern "C" fn on_output(r: *mut ngx_http_request_t) {
    // SAFETY: nginx calls a write handler with its live request.
    let r = unsafe { &mut *r };
    // SAFETY: a live request has its connection and its write event.
    let wev = unsafe { &mut *(*r.connection).write };
    if wev.timedout() != 0 {
        // SAFETY: as above.
        unsafe {
            ngx_log_error!(NGX_LOG_INFO, (*r.connection).log, "client timed out");
            (*r.connection).set_timedout(1);
            // Ends the request; its cleanup cancels the waiting call.
            ngx_http_finalize_request(r, NGX_HTTP_REQUEST_TIME_OUT as ngx_int_t);
        }
        return;
    }
    if wev.delayed() == 0 && r.aio() == 0 {
        // SAFETY: r is live; a NULL chain sends what nginx holds.
        if unsafe { ngx_http_output_filter(r, ptr::null_mut()) } == Status::NGX_ERROR.0 {
            // SAFETY: as above.
            unsafe { ngx_http_finalize_request(r, Status::NGX_ERROR.0) };
            return;
        }
        if !request::output_busy(r) {
            if wev.timer_set() != 0 {
                // SAFETY: the send timeout this wait armed.
                unsafe { ngx_del_timer(wev) };
            }
            wake(r);
            return;
        }
    }
    if !wait_writable(r) {
        // SAFETY: as above.
        unsafe { ngx_http_finalize_request(r, Status::NGX_ERROR.0) };
    }
}

/// The last subrequest the call waits for has finished (nginx posts the parent after each).
unsafe extern "C" fn on_subrequests_done(r: *mut ngx_http_request_t) {
    // SAFETY: nginx calls a write handler with its live request.
    let r = unsafe { &mut *r };
    r.write_event_handler = Some(ngx_http_request_empty_handler);
    wake(r);
}

/// The request ends (terminated or freed): a call still parked is cancelled.
unsafe extern "C" fn on_cleanup(data: *mut c_void) {
    // SAFETY: the cleanup's data is its request, still alive while nginx runs its cleanups.
    let r = unsafe { &mut *data.cast::<ngx_http_request_t>() };
    if let Some(q) = take_queued(r) {
        q.mcf.registry.forget(q.module, q.ticket);
        return;
    }
    // A call that completed but was not concluded yet is dropped with the context.
    let Some(parked) = take_parked(r) else {
        return;
    };
    let Parked { call, state, timer } = parked;
    drop(timer);
    // SAFETY: a live request has its connection.
    let closed = unsafe { (*r.connection).error() } != 0;
    let why = if closed {
        "the client closed the connection"
    } else {
        "the request ended"
    };
    let mut host = NgxRequest::resumed(r, state);
    let log = host.log_ptr();
    call.cancel(&mut host, log, why);
}
