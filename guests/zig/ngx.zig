//! The ngx_wasm guest SDK for Zig: the `ngx` host ABI (docs/abi.md) as slices in and error
//! unions out.
//!
//! A handler is an exported function of type `fn () void`:
//!
//! ```zig
//! const ngx = @import("ngx");
//!
//! export fn hello() void {
//!     ngx.resp.say("hello") catch {};
//! }
//! ```
//!
//! Getters come in two forms: one writes into a buffer the caller gives
//! (`error.BufferTooSmall` when the value does not fit) and one allocates (`...Alloc`,
//! with any allocator; `ngx.gpa` is `std.heap.wasm_allocator`). Values that may be absent
//! (a header, an argument, a variable) are optionals.
const std = @import("std");

/// The allocator the SDK suggests for guests: `std.heap.wasm_allocator`.
pub const gpa = std.heap.wasm_allocator;

/// The host's negative statuses (docs/abi.md, "Status codes"), plus `Unknown` for a status
/// this SDK does not know.
pub const Error = error{
    /// -1: the item does not exist.
    NotFound,
    /// -2: an argument is invalid.
    BadArgument,
    /// -3: not allowed now (header sent, a managed header, a finished request...).
    NotAllowed,
    /// -4: the host failed.
    Internal,
    /// -5: a socket operation ran out of time.
    Timeout,
    /// -6: the peer closed the connection.
    Closed,
    /// -7: the connection could not be made.
    ConnectFailed,
    /// -8: the name could not be resolved.
    ResolveFailed,
    /// -9: too large (e.g. past `wasm_max_output`).
    TooLarge,
    /// -10: the TLS handshake failed.
    TlsFailed,
    /// -11: the peer's certificate was refused.
    TlsVerifyFailed,
    /// -12: the key exists already.
    Exists,
    /// -13: no room in the shared dictionary.
    NoMemory,
    /// -14: too many pending timers.
    TooMany,
    /// Any other negative status.
    Unknown,
};

/// What a getter into a caller's buffer may return: a host error, or a value longer than
/// the buffer (ask again with a larger one, or use the `...Alloc` form).
pub const GetError = Error || error{BufferTooSmall};

/// What an allocating getter may return.
pub const AllocError = Error || std.mem.Allocator.Error;

/// The error for a negative host status `rc`.
pub fn statusError(rc: i32) Error {
    return switch (rc) {
        -1 => error.NotFound,
        -2 => error.BadArgument,
        -3 => error.NotAllowed,
        -4 => error.Internal,
        -5 => error.Timeout,
        -6 => error.Closed,
        -7 => error.ConnectFailed,
        -8 => error.ResolveFailed,
        -9 => error.TooLarge,
        -10 => error.TlsFailed,
        -11 => error.TlsVerifyFailed,
        -12 => error.Exists,
        -13 => error.NoMemory,
        -14 => error.TooMany,
        else => error.Unknown,
    };
}

/// `rc` as an error union: 0 (or any non-negative value) is success.
pub fn check(rc: i32) Error!void {
    if (rc < 0) return statusError(rc);
}

