/*
 * ngx_wasm guest ABI for C guests (clang --target=wasm32).
 *
 * Every function is imported from the "ngx" module; every parameter and result is a 32-bit
 * integer. Pointers are offsets into this module's exported memory ("memory"); a pointer or
 * length outside it traps the guest (the request gets a 500). Functions return a status
 * code (NGX_WASM_OK or a negative NGX_WASM_*); getters return the full length of the value
 * and copy it only if it fits in out_cap, or NGX_WASM_NOT_FOUND when absent.
 * See docs/abi.md. Handlers are exports of type void(void):
 *
 *     NGX_WASM_EXPORT(on_content) void on_content(void) {
 *         ngx_resp_say((const uint8_t *) "hello", 5);
 *     }
 */

#ifndef NGX_WASM_GUEST_ABI_H
#define NGX_WASM_GUEST_ABI_H

#include <stdint.h>

#define NGX_WASM_OK             0
#define NGX_WASM_NOT_FOUND     -1
#define NGX_WASM_BAD_ARGUMENT  -2
#define NGX_WASM_NOT_ALLOWED   -3
#define NGX_WASM_INTERNAL      -4
#define NGX_WASM_TIMEOUT       -5
#define NGX_WASM_CLOSED        -6
#define NGX_WASM_CONNECT_FAILED -7
#define NGX_WASM_RESOLVE_FAILED -8
#define NGX_WASM_TOO_LARGE     -9
#define NGX_WASM_TLS_FAILED    -10
#define NGX_WASM_TLS_VERIFY_FAILED -11
#define NGX_WASM_EXISTS        -12
#define NGX_WASM_NO_MEMORY     -13
#define NGX_WASM_TOO_MANY      -14

#define NGX_WASM_TLS_VERIFY     1

#define NGX_WASM_SUBREQ_WITH_BODY            1
#define NGX_WASM_SUBREQ_COPY_ALL_VARS        2
#define NGX_WASM_SUBREQ_SHARE_ALL_VARS       4
#define NGX_WASM_SUBREQ_ALWAYS_FORWARD_BODY  8
#define NGX_WASM_SUBREQ_MAX_BATCH          500

#define NGX_WASM_LOG_STDERR     0
#define NGX_WASM_LOG_EMERG      1
#define NGX_WASM_LOG_ALERT      2
#define NGX_WASM_LOG_CRIT       3
#define NGX_WASM_LOG_ERR        4
#define NGX_WASM_LOG_WARN       5
#define NGX_WASM_LOG_NOTICE     6
#define NGX_WASM_LOG_INFO       7
#define NGX_WASM_LOG_DEBUG      8

#define NGX_WASM_EXPORT(name) __attribute__((export_name(#name)))
#define NGX_WASM_IMPORT(name) __attribute__((import_module("ngx"), import_name(#name)))

