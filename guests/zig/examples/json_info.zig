//! A JSON response built from arguments and headers: a port of this OpenResty snippet.
//!
//! ```nginx
//! location /info {
//!     default_type application/json;
//!     content_by_lua_block {
//!         local cjson = require "cjson"
//!         ngx.say(cjson.encode({ name = ngx.var.arg_name, agent = ngx.var.http_user_agent,
//!                                method = ngx.req.get_method() }))
//!     }
//! }
//! ```
//!
//! As wasm: `content_by_wasm zig_json_info.wasm info;`
const std = @import("std");
const ngx = @import("ngx");

/// A JSON string escaped as the Rust example escapes it: std.json's escaping, but `\u0008`
/// and `\u000c` for backspace and form feed (std.json writes `\b` and `\f`). The bytes must
/// be valid UTF-8 (see `lossy`).
const Text = struct {
    /// The text, valid UTF-8.
    bytes: []const u8,

    /// Called by std.json to write the value.
    pub fn jsonStringify(self: Text, jw: *std.json.Stringify) !void {
        try jw.beginWriteRaw();
        defer jw.endWriteRaw();
        const w = jw.writer;
        try w.writeByte('"');
        var rest = self.bytes;
        while (std.mem.indexOfAny(u8, rest, "\x08\x0c")) |i| {
            try std.json.Stringify.encodeJsonStringChars(rest[0..i], .{}, w);
            try w.print("\\u{x:0>4}", .{rest[i]});
            rest = rest[i + 1 ..];
        }
        try std.json.Stringify.encodeJsonStringChars(rest, .{}, w);
        try w.writeByte('"');
    }
};

/// `bytes` as valid UTF-8: ill-formed sequences become U+FFFD, as Rust's
/// `String::from_utf8_lossy` makes them; null stays null.
fn lossy(a: std.mem.Allocator, bytes: ?[]const u8) ?Text {
    const b = bytes orelse return null;
    const text = std.fmt.allocPrint(a, "{f}", .{std.unicode.fmtUtf8(b)}) catch return null;
    return .{ .bytes = text };
}

/// The content handler: `{"name":...,"agent":...,"method":...}` and a newline.
export fn info() void {
    var arena: std.heap.ArenaAllocator = .init(ngx.gpa);
    defer arena.deinit();
    const a = arena.allocator();
    const body = .{
        .name = lossy(a, ngx.req.argAlloc(a, "name") catch null),
        .agent = lossy(a, ngx.req.headerAlloc(a, "user-agent") catch null),
        .method = Text{ .bytes = ngx.req.methodAlloc(a) catch "" },
    };
    const json = std.json.Stringify.valueAlloc(a, body, .{}) catch return;
    ngx.resp.setHeader("Content-Type", "application/json") catch {};
    ngx.resp.say(json) catch {};
}
