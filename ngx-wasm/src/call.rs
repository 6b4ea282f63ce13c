//! One guest call, from admission to outcome, in as many steps as it takes.
//!
//! [`Call::start`] asks the module's supervisor whether it may run (a module backing off is
//! refused with 503), leases an instance from the registry and runs the export's first
//! step. A step ends with the export done (the instance goes back to the registry), with the
//! call waiting ([`Outcome::Suspended`]: the [`Call`] keeps its instance until
//! [`Call::resume`] runs the next step), or with a failure: logged or counted by the
//! supervisor, the instance dropped, and the status to answer decided here (500; the
//! location's `wasm_budget_status` after a budget stop; 503 while the module backs off).

use std::borrow::Cow;
use std::cell::Cell;

use engine_api::{
    GuestError, GuestErrorKind, HostRequest, Instance as _, Phase, Reply, Step, Val, Wait,
};
use ngx::ffi::{ngx_log_t, NGX_LOG_ERR, NGX_LOG_INFO};
use ngx::ngx_log_error;

use crate::conf::limits::Limits;
use crate::conf::MainConf;
use crate::registry::{Handler, Lease, LeaseError, ModuleId};
use crate::supervise::{Failure, Slot, Supervisor};

/// The status answered while a module backs off after failing repeatedly.
pub const BACKOFF_STATUS: u16 = 503;

/// The status answered when a guest fails (traps, fails to instantiate).
pub const FAILURE_STATUS: u16 = 500;

/// The status answered when no instance became free in time (`wasm_max_instances`).
pub const BUSY_STATUS: u16 = 503;

/// Logs that a call of `handler` could not start: its module has `wasm_max_instances` calls
/// in progress, and `why` it was not run after all.
pub fn busy(mcf: &MainConf, handler: &Handler, phase: Phase, log: *mut ngx_log_t, why: &str) {
    let max = mcf.registry.max_instances();
    ngx_log_error!(
        NGX_LOG_ERR,
        log,
        "wasm module \"{}\" has {} calls in progress (wasm_max_instances {max}): {why}, answering {BUSY_STATUS} (export: \"{}\", engine: {}, phase: {})",
        mcf.registry.path(handler.module).display(),
        mcf.registry.in_use(handler.module),
        handler.export,
        mcf.registry.engine_label(),
        phase.name()
    );
}

/// How a step of a call ended.
pub enum Outcome {
    /// The export returned.
    Done,
    /// The call waits for this; resume it with the [`Call`] once the wait is over.
    Suspended(Call, Wait),
    /// The call failed (logged, or counted by the module's supervisor); answer this status.
    Failed(u16),
    /// It did not start: `wasm_max_instances` calls of its module are in progress. Wait for
    /// one to end (`crate::suspend::wait_for_instance`) and start again.
    Busy,
}

