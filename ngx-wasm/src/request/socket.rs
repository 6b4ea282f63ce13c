//! TCP sockets of a call (`sock_*`), on nginx's event loop: `ngx_event_connect_peer`,
//! the connection's own `recv`/`send`, nginx timers for the timeouts and nginx's resolver
//! for names; idle connections wait in this worker's keepalive pool.
//!
//! An operation runs as far as it can at once; if it must wait, the socket keeps it and
//! the connection's events carry it on. When it ends, its [`Owner`] wakes the call waiting
//! for it: for a request, the context's `on_socket` (registered by `crate::suspend`); for
//! a timer's run, `crate::timer`. The owner keeps the sockets ([`Sockets`]): those still
//! open when the request or the run ends are closed with it.

use std::any::Any;
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::ffi::c_void;
use std::net::IpAddr;
use std::ptr;

use engine_api::abi::status;
use engine_api::request::{SocketOp, SocketStep, Until};
use engine_api::RequestError;
use ngx::core::Status;
use ngx::ffi::{
    getsockopt, ngx_add_timer, ngx_close_connection, ngx_connection_log_error_e_NGX_ERROR_ERR,
    ngx_connection_t, ngx_cycle, ngx_del_timer, ngx_destroy_pool, ngx_event_connect_peer,
    ngx_event_get_peer, ngx_event_t, ngx_handle_read_event, ngx_handle_write_event,
    ngx_http_request_t, ngx_http_run_posted_requests, ngx_log_t, ngx_msec_t, ngx_peer_connection_t,
    ngx_resolve_name, ngx_resolve_name_done, ngx_resolve_start, ngx_resolver_ctx_t, ngx_resolver_t,
    ngx_str_t, sockaddr, sockaddr_in, sockaddr_in6, sockaddr_un, socklen_t, AF_INET, AF_INET6,
    AF_UNIX, NGX_AGAIN, SOL_SOCKET, SO_ERROR,
};
use ngx::http::{HttpModuleLocationConf, NgxHttpCoreModule};

use super::tls;
use crate::ctx;

/// The default socket timeout (OpenResty's `lua_socket_*_timeout`), in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u32 = 60_000;

/// The most sockets one request may have open at once.
pub const MAX_SOCKETS: usize = 64;

/// How much one `recv` reads.
const READ_CHUNK: usize = 16 * 1024;

/// The default of `sock_setkeepalive`'s pool size (OpenResty's `lua_socket_pool_size`).
const DEFAULT_POOL_SIZE: usize = 30;
/// The default of `sock_setkeepalive`'s idle timeout (`lua_socket_keepalive_timeout`).
const DEFAULT_KEEPALIVE_MS: u32 = 60_000;

/// What the location says about its sockets: the three default timeouts (milliseconds)
/// and TLS.
#[derive(Clone, Copy)]
pub struct Defaults {
    /// `wasm_socket_connect_timeout` (also the TLS handshake's)
    pub connect: u32,
    /// `wasm_socket_send_timeout`
    pub send: u32,
    /// `wasm_socket_read_timeout`
    pub read: u32,
    /// `wasm_socket_ssl_trusted_certificate`, `wasm_socket_ssl_verify_depth`
    pub tls: tls::TlsConf,
}

/// The `http` level's socket settings and resolver: what a timer's sockets use (a timer
/// has no location). Made at postconfiguration.
#[derive(Clone, Copy)]
pub struct HttpLevel {
    /// The `http` block's `wasm_socket_*` settings.
    pub defaults: Defaults,
    /// The `http` block's `resolver` (null: none) and `resolver_timeout`.
    pub resolver: *mut ngx_resolver_t,
    /// `resolver_timeout`, in milliseconds.
    pub resolver_timeout: ngx_msec_t,
}

impl Defaults {
    /// The defaults where no directive sets them: 60 s each, no trusted certificate,
    /// verify depth 1 (OpenResty's).
    pub const NGINX: Defaults = Defaults {
        connect: DEFAULT_TIMEOUT_MS,
        send: DEFAULT_TIMEOUT_MS,
        read: DEFAULT_TIMEOUT_MS,
        tls: tls::TlsConf {
            ctx: None,
            depth: tls::DEFAULT_VERIFY_DEPTH,
        },
    };
}

/// Who a socket works for: the request, or the timer run, whose call uses it.
#[derive(Clone, Copy)]
pub struct Owner {
    /// The log of its lines (and of nginx's, for the connection).
    pub log: *mut ngx_log_t,
    /// The resolver for names (the location's; null for none) and its timeout.
    pub resolver: *mut ngx_resolver_t,
    /// `resolver_timeout`, in milliseconds.
    pub resolver_timeout: ngx_msec_t,
    /// Wakes the call waiting for an operation that ended, with `data`.
    ///
    /// # Safety
    /// Called from an event handler with `data`, which the owner keeps valid while any of
    /// its sockets lives; it may end the owner and free every socket of it.
    pub wake: unsafe fn(*mut c_void),
    /// `wake`'s argument.
    pub data: *mut c_void,
}

