//! The nginx process a guest runs in (`ngx.worker.*`): nginx's process globals.

/// This process, as `ngx.worker.*` reports it.
pub fn info() -> engine_api::WorkerInfo {
    use ngx::ffi::{ngx_core_conf_t, ngx_core_module, ngx_cycle, ngx_exiting, ngx_pid, ngx_worker};
    // SAFETY: nginx's process globals, written by nginx in this (single-threaded) process;
    // the core module's configuration exists once the cycle is configured.
    unsafe {
        let ctx = (*ngx_cycle).conf_ctx;
        let ccf = if ctx.is_null() {
            std::ptr::null_mut()
        } else {
            (*ctx.add(ngx_core_module.index)).cast::<ngx_core_conf_t>()
        };
        let count = if ccf.is_null() {
            1
        } else {
            u32::try_from((*ccf).worker_processes).unwrap_or(1)
        };
        engine_api::WorkerInfo {
            id: u32::try_from(ngx_worker).unwrap_or(0),
            count,
            pid: u32::try_from(ngx_pid).unwrap_or(0),
            exiting: ngx_exiting != 0,
        }
    }
}
