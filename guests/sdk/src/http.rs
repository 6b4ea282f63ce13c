//! An HTTP/1.1 client on [`crate::socket::TcpSocket`]: request line and headers out;
//! status, headers (parsed by `httparse`) and a `Content-Length`, chunked or
//! until-close body back; the connection kept in the worker's pool when the server allows.
//!
//! ```ignore
//! use ngx_wasm_guest::http::Request;
//!
//! let res = Request::get("127.0.0.1", 8080, "/users/7").header("Accept", "application/json").send()?;
//! if res.status == 200 { /* res.body */ }
//! ```
//!
//! HTTPS: [`Request::tls`] makes the TLS handshake after connecting (with `verify`, against
//! `wasm_socket_ssl_trusted_certificate`), [`Request::sni`] names the server when `host` is
//! an address. For upstream groups, retries or caching, a subrequest to a `proxy_pass`
//! location ([`crate::location`]) gives nginx's own client instead.

use crate::socket::TcpSocket;

/// The longest status line or header block accepted.
pub const MAX_HEAD: usize = 64 * 1024;
/// The largest body accepted by default.
pub const DEFAULT_MAX_BODY: usize = 8 << 20;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The socket failed (timeout, closed, refused, not resolved...).
    Socket(crate::Error),
    /// The server's answer is not HTTP/1.x as this client reads it.
    BadResponse(&'static str),
    /// The body is larger than the request's `max_body`.
    BodyTooLarge,
}

impl From<crate::Error> for Error {
    fn from(e: crate::Error) -> Self {
        Error::Socket(e)
    }
}

/// The result of a request.
pub type Result<T> = core::result::Result<T, Error>;

/// A response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
    /// The connection came from the keepalive pool.
    pub reused: bool,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::first_header(&self.headers, name)
    }
}

/// A request to send.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    host: &'a str,
    port: u16,
    method: &'a str,
    path: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    body: Option<&'a [u8]>,
    max_body: usize,
    timeouts: (Option<u32>, Option<u32>, Option<u32>),
    keepalive: bool,
    /// TLS, and whether to verify the certificate.
    tls: Option<bool>,
    sni: Option<&'a str>,
}

impl<'a> Request<'a> {
    /// `method path` to `host:port` (`host` as [`TcpSocket::connect`] takes it).
    pub fn new(method: &'a str, host: &'a str, port: u16, path: &'a str) -> Self {
        Request {
            host,
            port,
            method,
            path,
            headers: Vec::new(),
            body: None,
            max_body: DEFAULT_MAX_BODY,
            timeouts: (None, None, None),
            keepalive: true,
            tls: None,
            sni: None,
        }
    }

    /// A `GET`.
    pub fn get(host: &'a str, port: u16, path: &'a str) -> Self {
        Self::new("GET", host, port, path)
    }

    /// A `POST` of `body`.
    pub fn post(host: &'a str, port: u16, path: &'a str, body: &'a [u8]) -> Self {
        Self::new("POST", host, port, path).body(body)
    }

    /// Adds a header (`Host`, `Content-Length` and `Connection` are set by the client).
    pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The request body (sent with its `Content-Length`).
    pub fn body(mut self, body: &'a [u8]) -> Self {
        self.body = Some(body);
        self
    }

    /// The largest body accepted ([`Error::BodyTooLarge`] past it).
    pub fn max_body(mut self, max: usize) -> Self {
        self.max_body = max;
        self
    }

    /// Connect, send and read timeouts in milliseconds (`None`: the location's defaults).
    pub fn timeouts(mut self, connect: Option<u32>, send: Option<u32>, read: Option<u32>) -> Self {
        self.timeouts = (connect, send, read);
        self
    }

    /// Speaks HTTPS: a TLS handshake after connecting; with `verify` the certificate must
    /// lead to `wasm_socket_ssl_trusted_certificate` and match the server name.
    pub fn tls(mut self, verify: bool) -> Self {
        self.tls = Some(verify);
        self
    }

    /// The server's name for SNI, the certificate check and the `Host` header, when `host`
    /// is an address (default: `host`).
    pub fn sni(mut self, name: &'a str) -> Self {
        self.sni = Some(name);
        self
    }

    /// Closes the connection after the response instead of pooling it.
    pub fn no_keepalive(mut self) -> Self {
        self.keepalive = false;
        self
    }

