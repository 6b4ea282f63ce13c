//! Timers (`ngx.timer.at`, `ngx.timer.every`): a guest export run later, outside any
//! request, in the `timer` phase.
//!
//! * **Add** ([`add`]): `timer_at`/`timer_every` of a running call make a [`Pending`] timer
//!   for the calling module (the export must be one of its `() -> ()` functions), on an
//!   nginx timer event. At most `wasm_max_pending_timers` wait; none is added once the
//!   worker is exiting.
//! * **Due** (`on_due`): the pending timer becomes a [`Run`]: a call of the export with the
//!   `http` level's budgets and limits and a [`TimerHost`] (logging, time, worker info,
//!   shared dictionaries, a context of its own, sleep, sockets with the `http` level's
//!   socket settings and resolver, more timers; the request API refuses with -3). A `timer_every` is re-added first, as OpenResty does, so a slow or failing
//!   run does not stop it. Past `wasm_max_running_timers` runs in progress the run is
//!   skipped and an alert logged.
//! * **Wait**: a run may sleep and use sockets; it is parked here and resumed by its own
//!   event (sleep) or by its socket's (the sockets' [`Owner`] is the run).
//! * **Shutdown**: at a graceful shutdown (`nginx -s quit`, the old workers of a reload)
//!   every pending timer runs at once, with `worker_exiting()` true (OpenResty's
//!   `premature`), and `timer_every` timers are not re-added; the worker exits when the
//!   last run ends. nginx tells the module through an idle connection of its own
//!   ([`Watcher`]): nginx closes idle connections when it starts shutting down.
//! * **Exit**: runs still parked when the process exits (`worker_shutdown_timeout`, a fast
//!   shutdown) are cancelled, their instances dropped.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ffi::c_void;
use std::ptr;

use engine_api::{
    CtxStore, HostRequest, LogBudget, LogLevel, LogVerdict, Phase, RequestError, ShdictAnswer,
    ShdictOp, SocketOp, SocketStep, TimerCounts, TimerSpec, Wait,
};
use ngx::ffi::{
    ngx_add_timer, ngx_connection_t, ngx_cycle, ngx_cycle_t, ngx_del_timer, ngx_event_t,
    ngx_free_connection, ngx_get_connection, ngx_log_t, ngx_msec_t, NGX_LOG_ALERT, NGX_LOG_ERR,
};
use ngx::ngx_log_error;

use crate::call::{self, Call, Outcome};
use crate::conf::MainConf;
use crate::registry::Handler;
use crate::request::socket::{self, Owner, Sockets};

/// A timer waiting to be due.
struct Pending {
    /// The nginx timer; its `data` is this timer's id.
    ev: ngx_event_t,
    mcf: &'static MainConf,
    handler: Handler,
    arg: Vec<u8>,
    /// `timer_every`'s interval.
    every: Option<u32>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        disarm(&mut self.ev);
    }
}

/// A timer's call in progress.
struct Run {
    /// The call, while it is parked.
    call: Option<Call>,
    host: TimerHost,
    /// Wakes the call after `sleep`; its `data` is this run's id.
    ev: ngx_event_t,
}

impl Drop for Run {
    fn drop(&mut self) {
        disarm(&mut self.ev);
        if let Some(call) = self.call.take() {
            // A suspended call must be cancelled, not dropped (see `Call::cancel`).
            let log = self.host.log;
            call.cancel(&mut self.host, log, "the worker exits");
        }
    }
}

/// The idle connection nginx closes when a graceful shutdown starts.
struct Watcher(*mut ngx_connection_t);

/// This worker's timers.
#[derive(Default)]
struct Timers {
    pending: HashMap<usize, Box<Pending>>,
    /// Runs parked while they wait (a run whose step is running is on the stack).
    parked: HashMap<usize, Box<Run>>,
    next_id: usize,
    watcher: Option<Watcher>,
}

thread_local! {
    static TIMERS: RefCell<Timers> = RefCell::default();
    /// Runs in progress, parked or running a step.
    static RUNNING: Cell<u32> = const { Cell::new(0) };
}

fn with<T>(f: impl FnOnce(&mut Timers) -> T) -> T {
    TIMERS.with(|t| f(&mut t.borrow_mut()))
}

/// A fresh id for a pending timer or a run.
fn next_id() -> usize {
    with(|t| {
        t.next_id = t.next_id.wrapping_add(1);
        t.next_id
    })
}

fn exiting() -> bool {
    crate::process::info().exiting
}

/// The cycle's log: timers run outside any request.
fn cycle_log() -> *mut ngx_log_t {
    // SAFETY: nginx's current cycle, set before any module code runs in a worker.
    unsafe { (*ngx_cycle).log }
}

