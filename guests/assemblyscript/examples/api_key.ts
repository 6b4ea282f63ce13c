// An API-key check answering 401 in the access phase: a port of guests/examples/api_key.
// As wasm: `access_by_wasm as_api_key.wasm check;` with `set $api_key ...;`.
import * as ngx from "../ngx";

export function check(): void {
  const expected = ngx.variable.get("api_key");
  const given = ngx.req.header("x-api-key");
  if (expected == null || expected.length == 0 || given == null || given != expected) {
    ngx.resp.setHeader("WWW-Authenticate", 'ApiKey realm="private"');
    ngx.log(ngx.Level.WARN, "api key rejected for " + ngx.req.method());
    ngx.exit(401);
  }
}
