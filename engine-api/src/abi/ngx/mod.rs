//! The `ngx` ABI: OpenResty's `ngx.*` request API.
//!
//! Every parameter and every result is an `i32`; pointers are offsets into the guest's
//! exported memory named `memory`. Each function returns a status ([`status`]) or, for
//! getters, a length. Functions that wait (`sleep`, `req_read_body`, `subreq_wait`, `sock_*`, and `resp_flush` while the client lags) suspend the call (see
//! [`crate::wait`]). A pointer or length outside the guest's memory is not a status: it
//! stops the guest with a trap. One file per API group, as lua-nginx-module has one source
//! file per group.

mod body;
mod body_filter;
mod ctx;
mod log;
mod misc;
mod name;
mod req_headers;
pub(crate) mod request;
pub(crate) mod resp_headers;
mod response;
mod shdict;
mod sleep;
mod socket;
mod subrequest;
mod timer;
mod variables;

use super::{host_abi, status, Args, HostAbi, HostCall};
use crate::error::{HostTrap, RequestError};
use crate::memory::GuestMemory;
use crate::request::HostRequest;

/// The `ngx` ABI, in ABI order.
pub static NGX: HostAbi = host_abi!("ngx", {
    // logging, time, phase (log.rs, misc.rs)
    log(level: i32, msg_ptr: i32, msg_len: i32) -> i32 [ALL] => status log::log;
    now(out_ptr: i32) -> i32 [ALL] => status misc::now;
    get_phase(out_ptr: i32, out_cap: i32) -> i32 [ALL] => status misc::get_phase;
    worker_id() -> i32 [ALL] => status misc::worker_id;
    worker_count() -> i32 [ALL] => status misc::worker_count;
    worker_pid() -> i32 [ALL] => status misc::worker_pid;
    worker_exiting() -> i32 [ALL] => status misc::worker_exiting;
    // request line and arguments (request.rs)
    req_get_method(out_ptr: i32, out_cap: i32) -> i32 [REQUEST] => status request::get_method;
    req_set_method(method_ptr: i32, method_len: i32) -> i32 [BEFORE_CONTENT_END] => status request::set_method;
    req_get_uri(out_ptr: i32, out_cap: i32) -> i32 [REQUEST] => status request::get_uri;
    req_set_uri(uri_ptr: i32, uri_len: i32, jump: i32) -> i32 [BEFORE_CONTENT_END] => status request::set_uri;
    req_get_query(out_ptr: i32, out_cap: i32) -> i32 [REQUEST] => status request::get_query;
    req_set_query(query_ptr: i32, query_len: i32) -> i32 [BEFORE_CONTENT_END] => status request::set_query;
    req_get_arg(name_ptr: i32, name_len: i32, out_ptr: i32, out_cap: i32) -> i32 [REQUEST] => status request::get_arg;
    req_http_version() -> i32 [REQUEST] => status request::http_version;
    req_is_internal() -> i32 [REQUEST] => status request::is_internal;
    req_start_time(out_ptr: i32) -> i32 [REQUEST] => status request::start_time;
    // request headers (req_headers.rs)
    req_get_header(name_ptr: i32, name_len: i32, out_ptr: i32, out_cap: i32) -> i32 [REQUEST] => status req_headers::get;
    req_get_headers(out_ptr: i32, out_cap: i32) -> i32 [REQUEST] => status req_headers::get_all;
    req_set_header(name_ptr: i32, name_len: i32, value_ptr: i32, value_len: i32) -> i32 [BEFORE_CONTENT_END] => status req_headers::set;
    req_add_header(name_ptr: i32, name_len: i32, value_ptr: i32, value_len: i32) -> i32 [BEFORE_CONTENT_END] => status req_headers::add;
    req_clear_header(name_ptr: i32, name_len: i32) -> i32 [BEFORE_CONTENT_END] => status req_headers::clear;
    // nginx variables (variables.rs)
    var_get(name_ptr: i32, name_len: i32, out_ptr: i32, out_cap: i32) -> i32 [REQUEST] => status variables::get;
    var_set(name_ptr: i32, name_len: i32, value_ptr: i32, value_len: i32) -> i32 [REQUEST] => status variables::set;
    // request body (body.rs)
    req_body_len() -> i32 [BODY_READABLE] => status body::len;
    req_get_body(offset: i32, out_ptr: i32, out_cap: i32) -> i32 [BODY_READABLE] => status body::get;
    req_discard_body() -> i32 [BEFORE_CONTENT_END] => status body::discard;
    req_read_body() -> i32 [BEFORE_CONTENT_END] => suspending body::read, body::read_done;
    // response status, body and control flow (response.rs)
    resp_get_status() -> i32 [REQUEST] => status response::get_status;
    resp_set_status(status: i32) -> i32 [HEADERS_WRITABLE] => status response::set_status;
    resp_print(data_ptr: i32, data_len: i32) -> i32 [BEFORE_CONTENT_END] => status response::print;
    resp_say(data_ptr: i32, data_len: i32) -> i32 [BEFORE_CONTENT_END] => status response::say;
    resp_flush() -> i32 [BEFORE_CONTENT_END] => suspending response::flush, response::flushed;
    resp_exit(status: i32) -> i32 [BEFORE_CONTENT_END] => status response::exit;
    resp_redirect(uri_ptr: i32, uri_len: i32, status: i32) -> i32 [BEFORE_CONTENT_END] => status response::redirect;
    req_exec(uri_ptr: i32, uri_len: i32, args_ptr: i32, args_len: i32) -> i32 [BEFORE_CONTENT_END] => status response::exec;
    // response headers (resp_headers.rs)
    resp_get_header(name_ptr: i32, name_len: i32, out_ptr: i32, out_cap: i32) -> i32 [REQUEST] => status resp_headers::get;
    resp_get_headers(out_ptr: i32, out_cap: i32) -> i32 [REQUEST] => status resp_headers::get_all;
    resp_set_header(name_ptr: i32, name_len: i32, value_ptr: i32, value_len: i32) -> i32 [HEADERS_WRITABLE] => status resp_headers::set;
    resp_add_header(name_ptr: i32, name_len: i32, value_ptr: i32, value_len: i32) -> i32 [HEADERS_WRITABLE] => status resp_headers::add;
    resp_clear_header(name_ptr: i32, name_len: i32) -> i32 [HEADERS_WRITABLE] => status resp_headers::clear;
    // body filter (body_filter.rs)
    body_chunk_get(out_ptr: i32, out_cap: i32) -> i32 [BODY_FILTER] => status body_filter::get;
    body_chunk_set(data_ptr: i32, data_len: i32) -> i32 [BODY_FILTER] => status body_filter::set;
    body_chunk_is_last() -> i32 [BODY_FILTER] => status body_filter::is_last;
    // per-request context (ctx.rs)
    ctx_get(key_ptr: i32, key_len: i32, out_ptr: i32, out_cap: i32) -> i32 [CALL] => status ctx::get;
    ctx_set(key_ptr: i32, key_len: i32, value_ptr: i32, value_len: i32) -> i32 [CALL] => status ctx::set;
    ctx_delete(key_ptr: i32, key_len: i32) -> i32 [CALL] => status ctx::delete;
    // subrequests (subrequest.rs)
    subreq_add(method_ptr: i32, method_len: i32, uri_ptr: i32, uri_len: i32, args_ptr: i32, args_len: i32, body_ptr: i32, body_len: i32, options: i32) -> i32 [BEFORE_CONTENT_END] => status subrequest::add;
    subreq_wait() -> i32 [BEFORE_CONTENT_END] => suspending subrequest::wait, subrequest::waited;
    subreq_status(id: i32) -> i32 [REQUEST] => status subrequest::get_status;
    subreq_truncated(id: i32) -> i32 [REQUEST] => status subrequest::truncated;
    subreq_header(id: i32, name_ptr: i32, name_len: i32, out_ptr: i32, out_cap: i32) -> i32 [REQUEST] => status subrequest::get_header;
    subreq_headers(id: i32, out_ptr: i32, out_cap: i32) -> i32 [REQUEST] => status subrequest::get_headers;
    subreq_body(id: i32, out_ptr: i32, out_cap: i32) -> i32 [REQUEST] => status subrequest::get_body;
    // TCP sockets (socket.rs)
    sock_connect(host_ptr: i32, host_len: i32, port: i32, timeout_ms: i32) -> i32 [WAIT] => suspending socket::connect, socket::finished;
    sock_sslhandshake(id: i32, name_ptr: i32, name_len: i32, flags: i32, timeout_ms: i32) -> i32 [WAIT] => suspending socket::handshake, socket::finished;
    sock_send(id: i32, data_ptr: i32, data_len: i32, timeout_ms: i32) -> i32 [WAIT] => suspending socket::send, socket::finished;
    sock_receive(id: i32, mode: i32, n: i32, timeout_ms: i32, out_ptr: i32, out_cap: i32) -> i32 [WAIT] => suspending socket::receive, socket::received_after_wait;
    sock_receive_until(id: i32, pattern_ptr: i32, pattern_len: i32, max: i32, timeout_ms: i32, out_ptr: i32, out_cap: i32) -> i32 [WAIT] => suspending socket::receive_until, socket::received_until_after_wait;
    sock_received(id: i32, out_ptr: i32, out_cap: i32) -> i32 [CALL] => status socket::received;
    sock_close(id: i32) -> i32 [CALL] => status socket::close;
    sock_setkeepalive(id: i32, timeout_ms: i32, pool_size: i32) -> i32 [CALL] => status socket::set_keepalive;
    sock_reused(id: i32) -> i32 [CALL] => status socket::reused;
    shdict_get(dict_ptr: i32, dict_len: i32, key_ptr: i32, key_len: i32, out_ptr: i32, out_cap: i32, meta_ptr: i32) -> i32 [ALL] => status shdict::get;
    shdict_get_stale(dict_ptr: i32, dict_len: i32, key_ptr: i32, key_len: i32, out_ptr: i32, out_cap: i32, meta_ptr: i32) -> i32 [ALL] => status shdict::get_stale;
    shdict_get_keys(dict_ptr: i32, dict_len: i32, max: i32, out_ptr: i32, out_cap: i32) -> i32 [ALL] => status shdict::get_keys;
    shdict_set(dict_ptr: i32, dict_len: i32, key_ptr: i32, key_len: i32, val_ptr: i32, val_len: i32, opts_ptr: i32) -> i32 [ALL] => status shdict::set;
    shdict_delete(dict_ptr: i32, dict_len: i32, key_ptr: i32, key_len: i32) -> i32 [ALL] => status shdict::delete;
    shdict_incr(dict_ptr: i32, dict_len: i32, key_ptr: i32, key_len: i32, args_ptr: i32, out_ptr: i32) -> i32 [ALL] => status shdict::incr;
    shdict_ttl(dict_ptr: i32, dict_len: i32, key_ptr: i32, key_len: i32, out_ptr: i32) -> i32 [ALL] => status shdict::get_ttl;
    shdict_expire(dict_ptr: i32, dict_len: i32, key_ptr: i32, key_len: i32, ttl_ptr: i32) -> i32 [ALL] => status shdict::expire;
    shdict_lpush(dict_ptr: i32, dict_len: i32, key_ptr: i32, key_len: i32, kind: i32, val_ptr: i32, val_len: i32) -> i32 [ALL] => status shdict::lpush;
    shdict_rpush(dict_ptr: i32, dict_len: i32, key_ptr: i32, key_len: i32, kind: i32, val_ptr: i32, val_len: i32) -> i32 [ALL] => status shdict::rpush;
    shdict_lpop(dict_ptr: i32, dict_len: i32, key_ptr: i32, key_len: i32, out_ptr: i32, out_cap: i32, meta_ptr: i32) -> i32 [ALL] => status shdict::lpop;
    shdict_rpop(dict_ptr: i32, dict_len: i32, key_ptr: i32, key_len: i32, out_ptr: i32, out_cap: i32, meta_ptr: i32) -> i32 [ALL] => status shdict::rpop;
    shdict_llen(dict_ptr: i32, dict_len: i32, key_ptr: i32, key_len: i32) -> i32 [ALL] => status shdict::llen;
    shdict_flush_all(dict_ptr: i32, dict_len: i32) -> i32 [ALL] => status shdict::flush_all;
    shdict_flush_expired(dict_ptr: i32, dict_len: i32, max: i32) -> i32 [ALL] => status shdict::flush_expired;
    shdict_capacity(dict_ptr: i32, dict_len: i32, out_ptr: i32) -> i32 [ALL] => status shdict::capacity;
    shdict_free_space(dict_ptr: i32, dict_len: i32, out_ptr: i32) -> i32 [ALL] => status shdict::free_space;
    // waiting (sleep.rs)
    sleep(ms: i32) -> i32 [WAIT] => suspending sleep::start, sleep::finish;
    // timers (timer.rs)
    timer_at(delay_ms: i32, export_ptr: i32, export_len: i32, arg_ptr: i32, arg_len: i32) -> i32 [ALL] => status timer::at;
    timer_every(interval_ms: i32, export_ptr: i32, export_len: i32, arg_ptr: i32, arg_len: i32) -> i32 [ALL] => status timer::every;
    timer_arg(out_ptr: i32, out_cap: i32) -> i32 [TIMER] => status timer::arg;
    timer_pending_count() -> i32 [ALL] => status timer::pending_count;
    timer_running_count() -> i32 [ALL] => status timer::running_count;
});

