//! TLS on guest sockets (`sock_sslhandshake`), with nginx's OpenSSL layer: the client side
//! of `ngx_ssl_create_connection` + `ngx_ssl_handshake`, the way nginx's upstreams use it.
//!
//! * **Trust** ([`TlsConf`]): the location's `wasm_socket_ssl_trusted_certificate` context
//!   (made while nginx reads its configuration, see `conf::tls`), or this worker's default
//!   one, made on first use, which trusts nothing: with `verify` every certificate is refused
//!   there, as OpenResty refuses without `lua_ssl_trusted_certificate`.
//! * **Handshake** ([`start`], then [`finished`]): SNI is the server name unless it is an IP
//!   address (RFC 6066); afterwards `verify` checks the chain (`SSL_get_verify_result`) and
//!   the name (`ngx_ssl_check_host`), logging why a certificate is refused.
//! * **Close** ([`shutdown`]): `close_notify` without waiting for the peer's, then nginx
//!   frees the SSL object; the connection's pool (a TLS connection needs one) is the
//!   caller's to destroy after `ngx_close_connection`.

use std::ffi::CString;

/// nginx's `ngx_ssl_t` (an SSL context), opaque where nginx has no SSL module.
#[cfg(ngx_ssl)]
pub type SslCtx = ngx::ffi::ngx_ssl_t;
/// nginx's `ngx_ssl_t` (an SSL context), opaque where nginx has no SSL module.
#[cfg(not(ngx_ssl))]
pub enum SslCtx {}

/// What a location says about TLS on its sockets.
#[derive(Clone, Copy)]
pub struct TlsConf {
    /// The context with `wasm_socket_ssl_trusted_certificate`, if one applies.
    pub ctx: Option<*mut SslCtx>,
    /// `wasm_socket_ssl_verify_depth`.
    pub depth: u32,
}

/// The default of `wasm_socket_ssl_verify_depth` (OpenResty's `lua_ssl_verify_depth`).
pub const DEFAULT_VERIFY_DEPTH: u32 = 1;

/// One handshake's parameters.
pub struct Params {
    /// The server name (SNI and the host check); empty for none.
    pub name: CString,
    /// Check the chain and the name.
    pub verify: bool,
}

impl Params {
    /// The parameters of `sock_sslhandshake`; `None` if `name` holds a NUL.
    pub fn new(name: &[u8], verify: bool) -> Option<Params> {
        Some(Params {
            name: CString::new(name).ok()?,
            verify,
        })
    }
}

#[cfg(ngx_ssl)]
pub use imp::{finished, shutdown, start, trusted_context};

#[cfg(not(ngx_ssl))]
pub use none::{finished, shutdown, start, trusted_context};

/// What [`start`] did.
pub enum Started {
    /// The handshake ended at once: call [`finished`].
    Done,
    /// It goes on: nginx calls the connection's `ssl->handler` when it ends or times out.
    Again,
}

#[cfg(ngx_ssl)]
mod imp {
    use std::cell::Cell;
    use std::ffi::{c_int, c_long, c_void, CStr};
    use std::net::IpAddr;
    use std::ptr;

    use engine_api::abi::status;
    use ngx::core::Status;
    use ngx::ffi::{
        ngx_conf_t, ngx_connection_handler_pt, ngx_connection_t, ngx_create_pool, ngx_cycle,
        ngx_pool_cleanup_add, ngx_ssl_check_host, ngx_ssl_cleanup_ctx, ngx_ssl_create,
        ngx_ssl_create_connection, ngx_ssl_handshake, ngx_ssl_shutdown, ngx_ssl_t,
        ngx_ssl_trusted_certificate, ngx_str_t, NGX_SSL_TLSv1_2, NGX_SSL_TLSv1_3, SSL_ctrl,
        SSL_get_verify_result, SSL_set_verify_depth, X509_verify_cert_error_string, NGX_AGAIN,
        NGX_LOG_ERR, NGX_SSL_BUFFER, NGX_SSL_CLIENT,
    };
    use ngx::ngx_log_error;

    use super::{Params, Started, TlsConf};

    /// The protocols of every context: nginx's default for `proxy_ssl_protocols` without
    /// the old ones.
    const PROTOCOLS: u32 = NGX_SSL_TLSv1_2 | NGX_SSL_TLSv1_3;
    /// OpenSSL's `SSL_CTRL_SET_TLSEXT_HOSTNAME` and `TLSEXT_NAMETYPE_host_name`
    /// (`SSL_set_tlsext_host_name` is a macro over `SSL_ctrl`).
    const SET_TLSEXT_HOSTNAME: c_int = 55;
    const NAMETYPE_HOST_NAME: c_long = 0;
    /// The pool nginx allocates a TLS connection's state from.
    const CONNECTION_POOL_SIZE: usize = 128;

