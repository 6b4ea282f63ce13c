//! The Proxy-Wasm ABI 0.2.1 (import module `env`): what filters built with the Proxy-Wasm
//! SDKs (Rust `proxy-wasm`, Go, C++, AssemblyScript) import.
//!
//! Every function of the 0.2.1 specification is registered, so any filter links; the ones
//! this host does not provide yet trap with their name ([`missing`]). Functions answer the
//! ABI's own status codes ([`status`]), never the `ngx` ABI's. Where a function hands data
//! to the guest (a header value, a buffer, a property), the engine calls the module's
//! allocator (`proxy_on_memory_allocate`, see [`super::Give`]). Host functions map onto the
//! same [`crate::HostRequest`] as the `ngx` ABI, with the same checks: a header name must be a
//! token, a value has no CR, LF or NUL, a path or query passes the checks `req_set_uri` and
//! `req_set_query` apply. `docs/proxy-wasm.md` lists each function.
//!
//! * [`log`]: logging, the log level, the current time;
//! * [`headers`]: the header maps (request, response; trailers are empty);
//! * [`buffers`]: the plugin and VM configuration, the response body chunk;
//! * [`properties`]: the Envoy-style properties and `ngx.<variable>`;
//! * [`stream`]: local responses, continue and close, contexts.

mod buffers;
#[cfg(test)]
mod fuzz;
mod headers;
mod log;
mod missing;
mod properties;
mod stream;
#[cfg(test)]
mod tests;

use super::{host_abi, HostAbi};
use crate::error::HostTrap;
use crate::memory::{u32_at, GuestMemory};

/// The status codes of the Proxy-Wasm ABI (`proxy_status_t`).
pub mod status {
    /// Success.
    pub const OK: i32 = 0;
    /// What was asked for does not exist.
    pub const NOT_FOUND: i32 = 1;
    /// An argument is invalid here.
    pub const BAD_ARGUMENT: i32 = 2;
    /// A serialized map could not be read.
    pub const SERIALIZATION_FAILURE: i32 = 3;
    /// Nothing to return.
    pub const EMPTY: i32 = 7;
    /// The compare-and-swap value does not match.
    pub const CAS_MISMATCH: i32 = 8;
    /// The host failed.
    pub const INTERNAL_FAILURE: i32 = 10;
    /// The host does not implement it.
    pub const UNIMPLEMENTED: i32 = 12;
}

