//! Header-based routing with `exec`: a port of this OpenResty snippet.
//!
//! ```nginx
//! location /api {
//!     rewrite_by_lua_block {
//!         local v = ngx.req.get_headers()["X-Version"]
//!         if v == "v2" then return ngx.exec("/internal/v2" .. ngx.var.uri, ngx.var.args) end
//!         return ngx.exec("/internal/v1" .. ngx.var.uri, ngx.var.args)
//!     }
//! }
//! ```
//!
//! As wasm: `rewrite_by_wasm zig_routing.wasm route;`
const std = @import("std");
const ngx = @import("ngx");

/// The rewrite handler: exec to `/internal/v2<uri>` when `X-Version: v2`, else v1.
export fn route() void {
    var version: [8]u8 = undefined;
    const v = ngx.req.header("x-version", &version) catch null;
    const target = if (v != null and std.mem.eql(u8, v.?, "v2")) "/internal/v2" else "/internal/v1";
    const uri = ngx.req.uriAlloc(ngx.gpa) catch return;
    defer ngx.gpa.free(uri);
    const args = ngx.req.queryAlloc(ngx.gpa) catch return;
    defer ngx.gpa.free(args);
    const path = std.mem.concat(ngx.gpa, u8, &.{ target, uri }) catch return;
    defer ngx.gpa.free(path);
    ngx.resp.exec(path, args) catch {};
}