    thread_local! {
        /// This worker's context for sockets with no trusted certificate configured.
        static DEFAULT_CTX: Cell<*mut ngx_ssl_t> = const { Cell::new(ptr::null_mut()) };
    }

    /// A client context trusting the certificates in `file` (already a full path), checking
    /// chains up to `depth`, freed with the configuration's pool; `None` after nginx logged
    /// why not (at `emerg`, with the directive's file and line).
    ///
    /// # Safety
    /// `cf` must be nginx's configuration context of the directive being read.
    pub unsafe fn trusted_context(
        cf: *mut ngx_conf_t,
        file: &mut ngx_str_t,
        depth: u32,
    ) -> Option<*mut ngx_ssl_t> {
        // SAFETY: the caller's contract: cf is live, with its pool and log.
        unsafe {
            let ssl = ngx::ffi::ngx_pcalloc((*cf).pool, size_of::<ngx_ssl_t>()).cast::<ngx_ssl_t>();
            if ssl.is_null() {
                return None;
            }
            (*ssl).log = (*cf).log;
            if ngx_ssl_create(ssl, PROTOCOLS as _, ptr::null_mut()) != Status::NGX_OK.0 {
                return None;
            }
            let cln = ngx_pool_cleanup_add((*cf).pool, 0);
            if cln.is_null() {
                ngx_ssl_cleanup_ctx(ssl.cast());
                return None;
            }
            (*cln).handler = Some(ngx_ssl_cleanup_ctx);
            (*cln).data = ssl.cast::<c_void>();
            if ngx_ssl_trusted_certificate(cf, ssl, file, depth as _) != Status::NGX_OK.0 {
                return None;
            }
            Some(ssl)
        }
    }

    /// This worker's default context (made once; lives as long as the worker).
    fn default_context() -> Option<*mut ngx_ssl_t> {
        let have = DEFAULT_CTX.with(Cell::get);
        if !have.is_null() {
            return Some(have);
        }
        // SAFETY: a zeroed ngx_ssl_t is nginx's own initial state (it allocates them with
        // ngx_pcalloc); the cycle's log outlives the worker's sockets.
        let ssl = Box::into_raw(Box::new(unsafe { std::mem::zeroed::<ngx_ssl_t>() }));
        // SAFETY: ssl is a fresh, owned ngx_ssl_t; the cycle is live in a worker.
        let ok = unsafe {
            (*ssl).log = (*ngx_cycle).log;
            ngx_ssl_create(ssl, PROTOCOLS as _, ptr::null_mut()) == Status::NGX_OK.0
        };
        if !ok {
            // SAFETY: made above by Box::into_raw; nginx freed what it made on failure.
            drop(unsafe { Box::from_raw(ssl) });
            return None;
        }
        DEFAULT_CTX.with(|c| c.set(ssl));
        Some(ssl)
    }

    /// Starts the client handshake on the open connection `c`; `handler` is called by
    /// nginx when it ends later. `Err` is the status to answer (the connection is then the
    /// caller's to close).
    ///
    /// # Safety
    /// `c` must be an open connection this module owns.
    pub unsafe fn start(
        c: *mut ngx_connection_t,
        conf: &TlsConf,
        p: &Params,
        handler: ngx_connection_handler_pt,
    ) -> Result<Started, i32> {
        // SAFETY: the caller's contract.
        unsafe {
            if !(*c).ssl.is_null() {
                // A pooled TLS connection: already done.
                return Ok(Started::Done);
            }
            let ssl = match conf.ctx {
                Some(ssl) => ssl,
                None => default_context().ok_or(status::TLS_FAILED)?,
            };
            if (*c).pool.is_null() {
                (*c).pool = ngx_create_pool(CONNECTION_POOL_SIZE, (*c).log);
                if (*c).pool.is_null() {
                    return Err(status::INTERNAL);
                }
            }
            if ngx_ssl_create_connection(ssl, c, (NGX_SSL_BUFFER | NGX_SSL_CLIENT) as _)
                != Status::NGX_OK.0
            {
                return Err(status::TLS_FAILED);
            }
            let conn = (*(*c).ssl).connection;
            if sni_allowed(p.name.as_bytes())
                && SSL_ctrl(
                    conn,
                    SET_TLSEXT_HOSTNAME,
                    NAMETYPE_HOST_NAME,
                    p.name.as_ptr().cast_mut().cast::<c_void>(),
                ) != 1
            {
                return Err(status::TLS_FAILED);
            }
            SSL_set_verify_depth(conn, conf.depth as c_int);
            let rc = ngx_ssl_handshake(c);
            if rc == NGX_AGAIN as ngx::ffi::ngx_int_t {
                (*(*c).ssl).handler = handler;
                return Ok(Started::Again);
            }
            Ok(Started::Done)
        }
    }

