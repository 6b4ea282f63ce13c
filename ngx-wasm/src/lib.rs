pub use ngx; pub use engine_wasmtime;
