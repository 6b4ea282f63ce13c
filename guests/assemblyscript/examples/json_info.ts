// A JSON response built from arguments and headers: a port of guests/examples/json_info.
// As wasm: `content_by_wasm as_json_info.wasm info;`
import * as ngx from "../ngx";

/** `s` as a JSON string literal (RFC 8259 escaping). */
function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c < 0x20) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += String.fromCharCode(c);
  }
  return out + '"';
}

function jsonOpt(v: string | null): string {
  return v != null ? jsonString(v) : "null";
}

export function info(): void {
  ngx.resp.setHeader("Content-Type", "application/json");
  ngx.say(
    '{"name":' + jsonOpt(ngx.req.arg("name")) +
    ',"agent":' + jsonOpt(ngx.req.header("user-agent")) +
    ',"method":' + jsonString(ngx.req.method()) + "}",
  );
}
