// Command body_rewrite is a body filter that rewrites text, a port of this OpenResty
// snippet (and of guests/examples/body_rewrite):
//
//	location /page {
//	    body_filter_by_lua_block {
//	        ngx.arg[1] = ngx.re.gsub(ngx.arg[1], "nginx", "NGINX+wasm")
//	    }
//	}
//
// Unlike the Lua one-liner, it handles a word split across two chunks: it keeps the tail
// of a chunk that could start the word in ngx.ctx and prepends it to the next chunk.
//
// As wasm: body_filter_by_wasm go_body_rewrite.wasm rewrite;
package main

import (
	"bytes"

	"ngx-wasm/guests/go/ngx"
)

var (
	from = []byte("nginx")
	to   = []byte("NGINX+wasm")
)

// partialTail returns the length of the longest suffix of data that is a proper prefix of
// from.
func partialTail(data []byte) int {
	for n := len(from) - 1; n > 0; n-- {
		if bytes.HasSuffix(data, from[:n]) {
			return n
		}
	}
	return 0
}

//go:wasmexport rewrite
func rewrite() {
	carry, _ := ngx.Ctx("carry")
	data := append(carry, ngx.Chunk()...)
	keep := 0
	if !ngx.IsLastChunk() {
		keep = partialTail(data)
	}
	now, later := data[:len(data)-keep], data[len(data)-keep:]
	_ = ngx.SetCtx("carry", later)
	_ = ngx.SetChunk(bytes.ReplaceAll(now, from, to))
}

func main() {}
