//! Unit tests of the host ABI against a mock request: no engine, no nginx.

use super::*;
use crate::abi::{invoke, Called};
use crate::ctx::CtxStore;
use crate::phase::Phase;
use crate::request::{BodySource, Finish, HeaderVisitor, RequestSlot, SubrequestSpec};
use crate::value::Val;
use abi_consts::LogLevel;

/// A queued subrequest: method, URI, args, the body given.
pub(crate) type Queued = (Vec<u8>, Vec<u8>, Vec<u8>, Option<Vec<u8>>);
/// A subrequest's answer: status, headers, body, truncated.
pub(crate) type Answer = (u16, Vec<(Vec<u8>, Vec<u8>)>, Vec<u8>, bool);

pub(crate) struct MockRequest {
    pub phase: Phase,
    pub logs: Vec<(LogLevel, Vec<u8>)>,
    pub status: Option<u16>,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub body: Vec<u8>,
    pub method: Vec<u8>,
    pub uri: Vec<u8>,
    pub jumped: bool,
    pub query: Vec<u8>,
    pub req_headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub vars: Vec<(Vec<u8>, Option<Vec<u8>>, bool)>,
    pub req_body: Option<Vec<u8>>,
    pub finish: Option<Finish>,
    pub exec: Option<(Vec<u8>, Vec<u8>)>,
    pub chunk: Vec<u8>,
    pub last: bool,
    pub ctx: CtxStore,
    pub sent: bool,
    /// What `start_reading_body` answers.
    pub body_reading: Result<bool, RequestError>,
    /// Queued subrequests: method, URI, args, body given.
    pub queued: Vec<Queued>,
    /// The last batch's answers: status, headers, body, truncated.
    pub answers: Vec<Answer>,
    /// Timers added: delay, every, export, argument.
    pub timers: Vec<(u32, bool, Vec<u8>, Vec<u8>)>,
    /// The argument of the timer the call runs for.
    pub timer_arg: Option<Vec<u8>>,
    /// Unfinished stdout/stderr lines (WASI), when the test keeps them.
    pub stdio: Option<crate::abi::wasi::StdioLines>,
}

impl Default for MockRequest {
    fn default() -> Self {
        MockRequest {
            phase: Phase::Content,
            logs: vec![],
            status: None,
            headers: vec![],
            body: vec![],
            method: b"GET".to_vec(),
            uri: b"/".to_vec(),
            jumped: false,
            query: vec![],
            req_headers: vec![],
            vars: vec![],
            req_body: None,
            finish: None,
            exec: None,
            chunk: vec![],
            last: false,
            ctx: CtxStore::default(),
            body_reading: Ok(true),
            queued: vec![],
            answers: vec![],
            sent: false,
            timers: vec![],
            timer_arg: None,
            stdio: None,
        }
    }
}

fn set_in(list: &mut Vec<(Vec<u8>, Vec<u8>)>, name: &[u8], value: &[u8]) {
    list.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    if !value.is_empty() {
        list.push((name.to_vec(), value.to_vec()));
    }
}

impl HostRequest for MockRequest {
    fn timer_add(&mut self, spec: crate::request::TimerSpec<'_>) -> Result<(), RequestError> {
        if spec.export == b"missing" {
            return Err(RequestError::BadArgument);
        }
        if self.timers.len() >= 2 {
            return Err(RequestError::TooMany);
        }
        self.timers.push((
            spec.delay_ms,
            spec.every,
            spec.export.to_vec(),
            spec.arg.to_vec(),
        ));
        Ok(())
    }

    fn timer_counts(&self) -> crate::request::TimerCounts {
        crate::request::TimerCounts {
            pending: self.timers.len() as u32,
            running: u32::from(self.timer_arg.is_some()),
        }
    }

    fn timer_arg(&self) -> Option<&[u8]> {
        self.timer_arg.as_deref()
    }

    fn stdio(&mut self, _create: bool) -> Option<&mut crate::abi::wasi::StdioLines> {
        self.stdio.as_mut()
    }