    fn head(&self) -> Result<Vec<u8>> {
        let ok = |s: &str| !s.bytes().any(|c| c == b'\r' || c == b'\n' || c == 0);
        let all_ok = ok(self.method)
            && ok(self.path)
            && ok(self.host)
            && self.sni.is_none_or(ok)
            && self.headers.iter().all(|(n, v)| ok(n) && ok(v));
        if !all_ok || self.method.is_empty() || !self.path.starts_with('/') {
            return Err(Error::Socket(crate::Error::BadArgument));
        }
        let host = self.sni.unwrap_or(self.host);
        let mut h = format!("{} {} HTTP/1.1\r\nHost: {host}", self.method, self.path);
        let default_port = if self.tls.is_some() { 443 } else { 80 };
        if self.port != default_port && !self.host.starts_with("unix:") {
            h.push_str(&format!(":{}", self.port));
        }
        h.push_str("\r\n");
        for (n, v) in &self.headers {
            h.push_str(&format!("{n}: {v}\r\n"));
        }
        if let Some(b) = self.body {
            h.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        if !self.keepalive {
            h.push_str("Connection: close\r\n");
        }
        h.push_str("\r\n");
        Ok(h.into_bytes())
    }

    /// Sends the request and reads the response without blocking the worker.
    pub fn send(&self) -> Result<Response> {
        let head = self.head()?;
        let mut sock = TcpSocket::connect_with_timeout(self.host, self.port, self.timeouts.0)?;
        sock.set_timeouts(self.timeouts.1, self.timeouts.2);
        let reused = sock.reused_times() > 0;
        if let Some(verify) = self.tls {
            let name = self.sni.unwrap_or(self.host);
            let name = (!name.starts_with("unix:")).then_some(name);
            sock.ssl_handshake(name, verify)?;
        }
        let mut out = head;
        if let Some(b) = self.body {
            out.extend_from_slice(b);
        }
        sock.send(&out)?;
        let (mut res, framing) = read_head(&mut sock)?;
        res.reused = reused;
        let no_body = self.method == "HEAD" || matches!(res.status, 100..=199 | 204 | 304);
        res.body = match framing {
            _ if no_body => Vec::new(),
            Framing::Length(n) if n > self.max_body => return Err(Error::BodyTooLarge),
            Framing::Length(0) => Vec::new(),
            Framing::Length(n) => sock.receive(n)?,
            Framing::Chunked => read_chunked(&mut sock, self.max_body)?,
            Framing::Close => match sock.receive_all(self.max_body) {
                Err(crate::Error::TooLarge) => return Err(Error::BodyTooLarge),
                other => other?,
            },
        };
        let reusable = self.keepalive
            && !matches!(framing, Framing::Close)
            && !res
                .header("connection")
                .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        if reusable {
            sock.set_keepalive(None, None)?;
        }
        Ok(res)
    }
}

/// How the body of a response is delimited.
#[derive(Clone, Copy)]
enum Framing {
    Length(usize),
    Chunked,
    Close,
}

/// Reads and parses the status line and headers.
fn read_head(sock: &mut TcpSocket) -> Result<(Response, Framing)> {
    let mut raw = sock
        .receive_until(b"\r\n\r\n", MAX_HEAD)
        .map_err(|e| match e {
            crate::Error::TooLarge => Error::BadResponse("header block too large"),
            e => Error::Socket(e),
        })?;
    raw.extend_from_slice(b"\r\n\r\n");
    let mut slots = [httparse::EMPTY_HEADER; 100];
    let mut parsed = httparse::Response::new(&mut slots);
    match parsed.parse(&raw) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(Error::BadResponse("not an HTTP/1.x response head")),
    }
    let status = parsed.code.ok_or(Error::BadResponse("no status"))?;
    let version = parsed.version.unwrap_or(1);
    let mut framing = Framing::Close;
    let mut headers = Vec::with_capacity(parsed.headers.len());
    for h in parsed.headers.iter() {
        let value = String::from_utf8_lossy(h.value).into_owned();
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            if value.to_ascii_lowercase().contains("chunked") {
                framing = Framing::Chunked;
            }
        } else if h.name.eq_ignore_ascii_case("content-length")
            && !matches!(framing, Framing::Chunked)
        {
            let n = value
                .trim()
                .parse()
                .map_err(|_| Error::BadResponse("bad Content-Length"))?;
            framing = Framing::Length(n);
        }
        headers.push((h.name.to_string(), value));
    }
    if version == 0 && matches!(framing, Framing::Chunked) {
        return Err(Error::BadResponse("chunked HTTP/1.0"));
    }
    let res = Response {
        status,
        headers,
        ..Response::default()
    };
    Ok((res, framing))
}

/// Reads a chunked body (trailers are read and dropped).
fn read_chunked(sock: &mut TcpSocket, max: usize) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = sock.receive_line(1024)?;
        let size = line.split(|&c| c == b';').next().unwrap_or_default();
        let size = std::str::from_utf8(size)
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
            .ok_or(Error::BadResponse("bad chunk size"))?;
        if size == 0 {
            while !sock.receive_line(MAX_HEAD)?.is_empty() {}
            return Ok(body);
        }
        if body.len() + size > max {
            return Err(Error::BodyTooLarge);
        }
        body.extend_from_slice(&sock.receive(size)?);
        if !sock.receive_line(2)?.is_empty() {
            return Err(Error::BadResponse("chunk not followed by CRLF"));
        }
    }
}
