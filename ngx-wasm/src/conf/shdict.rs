//! `wasm_shared_dict <name> <size>;` (http): a shared dictionary zone, as OpenResty's
//! `lua_shared_dict`.

use std::ffi::{c_char, c_void};

use ngx::ffi::{ngx_command_t, ngx_conf_t, ngx_pagesize, ngx_parse_size, ngx_str_t, NGX_LOG_EMERG};
use ngx::ngx_conf_log_error;

use super::{str_bytes, MainConf};
use crate::conf_error;

/// The smallest zone accepted, in pages: nginx's slab allocator keeps a few for itself.
const MIN_PAGES: usize = 8;

/// `wasm_shared_dict <name> <size>;`: a zone of `size` bytes (`k`/`m` suffixes, at least 8
/// pages) named `name`; a second directive with the same name is an error.
pub extern "C" fn set_wasm_shared_dict(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's main configuration (NGX_HTTP_MAIN_CONF_OFFSET) and,
    // for a TAKE2 directive, the name and two values.
    let (mcf, args) = unsafe {
        let args: &[ngx_str_t] = (*(*cf).args).as_slice();
        (&mut *conf.cast::<MainConf>(), [args[1], args[2]])
    };
    let name = str_bytes(&args[0]).to_vec();
    if name.is_empty() {
        ngx_conf_log_error!(NGX_LOG_EMERG, cf, "empty wasm_shared_dict name");
        return conf_error();
    }
    let mut size_arg = args[1];
    // SAFETY: a configuration argument; ngx_parse_size only reads it.
    let size = unsafe { ngx_parse_size(&mut size_arg) };
    // SAFETY: set by nginx at start, before any configuration is read.
    let min = MIN_PAGES * unsafe { ngx_pagesize };
    let Some(size) = usize::try_from(size).ok().filter(|s| *s >= min) else {
        ngx_conf_log_error!(
            NGX_LOG_EMERG,
            cf,
            "invalid wasm_shared_dict size \"{}\": expected a size of at least {}k, such as 1m",
            String::from_utf8_lossy(str_bytes(&args[1])),
            min / 1024
        );
        return conf_error();
    };
    // SAFETY: cf is the context of the directive being read.
    match unsafe { mcf.shared_dicts.add(cf, &name, size) } {
        Ok(()) => std::ptr::null_mut(),
        Err(msg) => {
            ngx_conf_log_error!(NGX_LOG_EMERG, cf, "{msg}");
            conf_error()
        }
    }
}