    fn phase(&self) -> Phase {
        self.phase
    }
    fn log(&mut self, level: LogLevel, msg: &[u8]) {
        self.logs.push((level, msg.to_vec()));
    }
    fn wall_clock_ms(&self) -> u64 {
        1_700_000_000_123
    }
    fn method(&self) -> &[u8] {
        &self.method
    }
    fn set_method(&mut self, method: &[u8]) -> Result<(), RequestError> {
        if !matches!(method, b"GET" | b"POST" | b"PUT" | b"HEAD" | b"DELETE") {
            return Err(RequestError::BadArgument);
        }
        self.method = method.to_vec();
        Ok(())
    }
    fn uri(&self) -> &[u8] {
        &self.uri
    }
    fn set_uri(&mut self, uri: &[u8], jump: bool) -> Result<(), RequestError> {
        self.uri = uri.to_vec();
        self.jumped = jump;
        Ok(())
    }
    fn query(&self) -> &[u8] {
        &self.query
    }
    fn set_query(&mut self, query: &[u8]) -> Result<(), RequestError> {
        self.query = query.to_vec();
        Ok(())
    }
    fn http_version(&self) -> u32 {
        11
    }
    fn is_internal(&self) -> bool {
        false
    }
    fn start_time_ms(&self) -> u64 {
        1_700_000_000_000
    }
    fn request_headers<'a>(&'a self, visit: HeaderVisitor<'a, '_>) {
        for (n, v) in &self.req_headers {
            if !visit(n, v) {
                return;
            }
        }
    }
    fn set_request_header(&mut self, name: &[u8], value: &[u8]) -> Result<(), RequestError> {
        set_in(&mut self.req_headers, name, value);
        Ok(())
    }
    fn add_request_header(&mut self, name: &[u8], value: &[u8]) -> Result<(), RequestError> {
        self.req_headers.push((name.to_vec(), value.to_vec()));
        Ok(())
    }
    fn variable(&mut self, name: &[u8]) -> Result<Option<&[u8]>, RequestError> {
        match self.vars.iter().find(|(n, _, _)| n == name) {
            Some((_, v, _)) => Ok(v.as_deref()),
            None => Err(RequestError::NotFound),
        }
    }
    fn set_variable(&mut self, name: &[u8], value: &[u8]) -> Result<(), RequestError> {
        match self.vars.iter_mut().find(|(n, _, _)| n == name) {
            Some((_, _, false)) => Err(RequestError::NotAllowed),
            Some((_, v, true)) => {
                *v = Some(value.to_vec());
                Ok(())
            }
            None => Err(RequestError::NotFound),
        }
    }
    fn body_len(&self) -> Option<usize> {
        self.req_body.as_ref().map(Vec::len)
    }
    fn read_body(&mut self, offset: usize, out: &mut [u8]) -> Result<usize, RequestError> {
        let body = self.req_body.as_deref().unwrap_or_default();
        let rest = body.get(offset..).unwrap_or_default();
        let n = rest.len().min(out.len());
        out[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }
    fn discard_body(&mut self) -> Result<(), RequestError> {
        self.req_body = None;
        Ok(())
    }
    fn start_reading_body(&mut self) -> Result<bool, RequestError> {
        self.body_reading
    }
    fn add_subrequest(&mut self, spec: &SubrequestSpec<'_>) -> Result<usize, RequestError> {
        if spec.uri.first() != Some(&b'/') || spec.uri.windows(2).any(|w| w == b"..") {
            return Err(RequestError::BadArgument);
        }
        let body = match spec.body {
            BodySource::Given(b) => Some(b.to_vec()),
            _ => None,
        };
        self.queued.push((
            spec.method.to_vec(),
            spec.uri.to_vec(),
            spec.args.to_vec(),
            body,
        ));
        Ok(self.queued.len() - 1)
    }
    fn queued_subrequests(&self) -> usize {
        self.queued.len()
    }
    fn subrequest_count(&self) -> usize {
        self.answers.len()
    }
    fn subrequest_status(&self, id: usize) -> Option<u16> {
        self.answers.get(id).map(|a| a.0)
    }
    fn subrequest_truncated(&self, id: usize) -> Option<bool> {
        self.answers.get(id).map(|a| a.3)
    }
    fn subrequest_headers<'a>(&'a self, id: usize, visit: HeaderVisitor<'a, '_>) {
        if let Some(a) = self.answers.get(id) {
            for (n, v) in &a.1 {
                if !visit(n, v) {
                    return;
                }
            }
        }
    }
    fn subrequest_body(&self, id: usize) -> Option<&[u8]> {
        self.answers.get(id).map(|a| a.2.as_slice())
    }
    fn status(&self) -> u16 {
        self.status.unwrap_or(0)
    }
    fn set_status(&mut self, status: u16) -> Result<(), RequestError> {
        if self.sent {
            return Err(RequestError::NotAllowed);
        }
        self.status = Some(status);
        Ok(())
    }
    fn response_headers<'a>(&'a self, visit: HeaderVisitor<'a, '_>) {
        for (n, v) in &self.headers {
            if !visit(n, v) {
                return;
            }
        }
    }
    fn set_header(&mut self, name: &[u8], value: &[u8]) -> Result<(), RequestError> {
        if self.sent {
            return Err(RequestError::NotAllowed);
        }
        set_in(&mut self.headers, name, value);
        Ok(())
    }
    fn add_header(&mut self, name: &[u8], value: &[u8]) -> Result<(), RequestError> {
        self.headers.push((name.to_vec(), value.to_vec()));
        Ok(())
    }
    fn write(&mut self, data: &[u8]) -> Result<(), RequestError> {
        self.body.extend_from_slice(data);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), RequestError> {
        self.sent = true;
        Ok(())
    }
    fn finish(&mut self, finish: Finish) -> Result<(), RequestError> {
        self.finish = Some(finish);
        Ok(())
    }
    fn redirect(&mut self, location: &[u8], status: u16) -> Result<(), RequestError> {
        set_in(&mut self.headers, b"Location", location);
        self.finish = Some(Finish::Status(status));
        Ok(())
    }
    fn exec(&mut self, uri: &[u8], args: &[u8]) -> Result<(), RequestError> {
        self.exec = Some((uri.to_vec(), args.to_vec()));
        Ok(())
    }
    fn body_chunk(&mut self) -> Result<&[u8], RequestError> {
        Ok(&self.chunk)
    }
    fn set_body_chunk(&mut self, data: &[u8]) -> Result<(), RequestError> {
        self.chunk = data.to_vec();
        Ok(())
    }
    fn body_chunk_is_last(&self) -> bool {
        self.last
    }
    fn ctx(&mut self) -> Result<&mut CtxStore, RequestError> {
        Ok(&mut self.ctx)
    }
}

/// Calls `name` of the `ngx` ABI with `args` against `mem` and `req`, the way an engine
/// does; its `i32` result.
pub(crate) fn call(
    name: &str,
    mem: &mut [u8],
    req: &mut MockRequest,
    args: &[i32],
) -> Result<i32, HostTrap> {
    let func = NGX.lookup(name).expect("known host function");
    let mut slot = RequestSlot::default();
    // SAFETY: unbound below, before `req`'s borrow ends.
    unsafe { slot.bind(req) };
    let r = invoke(func, Some(mem), &mut slot, &i32_args(args));
    slot.unbind();
    r.map(i32_result)
}

/// `args` as the values an engine passes.
pub(crate) fn i32_args(args: &[i32]) -> Vec<Val> {
    args.iter().map(|a| Val::I32(*a)).collect()
}

/// What [`i32_result`] gives for a call that suspended (no status is that low).
pub(crate) const SUSPENDED: i32 = i32::MIN;

/// The `i32` an `ngx` function returned ([`SUSPENDED`] when it asked to wait).
pub(crate) fn i32_result(called: Called) -> i32 {
    match called {
        Called::Returned(Some(Val::I32(v))) => v,
        Called::Suspended(_) => SUSPENDED,
        other => panic!("an ngx function returned {other:?}"),
    }
}

fn memory_with(at: usize, bytes: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; 256];
    m[at..at + bytes.len()].copy_from_slice(bytes);
    m
}

#[test]
fn every_function_returns_an_i32_status() {
    for f in NGX.functions {
        assert!(
            matches!(
                f.func,
                crate::abi::HostFn::Status(_) | crate::abi::HostFn::Suspending { .. }
            ) && f.results == [crate::value::ValType::I32],
            "{}",
            f.qualified
        );
        assert!(f
            .params
            .iter()
            .all(|(_, t)| *t == crate::value::ValType::I32));
    }
}

