//! Checks a module against the host ABI at configuration time, with the same messages on
//! every engine.

use anyhow::bail;

use crate::abi::{HostAbi, HostFunction};
use crate::engine::{Capabilities, ExportType, ExternKind, ImportType};
use crate::value::FuncType;

/// Fails unless `bytes` start like a binary WebAssembly core module, with a message that is the
/// same on every engine (engines report this case in very different words).
pub fn check_binary(bytes: &[u8]) -> anyhow::Result<()> {
    const MAGIC: &[u8; 4] = b"\0asm";
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        bail!("not a WebAssembly binary (no \\0asm header; text .wat files must be compiled to .wasm first)");
    }
    if bytes[4..8] != [1, 0, 0, 0] {
        bail!("unsupported WebAssembly binary version {:?} (only core modules, version 1, are supported; components are not)", &bytes[4..8]);
    }
    Ok(())
}

/// Checks every import of a module against `abis`: each must be a host function of one of
/// them, imported with its declared signature, and one that may suspend only when the engine
/// can suspend (`caps`). Returns the host functions in import order. The error names the
/// first offending import, with the same words on every engine.
pub fn check_imports(
    imports: &[ImportType],
    abis: &[&'static HostAbi],
    caps: Capabilities,
) -> anyhow::Result<Vec<&'static HostFunction>> {
    let mut funcs = Vec::with_capacity(imports.len());
    for import in imports {
        let what = format!("import \"{}\".\"{}\"", import.module, import.name);
        let Some(abi) = abis.iter().find(|a| a.module == import.module) else {
            let modules: Vec<String> = abis.iter().map(|a| format!("\"{}\"", a.module)).collect();
            bail!(
                "{what} is not provided by the host (host functions are imported from {})",
                modules.join(", ")
            );
        };
        let Some(func) = abi.lookup(&import.name) else {
            bail!("{what} is not provided by the host (no such host function)");
        };
        let expected = func.func_type();
        match &import.kind {
            ExternKind::Func(ty) if *ty == expected => {}
            ExternKind::Func(ty) => {
                bail!("{what} has signature {ty}, but the host provides {expected}")
            }
            other => bail!(
                "{what} is a {}, but the host provides a function",
                other.noun()
            ),
        }
        if func.suspends() && !caps.suspend {
            bail!("{what} may suspend the call, which this engine cannot do (choose another wasm_engine)");
        }
        funcs.push(func);
    }
    Ok(funcs)
}

/// True when one of `funcs` may suspend the call: an engine then runs the module's calls in
/// its resumable mode.
pub fn may_suspend(funcs: &[&'static HostFunction]) -> bool {
    funcs.iter().any(|f| f.suspends())
}

/// Fails unless `name` is exported as a function of type `() -> ()`.
pub fn check_handler_export(exports: &[ExportType], name: &str) -> anyhow::Result<()> {
    let Some(export) = exports.iter().find(|e| e.name == name) else {
        let mut funcs: Vec<&str> = exports
            .iter()
            .filter(|e| matches!(e.kind, ExternKind::Func(_)))
            .map(|e| e.name.as_str())
            .collect();
        funcs.sort_unstable();
        let list = if funcs.is_empty() {
            "none".to_string()
        } else {
            funcs.join(", ")
        };
        bail!("export \"{name}\" not found (exported functions: {list})");
    };
    match &export.kind {
        ExternKind::Func(ty) if *ty == FuncType::handler() => Ok(()),
        ExternKind::Func(ty) => {
            bail!(
                "export \"{name}\" has signature {ty}, expected {}",
                FuncType::handler()
            )
        }
        other => bail!(
            "export \"{name}\" is a {}, expected a function",
            other.noun()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::ABIS;
    use crate::value::ValType::{I32, I64};

    const CAN_SUSPEND: Capabilities = Capabilities { suspend: true };

    fn check(imports: &[ImportType]) -> anyhow::Result<Vec<&'static HostFunction>> {
        check_imports(imports, ABIS, CAN_SUSPEND)
    }

    fn func(params: usize, results: usize) -> ExternKind {
        ExternKind::Func(FuncType {
            params: vec![I32; params],
            results: vec![I32; results],
        })
    }

    fn import(module: &str, name: &str, kind: ExternKind) -> ImportType {
        ImportType {
            module: module.into(),
            name: name.into(),
            kind,
        }
    }

    #[test]
    fn binary_header() {
        check_binary(b"\0asm\x01\0\0\0").unwrap();
        let e = check_binary(b"hello world").unwrap_err().to_string();
        assert!(e.starts_with("not a WebAssembly binary"), "{e}");
        let e = check_binary(b"\0asm\x0d\0\x01\0").unwrap_err().to_string();
        assert!(e.contains("components are not"), "{e}");
        assert!(check_binary(b"\0as").is_err());
    }

    #[test]
    fn accepts_abi_imports() {
        let imports = [
            import("ngx", "resp_print", func(2, 1)),
            import("ngx", "log", func(3, 1)),
        ];
        let funcs = check(&imports).unwrap();
        assert_eq!(funcs[1].qualified, "ngx.log");
        assert!(!may_suspend(&funcs));
    }

    #[test]
    fn suspending_imports_need_an_engine_that_can_suspend() {
        let suspend = import(
            "ngx_test",
            "suspend",
            ExternKind::Func(FuncType {
                params: vec![I32, I64],
                results: vec![I64],
            }),
        );
        let funcs = check(std::slice::from_ref(&suspend)).unwrap();
        assert!(may_suspend(&funcs));
        let e = check_imports(&[suspend], ABIS, Capabilities { suspend: false })
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "import \"ngx_test\".\"suspend\" may suspend the call, which this engine cannot do (choose another wasm_engine)"
        );
    }

    #[test]
    fn names_the_bad_import() {
        let e = check(&[import("ngx", "nope", func(0, 0))])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "import \"ngx\".\"nope\" is not provided by the host (no such host function)"
        );
        let e = check(&[import("lua", "f", func(0, 0))])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "import \"lua\".\"f\" is not provided by the host (host functions are imported from \"ngx\", \"ngx_test\", \"wasi_snapshot_preview1\", \"env\")"
        );
        let e = check(&[import("ngx", "resp_print", func(3, 1))])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(
                "has signature (i32, i32, i32) -> (i32), but the host provides (i32, i32) -> (i32)"
            ),
            "{e}"
        );
        let e = check(&[import("ngx", "log", ExternKind::Memory)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("is a memory"), "{e}");
    }

    #[test]
    fn handler_exports() {
        let exports = vec![
            ExportType {
                name: "ok".into(),
                kind: func(0, 0),
            },
            ExportType {
                name: "bad".into(),
                kind: func(1, 1),
            },
            ExportType {
                name: "memory".into(),
                kind: ExternKind::Memory,
            },
        ];
        check_handler_export(&exports, "ok").unwrap();
        let e = check_handler_export(&exports, "bad")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "export \"bad\" has signature (i32) -> (i32), expected () -> ()"
        );
        let e = check_handler_export(&exports, "missing")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "export \"missing\" not found (exported functions: bad, ok)"
        );
        let e = check_handler_export(&exports, "memory")
            .unwrap_err()
            .to_string();
        assert!(e.contains("is a memory"), "{e}");
    }
}

