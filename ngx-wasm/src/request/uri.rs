//! URIs a guest hands to nginx (internal redirects and subrequests), checked with nginx's own
//! rules before nginx acts on them.

use engine_api::RequestError;
use ngx::core::Status;
use ngx::ffi::{ngx_http_parse_unsafe_uri, ngx_http_request_t, ngx_str_t, ngx_uint_t};

use super::bytes;

/// nginx's `NGX_HTTP_LOG_UNSAFE`: `ngx_http_parse_unsafe_uri` logs what it refuses.
const LOG_UNSAFE: ngx_uint_t = 1;

/// Checks a guest's URI as `ngx.exec` and `ngx.location.capture` do, through
/// `ngx_http_parse_unsafe_uri`: it must start with `/`, hold no control character, no NUL
/// (also percent-encoded) and no `..` segment (also percent-encoded); nginx logs
/// `unsafe URI "..." was detected` for what it refuses. Returns the path (percent-decoded when
/// it held an escape, as nginx's own redirects are) and the query: the URI's own, joined with
/// `extra` by `&`.
pub fn check(
    r: &mut ngx_http_request_t,
    uri: &[u8],
    extra: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), RequestError> {
    if uri.first() != Some(&b'/') || uri.iter().any(|&c| c < b' ' || c == 0x7f) {
        return Err(RequestError::BadArgument);
    }
    let mut copy = uri.to_vec();
    let mut path = ngx_str_t {
        len: copy.len(),
        data: copy.as_mut_ptr(),
    };
    let mut args = ngx_str_t {
        len: 0,
        data: std::ptr::null_mut(),
    };
    let mut flags: ngx_uint_t = LOG_UNSAFE;
    // SAFETY: path points at `copy`, alive for the call; nginx reads it, points args into it,
    // and puts a decoded copy (if any) in the request's pool.
    let rc = unsafe { ngx_http_parse_unsafe_uri(r, &mut path, &mut args, &mut flags) };
    if rc != Status::NGX_OK.0 {
        return Err(RequestError::BadArgument);
    }
    let mut query = bytes(&args).to_vec();
    let path = bytes(&path).to_vec();
    if !extra.is_empty() {
        if !query.is_empty() {
            query.push(b'&');
        }
        query.extend_from_slice(extra);
    }
    Ok((path, query))
}
