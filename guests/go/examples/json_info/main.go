// Command json_info is a JSON response built from arguments and headers, a port of this
// OpenResty snippet (and of guests/examples/json_info):
//
//	location /info {
//	    default_type application/json;
//	    content_by_lua_block {
//	        local cjson = require "cjson"
//	        ngx.say(cjson.encode({ name = ngx.var.arg_name, agent = ngx.var.http_user_agent,
//	                               method = ngx.req.get_method() }))
//	    }
//	}
//
// As wasm: content_by_wasm go_json_info.wasm info;
package main

import (
	"encoding/json"

	"ngx-wasm/guests/go/ngx"
)

// info is the response; a missing argument or header is null.
type info struct {
	Name   *string `json:"name"`
	Agent  *string `json:"agent"`
	Method string  `json:"method"`
}

// opt returns a pointer to v if ok, else nil (JSON null).
func opt(v string, ok bool) *string {
	if !ok {
		return nil
	}
	return &v
}

//go:wasmexport info
func handle() {
	_ = ngx.SetResponseHeader("Content-Type", "application/json")
	enc := json.NewEncoder(ngx.Output) // Encode ends the object with "\n", as ngx.say
	enc.SetEscapeHTML(false)           // keep <, > and & as they are, as the Rust port does
	_ = enc.Encode(info{
		Name:   opt(ngx.Arg("name")),
		Agent:  opt(ngx.Header("user-agent")),
		Method: ngx.Method(),
	})
}

func main() {}