#[test]
fn log_levels_and_bounds() {
    let mut mem = memory_with(10, b"hello");
    let mut req = MockRequest::default();
    assert_eq!(call("log", &mut mem, &mut req, &[4, 10, 5]), Ok(status::OK));
    assert_eq!(req.logs, vec![(LogLevel::Err, b"hello".to_vec())]);
    assert_eq!(
        call("log", &mut mem, &mut req, &[9, 10, 5]),
        Ok(status::BAD_ARGUMENT)
    );
    assert_eq!(
        call("log", &mut mem, &mut req, &[-1, 10, 5]),
        Ok(status::BAD_ARGUMENT)
    );
    let trap = call("log", &mut mem, &mut req, &[4, 250, 10]).unwrap_err();
    assert_eq!(trap.function, "ngx.log");
    assert!(
        trap.reason.contains("ptr=250, len=10, memory size=256"),
        "{}",
        trap.reason
    );
    assert_eq!(req.logs.len(), 1, "a trapping call has no effect");
}

#[test]
fn status_range() {
    let mut mem = vec![0u8; 16];
    let mut req = MockRequest::default();
    assert_eq!(
        call("resp_set_status", &mut mem, &mut req, &[404]),
        Ok(status::OK)
    );
    assert_eq!(req.status, Some(404));
    for bad in [0, 99, 600, -200, 65536 + 200] {
        assert_eq!(
            call("resp_set_status", &mut mem, &mut req, &[bad]),
            Ok(status::BAD_ARGUMENT)
        );
    }
    assert_eq!(req.status, Some(404));
    req.sent = true;
    assert_eq!(
        call("resp_set_status", &mut mem, &mut req, &[200]),
        Ok(status::NOT_ALLOWED)
    );
}

#[test]
fn set_header_validates_name_and_value() {
    let mut mem = memory_with(0, b"X-Foo bar\r\nX: y");
    let mut req = MockRequest::default();
    assert_eq!(
        call("resp_set_header", &mut mem, &mut req, &[0, 5, 6, 3]),
        Ok(status::OK)
    );
    assert_eq!(req.headers, vec![(b"X-Foo".to_vec(), b"bar".to_vec())]);
    // value with CR LF: refused
    assert_eq!(
        call("resp_set_header", &mut mem, &mut req, &[0, 5, 6, 5]),
        Ok(status::BAD_ARGUMENT)
    );
    // name with a space or colon, or empty: refused
    assert_eq!(
        call("resp_set_header", &mut mem, &mut req, &[0, 6, 6, 3]),
        Ok(status::BAD_ARGUMENT)
    );
    assert_eq!(
        call("resp_set_header", &mut mem, &mut req, &[11, 2, 6, 3]),
        Ok(status::BAD_ARGUMENT)
    );
    assert_eq!(
        call("resp_set_header", &mut mem, &mut req, &[0, 0, 6, 3]),
        Ok(status::BAD_ARGUMENT)
    );
    // empty value removes
    assert_eq!(
        call("resp_set_header", &mut mem, &mut req, &[0, 5, 0, 0]),
        Ok(status::OK)
    );
    assert!(req.headers.is_empty());
    // out of bounds value
    assert!(call("resp_set_header", &mut mem, &mut req, &[0, 5, 255, 2]).is_err());
}

#[test]
fn print_and_say_append() {
    let mut mem = memory_with(3, b"abc");
    let mut req = MockRequest::default();
    call("resp_print", &mut mem, &mut req, &[3, 3]).unwrap();
    call("resp_say", &mut mem, &mut req, &[3, 2]).unwrap();
    assert_eq!(req.body, b"abcab\n");
    assert!(call("resp_print", &mut mem, &mut req, &[i32::MAX, 2]).is_err());
    assert!(
        call("resp_print", &mut mem, &mut req, &[-1, 2]).is_err(),
        "ptr+len must not wrap"
    );
}

#[test]
fn get_uri_and_header() {
    let mut mem = memory_with(0, b"host");
    let mut req = MockRequest {
        uri: b"/some/path".to_vec(),
        req_headers: vec![(b"Host".to_vec(), b"example.org".to_vec())],
        ..Default::default()
    };
    assert_eq!(call("req_get_uri", &mut mem, &mut req, &[100, 64]), Ok(10));
    assert_eq!(&mem[100..110], b"/some/path");
    // too small: the needed length, nothing written
    assert_eq!(call("req_get_uri", &mut mem, &mut req, &[200, 4]), Ok(10));
    assert_eq!(&mem[200..204], &[0; 4]);
    assert_eq!(
        call("req_get_header", &mut mem, &mut req, &[0, 4, 50, 32]),
        Ok(11)
    );
    assert_eq!(&mem[50..61], b"example.org");
    mem[0..4].copy_from_slice(b"nope");
    assert_eq!(
        call("req_get_header", &mut mem, &mut req, &[0, 4, 50, 32]),
        Ok(status::NOT_FOUND)
    );
    // a bad output buffer traps whether or not the header exists
    assert!(call("req_get_header", &mut mem, &mut req, &[0, 4, 250, 32]).is_err());
    assert!(call("req_get_uri", &mut mem, &mut req, &[0, -1]).is_err());
}

#[test]
fn no_request_bound_is_a_trap() {
    let mut mem = vec![0u8; 8];
    let mut slot = RequestSlot::default();
    let func = NGX.lookup("resp_print").unwrap();
    let e = invoke(func, Some(&mut mem), &mut slot, &i32_args(&[0, 1])).unwrap_err();
    assert!(e.reason.contains("outside a request"), "{e}");
    let e = invoke(func, Some(&mut mem), &mut slot, &i32_args(&[0])).unwrap_err();
    assert!(e.reason.contains("wrong number of arguments"), "{e}");
}

/// Writes `parts` one after the other from offset 0; returns their (ptr, len) pairs.
fn layout(mem: &mut [u8], parts: &[&[u8]]) -> Vec<(i32, i32)> {
    let mut at = 0;
    parts
        .iter()
        .map(|p| {
            mem[at..at + p.len()].copy_from_slice(p);
            let r = (at as i32, p.len() as i32);
            at += p.len();
            r
        })
        .collect()
}

