// Header-based routing with exec: a port of guests/examples/routing (and of the OpenResty
// snippet there). As wasm: `rewrite_by_wasm as_routing.wasm route;`
import * as ngx from "../ngx";

export function route(): void {
  const v = ngx.req.header("x-version");
  const target = v != null && v == "v2" ? "/internal/v2" : "/internal/v1";
  ngx.exec(target + ngx.req.uri(), ngx.req.query());
}
