//! A worker's life: what it makes when it starts (the engine's worker state, the modules'
//! instances, its phase engine's order, `init_worker_by_wasm`) and what it says when it
//! exits. Wired to nginx's `init_process` and `exit_process` in `lib.rs`.

use engine_api::{Engine as _, Isolation, Phase};
use ngx::ffi::{ngx_cycle_t, NGX_LOG_ERR, NGX_LOG_NOTICE};
use ngx::http::HttpModuleMainConf;
use ngx::ngx_log_error;

use crate::call::run_to_end;
use crate::request::InitWorker;
use crate::{postpone, timer, HttpWasmModule};

/// Worker start: log the engine, prepare it for this process (threads, pools), instantiate
/// every module ahead of the first request with the `http` level's limits, move the rewrite
/// and access handlers to the tail of their phases, and run `init_worker_by_wasm`.
pub fn start(cycle: &ngx_cycle_t) {
    let Some(mcf) = HttpWasmModule::main_conf(cycle) else {
        return;
    };
    let reg = &mcf.registry;
    let Some(engine) = reg.engine() else {
        return;
    };
    ngx_log_error!(
        NGX_LOG_NOTICE,
        cycle.log,
        "ngx_wasm: engine {}, {} module(s)",
        reg.engine_label(),
        reg.len()
    );
    if let Err(e) = engine.init_worker(mcf.request_isolation) {
        // Not fatal: per-request instances fall back to on-demand allocation, and a call
        // with a timeout that cannot be enforced fails (500) rather than run unbounded.
        ngx_log_error!(
            NGX_LOG_ERR,
            cycle.log,
            "ngx_wasm: {e:#} (engine: {})",
            reg.engine_label()
        );
    }
    // The http level's own limits: no request, no location.
    let limits = &mcf.default_limits;
    if limits.isolation == Isolation::Worker {
        for id in 0..reg.len() {
            if let Err(e) = reg.prepare(id, &limits.instance, &limits.budget) {
                // Not fatal: the first request retries and answers 500 if it fails again.
                ngx_log_error!(
                    NGX_LOG_ERR,
                    cycle.log,
                    "ngx_wasm: module \"{}\": {e} (engine: {})",
                    reg.path(id).display(),
                    reg.engine_label()
                );
            }
        }
    }
    postpone::run(cycle, mcf);
    timer::start(cycle, mcf);
    if let Some(h) = &mcf.init_worker {
        // A failure is logged by the call's supervisor.
        let mut host = InitWorker::new(cycle.log, &mcf.shared_dicts);
        let _ = run_to_end(mcf, h, limits, Phase::InitWorker, &mut host, cycle.log);
    }
}

/// Worker exit: cancel the timer runs still waiting, drop pending timers, log the failure
/// summaries still pending.
pub fn exit(cycle: &ngx_cycle_t) {
    timer::exit();
    if let Some(s) = HttpWasmModule::main_conf(cycle).and_then(|m| m.supervisors.as_ref()) {
        s.flush();
    }
}
