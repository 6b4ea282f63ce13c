//! TCP sockets (`ngx.socket.tcp`), non-blocking through nginx's event loop: each operation
//! that must wait suspends the handler while the worker serves other requests.
//!
//! ```ignore
//! use ngx_wasm_guest::socket::TcpSocket;
//!
//! let mut sock = TcpSocket::connect("127.0.0.1", 6379)?;
//! sock.send(b"PING\r\n")?;
//! let line = sock.receive_line(512)?;       // b"+PONG"
//! sock.set_keepalive(None, None)?;          // back to this worker's pool
//! ```
//!
//! Timeouts default to `wasm_socket_connect_timeout`, `wasm_socket_send_timeout` and
//! `wasm_socket_read_timeout` (60 s); [`TcpSocket::set_timeouts`] overrides them for one
//! socket (`sock:settimeouts`). A socket not closed or pooled is closed when dropped, and
//! at the latest when the request ends.

use super::{check, ffi, get_bytes, len, ok, Result};

/// The most bytes one receive asks for by default.
pub const DEFAULT_MAX: usize = 1 << 20;

/// A TCP connection of the request.
#[derive(Debug)]
pub struct TcpSocket {
    id: i32,
    /// Send and read timeouts in ms (-1: the location's defaults).
    send_ms: i32,
    read_ms: i32,
    open: bool,
}

fn ms(v: Option<u32>) -> i32 {
    v.map_or(-1, |v| i32::try_from(v).unwrap_or(i32::MAX))
}

fn max_arg(max: usize) -> i32 {
    i32::try_from(max).unwrap_or(i32::MAX)
}

impl TcpSocket {
    /// Connects to `host:port`: an IP address, a name (through nginx's `resolver`), or
    /// `unix:/path` (the port is then ignored). An idle connection of the keepalive pool
    /// for the same host and port is reused.
    pub fn connect(host: &str, port: u16) -> Result<TcpSocket> {
        Self::connect_with_timeout(host, port, None)
    }

    /// [`TcpSocket::connect`] with its own connect timeout, in milliseconds.
    pub fn connect_with_timeout(
        host: &str,
        port: u16,
        timeout_ms: Option<u32>,
    ) -> Result<TcpSocket> {
        // SAFETY: the pointer and length describe a live slice of this guest.
        let id = check(unsafe {
            ffi::sock_connect(
                host.as_ptr(),
                len(host.as_bytes()),
                i32::from(port),
                ms(timeout_ms),
            )
        })?;
        Ok(TcpSocket {
            id,
            send_ms: -1,
            read_ms: -1,
            open: true,
        })
    }

    /// A TLS handshake as the client (`sock:sslhandshake(nil, server_name, verify)`):
    /// `server_name` is sent as SNI (unless it is an IP address) and, with `verify`, must
    /// match the certificate, whose chain must lead to `wasm_socket_ssl_trusted_certificate`.
    /// Later sends and receives are encrypted. On a connection reused from the pool that
    /// speaks TLS already, only the checks run again. Takes the connect timeout.
    ///
    /// Fails with [`crate::Error::TlsFailed`] or [`crate::Error::TlsVerifyFailed`] (the
    /// socket is then closed), [`crate::Error::Timeout`] or [`crate::Error::Closed`].
    pub fn ssl_handshake(&mut self, server_name: Option<&str>, verify: bool) -> Result<()> {
        let name = server_name.unwrap_or("");
        let flags = if verify { abi_consts::tls::VERIFY } else { 0 };
        // SAFETY: the pointer and length describe a live slice of this guest.
        ok(unsafe {
            ffi::sock_sslhandshake(self.id, name.as_ptr(), len(name.as_bytes()), flags, -1)
        })
    }

    /// Sets the send and read timeouts of this socket, in milliseconds (`None`: the
    /// location's default), as `sock:settimeouts` does.
    pub fn set_timeouts(&mut self, send_ms: Option<u32>, read_ms: Option<u32>) {
        self.send_ms = ms(send_ms);
        self.read_ms = ms(read_ms);
    }

