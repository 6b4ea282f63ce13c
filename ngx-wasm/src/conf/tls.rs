//! `wasm_socket_ssl_trusted_certificate` and `wasm_socket_ssl_verify_depth` (http, server,
//! location): what `sock_sslhandshake` with `verify` trusts, as OpenResty's
//! `lua_ssl_trusted_certificate` and `lua_ssl_verify_depth`.

use std::ffi::{c_char, c_void};

use ngx::ffi::{ngx_command_t, ngx_conf_t, NGX_LOG_EMERG};
use ngx::ngx_conf_log_error;

use super::limits::{arg, set_once, text};
use super::{str_bytes, LocConf};
use crate::conf_error;
use crate::request::tls;

/// The largest `wasm_socket_ssl_verify_depth` accepted (and the depth the context itself
/// allows: the location's depth is set on each connection).
const MAX_VERIFY_DEPTH: u32 = 100;

/// `wasm_socket_ssl_trusted_certificate <file>;`: the PEM file of CA certificates a
/// verifying handshake trusts (relative to nginx's configuration prefix). The file is read
/// now: a missing or bad one fails `nginx -t` here.
pub extern "C" fn set_trusted_certificate(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's location configuration.
    let lcf = unsafe { &mut *conf.cast::<LocConf>() };
    if lcf.ssl_trusted_certificate.is_some() {
        return c"is duplicate".as_ptr().cast_mut();
    }
    // SAFETY: called by nginx for a TAKE1 directive.
    let mut file = unsafe { arg(cf) };
    if str_bytes(&file).is_empty() {
        ngx_conf_log_error!(
            NGX_LOG_EMERG,
            cf,
            "empty wasm_socket_ssl_trusted_certificate"
        );
        return conf_error();
    }
    let shown = text(&file);
    // SAFETY: cf is the context of the directive being read.
    match unsafe { tls::trusted_context(cf, &mut file, MAX_VERIFY_DEPTH) } {
        Some(ctx) => set_once(&mut lcf.ssl_trusted_certificate, ctx),
        None => {
            #[cfg(ngx_ssl)]
            ngx_conf_log_error!(
                NGX_LOG_EMERG,
                cf,
                "cannot load the trusted certificates from \"{shown}\""
            );
            #[cfg(not(ngx_ssl))]
            ngx_conf_log_error!(
                NGX_LOG_EMERG,
                cf,
                "wasm_socket_ssl_trusted_certificate \"{shown}\": nginx was built without \
                 --with-http_ssl_module"
            );
            conf_error()
        }
    }
}

/// `wasm_socket_ssl_verify_depth <n>;` (0 to 100, default 1): how many intermediate
/// certificates a verified chain may hold between the peer's and a trusted one.
pub extern "C" fn set_verify_depth(
    cf: *mut ngx_conf_t,
    _cmd: *mut ngx_command_t,
    conf: *mut c_void,
) -> *mut c_char {
    // SAFETY: nginx passes this module's location configuration.
    let lcf = unsafe { &mut *conf.cast::<LocConf>() };
    // SAFETY: called by nginx for a TAKE1 directive.
    let v = unsafe { arg(cf) };
    let depth = std::str::from_utf8(str_bytes(&v))
        .ok()
        .and_then(|t| t.parse::<u32>().ok())
        .filter(|d| *d <= MAX_VERIFY_DEPTH);
    match depth {
        Some(d) => set_once(&mut lcf.ssl_verify_depth, d),
        None => {
            ngx_conf_log_error!(
                NGX_LOG_EMERG,
                cf,
                "invalid wasm_socket_ssl_verify_depth \"{}\": expected a number from 0 to {MAX_VERIFY_DEPTH}",
                text(&v)
            );
            conf_error()
        }
    }
}