/// The raw imports from the `ngx` module, as docs/abi.md lists them. Every parameter and
/// result is an `i32` on wasm32 (pointers and `usize` lengths included).
pub const raw = struct {
    /// `log(level, msg_ptr, msg_len)`.
    pub extern "ngx" fn log(level: i32, msg: [*]const u8, len: usize) i32;
    /// `now(out_ptr)`: a little-endian u64 of ms since the epoch.
    pub extern "ngx" fn now(out: *[8]u8) i32;
    /// `get_phase(out_ptr, out_cap)`.
    pub extern "ngx" fn get_phase(out: [*]u8, cap: usize) i32;
    /// `worker_id()`.
    pub extern "ngx" fn worker_id() i32;
    /// `worker_count()`.
    pub extern "ngx" fn worker_count() i32;
    /// `req_get_method(out_ptr, out_cap)`.
    pub extern "ngx" fn req_get_method(out: [*]u8, cap: usize) i32;
    /// `req_set_method(method_ptr, method_len)`.
    pub extern "ngx" fn req_set_method(m: [*]const u8, len: usize) i32;
    /// `req_get_uri(out_ptr, out_cap)`.
    pub extern "ngx" fn req_get_uri(out: [*]u8, cap: usize) i32;
    /// `req_set_uri(uri_ptr, uri_len, jump)`.
    pub extern "ngx" fn req_set_uri(uri: [*]const u8, len: usize, jump: i32) i32;
    /// `req_get_query(out_ptr, out_cap)`.
    pub extern "ngx" fn req_get_query(out: [*]u8, cap: usize) i32;
    /// `req_set_query(query_ptr, query_len)`.
    pub extern "ngx" fn req_set_query(q: [*]const u8, len: usize) i32;
    /// `req_get_arg(name_ptr, name_len, out_ptr, out_cap)`.
    pub extern "ngx" fn req_get_arg(name: [*]const u8, name_len: usize, out: [*]u8, cap: usize) i32;
    /// `req_http_version()`.
    pub extern "ngx" fn req_http_version() i32;
    /// `req_is_internal()`.
    pub extern "ngx" fn req_is_internal() i32;
    /// `req_start_time(out_ptr)`.
    pub extern "ngx" fn req_start_time(out: *[8]u8) i32;
    /// `req_get_header(name_ptr, name_len, out_ptr, out_cap)`.
    pub extern "ngx" fn req_get_header(name: [*]const u8, name_len: usize, out: [*]u8, cap: usize) i32;
    /// `req_get_headers(out_ptr, out_cap)`.
    pub extern "ngx" fn req_get_headers(out: [*]u8, cap: usize) i32;
    /// `req_set_header(name_ptr, name_len, value_ptr, value_len)`.
    pub extern "ngx" fn req_set_header(name: [*]const u8, name_len: usize, value: [*]const u8, value_len: usize) i32;
    /// `req_add_header(name_ptr, name_len, value_ptr, value_len)`.
    pub extern "ngx" fn req_add_header(name: [*]const u8, name_len: usize, value: [*]const u8, value_len: usize) i32;
    /// `req_clear_header(name_ptr, name_len)`.
    pub extern "ngx" fn req_clear_header(name: [*]const u8, name_len: usize) i32;
    /// `var_get(name_ptr, name_len, out_ptr, out_cap)`.
    pub extern "ngx" fn var_get(name: [*]const u8, name_len: usize, out: [*]u8, cap: usize) i32;
    /// `var_set(name_ptr, name_len, value_ptr, value_len)`.
    pub extern "ngx" fn var_set(name: [*]const u8, name_len: usize, value: [*]const u8, value_len: usize) i32;
    /// `req_body_len()`.
    pub extern "ngx" fn req_body_len() i32;
    /// `req_get_body(offset, out_ptr, out_cap)`.
    pub extern "ngx" fn req_get_body(offset: usize, out: [*]u8, cap: usize) i32;
    /// `req_discard_body()`.
    pub extern "ngx" fn req_discard_body() i32;
    /// `req_read_body()`.
    pub extern "ngx" fn req_read_body() i32;
    /// `resp_get_status()`.
    pub extern "ngx" fn resp_get_status() i32;
    /// `resp_set_status(status)`.
    pub extern "ngx" fn resp_set_status(status: i32) i32;
    /// `resp_print(data_ptr, data_len)`.
    pub extern "ngx" fn resp_print(data: [*]const u8, len: usize) i32;
    /// `resp_say(data_ptr, data_len)`.
    pub extern "ngx" fn resp_say(data: [*]const u8, len: usize) i32;
    /// `resp_flush()`.
    pub extern "ngx" fn resp_flush() i32;
    /// `resp_exit(status)`.
    pub extern "ngx" fn resp_exit(status: i32) i32;
    /// `resp_redirect(uri_ptr, uri_len, status)`.
    pub extern "ngx" fn resp_redirect(uri: [*]const u8, len: usize, status: i32) i32;
    /// `req_exec(uri_ptr, uri_len, args_ptr, args_len)`.
    pub extern "ngx" fn req_exec(uri: [*]const u8, uri_len: usize, args: [*]const u8, args_len: usize) i32;
    /// `resp_get_header(name_ptr, name_len, out_ptr, out_cap)`.
    pub extern "ngx" fn resp_get_header(name: [*]const u8, name_len: usize, out: [*]u8, cap: usize) i32;
    /// `resp_get_headers(out_ptr, out_cap)`.
    pub extern "ngx" fn resp_get_headers(out: [*]u8, cap: usize) i32;
    /// `resp_set_header(name_ptr, name_len, value_ptr, value_len)`.
    pub extern "ngx" fn resp_set_header(name: [*]const u8, name_len: usize, value: [*]const u8, value_len: usize) i32;
    /// `resp_add_header(name_ptr, name_len, value_ptr, value_len)`.
    pub extern "ngx" fn resp_add_header(name: [*]const u8, name_len: usize, value: [*]const u8, value_len: usize) i32;
    /// `resp_clear_header(name_ptr, name_len)`.
    pub extern "ngx" fn resp_clear_header(name: [*]const u8, name_len: usize) i32;
    /// `body_chunk_get(out_ptr, out_cap)`.
    pub extern "ngx" fn body_chunk_get(out: [*]u8, cap: usize) i32;
    /// `body_chunk_set(data_ptr, data_len)`.
    pub extern "ngx" fn body_chunk_set(data: [*]const u8, len: usize) i32;
    /// `body_chunk_is_last()`.
    pub extern "ngx" fn body_chunk_is_last() i32;
    /// `ctx_get(key_ptr, key_len, out_ptr, out_cap)`.
    pub extern "ngx" fn ctx_get(key: [*]const u8, key_len: usize, out: [*]u8, cap: usize) i32;
    /// `ctx_set(key_ptr, key_len, value_ptr, value_len)`.
    pub extern "ngx" fn ctx_set(key: [*]const u8, key_len: usize, value: [*]const u8, value_len: usize) i32;
    /// `ctx_delete(key_ptr, key_len)`.
    pub extern "ngx" fn ctx_delete(key: [*]const u8, key_len: usize) i32;
    /// `sleep(ms)`.
    pub extern "ngx" fn sleep(ms: i32) i32;
};