#[test]
fn phase_checks_come_first() {
    let mut mem = vec![0u8; 64];
    let mut req = MockRequest {
        phase: Phase::Log,
        ..Default::default()
    };
    // refused in the log phase, even with arguments that would trap elsewhere
    assert_eq!(
        call("resp_print", &mut mem, &mut req, &[1000, 1000]),
        Ok(status::NOT_ALLOWED)
    );
    assert_eq!(
        call("resp_set_status", &mut mem, &mut req, &[200]),
        Ok(status::NOT_ALLOWED)
    );
    assert_eq!(
        call("body_chunk_is_last", &mut mem, &mut req, &[]),
        Ok(status::NOT_ALLOWED)
    );
    assert_eq!(call("get_phase", &mut mem, &mut req, &[0, 64]), Ok(3));
    assert_eq!(&mem[..3], b"log");
    req.phase = Phase::InitWorker;
    assert_eq!(
        call("req_get_uri", &mut mem, &mut req, &[0, 8]),
        Ok(status::NOT_ALLOWED)
    );
    assert_eq!(call("now", &mut mem, &mut req, &[8]), Ok(status::OK));
    assert_eq!(&mem[8..16], &1_700_000_000_123u64.to_le_bytes());
    req.phase = Phase::HeaderFilter;
    assert_eq!(
        call("resp_set_status", &mut mem, &mut req, &[201]),
        Ok(status::OK)
    );
    assert_eq!(
        call("resp_say", &mut mem, &mut req, &[0, 1]),
        Ok(status::NOT_ALLOWED)
    );
}

#[test]
fn args_are_decoded() {
    let q = b"a=1&b=x%20y+z&a=2&flag&c%5B%5D=%zz&&e=";
    assert_eq!(request::find_arg(q, b"a"), Some(b"1".to_vec()));
    assert_eq!(request::find_arg(q, b"b"), Some(b"x y z".to_vec()));
    assert_eq!(request::find_arg(q, b"flag"), Some(b"".to_vec()));
    assert_eq!(request::find_arg(q, b"c[]"), Some(b"%zz".to_vec()));
    assert_eq!(request::find_arg(q, b"e"), Some(b"".to_vec()));
    assert_eq!(request::find_arg(q, b"A"), None, "names are case-sensitive");
    assert_eq!(request::find_arg(b"%", b"%"), Some(b"".to_vec()));
    let mut mem = vec![0u8; 64];
    let mut req = MockRequest {
        query: q.to_vec(),
        ..Default::default()
    };
    let p = layout(&mut mem, &[b"b", b"nope"]);
    assert_eq!(
        call("req_get_arg", &mut mem, &mut req, &[p[0].0, p[0].1, 32, 32]),
        Ok(5)
    );
    assert_eq!(&mem[32..37], b"x y z");
    assert_eq!(
        call("req_get_arg", &mut mem, &mut req, &[p[1].0, p[1].1, 32, 32]),
        Ok(status::NOT_FOUND)
    );
}

#[test]
fn request_line_setters_validate() {
    let mut mem = vec![0u8; 64];
    let mut req = MockRequest::default();
    let p = layout(
        &mut mem,
        &[
            b"POST",
            b"get",
            b"FOO",
            b"/new/path",
            b"no-slash",
            b"a=1&b",
            b"/a/../b",
            b"/a/..",
        ],
    );
    assert_eq!(
        call("req_set_method", &mut mem, &mut req, &[p[0].0, p[0].1]),
        Ok(0)
    );
    assert_eq!(req.method, b"POST");
    assert_eq!(
        call("req_set_method", &mut mem, &mut req, &[p[1].0, p[1].1]),
        Ok(-2)
    );
    assert_eq!(
        call("req_set_method", &mut mem, &mut req, &[p[2].0, p[2].1]),
        Ok(-2)
    );
    // jump only in rewrite
    assert_eq!(
        call("req_set_uri", &mut mem, &mut req, &[p[3].0, p[3].1, 1]),
        Ok(-3)
    );
    assert_eq!(
        call("req_set_uri", &mut mem, &mut req, &[p[3].0, p[3].1, 2]),
        Ok(-2)
    );
    assert_eq!(
        call("req_set_uri", &mut mem, &mut req, &[p[4].0, p[4].1, 0]),
        Ok(-2)
    );
    for dots in [p[6], p[7]] {
        assert_eq!(
            call("req_set_uri", &mut mem, &mut req, &[dots.0, dots.1, 0]),
            Ok(-2),
            "a parent segment"
        );
    }
    req.phase = Phase::Rewrite;
    assert_eq!(
        call("req_set_uri", &mut mem, &mut req, &[p[3].0, p[3].1, 1]),
        Ok(0)
    );
    assert!(req.jumped);
    assert_eq!(req.uri, b"/new/path");
    assert_eq!(
        call("req_set_query", &mut mem, &mut req, &[p[5].0, p[5].1]),
        Ok(0)
    );
    assert_eq!(req.query, b"a=1&b");
    assert_eq!(call("req_http_version", &mut mem, &mut req, &[]), Ok(11));
    assert_eq!(call("req_is_internal", &mut mem, &mut req, &[]), Ok(0));
}