    /// RFC 6066: SNI carries DNS names, never IP literals.
    fn sni_allowed(name: &[u8]) -> bool {
        if name.is_empty() || name.first() == Some(&b'[') {
            return false;
        }
        std::str::from_utf8(name).map_or(true, |s| s.parse::<IpAddr>().is_err())
    }

    /// The handshake on `c` ended: 0, or why it failed (logged).
    ///
    /// # Safety
    /// `c` must be an open connection this module owns, after [`start`].
    pub unsafe fn finished(c: *mut ngx_connection_t, p: &Params) -> i32 {
        // SAFETY: the caller's contract.
        unsafe {
            let sc = (*c).ssl;
            if sc.is_null() || (*sc).handshaked() == 0 {
                return status::TLS_FAILED;
            }
            if !p.verify {
                return status::OK;
            }
            let rc = SSL_get_verify_result((*sc).connection);
            if rc != 0 {
                let why = X509_verify_cert_error_string(rc);
                let why = if why.is_null() {
                    "unknown".into()
                } else {
                    CStr::from_ptr(why).to_string_lossy()
                };
                ngx_log_error!(
                    NGX_LOG_ERR,
                    (*c).log,
                    "wasm socket: certificate verify error: ({}: {})",
                    rc,
                    why
                );
                return status::TLS_VERIFY_FAILED;
            }
            let name = p.name.as_bytes();
            if !name.is_empty() {
                let mut s = ngx_str_t {
                    len: name.len(),
                    data: p.name.as_ptr().cast_mut().cast::<u8>(),
                };
                if ngx_ssl_check_host(c, &mut s) != Status::NGX_OK.0 {
                    ngx_log_error!(
                        NGX_LOG_ERR,
                        (*c).log,
                        "wasm socket: certificate does not match host \"{}\"",
                        String::from_utf8_lossy(name)
                    );
                    return status::TLS_VERIFY_FAILED;
                }
            }
            status::OK
        }
    }

    /// Ends TLS on `c` before it is closed: sends `close_notify` without waiting for the
    /// peer's, and frees the SSL object whatever the socket allows.
    ///
    /// # Safety
    /// `c` must be an open connection about to be closed with `ngx_close_connection`.
    pub unsafe fn shutdown(c: *mut ngx_connection_t) {
        // SAFETY: the caller's contract.
        unsafe {
            if (*c).ssl.is_null() {
                return;
            }
            (*(*c).ssl).set_no_wait_shutdown(1);
            if ngx_ssl_shutdown(c) == NGX_AGAIN as ngx::ffi::ngx_int_t && !(*c).ssl.is_null() {
                // It would wait to send: a quiet shutdown frees the SSL object at once.
                (*(*c).ssl).set_no_send_shutdown(1);
                let _ = ngx_ssl_shutdown(c);
            }
        }
    }
}

#[cfg(not(ngx_ssl))]
mod none {
    use engine_api::abi::status;
    use ngx::ffi::{ngx_conf_t, ngx_connection_handler_pt, ngx_connection_t, ngx_str_t};

    use super::{Params, SslCtx, Started, TlsConf};

    /// nginx was built without `--with-http_ssl_module`: no context can be made.
    ///
    /// # Safety
    /// None needed; the signature matches the SSL build's.
    pub unsafe fn trusted_context(
        _cf: *mut ngx_conf_t,
        _file: &mut ngx_str_t,
        _depth: u32,
    ) -> Option<*mut SslCtx> {
        None
    }

    /// Without nginx's SSL module every handshake fails.
    ///
    /// # Safety
    /// None needed; the signature matches the SSL build's.
    pub unsafe fn start(
        _c: *mut ngx_connection_t,
        _conf: &TlsConf,
        _p: &Params,
        _handler: ngx_connection_handler_pt,
    ) -> Result<Started, i32> {
        Err(status::TLS_FAILED)
    }

    /// Never reached without SSL.
    ///
    /// # Safety
    /// None needed.
    pub unsafe fn finished(_c: *mut ngx_connection_t, _p: &Params) -> i32 {
        status::TLS_FAILED
    }

    /// Nothing to end without SSL.
    ///
    /// # Safety
    /// None needed.
    pub unsafe fn shutdown(_c: *mut ngx_connection_t) {}
}