/* writes [wasm] <msg> to the error log at level (request's log context: client, request line); a request's guests may write 1,000 lines or 1 MiB, then one warning says the limit was reached and further lines are dropped [phases: all; returns 0, -2 (unknown level), -3 (log limit reached)] */
__attribute__((import_module("ngx"), import_name("log"))) int32_t ngx_log(int32_t level, const uint8_t *msg, int32_t msg_len);
/* writes nginx's cached time in ms since the epoch (ngx.now()) as a little-endian u64 at out [phases: all; returns 0] */
__attribute__((import_module("ngx"), import_name("now"))) int32_t ngx_now(uint64_t *out);
/* the current phase name (ngx.get_phase()): init_worker, server_rewrite, rewrite, access, content, header_filter, body_filter, log [phases: all; returns length] */
__attribute__((import_module("ngx"), import_name("get_phase"))) int32_t ngx_get_phase(uint8_t *out, int32_t out_cap);
/* this worker's number, 0 to worker_count() - 1 (ngx.worker.id; 0 with master_process off) [phases: all; returns the number] */
__attribute__((import_module("ngx"), import_name("worker_id"))) int32_t ngx_worker_id(void);
/* worker_processes (ngx.worker.count) [phases: all; returns the count] */
__attribute__((import_module("ngx"), import_name("worker_count"))) int32_t ngx_worker_count(void);
/* this process's id (ngx.worker.pid) [phases: all; returns the pid] */
__attribute__((import_module("ngx"), import_name("worker_pid"))) int32_t ngx_worker_pid(void);
/* 1 while the worker shuts down (graceful shutdown, or the old workers of a reload), else 0 (ngx.worker.exiting) [phases: all; returns 0 or 1] */
__attribute__((import_module("ngx"), import_name("worker_exiting"))) int32_t ngx_worker_exiting(void);
/* the request method (GET...) [phases: request; returns length] */
__attribute__((import_module("ngx"), import_name("req_get_method"))) int32_t ngx_req_get_method(uint8_t *out, int32_t out_cap);
/* changes the method to one nginx knows (GET HEAD POST PUT DELETE MKCOL COPY MOVE OPTIONS PROPFIND PROPPATCH LOCK UNLOCK PATCH TRACE) [phases: answer; returns 0, -2 (unknown method)] */
__attribute__((import_module("ngx"), import_name("req_set_method"))) int32_t ngx_req_set_method(const uint8_t *method, int32_t method_len);
/* the decoded, normalized path without arguments ($uri) [phases: request; returns length] */
__attribute__((import_module("ngx"), import_name("req_get_uri"))) int32_t ngx_req_get_uri(uint8_t *out, int32_t out_cap);
/* changes $uri (must start with /, no .. segment); jump = 1 (rewrite phase only) makes nginx choose the location again, like ngx.req.set_uri(uri, true) [phases: answer; returns 0, -2 (not a path, a .. segment, jump not 0/1), -3 (jump outside rewrite)] */
__attribute__((import_module("ngx"), import_name("req_set_uri"))) int32_t ngx_req_set_uri(const uint8_t *uri, int32_t uri_len, int32_t jump);
/* the raw query string without ? ($args) [phases: request; returns length] */
__attribute__((import_module("ngx"), import_name("req_get_query"))) int32_t ngx_req_get_query(uint8_t *out, int32_t out_cap);
/* replaces the query string (ngx.req.set_uri_args) [phases: answer; returns 0, -2 (space, control character or #)] */
__attribute__((import_module("ngx"), import_name("req_set_query"))) int32_t ngx_req_set_query(const uint8_t *query, int32_t query_len);
/* the first query argument named name, both decoded (%XX, +) as ngx.req.get_uri_args() does; an argument without = is empty [phases: request; returns length, -1] */
__attribute__((import_module("ngx"), import_name("req_get_arg"))) int32_t ngx_req_get_arg(const uint8_t *name, int32_t name_len, uint8_t *out, int32_t out_cap);
/* the HTTP version times ten: 9, 10, 11, 20, 30 [phases: request; returns version] */
__attribute__((import_module("ngx"), import_name("req_http_version"))) int32_t ngx_req_http_version(void);
/* 1 if the request came from an internal redirect (exec, error_page...), else 0 [phases: request; returns 0 or 1] */
__attribute__((import_module("ngx"), import_name("req_is_internal"))) int32_t ngx_req_is_internal(void);
/* when the request started, ms since the epoch, as a little-endian u64 at out [phases: request; returns 0] */
__attribute__((import_module("ngx"), import_name("req_start_time"))) int32_t ngx_req_start_time(uint64_t *out);
/* every value of request header name (case-insensitive), joined with ,  [phases: request; returns length, -1] */
__attribute__((import_module("ngx"), import_name("req_get_header"))) int32_t ngx_req_get_header(const uint8_t *name, int32_t name_len, uint8_t *out, int32_t out_cap);
/* every request header, in order, as name\0value\0 pairs [phases: request; returns length] */
__attribute__((import_module("ngx"), import_name("req_get_headers"))) int32_t ngx_req_get_headers(uint8_t *out, int32_t out_cap);
/* replaces every value of request header name; an empty value removes it [phases: answer; returns 0, -2 (bad name or value), -4] */
__attribute__((import_module("ngx"), import_name("req_set_header"))) int32_t ngx_req_set_header(const uint8_t *name, int32_t name_len, const uint8_t *value, int32_t value_len);
/* adds a request header value, keeping earlier ones [phases: answer; returns 0, -2 (bad name, empty or bad value), -4] */
__attribute__((import_module("ngx"), import_name("req_add_header"))) int32_t ngx_req_add_header(const uint8_t *name, int32_t name_len, const uint8_t *value, int32_t value_len);
/* removes every value of request header name [phases: answer; returns 0, -2] */
__attribute__((import_module("ngx"), import_name("req_clear_header"))) int32_t ngx_req_clear_header(const uint8_t *name, int32_t name_len);
/* the value of nginx variable $name (ngx.var.name; names are case-insensitive) [phases: request; returns length, -1 (not set for this request), -2 (no such variable)] */
__attribute__((import_module("ngx"), import_name("var_get"))) int32_t ngx_var_get(const uint8_t *name, int32_t name_len, uint8_t *out, int32_t out_cap);
/* sets $name; the variable must be changeable (declared with set $name ...; or a changeable built-in) [phases: request; returns 0, -2 (no such variable, CR, LF or NUL in the value, or a value of 256 MiB or more, which nginx cannot store), -3 (not changeable), -4] */
__attribute__((import_module("ngx"), import_name("var_set"))) int32_t ngx_var_set(const uint8_t *name, int32_t name_len, const uint8_t *value, int32_t value_len);
/* the length of the request body read before the handler (wasm_need_request_body on) [phases: body; returns length, -1 (no body read)] */
__attribute__((import_module("ngx"), import_name("req_body_len"))) int32_t ngx_req_body_len(void);
/* copies up to out_cap body bytes from offset (from memory or the temporary file) [phases: body; returns bytes copied (0 at the end), -1 (no body read), -2 (negative offset), -4 (file read failed)] */
__attribute__((import_module("ngx"), import_name("req_get_body"))) int32_t ngx_req_get_body(int32_t offset, uint8_t *out, int32_t out_cap);
/* reads and discards the request body (ngx.req.discard_body()) [phases: answer; returns 0, -3 (body already read), -4] */
__attribute__((import_module("ngx"), import_name("req_discard_body"))) int32_t ngx_req_discard_body(void);
/* reads the request body without blocking the worker (ngx.req.read_body); waits while nginx reads it [phases: answer; returns 0, -4 (body refused: the request is answered 413/400)] */
__attribute__((import_module("ngx"), import_name("req_read_body"))) int32_t ngx_req_read_body(void);
/* the response status set so far (ngx.status), 0 if none [phases: request; returns status] */
__attribute__((import_module("ngx"), import_name("resp_get_status"))) int32_t ngx_resp_get_status(void);
/* sets the response status [phases: headers; returns 0, -2 (outside 100..=599), -3 (header sent)] */
__attribute__((import_module("ngx"), import_name("resp_set_status"))) int32_t ngx_resp_set_status(int32_t status);
/* appends to the response body (ngx.print) [phases: answer; returns 0, -3 (after exit/exec/redirect), -4, -9 (past wasm_max_output: the call then fails)] */
__attribute__((import_module("ngx"), import_name("resp_print"))) int32_t ngx_resp_print(const uint8_t *data, int32_t data_len);
/* appends the data and a newline (ngx.say) [phases: answer; returns 0, -3, -4, -9] */
__attribute__((import_module("ngx"), import_name("resp_say"))) int32_t ngx_resp_say(const uint8_t *data, int32_t data_len);
/* sends the header (if not sent) and the body so far (ngx.flush(true)); the response is then streamed (chunked in HTTP/1.1) and its status and headers are fixed; waits while nginx still holds output the client has not taken [phases: answer; returns 0, -3, -4] */
__attribute__((import_module("ngx"), import_name("resp_flush"))) int32_t ngx_resp_flush(void);
/* ngx.exit: 0 ends this handler and the request goes on; 200..=599 finishes the request with that status when the export returns (nginx's page for >= 300 when nothing was printed); return right after [phases: answer; returns 0, -2 (other values), -3 (already finished)] */
__attribute__((import_module("ngx"), import_name("resp_exit"))) int32_t ngx_resp_exit(int32_t status);
/* ngx.redirect: Location: uri with 301, 302, 303, 307 or 308 (0 = 302) when the export returns [phases: answer; returns 0, -2, -3 (header sent or already finished)] */
__attribute__((import_module("ngx"), import_name("resp_redirect"))) int32_t ngx_resp_redirect(const uint8_t *uri, int32_t uri_len, int32_t status);
/* ngx.exec: internal redirect to uri (a path, or @name) with query args when the export returns; a path must be one nginx accepts as safe (no .. segment or NUL, also percent-encoded), and a ?query in it is joined with args by & [phases: answer; returns 0, -2 (unsafe path, not a path or @name, bad args), -3 (header sent or already finished)] */
__attribute__((import_module("ngx"), import_name("req_exec"))) int32_t ngx_req_exec(const uint8_t *uri, int32_t uri_len, const uint8_t *args, int32_t args_len);
/* every value of response header name, joined with ,  (Content-Type and Content-Length included) [phases: request; returns length, -1] */
__attribute__((import_module("ngx"), import_name("resp_get_header"))) int32_t ngx_resp_get_header(const uint8_t *name, int32_t name_len, uint8_t *out, int32_t out_cap);
/* every response header as name\0value\0 pairs [phases: request; returns length] */
__attribute__((import_module("ngx"), import_name("resp_get_headers"))) int32_t ngx_resp_get_headers(uint8_t *out, int32_t out_cap);
/* replaces every value of response header name (ngx.header[name] = value); empty value removes it; Content-Type, Location, Server, Date, Last-Modified, ETag... set nginx's own fields [phases: headers; returns 0, -2, -3 (header sent, or a managed header), -4] */
__attribute__((import_module("ngx"), import_name("resp_set_header"))) int32_t ngx_resp_set_header(const uint8_t *name, int32_t name_len, const uint8_t *value, int32_t value_len);
/* adds a response header value (e.g. another Set-Cookie) [phases: headers; returns 0, -2, -3, -4] */
__attribute__((import_module("ngx"), import_name("resp_add_header"))) int32_t ngx_resp_add_header(const uint8_t *name, int32_t name_len, const uint8_t *value, int32_t value_len);
/* removes every value of response header name; a cleared Server or Date is not replaced by nginx's own, and a cleared Content-Type by no default_type (as ngx.header.X = nil) [phases: headers; returns 0, -2, -3] */
__attribute__((import_module("ngx"), import_name("resp_clear_header"))) int32_t ngx_resp_clear_header(const uint8_t *name, int32_t name_len);
/* the data of the body chunk passing through (ngx.arg[1]) [phases: body_filter; returns length] */
__attribute__((import_module("ngx"), import_name("body_chunk_get"))) int32_t ngx_body_chunk_get(uint8_t *out, int32_t out_cap);
/* replaces the chunk's data (empty drops it); the end-of-stream flag is kept [phases: body_filter; returns 0, -4] */
__attribute__((import_module("ngx"), import_name("body_chunk_set"))) int32_t ngx_body_chunk_set(const uint8_t *data, int32_t data_len);
/* 1 if this chunk ends the response body (ngx.arg[2]), else 0 [phases: body_filter; returns 0 or 1] */
__attribute__((import_module("ngx"), import_name("body_chunk_is_last"))) int32_t ngx_body_chunk_is_last(void);
/* the value stored under key in this request's context (ngx.ctx) [phases: call; returns length, -1] */
__attribute__((import_module("ngx"), import_name("ctx_get"))) int32_t ngx_ctx_get(const uint8_t *key, int32_t key_len, uint8_t *out, int32_t out_cap);
/* stores value under key, for every later phase of this request [phases: call; returns 0, -2 (empty key), -3 (context over 1 MiB)] */
__attribute__((import_module("ngx"), import_name("ctx_set"))) int32_t ngx_ctx_set(const uint8_t *key, int32_t key_len, const uint8_t *value, int32_t value_len);
/* removes key [phases: call; returns 0, -1] */
__attribute__((import_module("ngx"), import_name("ctx_delete"))) int32_t ngx_ctx_delete(const uint8_t *key, int32_t key_len);
/* queues a subrequest for the next ngx_subreq_wait; options: NGX_WASM_SUBREQ_* bits [phases: answer; returns the id, -2, -3] */
__attribute__((import_module("ngx"), import_name("subreq_add"))) int32_t ngx_subreq_add(const uint8_t *method, int32_t method_len, const uint8_t *uri, int32_t uri_len, const uint8_t *args, int32_t args_len, const uint8_t *body, int32_t body_len, int32_t options);
/* issues the queued subrequests in parallel and waits for all (ngx.location.capture_multi) [phases: answer; returns how many] */
__attribute__((import_module("ngx"), import_name("subreq_wait"))) int32_t ngx_subreq_wait(void);
/* the status subrequest id answered [phases: request; returns status, -1] */
__attribute__((import_module("ngx"), import_name("subreq_status"))) int32_t ngx_subreq_status(int32_t id);
/* 1 if subrequest id's body ended early [phases: request; returns 0 or 1, -1] */
__attribute__((import_module("ngx"), import_name("subreq_truncated"))) int32_t ngx_subreq_truncated(int32_t id);
/* every value of response header name of subrequest id, joined with ", " [phases: request; returns length, -1] */
__attribute__((import_module("ngx"), import_name("subreq_header"))) int32_t ngx_subreq_header(int32_t id, const uint8_t *name, int32_t name_len, uint8_t *out, int32_t out_cap);
/* every response header of subrequest id as name\0value\0 pairs [phases: request; returns length, -1] */
__attribute__((import_module("ngx"), import_name("subreq_headers"))) int32_t ngx_subreq_headers(int32_t id, uint8_t *out, int32_t out_cap);
/* the body subrequest id answered [phases: request; returns length, -1] */
__attribute__((import_module("ngx"), import_name("subreq_body"))) int32_t ngx_subreq_body(int32_t id, uint8_t *out, int32_t out_cap);
/* connects to host:port (unix:/path ignores the port) through nginx's event loop; a name goes through nginx's resolver; an idle pooled connection to the same host and port is reused. [phases: wait; returns the socket id, -2, -5 (timeout), -7 (refused, unreachable), -8 (not resolved / no resolver), -3 (64 sockets open)] */
__attribute__((import_module("ngx"), import_name("sock_connect"))) int32_t ngx_sock_connect(const uint8_t *host, int32_t host_len, int32_t port, int32_t timeout_ms);
/* a TLS handshake on socket id, as its client (sslhandshake): name (may be empty; at most 255 bytes) is sent as SNI; flags bit 1 (verify) checks the certificate chain against wasm_socket_ssl_trusted_certificate and the name against the certificate. Later sends and receives are encrypted; a pooled TLS connection is reused as one (verified again). [phases: wait; returns 0, -1, -2, -5 (timeout), -6 (closed), -10 (handshake failed), -11 (certificate refused)] */
__attribute__((import_module("ngx"), import_name("sock_sslhandshake"))) int32_t ngx_sock_sslhandshake(int32_t id, const uint8_t *name, int32_t name_len, int32_t flags, int32_t timeout_ms);
/* sends every byte of data (timeout_ms -1: wasm_socket_send_timeout). [phases: wait; returns data_len, -1 (no such socket), -5, -6 (closed)] */
__attribute__((import_module("ngx"), import_name("sock_send"))) int32_t ngx_sock_send(int32_t id, const uint8_t *data, int32_t data_len, int32_t timeout_ms);
/* receives by mode: 0 exactly n bytes, 1 a line of at most n bytes (without \r\n), 2 everything until the peer closes (at most n), 3 whatever has arrived (1 to n bytes); the piece is copied by the getter convention. [phases: wait; returns length, -1, -2, -5, -6 (closed first), -9 (longer than n)] */
__attribute__((import_module("ngx"), import_name("sock_receive"))) int32_t ngx_sock_receive(int32_t id, int32_t mode, int32_t n, int32_t timeout_ms, uint8_t *out, int32_t out_cap);
/* receives everything before pattern (consumed), at most max bytes. [phases: wait; returns length, -1, -2, -5, -6, -9] */
__attribute__((import_module("ngx"), import_name("sock_receive_until"))) int32_t ngx_sock_receive_until(int32_t id, const uint8_t *pattern, int32_t pattern_len, int32_t max, int32_t timeout_ms, uint8_t *out, int32_t out_cap);
/* the last piece socket id received, again. [phases: call; returns length, -1] */
__attribute__((import_module("ngx"), import_name("sock_received"))) int32_t ngx_sock_received(int32_t id, uint8_t *out, int32_t out_cap);
/* closes socket id. [phases: call; returns 0, -1, -3 (an operation in progress)] */
__attribute__((import_module("ngx"), import_name("sock_close"))) int32_t ngx_sock_close(int32_t id);
/* puts the connection into this worker's keepalive pool for its host and port (timeout_ms -1: 60 s idle; pool_size -1: 30); the id is free afterwards. [phases: call; returns 0, -1, -3 (unread data: closed instead), -6] */
__attribute__((import_module("ngx"), import_name("sock_setkeepalive"))) int32_t ngx_sock_setkeepalive(int32_t id, int32_t timeout_ms, int32_t pool_size);
/* how many times the connection came from the keepalive pool. [phases: call; returns count, -1] */
__attribute__((import_module("ngx"), import_name("sock_reused"))) int32_t ngx_sock_reused(int32_t id);
/* the value of key in zone dict by the getter convention; its kind (1 bytes, 2 f64, 3 i64, 4 bool, 5 a list: then -2), flags and 0 are written to meta_ptr as three little-endian u32 (12 bytes) [phases: all; returns length, -1 (absent or expired), -2 (unknown zone, key empty or over 65,535 bytes)] */
__attribute__((import_module("ngx"), import_name("shdict_get"))) int32_t ngx_shdict_get(const uint8_t *dict, int32_t dict_len, const uint8_t *key, int32_t key_len, uint8_t *out, int32_t out_cap, uint8_t *meta);
/* as shdict_get, but an expired entry not freed yet is returned too (get_stale); the third u32 at meta_ptr is 1 when the value is stale [phases: all; returns length, -1 (absent), -2] */
__attribute__((import_module("ngx"), import_name("shdict_get_stale"))) int32_t ngx_shdict_get_stale(const uint8_t *dict, int32_t dict_len, const uint8_t *key, int32_t key_len, uint8_t *out, int32_t out_cap, uint8_t *meta);
/* the keys of live entries (at most max, 0: all), most recently used first, by the getter convention, each as a little-endian u32 length then its bytes; the zone is locked while it is scanned, as with OpenResty's get_keys [phases: all; returns length, -2] */
__attribute__((import_module("ngx"), import_name("shdict_get_keys"))) int32_t ngx_shdict_get_keys(const uint8_t *dict, int32_t dict_len, int32_t max, uint8_t *out, int32_t out_cap);
/* stores the value (f64/i64 as 8 little-endian bytes, bool as 1 byte) as the 24 bytes at opts_ptr say: kind: u32, flags: u32, op: u32 (0 set, 1 safe_set, 2 add, 3 safe_add, 4 replace), 4 zero bytes, ttl_ms: u64 (0: never expires) [phases: all; returns 0, 1 (stored after evicting live entries: forcible), -1 (replace: absent), -2, -12 (add: exists), -13 (no memory)] */
__attribute__((import_module("ngx"), import_name("shdict_set"))) int32_t ngx_shdict_set(const uint8_t *dict, int32_t dict_len, const uint8_t *key, int32_t key_len, const uint8_t *value, int32_t val_len, const uint8_t *opts);
/* removes key [phases: all; returns 0, -2] */
__attribute__((import_module("ngx"), import_name("shdict_delete"))) int32_t ngx_shdict_delete(const uint8_t *dict, int32_t dict_len, const uint8_t *key, int32_t key_len);
/* adds n to the number at key and writes the result (f64) to out_ptr; the 32 bytes at args_ptr: n: f64, init: f64, init_ttl_ms: u64, options: u32 (1: an absent key starts at init), 4 zero bytes [phases: all; returns 0, 1 (forcible), -1 (absent, no init), -2 (not a number, bad arguments), -13] */
__attribute__((import_module("ngx"), import_name("shdict_incr"))) int32_t ngx_shdict_incr(const uint8_t *dict, int32_t dict_len, const uint8_t *key, int32_t key_len, const uint8_t *args, uint8_t *out);
/* writes the milliseconds key has left (i64; 0: never expires) to out_ptr [phases: all; returns 0, -1 (absent or expired), -2] */
__attribute__((import_module("ngx"), import_name("shdict_ttl"))) int32_t ngx_shdict_ttl(const uint8_t *dict, int32_t dict_len, const uint8_t *key, int32_t key_len, uint8_t *out);
/* sets the time key has left to the u64 of milliseconds at ttl_ptr (0: never expires) [phases: all; returns 0, -1 (absent or expired), -2] */
__attribute__((import_module("ngx"), import_name("shdict_expire"))) int32_t ngx_shdict_expire(const uint8_t *dict, int32_t dict_len, const uint8_t *key, int32_t key_len, const uint8_t *ttl_ms);
/* pushes a value (kind 1 bytes, or 2 an f64 of 8 bytes) at the head of the list at key, creating it (lpush) [phases: all; returns the new length, -2 (the key holds no list, bad value), -13] */
__attribute__((import_module("ngx"), import_name("shdict_lpush"))) int32_t ngx_shdict_lpush(const uint8_t *dict, int32_t dict_len, const uint8_t *key, int32_t key_len, int32_t kind, const uint8_t *value, int32_t val_len);
/* as shdict_lpush, at the tail (rpush) [phases: all; returns the new length, -2, -13] */
__attribute__((import_module("ngx"), import_name("shdict_rpush"))) int32_t ngx_shdict_rpush(const uint8_t *dict, int32_t dict_len, const uint8_t *key, int32_t key_len, int32_t kind, const uint8_t *value, int32_t val_len);
/* pops the head of the list at key by the getter convention (a value longer than out_cap is not popped: ask again with the length returned), kind and flags to meta_ptr; an emptied list is removed (lpop) [phases: all; returns length, -1 (absent or empty), -2 (not a list)] */
__attribute__((import_module("ngx"), import_name("shdict_lpop"))) int32_t ngx_shdict_lpop(const uint8_t *dict, int32_t dict_len, const uint8_t *key, int32_t key_len, uint8_t *out, int32_t out_cap, uint8_t *meta);
/* as shdict_lpop, at the tail (rpop) [phases: all; returns length, -1, -2] */
__attribute__((import_module("ngx"), import_name("shdict_rpop"))) int32_t ngx_shdict_rpop(const uint8_t *dict, int32_t dict_len, const uint8_t *key, int32_t key_len, uint8_t *out, int32_t out_cap, uint8_t *meta);
/* the length of the list at key, 0 when absent (llen) [phases: all; returns length, -2 (not a list)] */
__attribute__((import_module("ngx"), import_name("shdict_llen"))) int32_t ngx_shdict_llen(const uint8_t *dict, int32_t dict_len, const uint8_t *key, int32_t key_len);
/* every entry of the zone expires now (its memory is reused as needed) [phases: all; returns 0, -2] */
__attribute__((import_module("ngx"), import_name("shdict_flush_all"))) int32_t ngx_shdict_flush_all(const uint8_t *dict, int32_t dict_len);
/* frees up to max expired entries (0: all) [phases: all; returns how many, -2] */
__attribute__((import_module("ngx"), import_name("shdict_flush_expired"))) int32_t ngx_shdict_flush_expired(const uint8_t *dict, int32_t dict_len, int32_t max);
/* writes the zone's size in bytes (u64, from wasm_shared_dict) to out_ptr [phases: all; returns 0, -2] */
__attribute__((import_module("ngx"), import_name("shdict_capacity"))) int32_t ngx_shdict_capacity(const uint8_t *dict, int32_t dict_len, uint8_t *out);
/* writes the bytes of the zone's free pages (u64; a small entry may still fit in a used page when this is 0) to out_ptr [phases: all; returns 0, -2] */
__attribute__((import_module("ngx"), import_name("shdict_free_space"))) int32_t ngx_shdict_free_space(const uint8_t *dict, int32_t dict_len, uint8_t *out);
/* suspends the call for ms milliseconds on an nginx timer (ngx.sleep); 0 waits for the next event loop turn [phases: wait; returns 0, -2 (negative ms), -3] */
__attribute__((import_module("ngx"), import_name("sleep"))) int32_t ngx_sleep(int32_t ms);
/* runs the calling module's export (of type void(void)) once, delay_ms ms from now, outside any request (ngx.timer.at); the run reads arg with ngx_timer_arg [phases: all; returns 0, -2 (negative delay, unknown export, arg over 64 KiB), -3 (exiting), -14 (too many pending)] */
__attribute__((import_module("ngx"), import_name("timer_at"))) int32_t ngx_timer_at(int32_t delay_ms, const uint8_t *export_name, int32_t export_len, const uint8_t *arg, int32_t arg_len);
/* as ngx_timer_at, then again every interval_ms (> 0) until the worker exits (ngx.timer.every) [phases: all; returns 0, -2, -3, -14] */
__attribute__((import_module("ngx"), import_name("timer_every"))) int32_t ngx_timer_every(int32_t interval_ms, const uint8_t *export_name, int32_t export_len, const uint8_t *arg, int32_t arg_len);
/* the argument the running timer was added with [phases: timer; returns length] */
__attribute__((import_module("ngx"), import_name("timer_arg"))) int32_t ngx_timer_arg(uint8_t *out, int32_t out_cap);
/* timers of this worker waiting to run (ngx.timer.pending_count) [phases: all; returns the count] */
__attribute__((import_module("ngx"), import_name("timer_pending_count"))) int32_t ngx_timer_pending_count(void);
/* timer runs of this worker in progress, waiting ones included (ngx.timer.running_count) [phases: all; returns the count] */
__attribute__((import_module("ngx"), import_name("timer_running_count"))) int32_t ngx_timer_running_count(void);

#endif /* NGX_WASM_GUEST_ABI_H */