// A zero-length Zig slice may point anywhere (an allocation shrunk to 0 bytes points at
// 0xffffffff), but the host checks `ptr + len <= memory size` even for an empty range:
// pass a pointer into memory instead.
var empty: [1]u8 = undefined;

fn inPtr(s: []const u8) [*]const u8 {
    return if (s.len == 0) &empty else s.ptr;
}

fn outPtr(s: []u8) [*]u8 {
    return if (s.len == 0) &empty else s.ptr;
}

// The getter convention: `f(args..., out_ptr, out_cap)` returns the full length, copies
// only if it fits; -1 is "absent".

fn fetchInto(comptime f: anytype, args: anytype, buf: []u8) GetError!?[]u8 {
    const n = @call(.auto, f, args ++ .{ outPtr(buf), buf.len });
    if (n == -1) return null;
    try check(n);
    const len: usize = @intCast(n);
    if (len > buf.len) return error.BufferTooSmall;
    return buf[0..len];
}

fn fetchAlloc(allocator: std.mem.Allocator, comptime f: anytype, args: anytype) AllocError!?[]u8 {
    var cap: usize = 256;
    while (true) {
        const buf = try allocator.alloc(u8, cap);
        const n = @call(.auto, f, args ++ .{ outPtr(buf), buf.len });
        if (n < 0) {
            allocator.free(buf);
            if (n == -1) return null;
            return statusError(n);
        }
        const len: usize = @intCast(n);
        if (len <= cap) return try allocator.realloc(buf, len);
        allocator.free(buf);
        cap = len;
    }
}

