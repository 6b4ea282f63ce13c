//! `loadgen`: a keep-alive HTTP/1.1 load generator for `make soak`.
//!
//! `loadgen ADDR PATH REQUESTS CONCURRENCY [HEADER...]` sends REQUESTS GET requests over
//! CONCURRENCY keep-alive connections (one thread each) and prints one line of counts (2xx,
//! other, of which 500 and 503, failed, retried).
//! PATH may list several paths separated by commas: each connection takes them in turn. A
//! `{n}` in a path becomes the request's number (0 to REQUESTS-1), so a handler can vary its
//! work from request to request.
//!
//! Why not ab or wrk: during `nginx -s reload` the old workers close idle keep-alive
//! connections, and a request sent at that moment meets a closed connection before any byte
//! of its response. HTTP lets a client retry an idempotent request in exactly that case
//! (RFC 9110 9.2.2), and browsers and proxies do; ab and wrk count it as a failure. This
//! client retries only then, and only on a connection that has already carried a response
//! (counted as `retried`); a new connection closed without an answer, a connection lost
//! after part of a response, a malformed response or a refused connection is a failure.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Counts {
    ok: AtomicU64,
    non_2xx: AtomicU64,
    /// Of `non_2xx`: 500 and 503 answers (`make soak`'s crash-loop phase tells them apart).
    s500: AtomicU64,
    s503: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
}

/// How one request ended.
enum Attempt {
    Status(u16),
    /// The connection was closed before any byte of the response: safe to retry.
    ClosedBeforeResponse,
    Failed(String),
}

struct Conn {
    reader: BufReader<TcpStream>,
    /// Responses read on this connection so far.
    served: u64,
}

impl Conn {
    fn open(addr: &str) -> std::io::Result<Conn> {
        let s = TcpStream::connect(addr)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Conn {
            reader: BufReader::new(s),
            served: 0,
        })
    }

    /// Sends `request` and reads the whole response; `keep` says whether the connection may
    /// be reused.
    fn exchange(&mut self, request: &[u8], keep: &mut bool) -> Attempt {
        if self.reader.get_mut().write_all(request).is_err() {
            return Attempt::ClosedBeforeResponse;
        }
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => return Attempt::ClosedBeforeResponse,
            Err(e) if line.is_empty() && is_reset(&e) => return Attempt::ClosedBeforeResponse,
            Err(e) => return Attempt::Failed(format!("reading the status line: {e}")),
            Ok(_) => {}
        }
        let Some(status) = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
        else {
            return Attempt::Failed(format!("bad status line {line:?}"));
        };
        let (mut length, mut chunked) = (None, false);
        loop {
            let mut h = String::new();
            match self.reader.read_line(&mut h) {
                Ok(0) | Err(_) => return Attempt::Failed("connection lost in the header".into()),
                Ok(_) => {}
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (name, value) = h.split_once(':').unwrap_or((h, ""));
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            } else if name.eq_ignore_ascii_case("connection") {
                *keep = !value.eq_ignore_ascii_case("close");
            }
        }
        let body = if chunked {
            self.read_chunked()
        } else {
            match length {
                Some(n) => self.skip(n),
                None => Err("neither Content-Length nor chunked".into()),
            }
        };
        match body {
            Ok(()) => {
                self.served += 1;
                Attempt::Status(status)
            }
            Err(e) => Attempt::Failed(e),
        }
    }

    fn skip(&mut self, n: usize) -> Result<(), String> {
        let mut buf = vec![0u8; n];
        self.reader
            .read_exact(&mut buf)
            .map_err(|e| format!("connection lost in the body: {e}"))
    }

    fn read_chunked(&mut self) -> Result<(), String> {
        loop {
            let mut size = String::new();
            self.reader
                .read_line(&mut size)
                .map_err(|e| format!("chunk size: {e}"))?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or(""), 16)
                .map_err(|_| format!("bad chunk size {size:?}"))?;
            self.skip(n + 2)?;
            if n == 0 {
                return Ok(());
            }
        }
    }
}

fn is_reset(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionReset
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::BrokenPipe
    )
}

/// What every client sends: GET `paths` in turn, with `headers` (each ending in CRLF).
struct Requests {
    paths: Vec<String>,
    headers: String,
}

