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
//! As wasm: `body_filter_by_wasm body_rewrite.wasm rewrite;`
use ngx_wasm_guest as ngx;

const FROM: &[u8] = b"nginx";
const TO: &[u8] = b"NGINX+wasm";

/// The length of the longest suffix of `data` that is a proper prefix of `FROM`.
fn partial_tail(data: &[u8]) -> usize {
    (1..FROM.len())
        .rev()
        .find(|&n| n <= data.len() && data.ends_with(&FROM[..n]))
        .unwrap_or(0)
}

fn replace_all(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i..].starts_with(FROM) {
            out.extend_from_slice(TO);
            i += FROM.len();
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

ngx::handler!(rewrite, || {
    let mut data = ngx::ctx::get("carry").unwrap_or_default();
    data.extend_from_slice(&ngx::body_filter::chunk());
    let keep = if ngx::body_filter::is_last() {
        0
    } else {
        partial_tail(&data)
    };
    let (now, later) = data.split_at(data.len() - keep);
    let _ = ngx::ctx::set("carry", later);
    let _ = ngx::body_filter::set_chunk(replace_all(now));
});