// A count or flag the host returns as a non-negative i32 (0 if it refused the call).
fn unsigned(n: i32) u32 {
    return if (n < 0) 0 else @intCast(n);
}

fn present(v: anytype) @typeInfo(@TypeOf(v)).optional.child {
    return v orelse &.{};
}

fn readU64(comptime f: anytype) u64 {
    var out: [8]u8 = undefined;
    _ = f(&out);
    return std.mem.readInt(u64, &out, .little);
}

// Formats on the stack when the text fits in 1 KiB, else with `gpa`, and passes it to
// `sink(extra, text)`.
fn formatted(comptime fmt: []const u8, args: anytype, extra: i32, comptime sink: fn (i32, [*]const u8, usize) callconv(.c) i32) Error!void {
    var stack: [1024]u8 = undefined;
    if (std.fmt.bufPrint(&stack, fmt, args)) |text| {
        return check(sink(extra, inPtr(text), text.len));
    } else |_| {
        const text = std.fmt.allocPrint(gpa, fmt, args) catch return error.Internal;
        defer gpa.free(text);
        return check(sink(extra, inPtr(text), text.len));
    }
}

fn printSink(_: i32, data: [*]const u8, len: usize) callconv(.c) i32 {
    return raw.resp_print(data, len);
}

fn saySink(_: i32, data: [*]const u8, len: usize) callconv(.c) i32 {
    return raw.resp_say(data, len);
}

/// A header: a name and its value, slices of the buffer they were read into.
pub const Header = struct {
    /// The header's name, as the client (or nginx) spelled it.
    name: []const u8,
    /// Its value.
    value: []const u8,
};

/// An iterator over `name\0value\0` pairs, as `req.headers` and `resp.headers` return them.
pub const HeaderIterator = struct {
    /// The raw pairs (for the `...Alloc` forms, free them with the same allocator when done).
    bytes: []const u8,
    /// Where the next pair starts in `bytes`.
    index: usize = 0,

    /// The next header, or null at the end.
    pub fn next(it: *HeaderIterator) ?Header {
        const rest = it.bytes[it.index..];
        const n = std.mem.indexOfScalar(u8, rest, 0) orelse return null;
        const v = std.mem.indexOfScalarPos(u8, rest, n + 1, 0) orelse return null;
        it.index += v + 1;
        return .{ .name = rest[0..n], .value = rest[n + 1 .. v] };
    }
};

/// Log levels, numbered as nginx numbers them (`ngx.ERR`, `ngx.INFO`...).
pub const Level = enum(i32) {
    /// `stderr`.
    stderr = 0,
    /// `emerg`.
    emerg = 1,
    /// `alert`.
    alert = 2,
    /// `crit`.
    crit = 3,
    /// `error` (OpenResty's `ngx.ERR`).
    err = 4,
    /// `warn`.
    warn = 5,
    /// `notice`.
    notice = 6,
    /// `info`.
    info = 7,
    /// `debug`.
    debug = 8,
};

/// Writes `[wasm] <msg>` to the error log at `level` (`ngx.log`). `error.NotAllowed` once
/// the request's log limit was reached.
pub fn log(level: Level, msg: []const u8) Error!void {
    return check(raw.log(@backingInt(level), inPtr(msg), msg.len));
}

/// `log` with `std.fmt` formatting: `ngx.logf(.warn, "bad key {s}", .{key})`.
pub fn logf(level: Level, comptime fmt: []const u8, args: anytype) Error!void {
    return formatted(fmt, args, @backingInt(level), raw.log);
}

/// nginx's cached time in milliseconds since the epoch (`ngx.now()`, times 1000).
pub fn now() u64 {
    return readU64(raw.now);
}