impl Owner {
    /// The owner of `r`'s sockets: woken through its context, resolving with its
    /// location's resolver.
    pub fn request(r: &mut ngx_http_request_t) -> Owner {
        let (resolver, resolver_timeout) = NgxHttpCoreModule::location_conf(r)
            .map_or((ptr::null_mut(), 0), |clcf| {
                (clcf.resolver, clcf.resolver_timeout)
            });
        Owner {
            // SAFETY: a live request has its connection.
            log: unsafe { (*r.connection).log },
            resolver,
            resolver_timeout,
            wake: wake_request,
            data: ptr::from_mut(r).cast(),
        }
    }
}

/// Wakes the call of the request at `data` that waits for a socket.
///
/// # Safety
/// `data` is a live request (its sockets live in its context).
unsafe fn wake_request(data: *mut c_void) {
    let r = data.cast::<ngx_http_request_t>();
    // SAFETY: the caller's contract.
    let c = unsafe { (*r).connection };
    // SAFETY: as above.
    let wake = ctx::get(unsafe { &*r }).and_then(|mut cx| unsafe { cx.as_mut() }.on_socket.take());
    if let Some(wake) = wake {
        // SAFETY: as above.
        wake(unsafe { &mut *r });
    }
    // SAFETY: the client connection outlives its requests' handlers (nginx marks it
    // destroyed, and this returns at once then).
    unsafe { ngx_http_run_posted_requests(c) };
}

/// What a socket is doing.
enum Op {
    Idle,
    Resolving,
    Connecting,
    Handshaking(tls::Params),
    Sending,
    Receiving(Wanted),
}

/// What a receive waits for (owned: it outlives the guest's arguments).
enum Wanted {
    Bytes(usize),
    Line(usize),
    All(usize),
    Any(usize),
    Pattern(Vec<u8>, usize),
}

/// One TCP connection of a call.
struct Socket {
    id: usize,
    owner: Owner,
    conn: *mut ngx_connection_t,
    peer: Box<ngx_peer_connection_t>,
    /// The peer's address (`sockaddr_*` bytes) and its name for nginx's log lines.
    addr: Vec<u8>,
    name: Box<ngx_str_t>,
    name_text: Vec<u8>,
    port: u16,
    /// The keepalive pool key: `host:port` or the unix path.
    key: Vec<u8>,
    resolving: *mut ngx_resolver_ctx_t,
    op: Op,
    timeout: u32,
    /// Received and not yet returned.
    rbuf: Vec<u8>,
    /// The last piece returned.
    piece: Vec<u8>,
    out: Vec<u8>,
    sent: usize,
    eof: bool,
    /// The operation ended; its result, for the call.
    result: Option<i32>,
    /// An operation is starting inside the guest's host call: an end now is returned
    /// there, not woken.
    starting: bool,
    reused: u32,
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.stop_resolving();
        self.close_conn();
    }
}

impl Socket {
    fn close_conn(&mut self) {
        if !self.conn.is_null() {
            // SAFETY: a connection this socket opened (or took from the pool), not closed
            // yet.
            unsafe { close_connection(self.conn) };
            self.conn = ptr::null_mut();
        }
    }

    fn stop_resolving(&mut self) {
        if !self.resolving.is_null() {
            // SAFETY: a resolver context started for this socket and not finished.
            unsafe { ngx_resolve_name_done(self.resolving) };
            self.resolving = ptr::null_mut();
        }
    }

    /// Ends the operation with `rc`: the call waiting for it (if it waits) is woken.
    ///
    /// # Safety
    /// Must be the last thing done with `self` by an event handler: waking the call may
    /// end the request (or the run) and free this socket.
    unsafe fn finish(&mut self, rc: i32) {
        self.op = Op::Idle;
        self.stop_timers();
        self.result = Some(rc);
        if self.starting {
            return;
        }
        let Owner { wake, data, .. } = self.owner;
        // SAFETY: the owner keeps its sockets, so `data` is alive; nothing of `self` is
        // used after this.
        unsafe { wake(data) };
    }

    fn stop_timers(&mut self) {
        if self.conn.is_null() {
            return;
        }
        // SAFETY: the connection's events are live while it is open.
        unsafe {
            for ev in [(*self.conn).read, (*self.conn).write] {
                if (*ev).timer_set() != 0 {
                    ngx_del_timer(ev);
                }
            }
        }
    }

    fn arm(&mut self, ev: *mut ngx_event_t) {
        // SAFETY: an event of this socket's open connection.
        unsafe {
            if (*ev).timer_set() == 0 {
                ngx_add_timer(ev, self.timeout.max(1) as ngx_msec_t);
            }
        }
    }

