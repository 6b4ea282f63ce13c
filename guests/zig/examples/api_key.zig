//! An API-key check answering 401 in the access phase: a port of this OpenResty snippet.
//!
//! ```nginx
//! location /private {
//!     set $api_key "s3cret";
//!     access_by_lua_block {
//!         if ngx.req.get_headers()["X-API-Key"] ~= ngx.var.api_key then
//!             ngx.header["WWW-Authenticate"] = 'ApiKey realm="private"'
//!             return ngx.exit(401)
//!         end
//!     }
//! }
//! ```
//!
//! As wasm: `access_by_wasm zig_api_key.wasm check;` with `set $api_key ...;`.
const std = @import("std");
const ngx = @import("ngx");

/// The access handler: 401 with `WWW-Authenticate` unless `X-API-Key` equals `$api_key`.
export fn check() void {
    const gpa = ngx.gpa;
    const expected = (ngx.vars.getAlloc(gpa, "api_key") catch null) orelse &.{};
    defer gpa.free(expected);
    const given = ngx.req.headerAlloc(gpa, "x-api-key") catch null;
    defer if (given) |g| gpa.free(g);
    if (expected.len == 0 or given == null or !std.mem.eql(u8, given.?, expected)) {
        ngx.resp.setHeader("WWW-Authenticate", "ApiKey realm=\"private\"") catch {};
        var buf: [32]u8 = undefined;
        const method = ngx.req.method(&buf) catch "";
        ngx.logf(.warn, "api key rejected for {s}", .{method}) catch {};
        ngx.resp.exit(401) catch {};
        return;
    }
}
