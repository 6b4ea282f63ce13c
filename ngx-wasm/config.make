# Makefile rule for the Rust static library (see `config`). cargo tracks the sources itself,
# so the rule always runs and cargo decides what to rebuild.

cat << END                                                    >> $NGX_MAKEFILE

.PHONY: $ngx_wasm_lib

$ngx_wasm_lib:
	NGINX_SOURCE_DIR="$PWD" NGINX_BUILD_DIR="$PWD/$NGX_OBJS" \\
	$NGX_CARGO rustc --release --lib --crate-type staticlib \\
		--manifest-path "$ngx_addon_dir/Cargo.toml" \\
		--no-default-features --features "$ngx_wasm_features" \\
		--target-dir "$ngx_wasm_target_dir"

END

if [ -n "$ngx_wasm_dynamic_so" ]; then
    cat << END                                                >> $NGX_MAKEFILE
$ngx_wasm_dynamic_so: $ngx_wasm_lib
END
fi