    /// Wires an open connection to this socket's handlers and log.
    fn adopt(&mut self, c: *mut ngx_connection_t) {
        self.conn = c;
        // SAFETY: c is an open connection.
        unsafe {
            let log = self.owner.log;
            (*c).data = ptr::from_mut(self).cast();
            (*c).log = log;
            if !(*c).pool.is_null() {
                (*(*c).pool).log = log;
            }
            (*(*c).read).handler = Some(on_event);
            (*(*c).write).handler = Some(on_event);
            (*(*c).read).log = log;
            (*(*c).write).log = log;
            (*c).set_idle(0);
        }
    }

    fn connect(&mut self) {
        self.op = Op::Connecting;
        let pc = &mut *self.peer;
        pc.sockaddr = self.addr.as_mut_ptr().cast::<sockaddr>();
        pc.socklen = self.addr.len() as socklen_t;
        self.name.len = self.name_text.len();
        self.name.data = self.name_text.as_mut_ptr();
        pc.name = &mut *self.name;
        pc.get = Some(ngx_event_get_peer);
        pc.log = self.owner.log;
        pc.set_log_error(ngx_connection_log_error_e_NGX_ERROR_ERR);
        // SAFETY: pc is filled in; nginx opens a non-blocking socket and starts connecting.
        let rc = unsafe { ngx_event_connect_peer(pc) };
        if pc.connection.is_null() || (rc != Status::NGX_OK.0 && rc != NGX_AGAIN as isize) {
            // SAFETY: nothing else uses this socket now.
            unsafe { self.finish(status::CONNECT_FAILED) };
            return;
        }
        let c = pc.connection;
        self.adopt(c);
        if rc == Status::NGX_OK.0 {
            // SAFETY: as above.
            unsafe { self.finish(self.id as i32) };
            return;
        }
        // SAFETY: c is open.
        let wev = unsafe { (*c).write };
        self.arm(wev);
    }

    /// The connect finished (a write event): did it succeed?
    fn connected(&mut self) {
        let mut err: i32 = 0;
        let mut len = size_of::<i32>() as socklen_t;
        // SAFETY: fd is the open socket; err and len are valid out-parameters.
        let rc = unsafe {
            getsockopt(
                (*self.conn).fd,
                SOL_SOCKET as i32,
                SO_ERROR as i32,
                ptr::from_mut(&mut err).cast::<c_void>(),
                &mut len,
            )
        };
        if rc == -1 || err != 0 {
            self.close_conn();
            // SAFETY: last use.
            unsafe { self.finish(status::CONNECT_FAILED) };
            return;
        }
        // SAFETY: last use.
        unsafe { self.finish(self.id as i32) };
    }

    /// Starts a TLS handshake on the open connection.
    fn handshake(&mut self, p: tls::Params, conf: &tls::TlsConf) {
        // SAFETY: the connection is open and this socket's.
        match unsafe { tls::start(self.conn, conf, &p, Some(on_handshake)) } {
            Err(rc) => {
                self.close_conn();
                // SAFETY: last use.
                unsafe { self.finish(rc) };
            }
            Ok(tls::Started::Done) => self.tls_done(&p),
            Ok(tls::Started::Again) => {
                self.op = Op::Handshaking(p);
                // SAFETY: the connection is open.
                let wev = unsafe { (*self.conn).write };
                self.arm(wev);
            }
        }
    }

    /// The handshake ended (at once or in nginx's handler): check it, and wire the
    /// connection back to this socket's handlers.
    fn tls_done(&mut self, p: &tls::Params) {
        // SAFETY: the connection is open and this socket's.
        let rc = unsafe { tls::finished(self.conn, p) };
        if rc != status::OK {
            self.close_conn();
            // SAFETY: last use.
            return unsafe { self.finish(rc) };
        }
        let c = self.conn;
        self.adopt(c);
        // SAFETY: last use.
        unsafe { self.finish(status::OK) };
    }

    fn send_more(&mut self) {
        while self.sent < self.out.len() {
            let rest = &self.out[self.sent..];
            // SAFETY: an open connection; rest is a live buffer.
            let n = unsafe {
                let send = (*self.conn).send;
                match send {
                    Some(f) => f(self.conn, rest.as_ptr().cast_mut(), rest.len()),
                    None => -1,
                }
            };
            if n > 0 {
                self.sent += n as usize;
                continue;
            }
            if n == NGX_AGAIN as isize {
                // SAFETY: the connection's write event.
                let wev = unsafe { (*self.conn).write };
                // SAFETY: as above.
                if unsafe { ngx_handle_write_event(wev, 0) } != Status::NGX_OK.0 {
                    break;
                }
                self.arm(wev);
                return;
            }
            break;
        }
        if self.sent == self.out.len() {
            let n = i32::try_from(self.out.len()).unwrap_or(i32::MAX);
            self.out = Vec::new();
            // SAFETY: last use.
            unsafe { self.finish(n) };
        } else {
            self.close_conn();
            // SAFETY: last use.
            unsafe { self.finish(status::CLOSED) };
        }
    }

