//! Tells the module which optional parts nginx was built with: `cfg(ngx_ssl)` when nginx has
//! `--with-http_ssl_module` (TLS on guest sockets needs nginx's OpenSSL layer).

fn main() {
    println!("cargo::rustc-check-cfg=cfg(ngx_ssl)");
    println!("cargo::rerun-if-env-changed=DEP_NGINX_FEATURES");
    // nginx-sys exports the features of the nginx it was built against to its direct
    // dependents, as a comma-separated list.
    let features = std::env::var("DEP_NGINX_FEATURES").unwrap_or_default();
    if features.split(',').any(|f| f == "http_ssl") {
        println!("cargo::rustc-cfg=ngx_ssl");
    }
}
