module ngx-wasm/guests/go

go 1.27
