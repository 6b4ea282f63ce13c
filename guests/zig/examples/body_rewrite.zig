//! A body filter that rewrites text: a port of this OpenResty snippet.
//!
//! ```nginx
//! location /page {
//!     body_filter_by_lua_block {
//!         ngx.arg[1] = ngx.re.gsub(ngx.arg[1], "nginx", "NGINX+wasm")
//!     }
//! }
//! ```
//!
//! Unlike the Lua one-liner, this port handles a word split across two chunks: it keeps the
//! tail of a chunk that could start the word in `ngx.ctx` and prepends it to the next chunk.
//!
//! As wasm: `body_filter_by_wasm zig_body_rewrite.wasm rewrite;`
const std = @import("std");
const ngx = @import("ngx");

const from = "nginx";
const to = "NGINX+wasm";

/// The length of the longest suffix of `data` that is a proper prefix of `from`.
fn partialTail(data: []const u8) usize {
    var n: usize = from.len - 1;
    while (n > 0) : (n -= 1) {
        if (n <= data.len and std.mem.endsWith(u8, data, from[0..n])) return n;
    }
    return 0;
}

/// The body filter: replaces every `nginx` with `NGINX+wasm`, across chunk boundaries.
export fn rewrite() void {
    var arena: std.heap.ArenaAllocator = .init(ngx.gpa);
    defer arena.deinit();
    const a = arena.allocator();
    const carry = (ngx.ctx.getAlloc(a, "carry") catch null) orelse &.{};
    const chunk = ngx.body_filter.chunkAlloc(a) catch &.{};
    const data = std.mem.concat(a, u8, &.{ carry, chunk }) catch return;
    const keep = if (ngx.body_filter.isLast()) 0 else partialTail(data);
    const now = data[0 .. data.len - keep];
    ngx.ctx.set("carry", data[now.len..]) catch {};
    const out = std.mem.replaceOwned(u8, a, now, from, to) catch return;
    ngx.body_filter.setChunk(out) catch {};
}
