//! Unit tests of the host ABI against a mock request: no engine, no nginx.

use super::*;
use crate::request::LogLevel;

#[derive(Default)]
pub(crate) struct MockRequest {
    pub logs: Vec<(LogLevel, Vec<u8>)>,
    pub status: Option<u16>,
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub body: Vec<u8>,
    pub uri: Vec<u8>,
    pub req_headers: Vec<(Vec<u8>, Vec<u8>)>,
    pub sent: bool,
}

impl HostRequest for MockRequest {
    fn log(&mut self, level: LogLevel, msg: &[u8]) {
        self.logs.push((level, msg.to_vec()));
    }
    fn set_status(&mut self, status: u16) -> Result<(), RequestError> {
        if self.sent {
            return Err(RequestError::NotAllowed);
        }
        self.status = Some(status);
        Ok(())
    }
    fn set_header(&mut self, name: &[u8], value: &[u8]) -> Result<(), RequestError> {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if !value.is_empty() {
            self.headers.push((name.to_vec(), value.to_vec()));
        }
        Ok(())
    }
    fn write(&mut self, data: &[u8]) -> Result<(), RequestError> {
        self.body.extend_from_slice(data);
        Ok(())
    }
    fn uri(&self) -> &[u8] {
        &self.uri
    }
    fn header(&self, name: &[u8]) -> Option<&[u8]> {
        self.req_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| &v[..])
    }
}

/// Calls `name` with `args` against `mem` and `req`, the way an engine does.
pub(crate) fn call(
    name: &str,
    mem: &mut [u8],
    req: &mut MockRequest,
    args: &[i32],
) -> Result<i32, HostTrap> {
    let func = lookup(name).expect("known host function");
    let mut slot = RequestSlot::default();
    // SAFETY: unbound below, before `req`'s borrow ends.
    unsafe { slot.bind(req) };
    let r = invoke(func, Some(mem), &mut slot, args);
    slot.unbind();
    r
}

fn memory_with(at: usize, bytes: &[u8]) -> Vec<u8> {
    let mut m = vec![0u8; 256];
    m[at..at + bytes.len()].copy_from_slice(bytes);
    m
}

#[test]
fn table_is_consistent() {
    let mut names: Vec<&str> = HOST_FUNCTIONS.iter().map(|f| f.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(
        names.len(),
        HOST_FUNCTIONS.len(),
        "duplicate host function names"
    );
    for f in HOST_FUNCTIONS {
        assert_eq!(f.qualified, format!("ngx.{}", f.name));
        assert!(f.params.len() <= 8, "engines adapt arities up to 8");
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
fn write_appends() {
    let mut mem = memory_with(3, b"abc");
    let mut req = MockRequest::default();
    call("resp_write", &mut mem, &mut req, &[3, 3]).unwrap();
    call("resp_write", &mut mem, &mut req, &[3, 2]).unwrap();
    assert_eq!(req.body, b"abcab");
    assert!(call("resp_write", &mut mem, &mut req, &[i32::MAX, 2]).is_err());
    assert!(
        call("resp_write", &mut mem, &mut req, &[-1, 2]).is_err(),
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
    let func = lookup("resp_write").unwrap();
    let e = invoke(func, Some(&mut mem), &mut slot, &[0, 1]).unwrap_err();
    assert!(e.reason.contains("outside a request"), "{e}");
    let e = invoke(func, Some(&mut mem), &mut slot, &[0]).unwrap_err();
    assert!(e.reason.contains("wrong number of arguments"), "{e}");
}