/// A zeroed event with `handler`, `data` and the cycle's log.
fn event(handler: unsafe extern "C" fn(*mut ngx_event_t), id: usize) -> ngx_event_t {
    // SAFETY: an all-zero ngx_event_t is nginx's own idea of an unused event (ngx_pcalloc).
    let mut ev: ngx_event_t = unsafe { std::mem::zeroed() };
    ev.handler = Some(handler);
    ev.data = ptr::without_provenance_mut::<c_void>(id);
    ev.log = cycle_log();
    ev
}

fn arm(ev: &mut ngx_event_t, ms: u32) {
    // SAFETY: the event is inside a box that stays in this module's maps (its address
    // fixed) until it fires or is disarmed; nginx's event loop runs on this thread only.
    unsafe { ngx_add_timer(ev, ms as ngx_msec_t) };
}

fn disarm(ev: &mut ngx_event_t) {
    if ev.timer_set() != 0 {
        // SAFETY: the event is in nginx's timer tree; this removes it.
        unsafe { ngx_del_timer(ev) };
    }
}

/// This worker's pending and running timers.
pub fn counts() -> TimerCounts {
    TimerCounts {
        pending: u32::try_from(with(|t| t.pending.len())).unwrap_or(u32::MAX),
        running: RUNNING.with(Cell::get),
    }
}

/// Adds a timer for the module whose call is running (`timer_at`, `timer_every`).
pub fn add(spec: TimerSpec<'_>) -> Result<(), RequestError> {
    let (mcf, module) = call::caller().ok_or(RequestError::Internal)?;
    if exiting() {
        return Err(RequestError::NotAllowed);
    }
    if !mcf.registry.has_handler_export(module, spec.export) {
        return Err(RequestError::BadArgument);
    }
    let export = String::from_utf8(spec.export.to_vec()).map_err(|_| RequestError::BadArgument)?;
    let max = mcf.max_pending_timers() as usize;
    if with(|t| t.pending.len()) >= max {
        return Err(RequestError::TooMany);
    }
    schedule(
        Pending {
            ev: event(on_due, 0),
            mcf,
            handler: Handler { module, export },
            arg: spec.arg.to_vec(),
            every: spec.every.then_some(spec.delay_ms),
        },
        spec.delay_ms,
    );
    Ok(())
}

/// Arms `p` to be due in `delay_ms` and keeps it.
fn schedule(p: Pending, delay_ms: u32) {
    let id = next_id();
    let mut p = Box::new(p);
    p.ev.data = ptr::without_provenance_mut::<c_void>(id);
    arm(&mut p.ev, delay_ms);
    with(|t| t.pending.insert(id, p));
}

/// A pending timer is due.
unsafe extern "C" fn on_due(ev: *mut ngx_event_t) {
    // SAFETY: nginx calls the handler with the event it was armed with, inside a live
    // `Pending` (dropping one disarms it first).
    let id = unsafe { (*ev).data }.addr();
    let Some(p) = with(|t| t.pending.remove(&id)) else {
        return;
    };
    due(p);
}

fn due(mut p: Box<Pending>) {
    if let Some(interval) = p.every.filter(|_| !exiting()) {
        // Re-added before the run (OpenResty's order): a run that fails or overruns its
        // budget does not stop the timer. The limit on pending timers does not apply.
        schedule(
            Pending {
                ev: event(on_due, 0),
                mcf: p.mcf,
                handler: p.handler.clone(),
                arg: p.arg.clone(),
                every: Some(interval),
            },
            interval,
        );
    }
    let mcf = p.mcf;
    let log = cycle_log();
    let max = mcf.max_running_timers();
    if RUNNING.with(Cell::get) >= max {
        ngx_log_error!(
            NGX_LOG_ALERT,
            log,
            "wasm timer not run: {max} wasm_max_running_timers are not enough (module: \"{}\", export: \"{}\")",
            mcf.registry.path(p.handler.module).display(),
            p.handler.export
        );
        return;
    }
    RUNNING.with(|r| r.set(r.get() + 1));
    let handler = p.handler.clone();
    let id = next_id();
    let mut run = Box::new(Run {
        call: None,
        host: TimerHost::new(mcf, id, std::mem::take(&mut p.arg), log),
        ev: event(on_wake, id),
    });
    drop(p);
    let outcome = Call::start(
        mcf,
        Cow::Owned(handler.clone()),
        &mcf.default_limits,
        Phase::Timer,
        &mut run.host,
        log,
    );
    after(run, outcome, &handler, mcf);
}