    /// The piece the receive waits for, if the buffer holds it (or can never hold it).
    fn satisfy(&mut self) -> Option<i32> {
        let Op::Receiving(w) = &self.op else {
            return None;
        };
        let take = |s: &mut Socket, n: usize, skip: usize| {
            s.piece = s.rbuf.drain(..n).collect();
            s.rbuf.drain(..skip);
            Some(i32::try_from(s.piece.len()).unwrap_or(i32::MAX))
        };
        match *w {
            Wanted::Bytes(n) if self.rbuf.len() >= n => take(self, n, 0),
            Wanted::Bytes(_) => self.eof.then_some(status::CLOSED),
            Wanted::Line(max) => match self.rbuf.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    let end = if i > 0 && self.rbuf[i - 1] == b'\r' {
                        i - 1
                    } else {
                        i
                    };
                    if end > max {
                        return Some(status::TOO_LARGE);
                    }
                    take(self, end, i + 1 - end)
                }
                None if self.rbuf.len() > max + 1 => Some(status::TOO_LARGE),
                None => self.eof.then_some(status::CLOSED),
            },
            Wanted::All(max) if self.rbuf.len() > max => Some(status::TOO_LARGE),
            Wanted::All(_) if self.eof => {
                let n = self.rbuf.len();
                take(self, n, 0)
            }
            Wanted::All(_) => None,
            Wanted::Any(max) if !self.rbuf.is_empty() => {
                let n = self.rbuf.len().min(max);
                take(self, n, 0)
            }
            Wanted::Any(_) => self.eof.then_some(status::CLOSED),
            Wanted::Pattern(ref p, max) => {
                let found = find(&self.rbuf, p);
                let plen = p.len();
                match found {
                    Some(i) if i > max => Some(status::TOO_LARGE),
                    Some(i) => take(self, i, plen),
                    None if self.rbuf.len() > max + plen => Some(status::TOO_LARGE),
                    None => self.eof.then_some(status::CLOSED),
                }
            }
        }
    }

    fn receive_more(&mut self) {
        loop {
            if let Some(rc) = self.satisfy() {
                if rc == status::CLOSED {
                    self.close_conn();
                }
                // SAFETY: last use.
                unsafe { self.finish(rc) };
                return;
            }
            if self.conn.is_null() {
                // SAFETY: last use.
                unsafe { self.finish(status::CLOSED) };
                return;
            }
            let at = self.rbuf.len();
            self.rbuf.reserve(READ_CHUNK);
            let room = self.rbuf.spare_capacity_mut();
            // SAFETY: an open connection; `room` is the buffer's unused capacity, at least
            // READ_CHUNK bytes, which recv only writes.
            let n = unsafe {
                match (*self.conn).recv {
                    Some(f) => f(self.conn, room.as_mut_ptr().cast::<u8>(), READ_CHUNK),
                    None => -1,
                }
            };
            if n > 0 {
                // SAFETY: recv wrote n <= READ_CHUNK bytes at the start of the spare room.
                unsafe { self.rbuf.set_len(at + n as usize) };
            }
            if n > 0 {
                continue;
            }
            if n == 0 {
                self.eof = true;
                continue;
            }
            if n == NGX_AGAIN as isize {
                // SAFETY: the connection's read event.
                let rev = unsafe { (*self.conn).read };
                // SAFETY: as above.
                if unsafe { ngx_handle_read_event(rev, 0) } != Status::NGX_OK.0 {
                    self.eof = true;
                    continue;
                }
                self.arm(rev);
                return;
            }
            // An error (a reset): what is buffered may still answer.
            self.eof = true;
        }
    }

    /// Starts resolving `host` with the owner's resolver.
    fn resolve(&mut self, host: &[u8]) {
        if self.owner.resolver.is_null() {
            // SAFETY: last use.
            return unsafe { self.finish(status::RESOLVE_FAILED) };
        }
        // SAFETY: the location's resolver (nginx makes one without servers by default).
        let rctx = unsafe { ngx_resolve_start(self.owner.resolver, ptr::null_mut()) };
        // NGX_NO_RESOLVER is (void *) -1: no `resolver` directive applies here.
        if rctx.is_null() || rctx as isize == -1 {
            // SAFETY: last use.
            return unsafe { self.finish(status::RESOLVE_FAILED) };
        }
        self.name_text = host.to_vec();
        self.op = Op::Resolving;
        self.resolving = rctx;
        // SAFETY: a fresh resolver context; the name lives in this socket, which outlives
        // the resolution (dropping the socket ends it first).
        unsafe {
            (*rctx).name = ngx_str_t {
                len: self.name_text.len(),
                data: self.name_text.as_mut_ptr(),
            };
            (*rctx).handler = Some(on_resolved);
            (*rctx).data = ptr::from_mut(self).cast();
            (*rctx).timeout = self.owner.resolver_timeout;
            if ngx_resolve_name(rctx) != Status::NGX_OK.0 {
                self.resolving = ptr::null_mut();
                self.finish(status::RESOLVE_FAILED);
            }
        }
    }
}