/// What a module's own memories and tables take before its code runs: their initial sizes,
/// all memories together in bytes and all tables together in elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Declared {
    /// Initial linear memory, in bytes.
    pub memory_bytes: u64,
    /// Initial table elements.
    pub table_elements: u64,
}

impl Declared {
    /// Reads the memory and table sections of `bytes` (imports of memories or tables are
    /// refused elsewhere: the host provides functions only).
    pub fn of(bytes: &[u8]) -> anyhow::Result<Declared> {
        use wasmparser::{Parser, Payload};
        let mut d = Declared::default();
        for payload in Parser::new(0).parse_all(bytes) {
            match payload? {
                Payload::MemorySection(memories) => {
                    for m in memories {
                        let m = m?;
                        let page = 1u64 << m.page_size_log2.unwrap_or(16);
                        d.memory_bytes = d
                            .memory_bytes
                            .saturating_add(m.initial.saturating_mul(page));
                    }
                }
                Payload::TableSection(tables) => {
                    for t in tables {
                        d.table_elements = d.table_elements.saturating_add(t?.ty.initial);
                    }
                }
                Payload::CodeSectionStart { .. } => break,
                _ => {}
            }
        }
        Ok(d)
    }

    /// Why an instance of such a module can never be made under `limits`, in words for
    /// `nginx -t`; `None` when it fits.
    pub fn refused_by(&self, limits: &crate::InstanceLimits) -> Option<String> {
        let max = limits.max_memory?;
        if self.memory_bytes > max {
            return Some(format!(
                "its initial memory of {} bytes exceeds wasm_max_memory ({max} bytes)",
                self.memory_bytes
            ));
        }
        let max_elements = limits.max_table_elements()?;
        (self.table_elements > max_elements).then(|| {
            format!(
                "its tables' {} initial elements exceed what wasm_max_memory allows ({max_elements} elements of {} bytes)",
                self.table_elements,
                crate::limits::TABLE_ELEMENT_BYTES
            )
        })
    }
}

#[cfg(test)]
mod declared_tests {
    use super::*;

    #[test]
    fn reads_initial_memory_and_tables() {
        // (module (memory 2) (memory 1) (table 10 funcref)) with multi-memory.
        let bytes = [
            0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, // header
            4, 4, 1, 0x70, 0, 10, // table section: funcref, min 10
            5, 5, 2, 0, 2, 0, 1, // memory section: min 2, min 1
        ];
        let d = Declared::of(&bytes).unwrap();
        assert_eq!(
            d,
            Declared {
                memory_bytes: 3 << 16,
                table_elements: 10
            }
        );
        let fits = crate::InstanceLimits {
            max_memory: Some(3 << 16),
        };
        assert_eq!(d.refused_by(&fits), None);
        let small = crate::InstanceLimits {
            max_memory: Some(1 << 16),
        };
        assert!(d
            .refused_by(&small)
            .unwrap()
            .contains("196608 bytes exceeds"));
        let tiny = crate::InstanceLimits {
            max_memory: Some(64),
        };
        assert!(Declared {
            memory_bytes: 0,
            table_elements: 10
        }
        .refused_by(&tiny)
        .unwrap()
        .contains("10 initial elements"));
        assert_eq!(
            d.refused_by(&crate::InstanceLimits { max_memory: None }),
            None
        );
    }
}