#[test]
fn headers_get_join_iterate_set_add_clear() {
    let mut mem = vec![0u8; 128];
    let mut req = MockRequest {
        req_headers: vec![
            (b"Host".to_vec(), b"a.example".to_vec()),
            (b"Accept".to_vec(), b"text/html".to_vec()),
            (b"accept".to_vec(), b"*/*".to_vec()),
        ],
        ..Default::default()
    };
    let p = layout(
        &mut mem,
        &[b"ACCEPT", b"X-New", b"v1", b"bad name", b"a\nb"],
    );
    assert_eq!(
        call(
            "req_get_header",
            &mut mem,
            &mut req,
            &[p[0].0, p[0].1, 64, 64]
        ),
        Ok(14)
    );
    assert_eq!(&mem[64..78], b"text/html, */*");
    assert_eq!(
        call("req_get_headers", &mut mem, &mut req, &[64, 64]),
        Ok(43)
    );
    assert_eq!(
        &mem[64..107],
        b"Host\0a.example\0Accept\0text/html\0accept\0*/*\0"
    );
    assert_eq!(
        call("req_get_headers", &mut mem, &mut req, &[64, 10]),
        Ok(43),
        "too small"
    );
    let set = [p[1].0, p[1].1, p[2].0, p[2].1];
    assert_eq!(call("req_add_header", &mut mem, &mut req, &set), Ok(0));
    assert_eq!(call("req_add_header", &mut mem, &mut req, &set), Ok(0));
    assert_eq!(req.req_headers.len(), 5);
    assert_eq!(call("req_set_header", &mut mem, &mut req, &set), Ok(0));
    assert_eq!(req.req_headers.len(), 4);
    assert_eq!(
        call("req_clear_header", &mut mem, &mut req, &[p[0].0, p[0].1]),
        Ok(0)
    );
    assert_eq!(req.req_headers.len(), 2);
    assert_eq!(
        call(
            "req_set_header",
            &mut mem,
            &mut req,
            &[p[3].0, p[3].1, p[2].0, p[2].1]
        ),
        Ok(-2)
    );
    assert_eq!(
        call(
            "req_set_header",
            &mut mem,
            &mut req,
            &[p[1].0, p[1].1, p[4].0, p[4].1]
        ),
        Ok(-2)
    );
    assert_eq!(
        call(
            "req_add_header",
            &mut mem,
            &mut req,
            &[p[1].0, p[1].1, 0, 0]
        ),
        Ok(-2)
    );
    // the response side behaves the same
    assert_eq!(call("resp_add_header", &mut mem, &mut req, &set), Ok(0));
    assert_eq!(call("resp_add_header", &mut mem, &mut req, &set), Ok(0));
    assert_eq!(
        call(
            "resp_get_header",
            &mut mem,
            &mut req,
            &[p[1].0, p[1].1, 64, 64]
        ),
        Ok(6)
    );
    assert_eq!(&mem[64..70], b"v1, v1");
    assert_eq!(
        call("resp_clear_header", &mut mem, &mut req, &[p[1].0, p[1].1]),
        Ok(0)
    );
    assert_eq!(
        call(
            "resp_get_header",
            &mut mem,
            &mut req,
            &[p[1].0, p[1].1, 64, 64]
        ),
        Ok(status::NOT_FOUND)
    );
}

#[test]
fn variables_codes() {
    let mut mem = vec![0u8; 64];
    let mut req = MockRequest {
        vars: vec![
            (b"host".to_vec(), Some(b"h".to_vec()), false),
            (b"foo".to_vec(), None, true),
        ],
        ..Default::default()
    };
    let p = layout(
        &mut mem,
        &[
            b"HOST",
            b"foo",
            b"nope",
            b"bad-name",
            b"v",
            b"a\r\nX: 1",
            b"a\0",
        ],
    );
    assert_eq!(
        call("var_get", &mut mem, &mut req, &[p[0].0, p[0].1, 32, 8]),
        Ok(1)
    );
    assert_eq!(mem[32], b'h');
    assert_eq!(
        call("var_get", &mut mem, &mut req, &[p[1].0, p[1].1, 32, 8]),
        Ok(-1)
    );
    assert_eq!(
        call("var_get", &mut mem, &mut req, &[p[2].0, p[2].1, 32, 8]),
        Ok(-2)
    );
    assert_eq!(
        call("var_get", &mut mem, &mut req, &[p[3].0, p[3].1, 32, 8]),
        Ok(-2)
    );
    assert_eq!(
        call(
            "var_set",
            &mut mem,
            &mut req,
            &[p[1].0, p[1].1, p[4].0, p[4].1]
        ),
        Ok(0)
    );
    assert_eq!(
        call("var_get", &mut mem, &mut req, &[p[1].0, p[1].1, 32, 8]),
        Ok(1)
    );
    assert_eq!(
        call(
            "var_set",
            &mut mem,
            &mut req,
            &[p[0].0, p[0].1, p[4].0, p[4].1]
        ),
        Ok(-3)
    );
    assert_eq!(
        call(
            "var_set",
            &mut mem,
            &mut req,
            &[p[2].0, p[2].1, p[4].0, p[4].1]
        ),
        Ok(-2)
    );
    for bad in [p[5], p[6]] {
        assert_eq!(
            call(
                "var_set",
                &mut mem,
                &mut req,
                &[p[1].0, p[1].1, bad.0, bad.1]
            ),
            Ok(-2),
            "CR, LF or NUL in a value"
        );
    }
}

#[test]
fn body_in_chunks() {
    let mut mem = vec![0u8; 64];
    let mut req = MockRequest::default();
    assert_eq!(call("req_body_len", &mut mem, &mut req, &[]), Ok(-1));
    assert_eq!(call("req_get_body", &mut mem, &mut req, &[0, 0, 4]), Ok(-1));
    req.req_body = Some(b"0123456789".to_vec());
    assert_eq!(call("req_body_len", &mut mem, &mut req, &[]), Ok(10));
    assert_eq!(call("req_get_body", &mut mem, &mut req, &[0, 0, 4]), Ok(4));
    assert_eq!(call("req_get_body", &mut mem, &mut req, &[8, 4, 4]), Ok(2));
    assert_eq!(&mem[..6], b"012389");
    assert_eq!(call("req_get_body", &mut mem, &mut req, &[10, 0, 4]), Ok(0));
    assert_eq!(
        call("req_get_body", &mut mem, &mut req, &[-1, 0, 4]),
        Ok(-2)
    );
    assert!(call("req_get_body", &mut mem, &mut req, &[0, 62, 4]).is_err());
}