/// The `env` ABI, in the order of the Proxy-Wasm 0.2.1 specification.
pub static PROXY_WASM: HostAbi = host_abi!("env", {
    proxy_log(level: i32, msg_ptr: i32, msg_len: i32) -> i32 [ALL] => status log::log;
    proxy_get_log_level(level_out: i32) -> i32 [ALL] => status log::get_level;
    proxy_get_current_time_nanoseconds(time_out: i32) -> i32 [ALL] => status log::current_time;
    proxy_set_tick_period_milliseconds(period: i32) -> i32 [ALL] => status missing::trap;
    proxy_get_buffer_bytes(buffer_type: i32, start: i32, max_size: i32, ptr_out: i32, len_out: i32) -> i32 [ALL] => giving buffers::get;
    proxy_set_buffer_bytes(buffer_type: i32, start: i32, size: i32, data_ptr: i32, data_len: i32) -> i32 [ALL] => status buffers::set;
    proxy_get_buffer_status(buffer_type: i32, len_out: i32, flags_out: i32) -> i32 [ALL] => status buffers::status;
    proxy_get_header_map_pairs(map_type: i32, ptr_out: i32, len_out: i32) -> i32 [ALL] => giving headers::get_pairs;
    proxy_set_header_map_pairs(map_type: i32, map_ptr: i32, map_len: i32) -> i32 [ALL] => status headers::set_pairs;
    proxy_get_header_map_value(map_type: i32, key_ptr: i32, key_len: i32, ptr_out: i32, len_out: i32) -> i32 [ALL] => giving headers::get_value;
    proxy_remove_header_map_value(map_type: i32, key_ptr: i32, key_len: i32) -> i32 [ALL] => status headers::remove;
    proxy_replace_header_map_value(map_type: i32, key_ptr: i32, key_len: i32, value_ptr: i32, value_len: i32) -> i32 [ALL] => status headers::replace;
    proxy_add_header_map_value(map_type: i32, key_ptr: i32, key_len: i32, value_ptr: i32, value_len: i32) -> i32 [ALL] => status headers::add;
    proxy_get_header_map_size(map_type: i32, size_out: i32) -> i32 [ALL] => status headers::size;
    proxy_get_property(path_ptr: i32, path_len: i32, ptr_out: i32, len_out: i32) -> i32 [ALL] => giving properties::get;
    proxy_set_property(path_ptr: i32, path_len: i32, value_ptr: i32, value_len: i32) -> i32 [ALL] => status properties::set;
    proxy_get_shared_data(key_ptr: i32, key_len: i32, ptr_out: i32, len_out: i32, cas_out: i32) -> i32 [ALL] => status missing::trap;
    proxy_set_shared_data(key_ptr: i32, key_len: i32, value_ptr: i32, value_len: i32, cas: i32) -> i32 [ALL] => status missing::trap;
    proxy_register_shared_queue(name_ptr: i32, name_len: i32, id_out: i32) -> i32 [ALL] => status missing::trap;
    proxy_resolve_shared_queue(vm_id_ptr: i32, vm_id_len: i32, name_ptr: i32, name_len: i32, id_out: i32) -> i32 [ALL] => status missing::trap;
    proxy_dequeue_shared_queue(queue_id: i32, ptr_out: i32, len_out: i32) -> i32 [ALL] => status missing::trap;
    proxy_enqueue_shared_queue(queue_id: i32, value_ptr: i32, value_len: i32) -> i32 [ALL] => status missing::trap;
    proxy_continue_stream(stream_type: i32) -> i32 [ALL] => status stream::continue_stream;
    proxy_close_stream(stream_type: i32) -> i32 [ALL] => status stream::close_stream;
    proxy_continue_request() -> i32 [ALL] => status stream::continue_legacy;
    proxy_continue_response() -> i32 [ALL] => status stream::continue_legacy;
    proxy_clear_route_cache() -> i32 [ALL] => status stream::clear_route_cache;
    proxy_send_local_response(status_code: i32, details_ptr: i32, details_len: i32, body_ptr: i32, body_len: i32, headers_ptr: i32, headers_len: i32, grpc_status: i32) -> i32 [ALL] => status stream::send_local_response;
    proxy_http_call(upstream_ptr: i32, upstream_len: i32, headers_ptr: i32, headers_len: i32, body_ptr: i32, body_len: i32, trailers_ptr: i32, trailers_len: i32, timeout_ms: i32, token_out: i32) -> i32 [ALL] => status missing::trap;
    proxy_grpc_call(upstream_ptr: i32, upstream_len: i32, service_ptr: i32, service_len: i32, method_ptr: i32, method_len: i32, metadata_ptr: i32, metadata_len: i32, message_ptr: i32, message_len: i32, timeout_ms: i32, token_out: i32) -> i32 [ALL] => status missing::trap;
    proxy_grpc_stream(upstream_ptr: i32, upstream_len: i32, service_ptr: i32, service_len: i32, method_ptr: i32, method_len: i32, metadata_ptr: i32, metadata_len: i32, token_out: i32) -> i32 [ALL] => status missing::trap;
    proxy_grpc_send(token: i32, message_ptr: i32, message_len: i32, end_stream: i32) -> i32 [ALL] => status missing::trap;
    proxy_grpc_cancel(token: i32) -> i32 [ALL] => status missing::trap;
    proxy_grpc_close(token: i32) -> i32 [ALL] => status missing::trap;
    proxy_get_status(code_out: i32, ptr_out: i32, len_out: i32) -> i32 [ALL] => status missing::trap;
    proxy_set_effective_context(context_id: i32) -> i32 [ALL] => status stream::set_effective_context;
    proxy_done() -> i32 [ALL] => status stream::done;
    proxy_call_foreign_function(name_ptr: i32, name_len: i32, args_ptr: i32, args_len: i32, ptr_out: i32, len_out: i32) -> i32 [ALL] => status missing::trap;
    proxy_define_metric(metric_type: i32, name_ptr: i32, name_len: i32, id_out: i32) -> i32 [ALL] => status missing::trap;
    proxy_increment_metric(metric_id: i32, offset: i64) -> i32 [ALL] => status missing::trap;
    proxy_record_metric(metric_id: i32, value: i64) -> i32 [ALL] => status missing::trap;
    proxy_get_metric(metric_id: i32, value_out: i32) -> i32 [ALL] => status missing::trap;
});

