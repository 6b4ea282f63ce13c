//! Links the host ABIs into a wasmi [`Linker`], one function per table entry: a function
//! whose parameters and result are `i32`s (every `ngx` function) as a typed closure of its
//! arity (`func_wrap`, through engine-api's one list of arities, [`engine_api::by_arity!`]);
//! any other from its signature (`func_new`).

use engine_api::abi::{self, Called, Gift, HostAbi, HostFunction, MAX_PARAMS};
use engine_api::by_arity;
use engine_api::{FuncType, Val, ValType};
use wasmi::{Caller, Linker};

use crate::{StoreData, Suspend, Trap};

/// A linker holding every host function of `abis`.
pub(crate) fn build(
    engine: &wasmi::Engine,
    abis: &[&'static HostAbi],
) -> anyhow::Result<Linker<StoreData>> {
    let mut linker = Linker::new(engine);
    for abi in abis {
        for f in abi.functions {
            let linked = if f.is_i32_shaped() {
                by_arity!(
                    f.params.len(),
                    link_i32!(linker, abi.module, f),
                    link_dynamic(&mut linker, abi.module, f)
                )
            } else {
                link_dynamic(&mut linker, abi.module, f)
            };
            linked.map_err(|e| anyhow::anyhow!("{}: {e}", f.qualified))?;
        }
    }
    Ok(linker)
}

/// Links `$f`, a function of `i32`s, as a typed closure with the given parameters.
macro_rules! link_i32 {
    ($linker:expr, $module:expr, $f:expr; $($a:ident),*) => {
        $linker
            .func_wrap(
                $module,
                $f.name,
                move |mut caller: Caller<'_, StoreData>, $($a: i32),*| {
                    invoke_i32(&mut caller, $f, &[$($a),*])
                },
            )
            .map(|_| ())
    };
}
use link_i32;

/// Links `f` from its signature.
fn link_dynamic(
    linker: &mut Linker<StoreData>,
    module: &str,
    f: &'static HostFunction,
) -> Result<(), wasmi::errors::LinkerError> {
    linker
        .func_new(
            module,
            f.name,
            func_type(&f.func_type()),
            move |mut caller, params, results| invoke(&mut caller, f, params, results),
        )
        .map(|_| ())
}

/// The fast path: hands the guest memory, the bound request and the `i32` arguments to the
/// shared implementation.
fn invoke_i32(
    caller: &mut Caller<'_, StoreData>,
    f: &'static HostFunction,
    args: &[i32],
) -> Result<i32, wasmi::Error> {
    let result = match caller.data().memory {
        Some(memory) => {
            let (data, store) = memory.data_and_store_mut(&mut *caller);
            abi::invoke_i32(f, Some(data), &mut store.request, args)
        }
        None => abi::invoke_i32(f, None, &mut caller.data_mut().request, args),
    };
    result.map_err(|t| wasmi::Error::host(Trap(t)))
}

/// Hands the guest memory, the bound request and the arguments to the shared implementation.
/// A function that suspends leaves its pending half in the store and returns [`Suspend`],
/// which a resumable call reports as a host trap that can be resumed.
fn invoke(
    caller: &mut Caller<'_, StoreData>,
    f: &'static HostFunction,
    params: &[wasmi::Val],
    results: &mut [wasmi::Val],
) -> Result<(), wasmi::Error> {
    let mut args = [Val::I32(0); MAX_PARAMS];
    let n = params.len().min(MAX_PARAMS);
    for (a, p) in args.iter_mut().zip(&params[..n]) {
        *a = from_wasmi(p);
    }
    let called = match caller.data().memory {
        Some(memory) => {
            let (data, store) = memory.data_and_store_mut(&mut *caller);
            abi::invoke(f, Some(data), &mut store.request, &args[..n])
        }
        None => abi::invoke(f, None, &mut caller.data_mut().request, &args[..n]),
    };
    match called {
        Ok(Called::Returned(value)) => {
            set_result(results, value);
            Ok(())
        }
        Ok(Called::Suspended(pending)) => {
            caller.data_mut().pending = Some(pending);
            Err(wasmi::Error::host(Suspend))
        }
        Ok(Called::Give(gift)) => {
            let value = give(caller, *gift)?;
            set_result(results, Some(value));
            Ok(())
        }
        Err(trap) => Err(wasmi::Error::host(Trap(trap))),
    }
}

/// Hands `gift` to the guest: its allocator makes room (a nested call), then the bytes are
/// copied there (the memory may have grown meanwhile).
fn give(caller: &mut Caller<'_, StoreData>, gift: Gift) -> Result<Val, wasmi::Error> {
    let alloc = abi::ALLOCATORS.iter().find_map(|name| {
        let func = caller.get_export(name)?.into_func()?;
        func.typed::<i32, i32>(&*caller).ok()
    });
    let ptr = match alloc {
        Some(alloc) => Some(alloc.call(&mut *caller, gift.len())?),
        None => None,
    };
    let delivered = match caller.data().memory {
        Some(memory) => {
            let (data, _) = memory.data_and_store_mut(&mut *caller);
            abi::deliver(gift, Some(data), ptr)
        }
        None => abi::deliver(gift, None, ptr),
    };
    delivered.map_err(|t| wasmi::Error::host(Trap(t)))
}

/// Writes a host function's result into wasmi's result slot.
pub(crate) fn set_result(results: &mut [wasmi::Val], value: Option<Val>) {
    if let (Some(v), Some(slot)) = (value, results.first_mut()) {
        *slot = to_wasmi(v);
    }
}

pub(crate) fn func_type(ty: &FuncType) -> wasmi::FuncType {
    wasmi::FuncType::new(
        ty.params.iter().map(|t| val_type(*t)),
        ty.results.iter().map(|t| val_type(*t)),
    )
}

fn val_type(t: ValType) -> wasmi::ValType {
    match t {
        ValType::I32 => wasmi::ValType::I32,
        ValType::I64 => wasmi::ValType::I64,
        ValType::F32 => wasmi::ValType::F32,
        ValType::F64 => wasmi::ValType::F64,
        ValType::V128 => wasmi::ValType::V128,
        ValType::Ref => wasmi::ValType::ExternRef,
    }
}

/// A wasmi number as a [`Val`] (references and vectors never cross the host ABI: the tables
/// declare numbers only).
pub(crate) fn from_wasmi(v: &wasmi::Val) -> Val {
    match v {
        wasmi::Val::I32(v) => Val::I32(*v),
        wasmi::Val::I64(v) => Val::I64(*v),
        wasmi::Val::F32(v) => Val::F32(v.to_float()),
        wasmi::Val::F64(v) => Val::F64(v.to_float()),
        _ => Val::I32(0),
    }
}

pub(crate) fn to_wasmi(v: Val) -> wasmi::Val {
    match v {
        Val::I32(v) => wasmi::Val::I32(v),
        Val::I64(v) => wasmi::Val::I64(v),
        Val::F32(v) => wasmi::Val::from(v),
        Val::F64(v) => wasmi::Val::from(v),
    }
}
