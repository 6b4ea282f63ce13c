//! A minimal HTTP/1.1 client for loopback tests: one request per connection, or several
//! pipelined on one (`--- pipelined_requests`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{bail, Context, Result};

/// A parsed response.
#[derive(Debug, Default)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The response did not come within the timeout (`--- timeout`); the connection was closed.
#[derive(Debug)]
pub struct TimedOut;

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("client socket timed out")
    }
}

impl std::error::Error for TimedOut {}

/// One request of a block: its request line ("GET /t" or "GET /t HTTP/1.1") and body.
pub struct Request<'a> {
    /// Method, target and optional version.
    pub line: &'a str,
    /// The body (a `Content-Length` is sent with it, and always for POST and PUT).
    pub body: &'a [u8],
}

impl Request<'_> {
    fn method(&self) -> &str {
        self.line.split_whitespace().next().unwrap_or("")
    }

    /// The bytes on the wire, with `Host` (unless given), `Connection: <connection>` and the
    /// extra headers, as Test::Nginx builds them.
    fn encode(&self, headers: &[(String, String)], connection: &str) -> Result<Vec<u8>> {
        let mut parts = self.line.split_whitespace();
        let method = parts.next().context("empty request line")?;
        let target = parts.next().context("request line without a target")?;
        let version = parts.next().unwrap_or("HTTP/1.1");
        let mut req = format!("{method} {target} {version}\r\n");
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            req.push_str("Host: localhost\r\n");
        }
        req.push_str(&format!("Connection: {connection}\r\n"));
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        if !self.body.is_empty() || method == "POST" || method == "PUT" {
            req.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(self.body);
        Ok(bytes)
    }
}

/// Sends one request with extra headers to 127.0.0.1:`port` on its own connection
/// (`Connection: close`) and reads the whole response.
pub fn send(
    port: u16,
    request: &Request<'_>,
    headers: &[(String, String)],
    timeout: Duration,
) -> Result<Response> {
    let raw = exchange(port, &request.encode(headers, "close")?, timeout)?;
    let (resp, used) = parse(&raw, request.method() == "HEAD")?;
    extra_bytes(&raw[used..])?;
    Ok(resp)
}

/// `--- pipelined_requests`: writes every request at once on one connection (`Connection:
/// keep-alive`, the last one `close`), reads until the server closes, and splits the bytes
/// into responses as Test::Nginx does: by `Content-Length` or the chunked encoding; a
/// response with neither (or a 304) ends the parse, so the requests after it get no response.
pub fn send_pipelined(
    port: u16,
    requests: &[Request<'_>],
    headers: &[(String, String)],
    timeout: Duration,
) -> Result<Vec<Result<Response>>> {
    let mut wire = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        let connection = if i + 1 == requests.len() {
            "close"
        } else {
            "keep-alive"
        };
        wire.extend_from_slice(&r.encode(headers, connection)?);
    }
    let raw = exchange(port, &wire, timeout)?;
    let mut rest = &raw[..];
    let mut out = Vec::new();
    for r in requests {
        match parse(rest, r.method() == "HEAD") {
            Ok((resp, used)) => {
                out.push(Ok(resp));
                rest = &rest[used..];
            }
            Err(e) => {
                out.push(Err(e));
                rest = &[];
            }
        }
    }
    if let Some(last @ Ok(_)) = out.last_mut() {
        if let Err(e) = extra_bytes(rest) {
            *last = Err(e);
        }
    }
    Ok(out)
}

/// Bytes after the last response: Test::Nginx warns ("unexpected extra bytes after last
/// chunk"); this runner fails, since they are what desynchronises a keep-alive connection.
fn extra_bytes(rest: &[u8]) -> Result<()> {
    if rest.is_empty() {
        return Ok(());
    }
    let shown = &rest[..rest.len().min(200)];
    bail!(
        "{} unexpected extra bytes after the response: {:?}",
        rest.len(),
        String::from_utf8_lossy(shown)
    )
}