/// Maps a [`RequestError`] to its status code.
fn status_of(result: Result<(), RequestError>) -> i32 {
    match result {
        Ok(()) => status::OK,
        Err(e) => e.status(),
    }
}

/// Reads the `(name_ptr, name_len)` pair at `a[0..2]` as a header name; `None` if it is not an
/// HTTP token.
fn header_name<'m>(memory: &'m GuestMemory<'_>, a: Args<'_>) -> Result<Option<&'m [u8]>, HostTrap> {
    let name = memory.read(a.i32(0), a.i32(1))?;
    Ok(resp_headers::is_token(name).then_some(name))
}

/// Which header list a getter reads.
#[derive(Clone, Copy)]
enum Headers {
    Request,
    Response,
    /// The response of a finished subrequest, by id.
    Subrequest(usize),
}

fn visit<'r>(req: &'r dyn HostRequest, which: Headers, f: crate::request::HeaderVisitor<'r, '_>) {
    match which {
        Headers::Request => req.request_headers(f),
        Headers::Response => req.response_headers(f),
        Headers::Subrequest(id) => req.subrequest_headers(id, f),
    }
}

/// A getter's output buffer: `(out_ptr, out_cap)`.
#[derive(Clone, Copy)]
struct Out(i32, i32);

/// The values of the `which` headers named `name` (case-insensitive), joined with `", "`,
/// copied to `out` by the getter convention; `NOT_FOUND` if none.
fn get_joined(
    call: &mut HostCall<'_>,
    which: Headers,
    name: &[u8],
    out: Out,
) -> Result<i32, HostTrap> {
    let mut first: Option<&[u8]> = None;
    let mut joined: Option<Vec<u8>> = None;
    visit(&*call.request, which, &mut |n, v| {
        if n.eq_ignore_ascii_case(name) {
            match (first, joined.as_mut()) {
                (None, _) => first = Some(v),
                (Some(f), None) => joined = Some([f, b", ", v].concat()),
                (Some(_), Some(j)) => {
                    j.extend_from_slice(b", ");
                    j.extend_from_slice(v);
                }
            }
        }
        true
    });
    match joined.as_deref().or(first) {
        Some(v) => call.memory.write_out(out.0, out.1, v),
        None => {
            call.memory.write_out(out.0, out.1, b"")?;
            Ok(status::NOT_FOUND)
        }
    }
}

/// Every `which` header as `name\0value\0` pairs, copied to `out` by the getter convention.
fn get_all(call: &mut HostCall<'_>, which: Headers, out: Out) -> Result<i32, HostTrap> {
    let mut pairs = Vec::new();
    visit(&*call.request, which, &mut |n, v| {
        pairs.extend_from_slice(n);
        pairs.push(0);
        pairs.extend_from_slice(v);
        pairs.push(0);
        true
    });
    call.memory.write_out(out.0, out.1, &pairs)
}

#[cfg(test)]
pub(crate) mod fuzz;
#[cfg(test)]
pub(crate) mod tests;