#[test]
fn exit_redirect_exec_validate() {
    let mut mem = vec![0u8; 64];
    let mut req = MockRequest::default();
    let p = layout(
        &mut mem,
        &[b"/login", b"@named", b"@", b"rel", b"a=1", b"/a#b", b"/a?b"],
    );
    for bad in [1, 199, 600, -1] {
        assert_eq!(call("resp_exit", &mut mem, &mut req, &[bad]), Ok(-2));
    }
    assert_eq!(call("resp_exit", &mut mem, &mut req, &[0]), Ok(0));
    assert_eq!(req.finish, Some(Finish::Continue));
    assert_eq!(call("resp_exit", &mut mem, &mut req, &[403]), Ok(0));
    assert_eq!(req.finish, Some(Finish::Status(403)));
    assert_eq!(
        call("resp_redirect", &mut mem, &mut req, &[p[0].0, p[0].1, 0]),
        Ok(0)
    );
    assert_eq!(req.finish, Some(Finish::Status(302)));
    assert_eq!(
        call("resp_redirect", &mut mem, &mut req, &[p[0].0, p[0].1, 200]),
        Ok(-2)
    );
    assert_eq!(
        call("resp_redirect", &mut mem, &mut req, &[0, 0, 301]),
        Ok(-2)
    );
    // A path's own query reaches the host, which splits it off with nginx's parser.
    let ok = [p[6], p[1], p[0]];
    for (u, _) in ok.iter().map(|x| (x, ())) {
        assert_eq!(
            call("req_exec", &mut mem, &mut req, &[u.0, u.1, p[4].0, p[4].1]),
            Ok(0)
        );
    }
    assert_eq!(req.exec, Some((b"/login".to_vec(), b"a=1".to_vec())));
    for bad in [p[2], p[3], p[5]] {
        assert_eq!(
            call("req_exec", &mut mem, &mut req, &[bad.0, bad.1, 0, 0]),
            Ok(-2)
        );
    }
}

#[test]
fn body_filter_and_ctx() {
    let mut mem = vec![0u8; 64];
    let mut req = MockRequest {
        phase: Phase::BodyFilter,
        chunk: b"hello".to_vec(),
        last: true,
        ..Default::default()
    };
    let p = layout(&mut mem, &[b"HELLO!", b"k", b"value"]);
    assert_eq!(call("body_chunk_get", &mut mem, &mut req, &[32, 32]), Ok(5));
    assert_eq!(&mem[32..37], b"hello");
    assert_eq!(
        call("body_chunk_set", &mut mem, &mut req, &[p[0].0, p[0].1]),
        Ok(0)
    );
    assert_eq!(req.chunk, b"HELLO!");
    assert_eq!(call("body_chunk_is_last", &mut mem, &mut req, &[]), Ok(1));
    let kv = [p[1].0, p[1].1, p[2].0, p[2].1];
    assert_eq!(
        call("ctx_get", &mut mem, &mut req, &[p[1].0, p[1].1, 32, 32]),
        Ok(-1)
    );
    assert_eq!(call("ctx_set", &mut mem, &mut req, &kv), Ok(0));
    assert_eq!(
        call("ctx_get", &mut mem, &mut req, &[p[1].0, p[1].1, 32, 32]),
        Ok(5)
    );
    assert_eq!(&mem[32..37], b"value");
    assert_eq!(call("ctx_set", &mut mem, &mut req, &[0, 0, 0, 0]), Ok(-2));
    assert_eq!(
        call("ctx_delete", &mut mem, &mut req, &[p[1].0, p[1].1]),
        Ok(0)
    );
    assert_eq!(
        call("ctx_delete", &mut mem, &mut req, &[p[1].0, p[1].1]),
        Ok(-1)
    );
    req.phase = Phase::Content;
    assert_eq!(
        call("body_chunk_get", &mut mem, &mut req, &[32, 32]),
        Ok(-3)
    );
}

#[test]
fn sleep_waits_on_a_timer() {
    let mut mem = vec![0u8; 16];
    let mut req = MockRequest::default();
    assert_eq!(call("sleep", &mut mem, &mut req, &[25]), Ok(SUSPENDED));
    assert_eq!(call("sleep", &mut mem, &mut req, &[0]), Ok(SUSPENDED));
    assert_eq!(call("sleep", &mut mem, &mut req, &[-1]), Ok(-2));
    let func = NGX.lookup("sleep").expect("sleep");
    let mut slot = RequestSlot::default();
    // SAFETY: unbound below, before `req`'s borrow ends.
    unsafe { slot.bind(&mut req) };
    let Ok(Called::Suspended(p)) = invoke(func, None, &mut slot, &[Val::I32(25)]) else {
        panic!("sleep did not suspend");
    };
    assert_eq!(p.wait(), crate::wait::Wait::Yield { delay_ms: 25 });
    let done = crate::abi::finish(p, None, &mut slot, crate::wait::Reply::Ready);
    slot.unbind();
    assert_eq!(done, Ok(Some(Val::I32(0))));
    req.phase = Phase::Log;
    assert_eq!(call("sleep", &mut mem, &mut req, &[1]), Ok(-3));
}

#[test]
fn read_body_returns_at_once_waits_or_fails() {
    let mut mem = vec![0u8; 16];
    let mut req = MockRequest::default();
    assert_eq!(call("req_read_body", &mut mem, &mut req, &[]), Ok(0));
    req.body_reading = Ok(false);
    assert_eq!(
        call("req_read_body", &mut mem, &mut req, &[]),
        Ok(SUSPENDED)
    );
    req.body_reading = Err(RequestError::Internal);
    assert_eq!(call("req_read_body", &mut mem, &mut req, &[]), Ok(-4));
    req.phase = Phase::BodyFilter;
    assert_eq!(call("req_read_body", &mut mem, &mut req, &[]), Ok(-3));
}

