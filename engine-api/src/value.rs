//! Values crossing the boundary between the host and a guest, and their types.

use std::fmt;

/// A WebAssembly value type, as far as the host ABI cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValType {
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `v128` (never crosses the host ABI)
    V128,
    /// Any reference type (never crosses the host ABI)
    Ref,
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::Ref => "ref",
        })
    }
}

/// A function signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncType {
    /// Parameter types, in order.
    pub params: Vec<ValType>,
    /// Result types, in order.
    pub results: Vec<ValType>,
}

impl FuncType {
    /// The type of a handler export: no parameters, no results.
    pub fn handler() -> FuncType {
        FuncType {
            params: vec![],
            results: vec![],
        }
    }

    /// True when every parameter and result is one of the four number types, the only
    /// values [`Val`] can carry.
    pub fn is_numeric(&self) -> bool {
        self.params
            .iter()
            .chain(&self.results)
            .all(|t| Val::default_of(*t).is_some())
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[ValType]| {
            v.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        write!(f, "({}) -> ({})", list(&self.params), list(&self.results))
    }
}

/// A number passed to or returned from a guest function or a host function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Val {
    /// An `i32`.
    I32(i32),
    /// An `i64`.
    I64(i64),
    /// An `f32`.
    F32(f32),
    /// An `f64`.
    F64(f64),
}

impl Val {
    /// The value's type.
    pub fn ty(self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
        }
    }

    /// Zero of type `ty`, or `None` for the types a [`Val`] cannot hold.
    pub fn default_of(ty: ValType) -> Option<Val> {
        Some(match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0.0),
            ValType::F64 => Val::F64(0.0),
            ValType::V128 | ValType::Ref => return None,
        })
    }

    /// The value as its 64 raw bits (an `i32` sign-extended, floats by their bit pattern),
    /// the form engines with untyped value slots use.
    pub fn to_bits(self) -> u64 {
        match self {
            Val::I32(v) => v as i64 as u64,
            Val::I64(v) => v as u64,
            Val::F32(v) => u64::from(v.to_bits()),
            Val::F64(v) => v.to_bits(),
        }
    }

    /// The value of type `ty` whose raw bits are `bits` (the inverse of [`Val::to_bits`]);
    /// `None` for the types a [`Val`] cannot hold.
    pub fn from_bits(ty: ValType, bits: u64) -> Option<Val> {
        Some(match ty {
            ValType::I32 => Val::I32(bits as i32),
            ValType::I64 => Val::I64(bits as i64),
            ValType::F32 => Val::F32(f32::from_bits(bits as u32)),
            ValType::F64 => Val::F64(f64::from_bits(bits)),
            ValType::V128 | ValType::Ref => return None,
        })
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::I32(v) => write!(f, "{v}"),
            Val::I64(v) => write!(f, "{v}"),
            Val::F32(v) => write!(f, "{v}"),
            Val::F64(v) => write!(f, "{v}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip() {
        for v in [
            Val::I32(-7),
            Val::I32(i32::MAX),
            Val::I64(i64::MIN),
            Val::F32(-1.5),
            Val::F64(1e300),
        ] {
            assert_eq!(Val::from_bits(v.ty(), v.to_bits()), Some(v));
        }
        assert_eq!(Val::from_bits(ValType::Ref, 0), None);
        assert!(FuncType::handler().is_numeric());
        assert!(!FuncType {
            params: vec![ValType::V128],
            results: vec![]
        }
        .is_numeric());
        assert_eq!(
            FuncType {
                params: vec![ValType::I32, ValType::I64],
                results: vec![ValType::F64]
            }
            .to_string(),
            "(i32, i64) -> (f64)"
        );
    }
}
