// A body filter that rewrites "nginx" to "NGINX+wasm", also across chunk boundaries (the
// tail that could start the word waits in ngx.ctx): a port of guests/examples/body_rewrite.
// As wasm: `body_filter_by_wasm as_body_rewrite.wasm rewrite;`
import * as ngx from "../ngx";

const FROM = ngx.bytes("nginx");
const TO = ngx.bytes("NGINX+wasm");

function startsWith(data: Uint8Array, at: i32, word: Uint8Array): bool {
  if (at + word.length > data.length) return false;
  for (let i = 0; i < word.length; i++) {
    if (data[at + i] != word[i]) return false;
  }
  return true;
}

/** The length of the longest suffix of `data` that is a proper prefix of FROM. */
function partialTail(data: Uint8Array): i32 {
  for (let n = FROM.length - 1; n >= 1; n--) {
    if (n <= data.length && startsWith(data, data.length - n, FROM.subarray(0, n))) return n;
  }
  return 0;
}

function replaceAll(data: Uint8Array): Uint8Array {
  const out = new Array<u8>();
  let i = 0;
  while (i < data.length) {
    if (startsWith(data, i, FROM)) {
      for (let j = 0; j < TO.length; j++) out.push(TO[j]);
      i += FROM.length;
    } else {
      out.push(data[i]);
      i++;
    }
  }
  const bytes = new Uint8Array(out.length);
  for (let k = 0; k < out.length; k++) bytes[k] = out[k];
  return bytes;
}

export function rewrite(): void {
  const carry = ngx.ctx.get("carry");
  const chunk = ngx.bodyFilter.chunk();
  const c = carry != null ? carry : new Uint8Array(0);
  const data = new Uint8Array(c.length + chunk.length);
  data.set(c, 0);
  data.set(chunk, c.length);
  const keep = ngx.bodyFilter.isLast() ? 0 : partialTail(data);
  ngx.ctx.set("carry", data.subarray(data.length - keep));
  ngx.bodyFilter.setChunk(replaceAll(data.subarray(0, data.length - keep)));
}