/// The phases a handler runs in (`ngx.get_phase()`).
pub const Phase = enum {
    /// `init_worker_by_wasm`.
    init_worker,
    /// `server_rewrite_by_wasm`.
    server_rewrite,
    /// `rewrite_by_wasm`.
    rewrite,
    /// `access_by_wasm`.
    access,
    /// `content_by_wasm`.
    content,
    /// `header_filter_by_wasm`.
    header_filter,
    /// `body_filter_by_wasm`.
    body_filter,
    /// `log_by_wasm`.
    log,
    /// A timer's export.
    timer,
    /// A phase name this SDK does not know.
    unknown,
};

/// The current phase.
pub fn phase() Phase {
    var buf: [32]u8 = undefined;
    const name = (fetchInto(raw.get_phase, .{}, &buf) catch return .unknown) orelse return .unknown;
    return std.meta.stringToEnum(Phase, name) orelse .unknown;
}

/// Suspends the call for `ms` milliseconds (`ngx.sleep`; 0: the next event loop turn); the
/// worker serves other requests meanwhile. `error.NotAllowed` where a call cannot wait
/// (filters, log, init_worker).
pub fn sleep(ms: u31) Error!void {
    return check(raw.sleep(ms));
}

/// The worker: `ngx.worker.id()` and `ngx.worker.count()`.
pub const worker = struct {
    /// This worker's number, from 0.
    pub fn id() u32 {
        return unsigned(raw.worker_id());
    }

    /// `worker_processes`.
    pub fn count() u32 {
        return unsigned(raw.worker_count());
    }
};

/// Runs `f` and logs its error, if any, at `err` (`handler failed: error.X`). For handlers
/// written with `try`: `export fn h() void { ngx.run(body); }`.
pub fn run(comptime f: fn () anyerror!void) void {
    f() catch |e| {
        logf(.err, "handler failed: error.{s}", .{@errorName(e)}) catch {};
    };
}

/// A panic handler that logs the message at `err` (`panic: <msg>`) before trapping. Declare
/// `pub const panic = ngx.panic;` in the root file to use it; without it, a panic on
/// wasm32-freestanding only traps.
pub const panic = std.debug.FullPanic(panicFn);

fn panicFn(msg: []const u8, _: ?usize) noreturn {
    @branchHint(.cold);
    const prefix = "panic: ";
    var buf: [512]u8 = undefined;
    const n = @min(msg.len, buf.len - prefix.len);
    @memcpy(buf[0..prefix.len], prefix);
    @memcpy(buf[prefix.len..][0..n], msg[0..n]);
    _ = raw.log(@backingInt(Level.err), &buf, prefix.len + n);
    @trap();
}

