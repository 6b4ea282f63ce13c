//! Rewrite and access handlers run at the tail of their phase, as OpenResty's do.
//!
//! nginx runs a phase's handlers in the reverse order of registration, so a dynamic module's
//! handler would run before `ngx_http_rewrite_module` (`set`, `rewrite`, `return`) and before
//! `allow`/`deny`/`auth_basic`. At worker start, this module moves its rewrite and access
//! handlers to the end of their phase in the worker's phase engine, unless
//! `wasm_rewrite_no_postpone on` / `wasm_access_no_postpone on`.

use ngx::ffi::{ngx_cycle_t, ngx_http_phase_handler_t};
use ngx::http::{HttpModuleMainConf, NgxHttpCoreModule};

use engine_api::Phase;

use crate::conf::MainConf;
use crate::phases;

/// Moves the handlers as configured. Called once per worker, before it serves requests.
pub fn run(cycle: &ngx_cycle_t, mcf: &MainConf) {
    let Some(cmcf) = NgxHttpCoreModule::main_conf(cycle) else {
        return;
    };
    let base = cmcf.phase_engine.handlers;
    if base.is_null() {
        return;
    }
    // The engine is an array terminated by an entry without checker (allocated zeroed with
    // one spare slot by ngx_http_init_phase_handlers).
    let mut n = 0;
    // SAFETY: the array is terminated as described; n stays within it.
    while unsafe { (*base.add(n)).checker }.is_some() {
        n += 1;
    }
    // SAFETY: n entries, owned by this worker's copy of the configuration; nothing runs
    // requests while init_process runs.
    let engine: &mut [ngx_http_phase_handler_t] =
        unsafe { std::slice::from_raw_parts_mut(base, n) };
    for (phase, no_postpone) in [
        (Phase::Rewrite, mcf.rewrite_no_postpone),
        (Phase::Access, mcf.access_no_postpone),
    ] {
        if !mcf.uses(phase) || no_postpone == Some(true) {
            continue;
        }
        let Some(i) = engine
            .iter()
            .position(|h| h.handler.is_some_and(|f| phases::is_handler(f, phase)))
        else {
            continue;
        };
        // `next` is the index of the first handler of the following phase.
        let end = engine[i].next;
        if end > i + 1 && end <= n {
            engine[i..end].rotate_left(1);
        }
    }
}