/// Writes `wire` and reads until the server closes the connection.
fn exchange(port: u16, wire: &[u8], timeout: Duration) -> Result<Vec<u8>> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).context("connect")?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(wire)?;
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw) {
        if matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ) {
            // Dropping the stream closes the connection, as Test::Nginx does on a timeout.
            return Err(anyhow::Error::new(TimedOut));
        }
        return Err(anyhow::Error::new(e).context("reading the response"));
    }
    Ok(raw)
}

/// Parses the response at the start of `raw`; returns it and the bytes it took. As
/// Test::Nginx: the body is what `Content-Length` or the chunked encoding delimits (a HEAD
/// response's may be shorter than its length: none was sent), or everything left when the
/// response has neither; a 304 or 101 has none.
fn parse(raw: &[u8], head: bool) -> Result<(Response, usize)> {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        bail!(
            "incomplete response header: {:?}",
            String::from_utf8_lossy(raw)
        );
    };
    let head_text = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head_text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let start = end + 4;
    let rest = &raw[start..];
    let mut resp = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if status == 304 || status == 101 {
        return Ok((resp, raw.len()));
    }
    let used = if resp
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        let (body, used) = dechunk(rest)?;
        resp.body = body;
        used
    } else if let Some(len) = resp
        .header("content-length")
        .and_then(|l| l.parse::<usize>().ok())
    {
        if rest.len() < len && !head {
            bail!("body shorter than Content-Length ({} < {len})", rest.len());
        }
        let len = len.min(rest.len());
        resp.body = rest[..len].to_vec();
        len
    } else {
        resp.body = rest.to_vec();
        rest.len()
    };
    Ok((resp, start + used))
}

/// The de-chunked body at the start of `data` and the bytes it took (through the last
/// chunk's CRLF and, if any, the trailer section's).
fn dechunk(data: &[u8]) -> Result<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let line_end = data[at..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("truncated chunk size")?;
        let size_text = String::from_utf8_lossy(&data[at..at + line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .with_context(|| format!("bad chunk size {size_text:?}"))?;
        at += line_end + 2;
        if size == 0 {
            // Trailer fields, then the empty line.
            loop {
                let line = data[at..]
                    .windows(2)
                    .position(|w| w == b"\r\n")
                    .context("truncated last chunk")?;
                at += line + 2;
                if line == 0 {
                    return Ok((out, at));
                }
            }
        }
        if data.len() < at + size + 2 {
            bail!("truncated chunk");
        }
        out.extend_from_slice(&data[at..at + size]);
        at += size + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_length_and_chunked() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
        let (r, used) = parse(raw, false).unwrap();
        assert_eq!(
            (r.status, r.body.as_slice(), r.header("x-a"), used),
            (200, &b"hello"[..], Some("b"), raw.len())
        );
        let raw = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let (r, used) = parse(raw, false).unwrap();
        assert_eq!(
            (r.status, r.body.as_slice(), used),
            (404, &b"abcde"[..], raw.len())
        );
        assert!(parse(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", false).is_err());
    }

    #[test]
    fn splits_pipelined_responses_as_test_nginx() {
        let two = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 204 No Content\r\n\r\n";
        let (r, used) = parse(two, false).unwrap();
        assert_eq!(
            (r.body.as_slice(), &two[used..used + 8]),
            (&b"ok"[..], &b"HTTP/1.1"[..])
        );
        // No length: the body is all that is left, bytes after a body-less response included.
        let (r, used) = parse(b"HTTP/1.1 204 No Content\r\n\r\nleak", false).unwrap();
        assert_eq!((r.body.as_slice(), used), (&b"leak"[..], 31));
        // A HEAD response keeps its length header without the body; bytes after it are body.
        let (r, _) = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n", true).unwrap();
        assert!(r.body.is_empty());
        let (r, _) = parse(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhi", true).unwrap();
        assert_eq!(r.body, b"hi");
        assert!(extra_bytes(b"").is_ok() && extra_bytes(b"x").is_err());
    }
}
