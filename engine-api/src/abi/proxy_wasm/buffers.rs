//! Buffers: the plugin configuration (the `proxy_wasm` directive's second argument), the
//! VM configuration (always empty here), the request body that was read, and the response
//! body chunk passing through the body filter, which a filter may replace.

use super::{status, status_of, write_u32};
use crate::abi::{Args, Give, HostCall};
use crate::error::HostTrap;

/// Proxy-Wasm buffer types.
const REQUEST_BODY: i32 = 0;
const RESPONSE_BODY: i32 = 1;
const VM_CONFIGURATION: i32 = 6;
const PLUGIN_CONFIGURATION: i32 = 7;

/// The whole of buffer `ty` now, `None` when it does not exist here.
fn contents(call: &mut HostCall<'_>, ty: i32) -> Option<Vec<u8>> {
    let request = &mut *call.request;
    match ty {
        PLUGIN_CONFIGURATION => request
            .proxy_filter()
            .map(|f| f.config.to_vec())
            .filter(|c| !c.is_empty()),
        VM_CONFIGURATION => None,
        RESPONSE_BODY => request.body_chunk().ok().map(<[u8]>::to_vec),
        REQUEST_BODY => {
            let len = request.body_len()?;
            let mut body = vec![0; len];
            let n = request.read_body(0, &mut body).ok()?;
            body.truncate(n);
            Some(body)
        }
        _ => None,
    }
}

/// `proxy_get_buffer_bytes(buffer_type, start, max_size, ptr_out, len_out) -> status`: at
/// most `max_size` bytes of the buffer from `start`; `NotFound` for a buffer that does not
/// exist here (an SDK reads it as none).
pub(super) fn get(call: &mut HostCall<'_>, a: Args<'_>) -> Result<Give, HostTrap> {
    let (start, max) = (a.i32(1) as u32 as usize, a.i32(2) as u32 as usize);
    let Some(all) = contents(call, a.i32(0)) else {
        return Ok(Give::Status(status::NOT_FOUND));
    };
    let from = start.min(all.len());
    let to = from.saturating_add(max).min(all.len());
    Ok(Give::Bytes {
        bytes: all[from..to].to_vec(),
        ptr_out: a.i32(3),
        len_out: a.i32(4),
    })
}

/// `proxy_set_buffer_bytes(buffer_type, start, size, data_ptr, data_len) -> status`:
/// replaces `size` bytes of the response body chunk from `start` with the data (`start` at
/// the end appends; `size` past the end replaces the rest). Only the response body chunk,
/// in the body filter, can change here.
pub(super) fn set(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let data = call.memory.read(a.i32(3), a.i32(4))?;
    if a.i32(0) != RESPONSE_BODY {
        return Ok(status::BAD_ARGUMENT);
    }
    let Ok(chunk) = call.request.body_chunk() else {
        return Ok(status::BAD_ARGUMENT);
    };
    let (start, size) = (a.i32(1) as u32 as usize, a.i32(2) as u32 as usize);
    let from = start.min(chunk.len());
    let to = from.saturating_add(size).min(chunk.len());
    let mut new = Vec::with_capacity(chunk.len() - (to - from) + data.len());
    new.extend_from_slice(&chunk[..from]);
    new.extend_from_slice(data);
    new.extend_from_slice(&chunk[to..]);
    Ok(status_of(call.request.set_body_chunk(&new)))
}

/// `proxy_get_buffer_status(buffer_type, len_out, flags_out) -> status`: the buffer's length,
/// and flags 1 when it is the end of the stream (the last response body chunk).
pub(super) fn status(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let ty = a.i32(0);
    let Some(all) = contents(call, ty) else {
        return Ok(status::NOT_FOUND);
    };
    let last = ty != RESPONSE_BODY || call.request.body_chunk_is_last();
    write_u32(&mut call.memory, a.i32(1), all.len() as u32)?;
    write_u32(&mut call.memory, a.i32(2), u32::from(last))?;
    Ok(status::OK)
}