#[test]
fn subrequests_queue_wait_and_answer() {
    let mut mem = vec![0u8; 256];
    let parts: [&[u8]; 5] = [b"GET", b"/a?x=1", b"y=2", b"body", b"x-a"];
    let at = layout(&mut mem, &parts);
    let (m, u, q, b, h) = (at[0], at[1], at[2], at[3], at[4]);
    let mut req = MockRequest::default();
    assert_eq!(
        call("subreq_wait", &mut mem, &mut req, &[]),
        Ok(0),
        "nothing queued"
    );
    let add = |mem: &mut [u8], req: &mut MockRequest, uri: (i32, i32), options: i32| {
        call(
            "subreq_add",
            mem,
            req,
            &[m.0, m.1, uri.0, uri.1, q.0, q.1, b.0, b.1, options],
        )
    };
    assert_eq!(add(&mut mem, &mut req, u, 0), Ok(0));
    assert_eq!(add(&mut mem, &mut req, u, 1), Ok(1));
    assert_eq!(
        req.queued[0],
        (b"GET".to_vec(), b"/a?x=1".to_vec(), b"y=2".to_vec(), None)
    );
    assert_eq!(req.queued[1].3.as_deref(), Some(&b"body"[..]));
    assert_eq!(add(&mut mem, &mut req, u, 16), Ok(-2), "unknown option");
    assert_eq!(
        add(&mut mem, &mut req, u, 6),
        Ok(-2),
        "copy and share at once"
    );
    let lower = call(
        "subreq_add",
        &mut mem,
        &mut req,
        &[h.0, h.1, u.0, u.1, 0, 0, 0, 0, 0],
    );
    assert_eq!(lower, Ok(-2), "a lower-case method");
    assert_eq!(call("subreq_wait", &mut mem, &mut req, &[]), Ok(SUSPENDED));
    req.queued.clear();
    req.answers = vec![(
        201,
        vec![
            (b"X-A".to_vec(), b"1".to_vec()),
            (b"x-a".to_vec(), b"2".to_vec()),
        ],
        b"created".to_vec(),
        true,
    )];
    assert_eq!(call("subreq_status", &mut mem, &mut req, &[0]), Ok(201));
    assert_eq!(call("subreq_status", &mut mem, &mut req, &[1]), Ok(-1));
    assert_eq!(call("subreq_status", &mut mem, &mut req, &[-1]), Ok(-1));
    assert_eq!(call("subreq_truncated", &mut mem, &mut req, &[0]), Ok(1));
    assert_eq!(
        call("subreq_body", &mut mem, &mut req, &[0, 200, 16]),
        Ok(7)
    );
    assert_eq!(&mem[200..207], b"created");
    assert_eq!(
        call("subreq_header", &mut mem, &mut req, &[0, h.0, h.1, 200, 16]),
        Ok(4)
    );
    assert_eq!(&mem[200..204], b"1, 2");
    assert_eq!(
        call("subreq_headers", &mut mem, &mut req, &[0, 200, 4]),
        Ok(12)
    );
    assert_eq!(
        call("subreq_headers", &mut mem, &mut req, &[3, 200, 4]),
        Ok(-1)
    );
    for _ in 0..abi_consts::subreq::MAX_BATCH {
        req.queued.push((vec![], vec![], vec![], None));
    }
    assert_eq!(add(&mut mem, &mut req, u, 0), Ok(-3), "a full batch");
    req.phase = Phase::HeaderFilter;
    assert_eq!(call("subreq_wait", &mut mem, &mut req, &[]), Ok(-3));
}

#[test]
fn socket_arguments_are_checked_before_the_host_sees_them() {
    let mut mem = vec![0u8; 256];
    let at = layout(&mut mem, &[b"127.0.0.1", b"a b", b"unix:/tmp/s", b"--"]);
    let (ip, bad, unix, pat) = (at[0], at[1], at[2], at[3]);
    let mut req = MockRequest::default();
    // The mock host refuses every socket (-3): reaching it means the arguments passed.
    let connect = |mem: &mut [u8], req: &mut MockRequest, h: (i32, i32), port: i32, t: i32| {
        call("sock_connect", mem, req, &[h.0, h.1, port, t])
    };
    assert_eq!(connect(&mut mem, &mut req, ip, 80, -1), Ok(-3));
    assert_eq!(
        connect(&mut mem, &mut req, unix, 0, 100),
        Ok(-3),
        "unix ignores the port"
    );
    assert_eq!(connect(&mut mem, &mut req, ip, 0, -1), Ok(-2), "port 0");
    assert_eq!(
        connect(&mut mem, &mut req, ip, 65536, -1),
        Ok(-2),
        "port too large"
    );
    assert_eq!(
        connect(&mut mem, &mut req, bad, 80, -1),
        Ok(-2),
        "a space in the host"
    );
    assert_eq!(
        connect(&mut mem, &mut req, ip, 80, -2),
        Ok(-2),
        "a negative timeout"
    );
    let recv = |mem: &mut [u8], req: &mut MockRequest, mode: i32, n: i32| {
        call("sock_receive", mem, req, &[0, mode, n, -1, 100, 16])
    };
    assert_eq!(recv(&mut mem, &mut req, 0, 4), Ok(-3));
    assert_eq!(recv(&mut mem, &mut req, 4, 4), Ok(-2), "unknown mode");
    assert_eq!(
        recv(&mut mem, &mut req, 1, 0),
        Ok(-2),
        "n must be at least 1"
    );
    assert!(call("sock_receive", &mut mem, &mut req, &[0, 0, 4, -1, 250, 16]).is_err());
    let until = |mem: &mut [u8], req: &mut MockRequest, p: (i32, i32)| {
        call(
            "sock_receive_until",
            mem,
            req,
            &[0, p.0, p.1, 10, -1, 100, 16],
        )
    };
    assert_eq!(until(&mut mem, &mut req, pat), Ok(-3));
    assert_eq!(
        until(&mut mem, &mut req, (0, 0)),
        Ok(-2),
        "an empty pattern"
    );
    assert_eq!(call("sock_close", &mut mem, &mut req, &[-1]), Ok(-1));
    assert_eq!(
        call("sock_setkeepalive", &mut mem, &mut req, &[0, -5, 1]),
        Ok(-2)
    );
    assert_eq!(call("sock_reused", &mut mem, &mut req, &[0]), Ok(-1));
    let name = (unix.0 + 5, 4); // "/tmp": a '/' is no server name
    let hs = |mem: &mut [u8], req: &mut MockRequest, n: (i32, i32), flags: i32, t: i32| {
        call("sock_sslhandshake", mem, req, &[0, n.0, n.1, flags, t])
    };
    assert_eq!(hs(&mut mem, &mut req, ip, 1, -1), Ok(-3), "an address");
    assert_eq!(hs(&mut mem, &mut req, (0, 0), 0, 100), Ok(-3), "no name");
    assert_eq!(hs(&mut mem, &mut req, bad, 1, -1), Ok(-2), "a space");
    assert_eq!(hs(&mut mem, &mut req, name, 1, -1), Ok(-2), "a slash");
    assert_eq!(hs(&mut mem, &mut req, ip, 2, -1), Ok(-2), "an unknown flag");
    assert_eq!(
        hs(&mut mem, &mut req, ip, 1, -2),
        Ok(-2),
        "a negative timeout"
    );
    assert!(
        hs(&mut mem, &mut req, (250, 16), 1, -1).is_err(),
        "out of memory"
    );
    req.phase = Phase::Log;
    assert_eq!(connect(&mut mem, &mut req, ip, 80, -1), Ok(-3));
    assert_eq!(hs(&mut mem, &mut req, ip, 1, -1), Ok(-3));
}

