//! Everything written about the ABIs outside their tables must say what the tables say:
//! `docs/abi.md` (a row per function, with signature and phases), the C header
//! `guests/include/ngx_wasm_guest_abi.h` (declarations, import module, constants) and the
//! Rust SDK's raw imports `guests/sdk/src/ffi.rs` (names, import module, types).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;

use abi_consts::{status, subreq, LogLevel};
use engine_api::abi::{HostAbi, ABIS};
use engine_api::{FuncType, ValType};

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn names(abi: &HostAbi) -> BTreeSet<String> {
    abi.functions.iter().map(|f| f.name.to_string()).collect()
}

/// The `## ` section of `doc` whose heading names the ABI's module in backticks.
fn section<'d>(doc: &'d str, abi: &HostAbi) -> &'d str {
    let tag = format!("`{}`", abi.module);
    let start = doc
        .match_indices("\n## ")
        .map(|(i, _)| i + 1)
        .find(|&i| doc[i..].lines().next().is_some_and(|h| h.contains(&tag)))
        .unwrap_or_else(|| panic!("docs/abi.md has no section headed with {tag}"));
    let end = doc[start + 3..]
        .find("\n## ")
        .map_or(doc.len(), |e| start + 3 + e);
    &doc[start..end]
}

#[test]
fn abi_md_lists_every_host_function_with_signature_and_phases() {
    let doc = read("docs/abi.md");
    for abi in ABIS {
        let part = section(&doc, abi);
        // Rows of a host-function table start with "| `name` |".
        let documented: BTreeSet<String> = part
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split_once("` |").map(|(n, _)| n.to_string()))
            .collect();
        assert_eq!(
            documented,
            names(abi),
            "docs/abi.md vs the {} table",
            abi.module
        );
        for f in abi.functions {
            let row = part
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", f.name)))
                .unwrap_or_else(|| panic!("no row for {}", f.qualified));
            let cols: Vec<&str> = row.split(" | ").collect();
            assert_eq!(
                cols[1],
                format!("`{}`", f.signature()),
                "signature of {}",
                f.qualified
            );
            assert_eq!(cols[2], f.phases.doc_name(), "phases of {}", f.qualified);
        }
    }
}

/// The wasm type a C parameter or result type lowers to on wasm32.
fn c_type(t: &str) -> ValType {
    let t = t.trim();
    if t.contains('*') || t.ends_with("int32_t") {
        ValType::I32
    } else if t.ends_with("int64_t") {
        ValType::I64
    } else if t == "float" {
        ValType::F32
    } else if t == "double" {
        ValType::F64
    } else {
        panic!("C type {t:?} not mapped")
    }
}