impl Requests {
    /// The request numbered `number`, the `i`-th of its connection.
    fn get(&self, i: u64, number: u64) -> Vec<u8> {
        let path = &self.paths[(i % self.paths.len() as u64) as usize];
        let path = path.replace("{n}", &number.to_string());
        format!(
            "GET {path} HTTP/1.1\r\nHost: localhost\r\n{}\r\n",
            self.headers
        )
        .into_bytes()
    }
}

/// Runs this client's `n` requests, numbered `first`, `first + stride`, ...
fn client(
    addr: String,
    requests: Arc<Requests>,
    (first, stride, n): (u64, u64, u64),
    counts: Arc<Counts>,
) {
    let mut conn: Option<Conn> = None;
    let mut first_error = true;
    for i in 0..n {
        let request = requests.get(i, first + i * stride);
        let mut tries = 0;
        loop {
            if conn.is_none() {
                match Conn::open(&addr) {
                    Ok(c) => conn = Some(c),
                    Err(e) => {
                        counts.failed.fetch_add(1, Ordering::Relaxed);
                        if std::mem::take(&mut first_error) {
                            eprintln!("loadgen: connect: {e}");
                        }
                        break;
                    }
                }
            }
            let Some(c) = conn.as_mut() else { break };
            let mut keep = true;
            match c.exchange(&request, &mut keep) {
                Attempt::Status(s) => {
                    let slot = if (200..300).contains(&s) {
                        &counts.ok
                    } else {
                        &counts.non_2xx
                    };
                    slot.fetch_add(1, Ordering::Relaxed);
                    match s {
                        500 => counts.s500.fetch_add(1, Ordering::Relaxed),
                        503 => counts.s503.fetch_add(1, Ordering::Relaxed),
                        _ => 0,
                    };
                    if !keep {
                        conn = None;
                    }
                    break;
                }
                // Only a connection that was reused may have been closed as idle.
                Attempt::ClosedBeforeResponse if tries < 5 && c.served > 0 => {
                    tries += 1;
                    counts.retried.fetch_add(1, Ordering::Relaxed);
                    conn = None;
                }
                Attempt::ClosedBeforeResponse => {
                    counts.failed.fetch_add(1, Ordering::Relaxed);
                    if std::mem::take(&mut first_error) {
                        eprintln!("loadgen: connection closed without a response");
                    }
                    conn = None;
                    break;
                }
                Attempt::Failed(e) => {
                    counts.failed.fetch_add(1, Ordering::Relaxed);
                    if std::mem::take(&mut first_error) {
                        eprintln!("loadgen: {e}");
                    }
                    conn = None;
                    break;
                }
            }
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        eprintln!("usage: loadgen ADDR PATH REQUESTS CONCURRENCY [HEADER...]");
        return ExitCode::from(2);
    }
    let (Ok(total), Ok(conc)) = (args[2].parse::<u64>(), args[3].parse::<u64>()) else {
        eprintln!("loadgen: REQUESTS and CONCURRENCY must be numbers");
        return ExitCode::from(2);
    };
    let conc = conc.clamp(1, total.max(1));
    let mut headers = String::new();
    for h in &args[4..] {
        headers.push_str(h);
        headers.push_str("\r\n");
    }
    let requests = Arc::new(Requests {
        paths: args[1].split(',').map(str::to_string).collect(),
        headers,
    });
    let counts = Arc::new(Counts::default());
    let started = Instant::now();
    let threads: Vec<_> = (0..conc)
        .map(|i| {
            let n = total / conc + u64::from(i < total % conc);
            let (addr, requests, counts) = (args[0].clone(), requests.clone(), counts.clone());
            thread::spawn(move || client(addr, requests, (i, conc, n), counts))
        })
        .collect();
    for t in threads {
        if t.join().is_err() {
            eprintln!("loadgen: a client thread panicked");
            return ExitCode::from(1);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let ok = counts.ok.load(Ordering::Relaxed);
    let non_2xx = counts.non_2xx.load(Ordering::Relaxed);
    println!(
        "requests={total} ok={ok} non_2xx={non_2xx} s500={} s503={} failed={} retried={} seconds={secs:.1} rps={:.0}",
        counts.s500.load(Ordering::Relaxed),
        counts.s503.load(Ordering::Relaxed),
        counts.failed.load(Ordering::Relaxed),
        counts.retried.load(Ordering::Relaxed),
        (ok + non_2xx) as f64 / secs
    );
    ExitCode::SUCCESS
}