#[test]
fn shdict_arguments_are_checked_before_the_host_sees_them() {
    let mut mem = vec![0u8; 256];
    let at = layout(&mut mem, &[b"dicts", b"k", b"value", b"12345678"]);
    let (d, k, v, eight) = (at[0], at[1], at[2], at[3]);
    let opts = |mem: &mut [u8], kind: u32, op: u32, reserved: u32, ttl: i64| {
        mem[100..104].copy_from_slice(&kind.to_le_bytes());
        mem[104..108].copy_from_slice(&0u32.to_le_bytes());
        mem[108..112].copy_from_slice(&op.to_le_bytes());
        mem[112..116].copy_from_slice(&reserved.to_le_bytes());
        mem[116..124].copy_from_slice(&ttl.to_le_bytes());
    };
    let mut req = MockRequest::default();
    let set = |mem: &mut [u8], req: &mut MockRequest, val: (i32, i32)| {
        call(
            "shdict_set",
            mem,
            req,
            &[d.0, d.1, k.0, k.1, val.0, val.1, 100],
        )
    };
    // The mock host refuses every dictionary (-3): reaching it means the arguments passed.
    opts(&mut mem, 1, 0, 0, 0);
    assert_eq!(set(&mut mem, &mut req, v), Ok(-3));
    opts(&mut mem, 2, 0, 0, 0);
    assert_eq!(set(&mut mem, &mut req, v), Ok(-2), "an f64 of 5 bytes");
    assert_eq!(set(&mut mem, &mut req, eight), Ok(-3), "an f64 of 8 bytes");
    opts(&mut mem, 9, 0, 0, 0);
    assert_eq!(set(&mut mem, &mut req, v), Ok(-2), "an unknown kind");
    opts(&mut mem, 1, 5, 0, 0);
    assert_eq!(set(&mut mem, &mut req, v), Ok(-2), "an unknown op");
    opts(&mut mem, 1, 0, 1, 0);
    assert_eq!(set(&mut mem, &mut req, v), Ok(-2), "reserved bytes set");
    opts(&mut mem, 1, 0, 0, -1);
    assert_eq!(set(&mut mem, &mut req, v), Ok(-2), "a negative ttl");
    assert_eq!(
        call(
            "shdict_set",
            &mut mem,
            &mut req,
            &[d.0, d.1, k.0, 0, v.0, v.1, 100]
        ),
        Ok(-2),
        "an empty key"
    );
    assert!(
        call(
            "shdict_set",
            &mut mem,
            &mut req,
            &[d.0, d.1, k.0, k.1, v.0, v.1, 240]
        )
        .is_err(),
        "options past the end of memory"
    );
    assert_eq!(
        call(
            "shdict_get",
            &mut mem,
            &mut req,
            &[d.0, d.1, k.0, k.1, 128, 16, 160]
        ),
        Ok(-3)
    );
    assert_eq!(
        call("shdict_capacity", &mut mem, &mut req, &[d.0, d.1, 160]),
        Ok(-3)
    );
    req.phase = Phase::InitWorker;
    assert_eq!(
        call("shdict_delete", &mut mem, &mut req, &[d.0, d.1, k.0, k.1]),
        Ok(-3),
        "init_worker may use dictionaries (the mock host has none)"
    );
}

#[test]
fn timers_are_checked_then_handed_to_the_host() {
    let mut mem = vec![0u8; 256];
    let at = layout(&mut mem, &[b"tick", b"payload", b"missing"]);
    let (e, a, m) = (at[0], at[1], at[2]);
    let mut req = MockRequest::default();
    let add = |mem: &mut [u8], req: &mut MockRequest, f: &str, delay: i32, e: (i32, i32)| {
        call(f, mem, req, &[delay, e.0, e.1, a.0, a.1])
    };
    assert_eq!(
        add(&mut mem, &mut req, "timer_at", -1, e),
        Ok(-2),
        "negative delay"
    );
    assert_eq!(
        add(&mut mem, &mut req, "timer_at", 0, (e.0, 0)),
        Ok(-2),
        "no export"
    );
    assert_eq!(
        add(&mut mem, &mut req, "timer_every", 0, e),
        Ok(-2),
        "interval 0"
    );
    assert_eq!(
        add(&mut mem, &mut req, "timer_at", 0, m),
        Ok(-2),
        "unknown export"
    );
    assert!(
        call("timer_at", &mut mem, &mut req, &[0, e.0, e.1, 250, 16]).is_err(),
        "an argument past the end of memory"
    );
    assert!(req.timers.is_empty());
    assert_eq!(add(&mut mem, &mut req, "timer_at", 5, e), Ok(0));
    assert_eq!(add(&mut mem, &mut req, "timer_every", 7, e), Ok(0));
    assert_eq!(
        add(&mut mem, &mut req, "timer_at", 0, e),
        Ok(-14),
        "too many"
    );
    assert_eq!(
        req.timers,
        vec![
            (5, false, b"tick".to_vec(), b"payload".to_vec()),
            (7, true, b"tick".to_vec(), b"payload".to_vec()),
        ]
    );
    assert_eq!(call("timer_pending_count", &mut mem, &mut req, &[]), Ok(2));
    assert_eq!(call("timer_running_count", &mut mem, &mut req, &[]), Ok(0));
    // timer_arg only in a timer's run.
    assert_eq!(call("timer_arg", &mut mem, &mut req, &[200, 16]), Ok(-3));
    req.phase = Phase::Timer;
    req.timer_arg = Some(b"abc".to_vec());
    assert_eq!(call("timer_arg", &mut mem, &mut req, &[200, 16]), Ok(3));
    assert_eq!(&mem[200..203], b"abc");
    assert_eq!(call("timer_running_count", &mut mem, &mut req, &[]), Ok(1));
    // A timer may wait, but not answer a request.
    assert_eq!(call("sleep", &mut mem, &mut req, &[1]), Ok(SUSPENDED));
    assert_eq!(call("resp_say", &mut mem, &mut req, &[e.0, e.1]), Ok(-3));
    assert_eq!(call("req_get_uri", &mut mem, &mut req, &[200, 16]), Ok(-3));
}