/// Closes a connection of a socket or of the pool: TLS ends first, and the pool a TLS
/// connection was given goes after it (nginx's own close leaves `c->pool` alone).
///
/// # Safety
/// `c` must be an open connection this module owns; it is freed.
unsafe fn close_connection(c: *mut ngx_connection_t) {
    // SAFETY: the caller's contract.
    unsafe {
        tls::shutdown(c);
        let pool = (*c).pool;
        ngx_close_connection(c);
        if !pool.is_null() {
            ngx_destroy_pool(pool);
        }
    }
}

/// Where `pattern` (not empty) first occurs in `data`: a scan for its first byte, then a
/// comparison at each candidate (a `windows` search compares every position).
fn find(data: &[u8], pattern: &[u8]) -> Option<usize> {
    let (&first, rest) = pattern.split_first()?;
    let last_start = data.len().checked_sub(pattern.len())?;
    let mut from = 0;
    while from <= last_start {
        let i = from + data[from..=last_start].iter().position(|&b| b == first)?;
        if data[i + 1..i + pattern.len()] == *rest {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

/// nginx's resolver answered for a socket.
unsafe extern "C" fn on_resolved(rctx: *mut ngx_resolver_ctx_t) {
    // SAFETY: the data set in `resolve`: the socket, alive until the resolution ends.
    let s = unsafe { &mut *(*rctx).data.cast::<Socket>() };
    // SAFETY: the resolver's answer, valid until ngx_resolve_name_done.
    let (state, naddrs, addrs) = unsafe { ((*rctx).state, (*rctx).naddrs, (*rctx).addrs) };
    if state != 0 || naddrs == 0 {
        s.stop_resolving();
        // SAFETY: last use.
        return unsafe { s.finish(status::RESOLVE_FAILED) };
    }
    // SAFETY: addrs has naddrs entries, each with a sockaddr of socklen bytes.
    let (sa, len) = unsafe { ((*addrs).sockaddr, (*addrs).socklen as usize) };
    // SAFETY: as above.
    s.addr = unsafe { std::slice::from_raw_parts(sa.cast::<u8>(), len) }.to_vec();
    set_port(&mut s.addr, s.port);
    s.stop_resolving();
    s.connect();
}

fn set_port(addr: &mut [u8], port: u16) {
    // Both sockaddr_in and sockaddr_in6 keep the port (network order) at bytes 2..4.
    if addr.len() >= 4 {
        addr[2..4].copy_from_slice(&port.to_be_bytes());
    }
}

/// nginx ended (or timed out) a TLS handshake that waited.
unsafe extern "C" fn on_handshake(c: *mut ngx_connection_t) {
    // SAFETY: the connection's data is its socket (set by `adopt`), alive while it is open.
    let s = unsafe { &mut *(*c).data.cast::<Socket>() };
    let Op::Handshaking(p) = std::mem::replace(&mut s.op, Op::Idle) else {
        return;
    };
    // SAFETY: the connection's events are live while it is open.
    let timedout = unsafe {
        let (r, w) = ((*c).read, (*c).write);
        let t = (*r).timedout() != 0 || (*w).timedout() != 0;
        (*r).set_timedout(0);
        (*w).set_timedout(0);
        t
    };
    if timedout {
        s.close_conn();
        // SAFETY: last use.
        return unsafe { s.finish(status::TIMEOUT) };
    }
    s.tls_done(&p);
}

/// Both events of a socket's connection.
unsafe extern "C" fn on_event(ev: *mut ngx_event_t) {
    // SAFETY: nginx calls the handler with the event of a connection this module wired:
    // its data is the socket, alive while the connection is open.
    let (c, timedout, write) = unsafe {
        let c = (*ev).data.cast::<ngx_connection_t>();
        let t = (*ev).timedout() != 0;
        if t {
            (*ev).set_timedout(0);
        }
        (c, t, (*ev).write() != 0)
    };
    // SAFETY: as above.
    let s = unsafe { &mut *(*c).data.cast::<Socket>() };
    if timedout {
        if matches!(s.op, Op::Connecting) {
            s.close_conn();
        }
        // SAFETY: last use.
        return unsafe { s.finish(status::TIMEOUT) };
    }
    match s.op {
        Op::Connecting if write => s.connected(),
        Op::Sending if write => s.send_more(),
        Op::Receiving(_) if !write => s.receive_more(),
        _ => {
            // Nothing waits for this event: a peer closing an idle socket is seen by the
            // next receive.
        }
    }
}

/// The sockets of one request (kept in its context) or one timer run.
#[derive(Default)]
pub struct Sockets {
    slots: Vec<Option<Box<Socket>>>,
    /// The socket whose operation the call waits for.
    waiting: Option<usize>,
}

/// The sockets of `r`, made on first use.
pub fn sockets(r: &mut ngx_http_request_t) -> Result<&mut Sockets, RequestError> {
    let mut c = ctx::get_or_create(r).ok_or(RequestError::Internal)?;
    // SAFETY: the context lives as long as the request; nothing else holds it now.
    let c = unsafe { c.as_mut() };
    let any = c
        .sockets
        .get_or_insert_with(|| Box::new(Sockets::default()) as Box<dyn Any>);
    any.downcast_mut::<Sockets>().ok_or(RequestError::Internal)
}

/// The sockets of `r`, if it has any.
pub fn sockets_ref(r: &ngx_http_request_t) -> Option<&Sockets> {
    let c = ctx::get(r)?;
    // SAFETY: as in `sockets`.
    unsafe { c.as_ref() }
        .sockets
        .as_ref()?
        .downcast_ref::<Sockets>()
}

/// The address of `host:port`: an IP literal or a unix path now, `None` for a name.
fn literal_address(host: &[u8], port: u16) -> Result<Option<Vec<u8>>, RequestError> {
    if let Some(path) = host.strip_prefix(b"unix:") {
        // SAFETY: an all-zero sockaddr_un is valid; family and path are set below.
        let mut sun: sockaddr_un = unsafe { std::mem::zeroed() };
        if path.is_empty() || path.len() >= sun.sun_path.len() {
            return Err(RequestError::BadArgument);
        }
        sun.sun_family = AF_UNIX as _;
        for (d, s) in sun.sun_path.iter_mut().zip(path) {
            *d = *s as _;
        }
        return Ok(Some(bytes_of(&sun).to_vec()));
    }
    let text = std::str::from_utf8(host).map_err(|_| RequestError::BadArgument)?;
    let text = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    let Ok(ip) = text.parse::<IpAddr>() else {
        return Ok(None);
    };
    Ok(Some(match ip {
        IpAddr::V4(v4) => {
            // SAFETY: an all-zero sockaddr_in is valid; its fields are set below.
            let mut sin: sockaddr_in = unsafe { std::mem::zeroed() };
            sin.sin_family = AF_INET as _;
            sin.sin_port = port.to_be();
            sin.sin_addr.s_addr = u32::from_ne_bytes(v4.octets());
            bytes_of(&sin).to_vec()
        }
        IpAddr::V6(v6) => {
            // SAFETY: as above, for sockaddr_in6.
            let mut sin6: sockaddr_in6 = unsafe { std::mem::zeroed() };
            sin6.sin6_family = AF_INET6 as _;
            sin6.sin6_port = port.to_be();
            // SAFETY: in6_addr is 16 bytes of address, whatever its union's view.
            unsafe {
                ptr::copy_nonoverlapping(
                    v6.octets().as_ptr(),
                    ptr::addr_of_mut!(sin6.sin6_addr).cast::<u8>(),
                    16,
                )
            };
            bytes_of(&sin6).to_vec()
        }
    }))
}

fn bytes_of<T>(v: &T) -> &[u8] {
    // SAFETY: a plain C struct read as its bytes.
    unsafe { std::slice::from_raw_parts(ptr::from_ref(v).cast::<u8>(), size_of::<T>()) }
}

fn new_socket(owner: Owner, id: usize, key: Vec<u8>, port: u16) -> Box<Socket> {
    Box::new(Socket {
        id,
        owner,
        conn: ptr::null_mut(),
        // SAFETY: an all-zero peer connection is nginx's own initial state (ngx_pcalloc).
        peer: Box::new(unsafe { std::mem::zeroed() }),
        addr: Vec::new(),
        name: Box::new(ngx_str_t {
            len: 0,
            data: ptr::null_mut(),
        }),
        name_text: key.clone(),
        port,
        key,
        resolving: ptr::null_mut(),
        op: Op::Idle,
        timeout: 0,
        rbuf: Vec::new(),
        piece: Vec::new(),
        out: Vec::new(),
        sent: 0,
        eof: false,
        result: None,
        starting: false,
        reused: 0,
    })
}

/// Starts `op` on `owner`'s sockets; `defaults` are the location's timeouts.
pub fn start(
    socks: &mut Sockets,
    owner: Owner,
    op: SocketOp<'_>,
    defaults: Defaults,
) -> Result<SocketStep, RequestError> {
    let id = match op {
        SocketOp::Connect {
            host,
            port,
            timeout_ms,
        } => {
            let open = socks.slots.iter().filter(|s| s.is_some()).count();
            if open >= MAX_SOCKETS {
                return Err(RequestError::NotAllowed);
            }
            let id = match socks.slots.iter().position(Option::is_none) {
                Some(i) => i,
                None => {
                    socks.slots.push(None);
                    socks.slots.len() - 1
                }
            };
            let key = if host.starts_with(b"unix:") {
                host.to_vec()
            } else {
                [host, b":", port.to_string().as_bytes()].concat()
            };
            let mut s = new_socket(owner, id, key, port);
            s.timeout = timeout_ms.unwrap_or(defaults.connect);
            s.starting = true;
            if let Some((c, reused)) = pool::take(&s.key) {
                s.reused = reused + 1;
                s.adopt(c);
                s.result = Some(id as i32);
            } else {
                match literal_address(host, port)? {
                    Some(addr) => {
                        s.addr = addr;
                        s.connect();
                    }
                    None => s.resolve(host),
                }
            }
            socks.slots[id] = Some(s);
            id
        }
        SocketOp::Send {
            id,
            data,
            timeout_ms,
        } => {
            let s = live(socks, id)?;
            s.timeout = timeout_ms.unwrap_or(defaults.send);
            s.starting = true;
            s.op = Op::Sending;
            s.out = data.to_vec();
            s.sent = 0;
            s.send_more();
            id
        }
        SocketOp::Handshake {
            id,
            server_name,
            verify,
            timeout_ms,
        } => {
            let p = tls::Params::new(server_name, verify).ok_or(RequestError::BadArgument)?;
            let s = live(socks, id)?;
            s.timeout = timeout_ms.unwrap_or(defaults.connect);
            s.starting = true;
            s.handshake(p, &defaults.tls);
            id
        }
        SocketOp::Receive {
            id,
            until,
            timeout_ms,
        } => {
            let s = live_or_buffered(socks, id)?;
            s.timeout = timeout_ms.unwrap_or(defaults.read);
            s.starting = true;
            s.op = Op::Receiving(match until {
                Until::Bytes(n) => Wanted::Bytes(n),
                Until::Line { max } => Wanted::Line(max),
                Until::All { max } => Wanted::All(max),
                Until::Any { max } => Wanted::Any(max),
                Until::Pattern { pattern, max } => Wanted::Pattern(pattern.to_vec(), max),
            });
            s.receive_more();
            id
        }
    };
    let Some(s) = socks.slots.get_mut(id).and_then(|s| s.as_deref_mut()) else {
        return Err(RequestError::Internal);
    };
    s.starting = false;
    match s.result.take() {
        Some(rc) => {
            if gone(rc, s) {
                socks.slots[id] = None;
            }
            Ok(SocketStep::Done(rc))
        }
        None => {
            socks.waiting = Some(id);
            Ok(SocketStep::Wait)
        }
    }
}

/// True when a socket whose operation ended with `rc` never got (or lost) its connection
/// while connecting: its id is free again.
fn gone(rc: i32, s: &Socket) -> bool {
    rc == status::CONNECT_FAILED
        || rc == status::RESOLVE_FAILED
        || (rc == status::TIMEOUT && s.conn.is_null())
}

/// An open socket with no operation in progress.
fn live(socks: &mut Sockets, id: usize) -> Result<&mut Socket, RequestError> {
    let s = live_or_buffered(socks, id)?;
    if s.conn.is_null() {
        return Err(RequestError::Closed);
    }
    Ok(s)
}

/// A socket that may still hold received data, with no operation in progress.
fn live_or_buffered(socks: &mut Sockets, id: usize) -> Result<&mut Socket, RequestError> {
    let s = socks
        .slots
        .get_mut(id)
        .and_then(|s| s.as_deref_mut())
        .ok_or(RequestError::NotFound)?;
    if !matches!(s.op, Op::Idle) {
        return Err(RequestError::NotAllowed);
    }
    Ok(s)
}

/// The result of the operation the call waited for.
pub fn result(socks: &mut Sockets) -> i32 {
    let Some(id) = socks.waiting.take() else {
        return status::INTERNAL;
    };
    let Some(Some(s)) = socks.slots.get_mut(id) else {
        return status::CLOSED;
    };
    let rc = s.result.take().unwrap_or(status::INTERNAL);
    if gone(rc, s) {
        socks.slots[id] = None;
    }
    rc
}

/// The last piece socket `id` received.
pub fn received(socks: &Sockets, id: usize) -> Option<&[u8]> {
    let s = socks.slots.get(id)?.as_deref()?;
    Some(&s.piece)
}

/// How many times socket `id`'s connection came from the pool.
pub fn reused(socks: &Sockets, id: usize) -> Option<u32> {
    Some(socks.slots.get(id)?.as_deref()?.reused)
}

/// Closes socket `id`.
pub fn close(socks: &mut Sockets, id: usize) -> Result<(), RequestError> {
    match socks.slots.get_mut(id) {
        Some(slot @ Some(_)) => {
            if slot.as_ref().is_some_and(|s| !matches!(s.op, Op::Idle)) {
                return Err(RequestError::NotAllowed);
            }
            *slot = None;
            Ok(())
        }
        _ => Err(RequestError::NotFound),
    }
}

/// Puts socket `id`'s connection into the keepalive pool.
pub fn keepalive(
    socks: &mut Sockets,
    id: usize,
    timeout_ms: Option<u32>,
    size: Option<u32>,
) -> Result<(), RequestError> {
    let slot = socks.slots.get_mut(id).ok_or(RequestError::NotFound)?;
    let Some(s) = slot.as_deref_mut() else {
        return Err(RequestError::NotFound);
    };
    if !matches!(s.op, Op::Idle) {
        return Err(RequestError::NotAllowed);
    }
    if s.conn.is_null() {
        *slot = None;
        return Err(RequestError::Closed);
    }
    if !s.rbuf.is_empty() || s.eof {
        *slot = None;
        return Err(RequestError::NotAllowed);
    }
    let c = std::mem::replace(&mut s.conn, ptr::null_mut());
    let key = std::mem::take(&mut s.key);
    let reused = s.reused;
    *slot = None;
    pool::put(
        key,
        c,
        reused,
        timeout_ms.unwrap_or(DEFAULT_KEEPALIVE_MS),
        size.map_or(DEFAULT_POOL_SIZE, |n| n as usize),
    );
    Ok(())
}

/// This worker's idle connections, by host and port.
mod pool {
    use super::*;

    /// An idle connection.
    pub(super) struct Pooled {
        conn: *mut ngx_connection_t,
        reused: u32,
    }

    thread_local! {
        static POOL: RefCell<HashMap<Vec<u8>, VecDeque<Box<Pooled>>>> = RefCell::new(HashMap::new());
    }

    /// The most recently pooled idle connection for `key`, and how often it was reused.
    pub(super) fn take(key: &[u8]) -> Option<(*mut ngx_connection_t, u32)> {
        let p = POOL.with(|p| p.borrow_mut().get_mut(key)?.pop_back())?;
        let c = p.conn;
        // SAFETY: an open idle connection of the pool; its timer is deleted before reuse.
        unsafe {
            let rev = (*c).read;
            if (*rev).timer_set() != 0 {
                ngx_del_timer(rev);
            }
        }
        Some((c, p.reused))
    }

    /// Keeps `c` for `key`, closed after `timeout_ms` idle; the oldest beyond `size` closed.
    pub(super) fn put(
        key: Vec<u8>,
        c: *mut ngx_connection_t,
        reused: u32,
        timeout_ms: u32,
        size: usize,
    ) {
        let mut item = Box::new(Pooled { conn: c, reused });
        // SAFETY: an open connection nothing else uses now; the pool's log is the cycle's,
        // which outlives any request.
        unsafe {
            let log = (*ngx_cycle).log;
            (*c).data = ptr::from_mut(&mut *item).cast();
            (*c).log = log;
            if !(*c).pool.is_null() {
                (*(*c).pool).log = log;
            }
            (*(*c).read).log = log;
            (*(*c).write).log = log;
            (*(*c).read).handler = Some(on_idle_event);
            (*(*c).write).handler = Some(on_idle_event);
            (*c).set_idle(1);
            if timeout_ms > 0 {
                ngx_add_timer((*c).read, timeout_ms as ngx_msec_t);
            }
            let _ = ngx_handle_read_event((*c).read, 0);
        }
        let evicted = POOL.with(|p| {
            let mut p = p.borrow_mut();
            let list = p.entry(key).or_default();
            list.push_back(item);
            if list.len() > size.max(1) {
                list.pop_front()
            } else {
                None
            }
        });
        if let Some(old) = evicted {
            // SAFETY: an idle connection just removed from the pool.
            unsafe { close_connection(old.conn) };
        }
    }

    /// An idle connection's event: the peer closed it, sent something unasked, the idle
    /// timeout ran out, or nginx is shutting down. It leaves the pool, closed.
    unsafe extern "C" fn on_idle_event(ev: *mut ngx_event_t) {
        // SAFETY: the connection's data is its pool entry, alive while it is pooled.
        let c = unsafe { (*ev).data.cast::<ngx_connection_t>() };
        // SAFETY: as above.
        if unsafe { (*ev).write() } != 0 && unsafe { (*c).close() } == 0 {
            return;
        }
        // SAFETY: as above.
        let item = unsafe { (*c).data.cast::<Pooled>() };
        let removed = POOL.with(|p| {
            let mut p = p.borrow_mut();
            for list in p.values_mut() {
                if let Some(i) = list.iter().position(|x| ptr::eq(&**x, item)) {
                    return list.remove(i);
                }
            }
            None
        });
        if removed.is_some() {
            // SAFETY: the connection left the pool; nothing else holds it.
            unsafe { close_connection(c) };
        }
    }
}