/// The request: its line, arguments, headers and body (`ngx.req`).
pub const req = struct {
    /// The method (`GET`...) into `buf`.
    pub fn method(buf: []u8) GetError![]u8 {
        return present(try fetchInto(raw.req_get_method, .{}, buf));
    }

    /// The method, allocated.
    pub fn methodAlloc(allocator: std.mem.Allocator) AllocError![]u8 {
        return present(try fetchAlloc(allocator, raw.req_get_method, .{}));
    }

    /// Changes the method to one nginx knows; `error.BadArgument` otherwise.
    pub fn setMethod(m: []const u8) Error!void {
        return check(raw.req_set_method(inPtr(m), m.len));
    }

    /// The decoded, normalized path without arguments (`$uri`), into `buf`.
    pub fn uri(buf: []u8) GetError![]u8 {
        return present(try fetchInto(raw.req_get_uri, .{}, buf));
    }

    /// The URI, allocated.
    pub fn uriAlloc(allocator: std.mem.Allocator) AllocError![]u8 {
        return present(try fetchAlloc(allocator, raw.req_get_uri, .{}));
    }

    /// Changes `$uri`; `jump` (rewrite phase only) makes nginx choose the location again.
    pub fn setUri(new: []const u8, jump: bool) Error!void {
        return check(raw.req_set_uri(inPtr(new), new.len, @intFromBool(jump)));
    }

    /// The raw query string without `?` (`$args`), into `buf`.
    pub fn query(buf: []u8) GetError![]u8 {
        return present(try fetchInto(raw.req_get_query, .{}, buf));
    }

    /// The query string, allocated.
    pub fn queryAlloc(allocator: std.mem.Allocator) AllocError![]u8 {
        return present(try fetchAlloc(allocator, raw.req_get_query, .{}));
    }

    /// Replaces the query string (`ngx.req.set_uri_args`).
    pub fn setQuery(q: []const u8) Error!void {
        return check(raw.req_set_query(inPtr(q), q.len));
    }

    /// The first query argument `name`, decoded, into `buf`; null if absent.
    pub fn arg(name: []const u8, buf: []u8) GetError!?[]u8 {
        return fetchInto(raw.req_get_arg, .{ inPtr(name), name.len }, buf);
    }

    /// The argument, allocated.
    pub fn argAlloc(allocator: std.mem.Allocator, name: []const u8) AllocError!?[]u8 {
        return fetchAlloc(allocator, raw.req_get_arg, .{ inPtr(name), name.len });
    }

    /// The HTTP version times ten: 9, 10, 11, 20, 30.
    pub fn httpVersion() u32 {
        return unsigned(raw.req_http_version());
    }

    /// Whether the request came from an internal redirect.
    pub fn isInternal() bool {
        return raw.req_is_internal() == 1;
    }

    /// When the request started, in ms since the epoch.
    pub fn startTime() u64 {
        return readU64(raw.req_start_time);
    }

    /// Every value of request header `name` (case-insensitive), joined with `, `, into
    /// `buf`; null if absent.
    pub fn header(name: []const u8, buf: []u8) GetError!?[]u8 {
        return fetchInto(raw.req_get_header, .{ inPtr(name), name.len }, buf);
    }

    /// The header, allocated.
    pub fn headerAlloc(allocator: std.mem.Allocator, name: []const u8) AllocError!?[]u8 {
        return fetchAlloc(allocator, raw.req_get_header, .{ inPtr(name), name.len });
    }

    /// Every request header, in order, read into `buf`.
    pub fn headers(buf: []u8) GetError!HeaderIterator {
        return .{ .bytes = present(try fetchInto(raw.req_get_headers, .{}, buf)) };
    }

    /// Every request header, read into memory from `allocator`: free `it.bytes` when done.
    pub fn headersAlloc(allocator: std.mem.Allocator) AllocError!HeaderIterator {
        return .{ .bytes = present(try fetchAlloc(allocator, raw.req_get_headers, .{})) };
    }

    /// Replaces every value of request header `name`; an empty value removes it.
    pub fn setHeader(name: []const u8, value: []const u8) Error!void {
        return check(raw.req_set_header(inPtr(name), name.len, inPtr(value), value.len));
    }

    /// Adds a request header value, keeping earlier ones.
    pub fn addHeader(name: []const u8, value: []const u8) Error!void {
        return check(raw.req_add_header(inPtr(name), name.len, inPtr(value), value.len));
    }

    /// Removes every value of request header `name`.
    pub fn clearHeader(name: []const u8) Error!void {
        return check(raw.req_clear_header(inPtr(name), name.len));
    }

    /// Reads the request body (`ngx.req.read_body()`); the call waits while nginx reads
    /// it. `error.Internal` when nginx refused it (too large, a bad chunk).
    pub fn readBody() Error!void {
        return check(raw.req_read_body());
    }

    /// Reads and discards the request body.
    pub fn discardBody() Error!void {
        return check(raw.req_discard_body());
    }

    /// The length of the body read, or null if none was read.
    pub fn bodyLen() ?usize {
        const n = raw.req_body_len();
        return if (n < 0) null else @intCast(n);
    }

    /// Copies body bytes from `offset` into `buf`: the slice written (empty at the end),
    /// null if no body was read.
    pub fn bodyAt(offset: usize, buf: []u8) Error!?[]u8 {
        const n = raw.req_get_body(offset, outPtr(buf), buf.len);
        if (n == -1) return null;
        try check(n);
        return buf[0..@intCast(n)];
    }

    /// The whole body read, allocated; null if none was read.
    pub fn body(allocator: std.mem.Allocator) AllocError!?[]u8 {
        const len = bodyLen() orelse return null;
        const buf = try allocator.alloc(u8, len);
        errdefer allocator.free(buf);
        var at: usize = 0;
        while (at < len) {
            const got = (try bodyAt(at, buf[at..])) orelse return error.NotFound;
            if (got.len == 0) break;
            at += got.len;
        }
        return buf[0..at];
    }
};

