// Command routing is header-based routing with exec, a port of this OpenResty snippet
// (and of guests/examples/routing):
//
//	location /api {
//	    rewrite_by_lua_block {
//	        local v = ngx.req.get_headers()["X-Version"]
//	        if v == "v2" then return ngx.exec("/internal/v2" .. ngx.var.uri, ngx.var.args) end
//	        return ngx.exec("/internal/v1" .. ngx.var.uri, ngx.var.args)
//	    }
//	}
//
// As wasm: rewrite_by_wasm go_routing.wasm route;
package main

import "ngx-wasm/guests/go/ngx"

//go:wasmexport route
func route() {
	target := "/internal/v1"
	if v, _ := ngx.Header("x-version"); v == "v2" {
		target = "/internal/v2"
	}
	_ = ngx.Exec(target+ngx.URI(), ngx.Query())
}

func main() {}
