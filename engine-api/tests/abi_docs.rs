//! `docs/abi.md` and the C header must list exactly the host functions the host registers.

use std::collections::BTreeSet;
use std::path::Path;

use engine_api::abi::HOST_FUNCTIONS;

fn read(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn host_names() -> BTreeSet<String> {
    HOST_FUNCTIONS.iter().map(|f| f.name.to_string()).collect()
}

#[test]
fn abi_md_lists_every_host_function() {
    // Rows of the host-function table start with "| `name`".
    let documented: BTreeSet<String> = read("docs/abi.md")
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .filter(|n| {
            HOST_FUNCTIONS.iter().any(|f| f.name == *n)
                || n.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        })
        .map(str::to_string)
        .collect();
    assert_eq!(
        documented,
        host_names(),
        "docs/abi.md table vs HOST_FUNCTIONS"
    );
}

#[test]
fn c_header_declares_every_host_function_with_its_arity() {
    let header = read("guests/include/ngx_wasm_guest_abi.h");
    let mut declared = BTreeSet::new();
    for line in header.lines() {
        let Some(rest) = line.split("import_name(\"").nth(1) else {
            continue;
        };
        let name = rest.split('"').next().unwrap_or_default().to_string();
        let f = HOST_FUNCTIONS.iter().find(|f| f.name == name);
        let f = f.unwrap_or_else(|| panic!("header declares unknown import {name}"));
        let params = line.rsplit_once('(').map(|(_, p)| p).unwrap_or_default();
        let arity = if params.trim_start().starts_with("void") {
            0
        } else {
            params.split(',').count()
        };
        assert_eq!(arity, f.params.len(), "arity of {name} in the C header");
        declared.insert(name);
    }
    assert_eq!(declared, host_names(), "C header vs HOST_FUNCTIONS");
}

#[test]
fn abi_md_rows_state_each_function_signature_and_phases() {
    let doc = read("docs/abi.md");
    for f in HOST_FUNCTIONS {
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` |", f.name)))
            .unwrap_or_else(|| panic!("no row for {}", f.name));
        let cols: Vec<&str> = row.split(" | ").collect();
        assert_eq!(
            cols[1],
            format!("`({}) -> i32`", f.params.join(", ")),
            "signature of {}",
            f.name
        );
        assert_eq!(cols[2], f.phases.doc_name(), "phases of {}", f.name);
    }
}
