//! Raw imports from the `ngx` module, exactly as `docs/abi.md` and `ngx_wasm_guest_abi.h`
//! declare them; a test in the host (`engine-api/tests/abi_bindings.rs`) checks every
//! declaration against the host's table. Prefer the safe modules of this crate.

#[link(wasm_import_module = "ngx")]
extern "C" {
    /// writes `[wasm] <msg>` to the error log at `level` (request's log context: client, request line); a request's guests may write 1,000 lines or 1 MiB, then one warning says the limit was reached and further lines are dropped.
    ///
    /// Phases: all. Returns: 0, -2 (unknown level), -3 (log limit reached).
    pub fn log(level: i32, msg: *const u8, msg_len: i32) -> i32;
    /// writes nginx's cached time in ms since the epoch (`ngx.now()`) as a little-endian u64 at `out`.
    ///
    /// Phases: all. Returns: 0.
    pub fn now(out: *mut u64) -> i32;
    /// the current phase name (`ngx.get_phase()`): `init_worker`, `server_rewrite`, `rewrite`, `access`, `content`, `header_filter`, `body_filter`, `log`.
    ///
    /// Phases: all. Returns: length.
    pub fn get_phase(out: *mut u8, out_cap: i32) -> i32;
    /// this worker's number, 0 to `worker_count() - 1` (`ngx.worker.id`; 0 with `master_process off`).
    ///
    /// Phases: all. Returns: the number.
    pub fn worker_id() -> i32;
    /// `worker_processes` (`ngx.worker.count`).
    ///
    /// Phases: all. Returns: the count.
    pub fn worker_count() -> i32;
    /// this process's id (`ngx.worker.pid`).
    ///
    /// Phases: all. Returns: the pid.
    pub fn worker_pid() -> i32;
    /// 1 while the worker shuts down (graceful shutdown, or the old workers of a reload), else 0 (`ngx.worker.exiting`).
    ///
    /// Phases: all. Returns: 0 or 1.
    pub fn worker_exiting() -> i32;
    /// the request method (`GET`...).
    ///
    /// Phases: request. Returns: length.
    pub fn req_get_method(out: *mut u8, out_cap: i32) -> i32;
    /// changes the method to one nginx knows (GET HEAD POST PUT DELETE MKCOL COPY MOVE OPTIONS PROPFIND PROPPATCH LOCK UNLOCK PATCH TRACE).
    ///
    /// Phases: answer. Returns: 0, -2 (unknown method).
    pub fn req_set_method(method: *const u8, method_len: i32) -> i32;
    /// the decoded, normalized path without arguments (`$uri`).
    ///
    /// Phases: request. Returns: length.
    pub fn req_get_uri(out: *mut u8, out_cap: i32) -> i32;
    /// changes `$uri` (must start with `/`, no `..` segment); `jump` = 1 (rewrite phase only) makes nginx choose the location again, like `ngx.req.set_uri(uri, true)`.
    ///
    /// Phases: answer. Returns: 0, -2 (not a path, a `..` segment, jump not 0/1), -3 (jump outside rewrite).
    pub fn req_set_uri(uri: *const u8, uri_len: i32, jump: i32) -> i32;
    /// the raw query string without `?` (`$args`).
    ///
    /// Phases: request. Returns: length.
    pub fn req_get_query(out: *mut u8, out_cap: i32) -> i32;
    /// replaces the query string (`ngx.req.set_uri_args`).
    ///
    /// Phases: answer. Returns: 0, -2 (space, control character or `#`).
    pub fn req_set_query(query: *const u8, query_len: i32) -> i32;
    /// the first query argument named `name`, both decoded (`%XX`, `+`) as `ngx.req.get_uri_args()` does; an argument without `=` is empty.
    ///
    /// Phases: request. Returns: length, -1.
    pub fn req_get_arg(name: *const u8, name_len: i32, out: *mut u8, out_cap: i32) -> i32;
    /// the HTTP version times ten: 9, 10, 11, 20, 30.
    ///
    /// Phases: request. Returns: version.
    pub fn req_http_version() -> i32;
    /// 1 if the request came from an internal redirect (`exec`, `error_page`...), else 0.
    ///
    /// Phases: request. Returns: 0 or 1.
    pub fn req_is_internal() -> i32;
    /// when the request started, ms since the epoch, as a little-endian u64 at `out`.
    ///
    /// Phases: request. Returns: 0.
    pub fn req_start_time(out: *mut u64) -> i32;
    /// every value of request header `name` (case-insensitive), joined with `, `.
    ///
    /// Phases: request. Returns: length, -1.
    pub fn req_get_header(name: *const u8, name_len: i32, out: *mut u8, out_cap: i32) -> i32;
    /// every request header, in order, as `name\\0value\\0` pairs.
    ///
    /// Phases: request. Returns: length.
    pub fn req_get_headers(out: *mut u8, out_cap: i32) -> i32;
    /// replaces every value of request header `name`; an empty value removes it.
    ///
    /// Phases: answer. Returns: 0, -2 (bad name or value), -4.
    pub fn req_set_header(name: *const u8, name_len: i32, value: *const u8, value_len: i32) -> i32;
    /// adds a request header value, keeping earlier ones.
    ///
    /// Phases: answer. Returns: 0, -2 (bad name, empty or bad value), -4.
    pub fn req_add_header(name: *const u8, name_len: i32, value: *const u8, value_len: i32) -> i32;
    /// removes every value of request header `name`.
    ///
    /// Phases: answer. Returns: 0, -2.
    pub fn req_clear_header(name: *const u8, name_len: i32) -> i32;
    /// the value of nginx variable `$name` (`ngx.var.name`; names are case-insensitive).
    ///
    /// Phases: request. Returns: length, -1 (not set for this request), -2 (no such variable).
    pub fn var_get(name: *const u8, name_len: i32, out: *mut u8, out_cap: i32) -> i32;
    /// sets `$name`; the variable must be changeable (declared with `set $name ...;` or a changeable built-in).
    ///
    /// Phases: request. Returns: 0, -2 (no such variable, CR, LF or NUL in the value, or a value of 256 MiB or more, which nginx cannot store), -3 (not changeable), -4.
    pub fn var_set(name: *const u8, name_len: i32, value: *const u8, value_len: i32) -> i32;
    /// the length of the request body read before the handler (`wasm_need_request_body on`).
    ///
    /// Phases: body. Returns: length, -1 (no body read).
    pub fn req_body_len() -> i32;
    /// copies up to `out_cap` body bytes from `offset` (from memory or the temporary file).
    ///
    /// Phases: body. Returns: bytes copied (0 at the end), -1 (no body read), -2 (negative offset), -4 (file read failed).
    pub fn req_get_body(offset: i32, out: *mut u8, out_cap: i32) -> i32;
    /// reads and discards the request body (`ngx.req.discard_body()`).
    ///
    /// Phases: answer. Returns: 0, -3 (body already read), -4.
    pub fn req_discard_body() -> i32;
    /// reads the request body without blocking the worker (`ngx.req.read_body()`); the call waits while nginx reads it.
    ///
    /// Phases: answer. Returns: 0, -4 (nginx refused the body; the request is answered 413 or 400).
    pub fn req_read_body() -> i32;
    /// the response status set so far (`ngx.status`), 0 if none.
    ///
    /// Phases: request. Returns: status.
    pub fn resp_get_status() -> i32;
    /// sets the response status.
    ///
    /// Phases: headers. Returns: 0, -2 (outside 100..=599), -3 (header sent).
    pub fn resp_set_status(status: i32) -> i32;
    /// appends to the response body (`ngx.print`).
    ///
    /// Phases: answer. Returns: 0, -3 (after exit/exec/redirect), -4.
    pub fn resp_print(data: *const u8, data_len: i32) -> i32;
    /// appends the data and a newline (`ngx.say`).
    ///
    /// Phases: answer. Returns: 0, -3, -4.
    pub fn resp_say(data: *const u8, data_len: i32) -> i32;
    /// sends the header (if not sent) and the body so far (`ngx.flush()`); the response is then streamed (chunked in HTTP/1.1) and its status and headers are fixed.
    ///
    /// Phases: answer. Returns: 0, -3, -4.
    pub fn resp_flush() -> i32;
    /// `ngx.exit`: 0 ends this handler and the request goes on; 200..=599 finishes the request with that status when the export returns (nginx's page for >= 300 when nothing was printed); return right after.
    ///
    /// Phases: answer. Returns: 0, -2 (other values), -3 (already finished).
    pub fn resp_exit(status: i32) -> i32;
    /// `ngx.redirect`: `Location: uri` with 301, 302, 303, 307 or 308 (0 = 302) when the export returns.
    ///
    /// Phases: answer. Returns: 0, -2, -3 (header sent or already finished).
    pub fn resp_redirect(uri: *const u8, uri_len: i32, status: i32) -> i32;
    /// `ngx.exec`: internal redirect to `uri` (a path, or `@name`) with query `args` when the export returns;
    /// a path must be one nginx accepts as safe (no `..` segment or NUL, also percent-encoded), and a
    /// `?query` in it is joined with `args` by `&`.
    ///
    /// Phases: answer. Returns: 0, -2 (unsafe path, not a path or @name, bad args), -3 (header sent or already finished).
    pub fn req_exec(uri: *const u8, uri_len: i32, args: *const u8, args_len: i32) -> i32;
    /// every value of response header `name`, joined with `, ` (`Content-Type` and `Content-Length` included).
    ///
    /// Phases: request. Returns: length, -1.
    pub fn resp_get_header(name: *const u8, name_len: i32, out: *mut u8, out_cap: i32) -> i32;
    /// every response header as `name\\0value\\0` pairs.
    ///
    /// Phases: request. Returns: length.
    pub fn resp_get_headers(out: *mut u8, out_cap: i32) -> i32;
    /// replaces every value of response header `name` (`ngx.header[name] = value`); empty value removes it; `Content-Type`, `Location`, `Server`, `Date`, `Last-Modified`, `ETag`... set nginx's own fields.
    ///
    /// Phases: headers. Returns: 0, -2, -3 (header sent, or a managed header), -4.
    pub fn resp_set_header(name: *const u8, name_len: i32, value: *const u8, value_len: i32)
        -> i32;
    /// adds a response header value (e.g. another `Set-Cookie`).
    ///
    /// Phases: headers. Returns: 0, -2, -3, -4.
    pub fn resp_add_header(name: *const u8, name_len: i32, value: *const u8, value_len: i32)
        -> i32;
    /// removes every value of response header `name`; a cleared `Server` or `Date` is not replaced by nginx's own, and a cleared `Content-Type` by no `default_type` (as `ngx.header.X = nil`).
    ///
    /// Phases: headers. Returns: 0, -2, -3.
    pub fn resp_clear_header(name: *const u8, name_len: i32) -> i32;
    /// the data of the body chunk passing through (`ngx.arg[1]`).
    ///
    /// Phases: body_filter. Returns: length.
    pub fn body_chunk_get(out: *mut u8, out_cap: i32) -> i32;
    /// replaces the chunk's data (empty drops it); the end-of-stream flag is kept.
    ///
    /// Phases: body_filter. Returns: 0, -4.
    pub fn body_chunk_set(data: *const u8, data_len: i32) -> i32;
    /// 1 if this chunk ends the response body (`ngx.arg[2]`), else 0.
    ///
    /// Phases: body_filter. Returns: 0 or 1.
    pub fn body_chunk_is_last() -> i32;
    /// the value stored under `key` in this request's context (`ngx.ctx`).
    ///
    /// Phases: call. Returns: length, -1.
    pub fn ctx_get(key: *const u8, key_len: i32, out: *mut u8, out_cap: i32) -> i32;
    /// stores `value` under `key`, for every later phase of this request.
    ///
    /// Phases: call. Returns: 0, -2 (empty key), -3 (context over 1 MiB).
    pub fn ctx_set(key: *const u8, key_len: i32, value: *const u8, value_len: i32) -> i32;
    /// removes `key`.
    ///
    /// Phases: call. Returns: 0, -1.
    pub fn ctx_delete(key: *const u8, key_len: i32) -> i32;
    /// queues a subrequest for the next `subreq_wait`; `options`: `abi_consts::subreq` bits.
    ///
    /// Phases: answer. Returns: the id, -2 (bad method, unsafe URI, bad args or options), -3.
    pub fn subreq_add(
        method: *const u8,
        method_len: i32,
        uri: *const u8,
        uri_len: i32,
        args: *const u8,
        args_len: i32,
        body: *const u8,
        body_len: i32,
        options: i32,
    ) -> i32;
    /// issues the queued subrequests in parallel and waits until all have finished.
    ///
    /// Phases: answer. Returns: how many.
    pub fn subreq_wait() -> i32;
    /// the status subrequest `id` of the last batch answered.
    ///
    /// Phases: request. Returns: status, -1.
    pub fn subreq_status(id: i32) -> i32;
    /// 1 when subrequest `id`'s body ended early.
    ///
    /// Phases: request. Returns: 0 or 1, -1.
    pub fn subreq_truncated(id: i32) -> i32;
    /// every value of response header `name` of subrequest `id`, joined with `, `.
    ///
    /// Phases: request. Returns: length, -1.
    pub fn subreq_header(
        id: i32,
        name: *const u8,
        name_len: i32,
        out: *mut u8,
        out_cap: i32,
    ) -> i32;
    /// every response header of subrequest `id` as `name\\0value\\0` pairs.
    ///
    /// Phases: request. Returns: length, -1.
    pub fn subreq_headers(id: i32, out: *mut u8, out_cap: i32) -> i32;
    /// the body subrequest `id` answered.
    ///
    /// Phases: request. Returns: length, -1.
    pub fn subreq_body(id: i32, out: *mut u8, out_cap: i32) -> i32;
    /// connects to `host:port` (`unix:/path` ignores the port) through nginx's event loop; a name goes through nginx's resolver; an idle pooled connection to the same host and port is reused.
    ///
    /// Phases: wait. Returns: the socket id, -2, -5 (timeout), -7 (refused, unreachable), -8 (not resolved / no resolver), -3 (64 sockets open).
    pub fn sock_connect(host: *const u8, host_len: i32, port: i32, timeout_ms: i32) -> i32;
    /// a TLS handshake on socket `id`, as its client (`sslhandshake`): `name` (may be empty; at most 255 bytes) is sent as SNI; `flags` bit 1 (`verify`) checks the certificate chain against `wasm_socket_ssl_trusted_certificate` and the name against the certificate. Later sends and receives are encrypted; a pooled TLS connection is reused as one (verified again).
    ///
    /// Phases: wait. Returns: 0, -1, -2, -5 (timeout), -6 (closed), -10 (handshake failed), -11 (certificate refused).
    pub fn sock_sslhandshake(
        id: i32,
        name: *const u8,
        name_len: i32,
        flags: i32,
        timeout_ms: i32,
    ) -> i32;
    /// sends every byte of `data` (`timeout_ms` -1: `wasm_socket_send_timeout`).
    ///
    /// Phases: wait. Returns: `data_len`, -1 (no such socket), -5, -6 (closed).
    pub fn sock_send(id: i32, data: *const u8, data_len: i32, timeout_ms: i32) -> i32;
    /// receives by `mode`: 0 exactly `n` bytes, 1 a line of at most `n` bytes (without `\\r\\n`), 2 everything until the peer closes (at most `n`), 3 whatever has arrived (1 to `n` bytes); the piece is copied by the getter convention.
    ///
    /// Phases: wait. Returns: length, -1, -2, -5, -6 (closed first), -9 (longer than `n`).
    pub fn sock_receive(
        id: i32,
        mode: i32,
        n: i32,
        timeout_ms: i32,
        out: *mut u8,
        out_cap: i32,
    ) -> i32;
    /// receives everything before `pattern` (consumed), at most `max` bytes.
    ///
    /// Phases: wait. Returns: length, -1, -2, -5, -6, -9.
    pub fn sock_receive_until(
        id: i32,
        pattern: *const u8,
        pattern_len: i32,
        max: i32,
        timeout_ms: i32,
        out: *mut u8,
        out_cap: i32,
    ) -> i32;
    /// the last piece socket `id` received, again.
    ///
    /// Phases: call. Returns: length, -1.
    pub fn sock_received(id: i32, out: *mut u8, out_cap: i32) -> i32;
    /// closes socket `id`.
    ///
    /// Phases: call. Returns: 0, -1, -3 (an operation in progress).
    pub fn sock_close(id: i32) -> i32;
    /// puts the connection into this worker's keepalive pool for its host and port (`timeout_ms` -1: 60 s idle; `pool_size` -1: 30); the id is free afterwards.
    ///
    /// Phases: call. Returns: 0, -1, -3 (unread data: closed instead), -6.
    pub fn sock_setkeepalive(id: i32, timeout_ms: i32, pool_size: i32) -> i32;
    /// how many times the connection came from the keepalive pool.
    ///
    /// Phases: call. Returns: count, -1.
    pub fn sock_reused(id: i32) -> i32;
    /// the value of `key` in zone `dict` by the getter convention; its kind (1 bytes, 2 `f64`, 3 `i64`, 4 bool, 5 a list: then -2), flags and 0 are written to `meta_ptr` as three little-endian `u32` (12 bytes).
    ///
    /// Phases: all. Returns: length, -1 (absent or expired), -2 (unknown zone, key empty or over 65,535 bytes).
    pub fn shdict_get(
        dict: *const u8,
        dict_len: i32,
        key: *const u8,
        key_len: i32,
        out: *mut u8,
        out_cap: i32,
        meta: *mut u8,
    ) -> i32;
    /// as `shdict_get`, but an expired entry not freed yet is returned too (`get_stale`); the third `u32` at `meta_ptr` is 1 when the value is stale.
    ///
    /// Phases: all. Returns: length, -1 (absent), -2.
    pub fn shdict_get_stale(
        dict: *const u8,
        dict_len: i32,
        key: *const u8,
        key_len: i32,
        out: *mut u8,
        out_cap: i32,
        meta: *mut u8,
    ) -> i32;
    /// the keys of live entries (at most `max`, 0: all), most recently used first, by the getter convention, each as a little-endian `u32` length then its bytes; the zone is locked while it is scanned, as with OpenResty's `get_keys`.
    ///
    /// Phases: all. Returns: length, -2.
    pub fn shdict_get_keys(
        dict: *const u8,
        dict_len: i32,
        max: i32,
        out: *mut u8,
        out_cap: i32,
    ) -> i32;
    /// stores the value (`f64`/`i64` as 8 little-endian bytes, bool as 1 byte) as the 24 bytes at `opts_ptr` say: `kind: u32`, `flags: u32`, `op: u32` (0 set, 1 safe_set, 2 add, 3 safe_add, 4 replace), 4 zero bytes, `ttl_ms: u64` (0: never expires).
    ///
    /// Phases: all. Returns: 0, 1 (stored after evicting live entries: `forcible`), -1 (replace: absent), -2, -12 (add: exists), -13 (no memory).
    pub fn shdict_set(
        dict: *const u8,
        dict_len: i32,
        key: *const u8,
        key_len: i32,
        value: *const u8,
        val_len: i32,
        opts: *const u8,
    ) -> i32;
    /// removes `key`.
    ///
    /// Phases: all. Returns: 0, -2.
    pub fn shdict_delete(dict: *const u8, dict_len: i32, key: *const u8, key_len: i32) -> i32;
    /// adds `n` to the number at `key` and writes the result (`f64`) to `out_ptr`; the 32 bytes at `args_ptr`: `n: f64`, `init: f64`, `init_ttl_ms: u64`, `options: u32` (1: an absent key starts at `init`), 4 zero bytes.
    ///
    /// Phases: all. Returns: 0, 1 (forcible), -1 (absent, no init), -2 (not a number, bad arguments), -13.
    pub fn shdict_incr(
        dict: *const u8,
        dict_len: i32,
        key: *const u8,
        key_len: i32,
        args: *const u8,
        out: *mut u8,
    ) -> i32;
    /// writes the milliseconds `key` has left (`i64`; 0: never expires) to `out_ptr`.
    ///
    /// Phases: all. Returns: 0, -1 (absent or expired), -2.
    pub fn shdict_ttl(
        dict: *const u8,
        dict_len: i32,
        key: *const u8,
        key_len: i32,
        out: *mut u8,
    ) -> i32;
    /// sets the time `key` has left to the `u64` of milliseconds at `ttl_ptr` (0: never expires).
    ///
    /// Phases: all. Returns: 0, -1 (absent or expired), -2.
    pub fn shdict_expire(
        dict: *const u8,
        dict_len: i32,
        key: *const u8,
        key_len: i32,
        ttl_ms: *const u8,
    ) -> i32;
    /// pushes a value (`kind` 1 bytes, or 2 an `f64` of 8 bytes) at the head of the list at `key`, creating it (`lpush`).
    ///
    /// Phases: all. Returns: the new length, -2 (the key holds no list, bad value), -13.
    pub fn shdict_lpush(
        dict: *const u8,
        dict_len: i32,
        key: *const u8,
        key_len: i32,
        kind: i32,
        value: *const u8,
        val_len: i32,
    ) -> i32;
    /// as `shdict_lpush`, at the tail (`rpush`).
    ///
    /// Phases: all. Returns: the new length, -2, -13.
    pub fn shdict_rpush(
        dict: *const u8,
        dict_len: i32,
        key: *const u8,
        key_len: i32,
        kind: i32,
        value: *const u8,
        val_len: i32,
    ) -> i32;
    /// pops the head of the list at `key` by the getter convention (a value longer than `out_cap` is not popped: ask again with the length returned), kind and flags to `meta_ptr`; an emptied list is removed (`lpop`).
    ///
    /// Phases: all. Returns: length, -1 (absent or empty), -2 (not a list).
    pub fn shdict_lpop(
        dict: *const u8,
        dict_len: i32,
        key: *const u8,
        key_len: i32,
        out: *mut u8,
        out_cap: i32,
        meta: *mut u8,
    ) -> i32;
    /// as `shdict_lpop`, at the tail (`rpop`).
    ///
    /// Phases: all. Returns: length, -1, -2.
    pub fn shdict_rpop(
        dict: *const u8,
        dict_len: i32,
        key: *const u8,
        key_len: i32,
        out: *mut u8,
        out_cap: i32,
        meta: *mut u8,
    ) -> i32;
    /// the length of the list at `key`, 0 when absent (`llen`).
    ///
    /// Phases: all. Returns: length, -2 (not a list).
    pub fn shdict_llen(dict: *const u8, dict_len: i32, key: *const u8, key_len: i32) -> i32;
    /// every entry of the zone expires now (its memory is reused as needed).
    ///
    /// Phases: all. Returns: 0, -2.
    pub fn shdict_flush_all(dict: *const u8, dict_len: i32) -> i32;
    /// frees up to `max` expired entries (0: all).
    ///
    /// Phases: all. Returns: how many, -2.
    pub fn shdict_flush_expired(dict: *const u8, dict_len: i32, max: i32) -> i32;
    /// writes the zone's size in bytes (`u64`, from `wasm_shared_dict`) to `out_ptr`.
    ///
    /// Phases: all. Returns: 0, -2.
    pub fn shdict_capacity(dict: *const u8, dict_len: i32, out: *mut u8) -> i32;
    /// writes the bytes of the zone's free pages (`u64`; a small entry may still fit in a used page when this is 0) to `out_ptr`.
    ///
    /// Phases: all. Returns: 0, -2.
    pub fn shdict_free_space(dict: *const u8, dict_len: i32, out: *mut u8) -> i32;
    /// suspends the call for `ms` milliseconds on an nginx timer (`ngx.sleep`); 0 waits for the next event loop turn.
    ///
    /// Phases: wait. Returns: 0, -2 (negative `ms`), -3 (filters, log, init_worker).
    pub fn sleep(ms: i32) -> i32;
    /// runs the calling module's export `export` (`() -> ()`) once, `delay_ms` ms from now, outside any request (`ngx.timer.at`); the run reads `arg` with `timer_arg`.
    ///
    /// Phases: all. Returns: 0, -2 (negative delay, unknown export, arg over 64 KiB), -3 (exiting), -14 (too many pending).
    pub fn timer_at(
        delay_ms: i32,
        export: *const u8,
        export_len: i32,
        arg: *const u8,
        arg_len: i32,
    ) -> i32;
    /// as `timer_at`, then again every `interval_ms` (> 0) until the worker exits (`ngx.timer.every`).
    ///
    /// Phases: all. Returns: 0, -2, -3, -14.
    pub fn timer_every(
        interval_ms: i32,
        export: *const u8,
        export_len: i32,
        arg: *const u8,
        arg_len: i32,
    ) -> i32;
    /// the argument the running timer was added with.
    ///
    /// Phases: timer. Returns: length.
    pub fn timer_arg(out: *mut u8, out_cap: i32) -> i32;
    /// timers of this worker waiting to run (`ngx.timer.pending_count`).
    ///
    /// Phases: all. Returns: the count.
    pub fn timer_pending_count() -> i32;
    /// timer runs of this worker in progress, waiting ones included (`ngx.timer.running_count`).
    ///
    /// Phases: all. Returns: the count.
    pub fn timer_running_count() -> i32;
}