thread_local! {
    /// The configuration and module of the guest code running now, for host functions that
    /// act for the calling module (`timer_at`). nginx runs every call on its one thread.
    static CALLER: Cell<Option<(&'static MainConf, ModuleId)>> = const { Cell::new(None) };
}

/// The configuration and module whose guest code is running (`None` between calls).
pub fn caller() -> Option<(&'static MainConf, ModuleId)> {
    CALLER.with(Cell::get)
}

/// Marks `module` as the caller while a step runs; the previous caller (a call that runs
/// another, as a content handler's `flush` runs the filters) is back when it drops.
struct Running(Option<(&'static MainConf, ModuleId)>);

impl Running {
    fn enter(mcf: &'static MainConf, module: ModuleId) -> Running {
        Running(CALLER.with(|c| c.replace(Some((mcf, module)))))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        CALLER.with(|c| c.set(self.0));
    }
}

/// A call in progress: its handler, what it runs under, and the instance lent to it.
pub struct Call {
    mcf: &'static MainConf,
    sup: &'static Supervisor,
    /// The breaker of the handler's export in `sup`.
    slot: Slot,
    /// A directive's handler, or a timer's (which owns its export name).
    handler: Cow<'static, Handler>,
    limits: &'static Limits,
    phase: Phase,
    lease: Lease,
}

/// The supervisor of `handler`'s module. (The main conf lives as long as its configuration
/// cycle, which outlives every request and call of it: nginx hands it out as `'static`.)
fn supervisor(mcf: &'static MainConf, handler: &Handler) -> Option<&'static Supervisor> {
    mcf.supervisors.as_ref()?.get(handler.module)
}

impl Call {
    /// Starts `handler` for `host` in `phase`, under `limits`, logging to `log`.
    pub fn start(
        mcf: &'static MainConf,
        handler: Cow<'static, Handler>,
        limits: &'static Limits,
        phase: Phase,
        host: &mut dyn HostRequest,
        log: *mut ngx_log_t,
    ) -> Outcome {
        let engine = mcf.registry.engine_label();
        let Some(sup) = supervisor(mcf, &handler) else {
            return Outcome::Failed(FAILURE_STATUS);
        };
        let Some(slot) = sup.admit(engine, &handler.export) else {
            return Outcome::Failed(BACKOFF_STATUS);
        };
        let lease = mcf.registry.lease(
            handler.module,
            limits.isolation,
            &limits.instance,
            &limits.budget,
        );
        let mut lease = match lease {
            Ok(l) => l,
            Err(LeaseError::Busy) => return Outcome::Busy,
            Err(LeaseError::Failed(error)) => {
                return Self::failed(
                    mcf,
                    &handler.export,
                    limits,
                    phase,
                    (sup, slot),
                    &error,
                    log,
                )
            }
        };
        let running = Running::enter(mcf, handler.module);
        let step = lease
            .instance
            .start(&handler.export, &[], host, &limits.budget);
        drop(running);
        let call = Call {
            mcf,
            sup,
            slot,
            handler,
            limits,
            phase,
            lease,
        };
        call.after(step, host, log)
    }

    /// Runs the next step of a suspended call, the wait over.
    pub fn resume(mut self, host: &mut dyn HostRequest, log: *mut ngx_log_t) -> Outcome {
        let running = Running::enter(self.mcf, self.handler.module);
        let step = self.lease.instance.resume(Reply::Ready, host);
        drop(running);
        self.after(step, host, log)
    }

    /// Abandons a suspended call (`why`: the client went away...): its waiting host function
    /// traps, the call ends without running more guest code, and its instance is dropped.
    /// Not a failure of the guest: logged at `info` and not counted against the module.
    pub fn cancel(mut self, host: &mut dyn HostRequest, log: *mut ngx_log_t, why: &str) {
        let running = Running::enter(self.mcf, self.handler.module);
        let ended = self.lease.instance.resume(Reply::Cancel, host);
        drop(running);
        engine_api::abi::wasi::end_of_call(host);
        let how = match ended {
            Err(e) if e.kind == GuestErrorKind::Trap => String::new(),
            Err(e) => format!("; it ended with: {e}"),
            Ok(_) => "; it went on to completion".to_string(),
        };
        ngx_log_error!(
            NGX_LOG_INFO,
            log,
            "wasm call cancelled while it waited: {why}{how} (module: \"{}\", export: \"{}\", engine: {}, phase: {})",
            self.mcf.registry.path(self.handler.module).display(),
            self.handler.export,
            self.mcf.registry.engine_label(),
            self.phase.name()
        );
    }

    /// The handler the call runs.
    pub fn handler(&self) -> &Handler {
        &self.handler
    }

    /// The phase the call runs in.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Turns a step's result into the call's outcome.
    fn after(
        self,
        step: Result<Step, GuestError>,
        host: &mut dyn HostRequest,
        log: *mut ngx_log_t,
    ) -> Outcome {
        if !matches!(step, Ok(Step::Suspended(_))) {
            // What the guest left on stdout/stderr without a newline is logged now.
            engine_api::abi::wasi::end_of_call(host);
        }
        // A call that went past a host limit (its output) fails like one a budget stopped.
        let step = match (step, host.exceeded()) {
            (Ok(Step::Done(_)), Some(why)) => Err(GuestError::new(GuestErrorKind::Budget, why)),
            (step, _) => step,
        };
        match step {
            Ok(Step::Done(_)) => {
                self.sup.success(self.slot);
                self.mcf.registry.give_back(self.lease);
                Outcome::Done
            }
            Ok(Step::Suspended(wait)) => Outcome::Suspended(self, wait),
            Err(error) => Self::failed(
                self.mcf,
                &self.handler.export,
                self.limits,
                self.phase,
                (self.sup, self.slot),
                &error,
                log,
            ),
        }
    }

    fn failed(
        mcf: &MainConf,
        export: &str,
        limits: &Limits,
        phase: Phase,
        (sup, slot): (&Supervisor, Slot),
        error: &GuestError,
        log: *mut ngx_log_t,
    ) -> Outcome {
        sup.failure(
            log,
            slot,
            &Failure {
                error,
                export,
                phase: phase.name(),
                engine: mcf.registry.engine_label(),
            },
        );
        Outcome::Failed(match error.kind {
            GuestErrorKind::Budget => limits.budget_status,
            _ => FAILURE_STATUS,
        })
    }
}

/// Runs `handler` to the end where a call cannot wait (filters, the log phase,
/// init_worker): host functions that may suspend refuse to there, so a call that suspends
/// anyway is cancelled and fails.
pub fn run_to_end(
    mcf: &'static MainConf,
    handler: &'static Handler,
    limits: &'static Limits,
    phase: Phase,
    host: &mut dyn HostRequest,
    log: *mut ngx_log_t,
) -> Result<(), u16> {
    match Call::start(mcf, Cow::Borrowed(handler), limits, phase, host, log) {
        Outcome::Done => Ok(()),
        Outcome::Failed(status) => Err(status),
        Outcome::Busy => {
            busy(
                mcf,
                handler,
                phase,
                log,
                "this phase cannot wait for one to end",
            );
            Err(BUSY_STATUS)
        }
        Outcome::Suspended(call, _) => {
            call.cancel(host, log, "this phase cannot wait");
            Err(FAILURE_STATUS)
        }
    }
}

/// Runs Proxy-Wasm callbacks, `exports` of `module` one after the other with the same
/// arguments, each to its end, on this worker's instance of the module (Proxy-Wasm contexts
/// live in one instance for the life of their request; one lease serves the log phase's
/// three callbacks). `prepare` runs first, on the instance lent: it answers the callbacks'
/// arguments, or `None` when they must not run there (their context is not in that
/// instance). Answers the last callback's `i32` result, if it has one; `Err` is the status
/// to answer after a failure (logged by the module's supervisor, naming the callback that
/// failed: the instance is dropped and the callbacks after it do not run).
#[allow(clippy::too_many_arguments)]
pub fn run_callback(
    mcf: &'static MainConf,
    module: ModuleId,
    exports: &[&str],
    limits: &'static Limits,
    phase: Phase,
    host: &mut dyn HostRequest,
    log: *mut ngx_log_t,
    prepare: impl FnOnce(&mut Lease, &mut dyn HostRequest) -> Result<Option<Vec<Val>>, GuestError>,
) -> Result<Option<i32>, u16> {
    let engine = mcf.registry.engine_label();
    let Some(&first) = exports.first() else {
        return Ok(None);
    };
    let Some(sup) = mcf.supervisors.as_ref().and_then(|s| s.get(module)) else {
        return Err(FAILURE_STATUS);
    };
    let Some(slot) = sup.admit(engine, first) else {
        return Err(BACKOFF_STATUS);
    };
    let mut lease = match mcf.registry.lease(
        module,
        engine_api::Isolation::Worker,
        &limits.instance,
        &limits.budget,
    ) {
        Ok(l) => l,
        Err(LeaseError::Busy) => return Err(BUSY_STATUS),
        Err(LeaseError::Failed(error)) => {
            return match Call::failed(mcf, first, limits, phase, (sup, slot), &error, log) {
                Outcome::Failed(status) => Err(status),
                _ => Err(FAILURE_STATUS),
            }
        }
    };
    let running = Running::enter(mcf, module);
    let args = match prepare(&mut lease, host) {
        Ok(Some(args)) => args,
        Ok(None) => {
            drop(running);
            sup.success(slot);
            mcf.registry.give_back(lease);
            return Ok(None);
        }
        Err(error) => {
            drop(running);
            engine_api::abi::wasi::end_of_call(host);
            return match Call::failed(mcf, first, limits, phase, (sup, slot), &error, log) {
                Outcome::Failed(status) => Err(status),
                _ => Err(FAILURE_STATUS),
            };
        }
    };
    let mut answer = None;
    let mut failure = None;
    for &export in exports {
        let step = match lease.instance.start(export, &args, host, &limits.budget) {
            Ok(Step::Suspended(_)) => {
                let _ = lease.instance.resume(Reply::Cancel, host);
                Err(GuestError::new(
                    GuestErrorKind::Trap,
                    "a Proxy-Wasm callback cannot wait",
                ))
            }
            step => step,
        };
        let step = match (step, host.exceeded()) {
            (Ok(Step::Done(_)), Some(why)) => Err(GuestError::new(GuestErrorKind::Budget, why)),
            (step, _) => step,
        };
        match step {
            Ok(Step::Done(vals)) => {
                answer = match vals.first() {
                    Some(Val::I32(v)) => Some(*v),
                    _ => None,
                };
            }
            Ok(Step::Suspended(_)) => {
                failure = Some((export, GuestError::usage("a suspended callback")));
                break;
            }
            Err(error) => {
                failure = Some((export, error));
                break;
            }
        }
    }
    drop(running);
    engine_api::abi::wasi::end_of_call(host);
    match failure {
        None => {
            sup.success(slot);
            mcf.registry.give_back(lease);
            Ok(answer)
        }
        Some((export, error)) => {
            match Call::failed(mcf, export, limits, phase, (sup, slot), &error, log) {
                Outcome::Failed(status) => Err(status),
                _ => Err(FAILURE_STATUS),
            }
        }
    }
}