/// A parked run's sleep is over.
unsafe extern "C" fn on_wake(ev: *mut ngx_event_t) {
    // SAFETY: nginx calls the handler with the event it was armed with, inside a live
    // `Run` (dropping one disarms it first).
    wake(unsafe { (*ev).data }.addr());
}

/// A socket operation a parked run waits for ended.
///
/// # Safety
/// Called by a socket of the run whose id is `data` (see [`Owner::wake`]).
unsafe fn wake_socket(data: *mut c_void) {
    wake(data.addr());
}

/// Runs the next step of parked run `id`.
fn wake(id: usize) {
    let Some(mut run) = with(|t| t.parked.remove(&id)) else {
        return;
    };
    let Some(call) = run.call.take() else {
        RUNNING.with(|r| r.set(r.get().saturating_sub(1)));
        return;
    };
    let handler = call.handler().clone();
    let mcf = run.host.mcf;
    let log = run.host.log;
    let outcome = call.resume(&mut run.host, log);
    after(run, outcome, &handler, mcf);
}

/// What a step of a run ended with: parked again, or over.
fn after(mut run: Box<Run>, outcome: Outcome, handler: &Handler, mcf: &'static MainConf) {
    let log = run.host.log;
    match outcome {
        // A failure was logged by the module's supervisor.
        Outcome::Done | Outcome::Failed(_) => {}
        Outcome::Busy => {
            ngx_log_error!(
                NGX_LOG_ERR,
                log,
                "wasm timer not run: module \"{}\" has {} calls in progress (wasm_max_instances {}) (export: \"{}\")",
                mcf.registry.path(handler.module).display(),
                mcf.registry.in_use(handler.module),
                mcf.registry.max_instances(),
                handler.export
            );
        }
        Outcome::Suspended(call, Wait::Yield { delay_ms }) => {
            run.call = Some(call);
            arm(&mut run.ev, delay_ms);
            with(|t| t.parked.insert(run.host.id, run));
            return;
        }
        Outcome::Suspended(call, Wait::Socket { .. }) => {
            // The socket's events end the operation and wake the run (`wake_socket`).
            run.call = Some(call);
            with(|t| t.parked.insert(run.host.id, run));
            return;
        }
        Outcome::Suspended(call, _) => {
            // The phase check keeps request waits out of timers; nothing else can wait here.
            call.cancel(&mut run.host, log, "a timer cannot wait for this");
        }
    }
    RUNNING.with(|r| r.set(r.get().saturating_sub(1)));
    drop(run);
}

/// Worker start: when some module can add timers, watch for the start of a graceful
/// shutdown.
pub fn start(cycle: &ngx_cycle_t, mcf: &MainConf) {
    crate::request::set_timer_hooks(crate::request::TimerHooks { add, counts });
    if !(mcf.registry.imports("ngx.timer_at") || mcf.registry.imports("ngx.timer_every")) {
        return;
    }
    // SAFETY: fd 0 is only a placeholder: `ngx_close_idle_connections` looks at connections
    // that have an fd, and this one is never read, written or closed as a socket (it is
    // freed with `ngx_free_connection` only). With an event method that keeps a per-fd
    // table (`cycle->files`: select, poll), the table's slot 0 is restored.
    let c = unsafe {
        let saved = files_slot0();
        let c = ngx_get_connection(0, cycle.log);
        restore_files_slot0(saved);
        c
    };
    if c.is_null() {
        ngx_log_error!(
            NGX_LOG_ERR,
            cycle.log,
            "ngx_wasm: no free connection to watch for shutdown: pending timers will not run early at shutdown"
        );
        return;
    }
    // SAFETY: a connection nginx just handed out, with its read event.
    unsafe {
        (*c).set_idle(1);
        (*(*c).read).handler = Some(on_shutdown);
        (*(*c).read).log = cycle.log;
    }
    with(|t| t.watcher = Some(Watcher(c)));
}

/// # Safety
/// Called on nginx's thread, with `ngx_cycle` set.
unsafe fn files_slot0() -> *mut ngx_connection_t {
    // SAFETY: the caller's contract; `files` is null with epoll and kqueue.
    unsafe {
        let files = (*ngx_cycle).files;
        if files.is_null() {
            ptr::null_mut()
        } else {
            *files
        }
    }
}

/// # Safety
/// As [`files_slot0`].
unsafe fn restore_files_slot0(saved: *mut ngx_connection_t) {
    // SAFETY: the caller's contract.
    unsafe {
        let files = (*ngx_cycle).files;
        if !files.is_null() {
            *files = saved;
        }
    }
}