#[test]
fn c_header_declares_the_ngx_abi_and_its_constants() {
    let header = read("guests/include/ngx_wasm_guest_abi.h");
    let abi = &engine_api::abi::ngx::NGX;
    let mut declared = BTreeSet::new();
    for line in header.lines() {
        let Some(rest) = line.split("import_name(\"").nth(1) else {
            continue;
        };
        assert!(
            line.contains(&format!("import_module(\"{}\")", abi.module)),
            "{line}"
        );
        let name = rest.split('"').next().unwrap_or_default().to_string();
        let f = abi
            .lookup(&name)
            .unwrap_or_else(|| panic!("header declares unknown import {name}"));
        let decl = rest.split_once(')').map(|(_, d)| d).unwrap_or_default();
        let decl = decl.split_once(')').map_or(decl, |(_, d)| d).trim();
        let (ret_and_name, params) = decl.split_once('(').expect("a declaration");
        let ret = ret_and_name
            .rsplit_once(' ')
            .map(|(r, _)| r)
            .expect("a type");
        let params = params.trim_end_matches(';').trim_end_matches(')');
        let params: Vec<ValType> = if params.trim() == "void" {
            vec![]
        } else {
            params
                .split(',')
                .map(|p| {
                    let p = p.trim();
                    // `const uint8_t *msg`: the pointer star sits with the name.
                    if p.contains('*') {
                        ValType::I32
                    } else {
                        c_type(p.rsplit_once(' ').map_or(p, |(t, _)| t))
                    }
                })
                .collect()
        };
        let ty = FuncType {
            params,
            results: vec![c_type(ret)],
        };
        assert_eq!(ty, f.func_type(), "C declaration of {}", f.qualified);
        declared.insert(name);
    }
    assert_eq!(declared, names(abi), "C header vs the ngx table");

    let define = |name: &str| -> i32 {
        let line = header
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no #define {name}"));
        line.split_whitespace()
            .nth(2)
            .unwrap_or_default()
            .parse()
            .expect("a number")
    };
    for (name, value) in [
        ("OK", status::OK),
        ("NOT_FOUND", status::NOT_FOUND),
        ("BAD_ARGUMENT", status::BAD_ARGUMENT),
        ("NOT_ALLOWED", status::NOT_ALLOWED),
        ("INTERNAL", status::INTERNAL),
        ("TIMEOUT", status::TIMEOUT),
        ("CLOSED", status::CLOSED),
        ("CONNECT_FAILED", status::CONNECT_FAILED),
        ("RESOLVE_FAILED", status::RESOLVE_FAILED),
        ("TOO_LARGE", status::TOO_LARGE),
        ("TLS_FAILED", status::TLS_FAILED),
        ("TLS_VERIFY_FAILED", status::TLS_VERIFY_FAILED),
        ("TLS_VERIFY", abi_consts::tls::VERIFY),
        ("EXISTS", status::EXISTS),
        ("NO_MEMORY", status::NO_MEMORY),
        ("TOO_MANY", status::TOO_MANY),
    ] {
        assert_eq!(
            define(&format!("NGX_WASM_{name}")),
            value,
            "NGX_WASM_{name}"
        );
    }
    for (name, value) in [
        ("WITH_BODY", subreq::WITH_BODY),
        ("COPY_ALL_VARS", subreq::COPY_ALL_VARS),
        ("SHARE_ALL_VARS", subreq::SHARE_ALL_VARS),
        ("ALWAYS_FORWARD_BODY", subreq::ALWAYS_FORWARD_BODY),
        ("MAX_BATCH", subreq::MAX_BATCH),
    ] {
        assert_eq!(
            define(&format!("NGX_WASM_SUBREQ_{name}")),
            value,
            "NGX_WASM_SUBREQ_{name}"
        );
    }
    for level in LogLevel::ALL {
        let name = match level {
            LogLevel::Err => "ERR".to_string(),
            other => other.name().to_ascii_uppercase(),
        };
        assert_eq!(define(&format!("NGX_WASM_LOG_{name}")), level.to_abi());
    }
}

/// The wasm type a Rust FFI parameter or result type lowers to on wasm32.
fn rust_type(t: &str) -> ValType {
    match t.trim() {
        t if t.starts_with('*') => ValType::I32,
        "i32" | "u32" => ValType::I32,
        "i64" | "u64" => ValType::I64,
        "f32" => ValType::F32,
        "f64" => ValType::F64,
        other => panic!("Rust FFI type {other:?} not mapped"),
    }
}

#[test]
fn sdk_ffi_imports_match_the_tables() {
    let ffi = read("guests/sdk/src/ffi.rs");
    let mut declared: BTreeSet<(String, String)> = BTreeSet::new();
    for block in ffi.split("#[link(wasm_import_module = \"").skip(1) {
        let module = block.split('"').next().unwrap_or_default();
        let abi = ABIS
            .iter()
            .find(|a| a.module == module)
            .unwrap_or_else(|| panic!("ffi.rs imports from unknown module {module}"));
        let body = block
            .split_once("extern \"C\" {")
            .expect("an extern block")
            .1;
        let body = body.split("\n}").next().unwrap_or_default();
        // Declarations may span lines (rustfmt wraps them): drop doc comments, split on `;`.
        let code: String = body
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("//"))
            .collect::<Vec<_>>()
            .join(" ");
        for decl in code.split(';').map(str::trim) {
            let Some(sig) = decl.strip_prefix("pub fn ") else {
                continue;
            };
            let (name, rest) = sig.split_once('(').expect("a signature");
            let (params, ret) = rest.split_once(')').expect("a signature");
            let f = abi
                .lookup(name)
                .unwrap_or_else(|| panic!("ffi.rs declares unknown {module}.{name}"));
            let params: Vec<ValType> = params
                .split(',')
                .filter(|p| !p.trim().is_empty())
                .map(|p| rust_type(p.split_once(':').expect("name: type").1))
                .collect();
            let results: Vec<ValType> = ret
                .trim()
                .strip_prefix("->")
                .map(rust_type)
                .into_iter()
                .collect();
            assert_eq!(
                FuncType { params, results },
                f.func_type(),
                "ffi.rs declaration of {}",
                f.qualified
            );
            declared.insert((module.to_string(), name.to_string()));
        }
    }
    let ngx = &engine_api::abi::ngx::NGX;
    let ngx_declared: BTreeSet<String> = declared
        .iter()
        .filter(|(m, _)| m == ngx.module)
        .map(|(_, n)| n.clone())
        .collect();
    assert_eq!(ngx_declared, names(ngx), "the SDK binds every ngx function");
}