/// nginx variables (`ngx.var`).
pub const vars = struct {
    /// The value of `$name` into `buf`: null if not set for this request,
    /// `error.BadArgument` if there is no such variable.
    pub fn get(name: []const u8, buf: []u8) GetError!?[]u8 {
        return fetchInto(raw.var_get, .{ inPtr(name), name.len }, buf);
    }

    /// The value of `$name`, allocated.
    pub fn getAlloc(allocator: std.mem.Allocator, name: []const u8) AllocError!?[]u8 {
        return fetchAlloc(allocator, raw.var_get, .{ inPtr(name), name.len });
    }

    /// Sets `$name` (declared with `set $name ...;`, or a changeable built-in).
    pub fn set(name: []const u8, value: []const u8) Error!void {
        return check(raw.var_set(inPtr(name), name.len, inPtr(value), value.len));
    }
};

/// The response: status, body output, control flow and headers (`ngx.status`, `ngx.say`,
/// `ngx.exit`, `ngx.header`...).
pub const resp = struct {
    /// The status set so far, 0 if none (`ngx.status`).
    pub fn status() u16 {
        return @intCast(unsigned(raw.resp_get_status()));
    }

    /// Sets the status (100..=599); `error.NotAllowed` once the header was sent.
    pub fn setStatus(code: u16) Error!void {
        return check(raw.resp_set_status(code));
    }

    /// Appends `data` to the response body (`ngx.print`).
    pub fn print(data: []const u8) Error!void {
        return check(raw.resp_print(inPtr(data), data.len));
    }

    /// Appends `data` and a newline (`ngx.say`).
    pub fn say(data: []const u8) Error!void {
        return check(raw.resp_say(inPtr(data), data.len));
    }

    /// `print` with `std.fmt` formatting.
    pub fn printf(comptime fmt: []const u8, args: anytype) Error!void {
        return formatted(fmt, args, 0, printSink);
    }

    /// `say` with `std.fmt` formatting: `ngx.resp.sayf("{d} items", .{n})`.
    pub fn sayf(comptime fmt: []const u8, args: anytype) Error!void {
        return formatted(fmt, args, 0, saySink);
    }

    /// Sends the header and the body so far (`ngx.flush(true)`); the response is then
    /// streamed and its status and headers are fixed.
    pub fn flush() Error!void {
        return check(raw.resp_flush());
    }

    /// `ngx.exit`: 0 ends this handler and the request goes on; 200..=599 finishes the
    /// request with that status when the export returns. Return right after.
    pub fn exit(code: u16) Error!void {
        return check(raw.resp_exit(code));
    }

    /// `ngx.redirect`: `Location: uri` with 301, 302, 303, 307 or 308 (0: 302) when the
    /// export returns. Return right after.
    pub fn redirect(uri: []const u8, code: u16) Error!void {
        return check(raw.resp_redirect(inPtr(uri), uri.len, code));
    }

    /// `ngx.exec`: an internal redirect to `uri` (a path or `@name`) with query `args`
    /// when the export returns. Return right after.
    pub fn exec(uri: []const u8, args: []const u8) Error!void {
        return check(raw.req_exec(inPtr(uri), uri.len, inPtr(args), args.len));
    }

    /// Every value of response header `name`, joined with `, `, into `buf`; null if absent.
    pub fn header(name: []const u8, buf: []u8) GetError!?[]u8 {
        return fetchInto(raw.resp_get_header, .{ inPtr(name), name.len }, buf);
    }

    /// The response header, allocated.
    pub fn headerAlloc(allocator: std.mem.Allocator, name: []const u8) AllocError!?[]u8 {
        return fetchAlloc(allocator, raw.resp_get_header, .{ inPtr(name), name.len });
    }

    /// Every response header, read into `buf`.
    pub fn headers(buf: []u8) GetError!HeaderIterator {
        return .{ .bytes = present(try fetchInto(raw.resp_get_headers, .{}, buf)) };
    }

    /// Every response header, read into memory from `allocator` (see `req.headersAlloc`).
    pub fn headersAlloc(allocator: std.mem.Allocator) AllocError!HeaderIterator {
        return .{ .bytes = present(try fetchAlloc(allocator, raw.resp_get_headers, .{})) };
    }

    /// Replaces every value of response header `name` (`ngx.header[name] = value`); an
    /// empty value removes it. `error.NotAllowed` for headers nginx manages or after the
    /// header was sent.
    pub fn setHeader(name: []const u8, value: []const u8) Error!void {
        return check(raw.resp_set_header(inPtr(name), name.len, inPtr(value), value.len));
    }

    /// Adds a response header value (e.g. another `Set-Cookie`).
    pub fn addHeader(name: []const u8, value: []const u8) Error!void {
        return check(raw.resp_add_header(inPtr(name), name.len, inPtr(value), value.len));
    }

    /// Removes every value of response header `name` (`ngx.header[name] = nil`).
    pub fn clearHeader(name: []const u8) Error!void {
        return check(raw.resp_clear_header(inPtr(name), name.len));
    }
};