    /// Sends every byte of `data`; returns how many (`sock:send`).
    pub fn send(&mut self, data: &[u8]) -> Result<usize> {
        // SAFETY: as above.
        let n = check(unsafe { ffi::sock_send(self.id, data.as_ptr(), len(data), self.send_ms) })?;
        Ok(n as usize)
    }

    fn receive_mode(&mut self, mode: i32, n: usize) -> Result<Vec<u8>> {
        let (id, t) = (self.id, self.read_ms);
        let mut first = true;
        // The first call receives and copies if the piece fits; a larger piece is fetched
        // again with `sock_received` into a buffer of its size.
        get_bytes(|p, c| {
            if std::mem::take(&mut first) {
                // SAFETY: the buffer is a live slice of this guest.
                unsafe { ffi::sock_receive(id, mode, max_arg(n), t, p, c) }
            } else {
                // SAFETY: as above.
                unsafe { ffi::sock_received(id, p, c) }
            }
        })
    }

    /// Exactly `n` bytes (`sock:receive(n)`).
    pub fn receive(&mut self, n: usize) -> Result<Vec<u8>> {
        self.receive_mode(0, n)
    }

    /// One line of at most `max` bytes, without its `\n` or `\r\n` (`sock:receive("*l")`).
    pub fn receive_line(&mut self, max: usize) -> Result<Vec<u8>> {
        self.receive_mode(1, max)
    }

    /// Everything until the peer closes, at most `max` bytes (`sock:receive("*a")`).
    pub fn receive_all(&mut self, max: usize) -> Result<Vec<u8>> {
        self.receive_mode(2, max)
    }

    /// Whatever has arrived, 1 to `max` bytes, waiting only if nothing has
    /// (`sock:receiveany(max)`).
    pub fn receive_any(&mut self, max: usize) -> Result<Vec<u8>> {
        self.receive_mode(3, max)
    }

    /// Everything before `pattern` (which is consumed), at most `max` bytes
    /// (`sock:receiveuntil(pattern)`).
    pub fn receive_until(&mut self, pattern: &[u8], max: usize) -> Result<Vec<u8>> {
        let (id, t) = (self.id, self.read_ms);
        let mut first = true;
        get_bytes(|p, c| {
            if std::mem::take(&mut first) {
                // SAFETY: pattern and the buffer are live slices of this guest.
                unsafe {
                    ffi::sock_receive_until(
                        id,
                        pattern.as_ptr(),
                        len(pattern),
                        max_arg(max),
                        t,
                        p,
                        c,
                    )
                }
            } else {
                // SAFETY: as above.
                unsafe { ffi::sock_received(id, p, c) }
            }
        })
    }

    /// How many times this connection was reused from the keepalive pool
    /// (`sock:getreusedtimes()`).
    pub fn reused_times(&self) -> u32 {
        // SAFETY: no pointers.
        check(unsafe { ffi::sock_reused(self.id) }).map_or(0, |n| n as u32)
    }

    /// Puts the connection into this worker's keepalive pool for its host and port
    /// (`sock:setkeepalive(timeout, size)`): idle for at most `timeout_ms` (60 s), with at most
    /// `pool_size` (30) idle connections per host and port. Fails (and closes) while received
    /// data is unread.
    pub fn set_keepalive(mut self, timeout_ms: Option<u32>, pool_size: Option<u32>) -> Result<()> {
        self.open = false;
        // SAFETY: no pointers.
        ok(unsafe { ffi::sock_setkeepalive(self.id, ms(timeout_ms), ms(pool_size)) })
    }

    /// Closes the connection (`sock:close()`).
    pub fn close(mut self) -> Result<()> {
        self.open = false;
        // SAFETY: no pointers.
        ok(unsafe { ffi::sock_close(self.id) })
    }
}

impl Drop for TcpSocket {
    fn drop(&mut self) {
        if self.open {
            // SAFETY: no pointers.
            let _ = unsafe { ffi::sock_close(self.id) };
        }
    }
}
