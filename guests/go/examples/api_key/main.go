// Command api_key is an API-key check answering 401 in the access phase, a port of this
// OpenResty snippet (and of guests/examples/api_key):
//
//	location /private {
//	    set $api_key "s3cret";
//	    access_by_lua_block {
//	        if ngx.req.get_headers()["X-API-Key"] ~= ngx.var.api_key then
//	            ngx.header["WWW-Authenticate"] = 'ApiKey realm="private"'
//	            return ngx.exit(401)
//	        end
//	    }
//	}
//
// As wasm: access_by_wasm go_api_key.wasm check; with set $api_key ...;
package main

import "ngx-wasm/guests/go/ngx"

//go:wasmexport check
func check() {
	expected, _ := ngx.Var("api_key")
	given, ok := ngx.Header("x-api-key")
	if expected == "" || !ok || given != expected {
		_ = ngx.SetResponseHeader("WWW-Authenticate", `ApiKey realm="private"`)
		_ = ngx.Log(ngx.LogWarn, "api key rejected for "+ngx.Method())
		_ = ngx.Exit(401)
		return
	}
}

func main() {}