/// The callbacks a filter exports, as this host calls them (for messages and checks).
pub mod callbacks {
    /// `(context_id, parent_context_id)`.
    pub const CONTEXT_CREATE: &str = "proxy_on_context_create";
    /// `(root_context_id, vm_configuration_size) -> bool`.
    pub const VM_START: &str = "proxy_on_vm_start";
    /// `(root_context_id, plugin_configuration_size) -> bool`.
    pub const CONFIGURE: &str = "proxy_on_configure";
    /// `(context_id, num_headers, end_of_stream) -> action`.
    pub const REQUEST_HEADERS: &str = "proxy_on_request_headers";
    /// `(context_id, num_headers, end_of_stream) -> action`.
    pub const RESPONSE_HEADERS: &str = "proxy_on_response_headers";
    /// `(context_id, body_size, end_of_stream) -> action`.
    pub const RESPONSE_BODY: &str = "proxy_on_response_body";
    /// `(context_id)`.
    pub const LOG: &str = "proxy_on_log";
    /// `(context_id) -> bool`.
    pub const DONE: &str = "proxy_on_done";
    /// `(context_id)`.
    pub const DELETE: &str = "proxy_on_delete";
    /// The export that marks a module as a Proxy-Wasm 0.2.x filter (any of these).
    pub const ABI_VERSIONS: [&str; 2] = ["proxy_abi_version_0_2_1", "proxy_abi_version_0_2_0"];
}

/// A Proxy-Wasm serialized map: `count: u32`, then `count` pairs of `(key_len: u32,
/// value_len: u32)`, then each key and value followed by a NUL. `None` if `bytes` is not one
/// (lengths past the end, a missing NUL).
pub(crate) fn parse_pairs(bytes: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    if bytes.len() < 4 {
        return if bytes.is_empty() {
            Some(Vec::new())
        } else {
            None
        };
    }
    let count = u32_at(bytes, 0) as usize;
    let mut at = 4usize.checked_add(count.checked_mul(8)?)?;
    if at > bytes.len() {
        return None;
    }
    let mut pairs = Vec::with_capacity(count);
    for n in 0..count {
        let klen = u32_at(bytes, 4 + n * 8) as usize;
        let vlen = u32_at(bytes, 8 + n * 8) as usize;
        let key = bytes.get(at..at.checked_add(klen)?)?;
        at += klen;
        if bytes.get(at) != Some(&0) {
            return None;
        }
        at += 1;
        let value = bytes.get(at..at.checked_add(vlen)?)?;
        at += vlen;
        if bytes.get(at) != Some(&0) {
            return None;
        }
        at += 1;
        pairs.push((key, value));
    }
    Some(pairs)
}

/// Serializes `pairs` as a Proxy-Wasm map (the inverse of [`parse_pairs`]).
pub(crate) fn serialize_pairs(pairs: &[(&[u8], &[u8])]) -> Vec<u8> {
    let size = 4 + pairs
        .iter()
        .map(|(k, v)| k.len() + v.len() + 10)
        .sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (k, v) in pairs {
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    }
    for (k, v) in pairs {
        out.extend_from_slice(k);
        out.push(0);
        out.extend_from_slice(v);
        out.push(0);
    }
    out
}

/// Writes a `u32` answer at `ptr`.
fn write_u32(memory: &mut GuestMemory<'_>, ptr: i32, value: u32) -> Result<(), HostTrap> {
    memory.write(ptr, &value.to_le_bytes())
}

/// The Proxy-Wasm status of a request operation's result.
fn status_of(result: Result<(), crate::error::RequestError>) -> i32 {
    use crate::error::RequestError;
    match result {
        Ok(()) => status::OK,
        Err(RequestError::NotFound) => status::NOT_FOUND,
        Err(RequestError::BadArgument | RequestError::NotAllowed | RequestError::TooLarge) => {
            status::BAD_ARGUMENT
        }
        Err(_) => status::INTERNAL_FAILURE,
    }
}