/// nginx closes idle connections: a graceful shutdown starts. Every pending timer runs now.
unsafe extern "C" fn on_shutdown(ev: *mut ngx_event_t) {
    // SAFETY: the read event of the watcher connection; its data is the connection.
    let c = unsafe { (*ev).data.cast::<ngx_connection_t>() };
    // SAFETY: as above.
    if unsafe { (*c).close() } == 0 {
        return;
    }
    let Some(Watcher(w)) = with(|t| t.watcher.take()) else {
        return;
    };
    // SAFETY: the watcher made in `start`, still held: freed here once, with its
    // placeholder fd (see `start`), then marked without one.
    unsafe {
        let saved = files_slot0();
        ngx_free_connection(w);
        restore_files_slot0(saved);
        (*w).fd = -1;
    }
    let mut due_now: Vec<(usize, Box<Pending>)> = with(|t| t.pending.drain().collect());
    due_now.sort_by_key(|(id, _)| *id);
    for (_, mut p) in due_now {
        disarm(&mut p.ev);
        due(p);
    }
}

/// Worker exit: runs still parked are cancelled and pending timers dropped.
pub fn exit() {
    let (parked, pending) = with(|t| {
        (
            t.parked.drain().map(|(_, r)| r).collect::<Vec<_>>(),
            t.pending.drain().map(|(_, p)| p).collect::<Vec<_>>(),
        )
    });
    // Dropping a parked run cancels its call.
    drop(parked);
    drop(pending);
}

/// The host of a timer's call: no request.
pub struct TimerHost {
    mcf: &'static MainConf,
    /// The run's id: what its sockets wake.
    id: usize,
    arg: Vec<u8>,
    log: *mut ngx_log_t,
    log_budget: LogBudget,
    stdio: engine_api::abi::wasi::StdioLines,
    ctx: CtxStore,
    sockets: Sockets,
}

impl TimerHost {
    fn new(mcf: &'static MainConf, id: usize, arg: Vec<u8>, log: *mut ngx_log_t) -> TimerHost {
        TimerHost {
            mcf,
            id,
            arg,
            log,
            log_budget: LogBudget::default(),
            stdio: Default::default(),
            ctx: CtxStore::default(),
            sockets: Sockets::default(),
        }
    }
}

impl HostRequest for TimerHost {
    fn phase(&self) -> Phase {
        Phase::Timer
    }

    fn log_budget(&mut self, len: usize) -> LogVerdict {
        self.log_budget.charge(len)
    }

    fn stdio(&mut self, _create: bool) -> Option<&mut engine_api::abi::wasi::StdioLines> {
        Some(&mut self.stdio)
    }

    fn log(&mut self, level: LogLevel, msg: &[u8]) {
        ngx_log_error!(
            level as usize,
            self.log,
            "[wasm] {}, context: timer",
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
        crate::shdict::run(&self.mcf.shared_dicts, op)
    }

    fn ctx(&mut self) -> Result<&mut CtxStore, RequestError> {
        Ok(&mut self.ctx)
    }

    fn timer_add(&mut self, spec: TimerSpec<'_>) -> Result<(), RequestError> {
        add(spec)
    }

    fn timer_counts(&self) -> TimerCounts {
        counts()
    }

    fn timer_arg(&self) -> Option<&[u8]> {
        Some(&self.arg)
    }

    fn socket_start(&mut self, op: SocketOp<'_>) -> Result<SocketStep, RequestError> {
        let http = self.mcf.timer_sockets.ok_or(RequestError::NotAllowed)?;
        let owner = Owner {
            log: self.log,
            resolver: http.resolver,
            resolver_timeout: http.resolver_timeout,
            wake: wake_socket,
            data: ptr::without_provenance_mut::<c_void>(self.id),
        };
        socket::start(&mut self.sockets, owner, op, http.defaults)
    }

    fn socket_result(&mut self) -> i32 {
        socket::result(&mut self.sockets)
    }

    fn socket_received(&self, id: usize) -> Option<&[u8]> {
        socket::received(&self.sockets, id)
    }

    fn socket_close(&mut self, id: usize) -> Result<(), RequestError> {
        socket::close(&mut self.sockets, id)
    }

    fn socket_keepalive(
        &mut self,
        id: usize,
        timeout_ms: Option<u32>,
        pool_size: Option<u32>,
    ) -> Result<(), RequestError> {
        socket::keepalive(&mut self.sockets, id, timeout_ms, pool_size)
    }

    fn socket_reused(&self, id: usize) -> Option<u32> {
        socket::reused(&self.sockets, id)
    }
}