/// The body filter's chunk (`ngx.arg[1]`, `ngx.arg[2]`); only in `body_filter_by_wasm`.
pub const body_filter = struct {
    /// The data of the chunk passing through, into `buf`.
    pub fn chunk(buf: []u8) GetError![]u8 {
        return present(try fetchInto(raw.body_chunk_get, .{}, buf));
    }

    /// The chunk's data, allocated.
    pub fn chunkAlloc(allocator: std.mem.Allocator) AllocError![]u8 {
        return present(try fetchAlloc(allocator, raw.body_chunk_get, .{}));
    }

    /// Replaces the chunk's data (empty drops it); its end-of-stream flag is kept.
    pub fn setChunk(data: []const u8) Error!void {
        return check(raw.body_chunk_set(inPtr(data), data.len));
    }

    /// Whether this chunk ends the response body (`ngx.arg[2]`).
    pub fn isLast() bool {
        return raw.body_chunk_is_last() == 1;
    }
};

/// The request's context (`ngx.ctx`): bytes under keys, kept across the phases of one
/// request (not across an internal redirect).
pub const ctx = struct {
    /// The value under `key` into `buf`; null if absent.
    pub fn get(key: []const u8, buf: []u8) GetError!?[]u8 {
        return fetchInto(raw.ctx_get, .{ inPtr(key), key.len }, buf);
    }

    /// The value under `key`, allocated.
    pub fn getAlloc(allocator: std.mem.Allocator, key: []const u8) AllocError!?[]u8 {
        return fetchAlloc(allocator, raw.ctx_get, .{ inPtr(key), key.len });
    }

    /// Stores `value` under `key` (a non-empty key).
    pub fn set(key: []const u8, value: []const u8) Error!void {
        return check(raw.ctx_set(inPtr(key), key.len, inPtr(value), value.len));
    }

    /// Removes `key`; `error.NotFound` if it was absent.
    pub fn delete(key: []const u8) Error!void {
        return check(raw.ctx_delete(inPtr(key), key.len));
    }
};
