//! Links the host ABIs into a wasmtime [`Linker`], one function per table entry: a function
//! whose parameters and result are `i32`s (every `ngx` function) as a typed closure of its
//! arity (`func_wrap`, through engine-api's one list of arities, [`engine_api::by_arity!`]),
//! the fastest host call; any other from its signature (`func_new`). A function that may
//! suspend is linked as an async function (`func_new_async`): a module importing one runs
//! its calls on a fiber ([`crate::call`]); every other module keeps plain calls. A function
//! that hands bytes to the guest calls the guest's allocator ([`abi::ALLOCATORS`]) before it
//! returns: with a plain call, or in the fiber linker with `call_async`.

use std::sync::Arc;

use engine_api::abi::{self, Called, Gift, HostAbi, HostFunction, MAX_PARAMS};
use engine_api::by_arity;
use engine_api::suspend::Exchange;
use engine_api::{FuncType, Val, ValType};
use wasmtime::{AsContextMut as _, Caller, Linker};

use crate::StoreData;

/// A linker holding every host function of `abis`; with `fiber`, for modules whose calls
/// run on a fiber.
pub(crate) fn build(
    engine: &wasmtime::Engine,
    abis: &[&'static HostAbi],
    fiber: bool,
) -> anyhow::Result<Linker<StoreData>> {
    let mut linker = Linker::new(engine);
    for abi in abis {
        for f in abi.functions {
            let linked = if f.is_i32_shaped() {
                by_arity!(
                    f.params.len(),
                    link_i32!(linker, abi.module, f),
                    link_dynamic(&mut linker, engine, abi.module, f, fiber)
                )
            } else {
                link_dynamic(&mut linker, engine, abi.module, f, fiber)
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

/// Links `f` from its signature: as an async function if it may suspend, or if it calls the
/// guest back in a fiber module.
fn link_dynamic(
    linker: &mut Linker<StoreData>,
    engine: &wasmtime::Engine,
    module: &str,
    f: &'static HostFunction,
    fiber: bool,
) -> wasmtime::Result<()> {
    let ty = func_type(engine, &f.func_type());
    if f.gives() && fiber {
        linker.func_new_async(module, f.name, ty, move |mut caller, params, results| {
            Box::new(async move {
                let value = match invoke(&mut caller, f, params)? {
                    Called::Give(gift) => Some(give_async(&mut caller, *gift).await?),
                    Called::Returned(value) => value,
                    Called::Suspended(_) => return Err(suspended_outside(f)),
                };
                set_result(results, value);
                Ok(())
            })
        })?;
    } else if f.suspends() {
        linker.func_new_async(module, f.name, ty, move |caller, params, results| {
            Box::new(invoke_async(caller, f, params, results))
        })?;
    } else {
        linker.func_new(
            module,
            f.name,
            ty,
            move |mut caller, params, results| match invoke(&mut caller, f, params)? {
                Called::Returned(value) => {
                    set_result(results, value);
                    Ok(())
                }
                Called::Give(gift) => {
                    let value = give(&mut caller, *gift)?;
                    set_result(results, Some(value));
                    Ok(())
                }
                Called::Suspended(_) => Err(suspended_outside(f)),
            },
        )?;
    }
    Ok(())
}

/// The guest's allocator export, if it has one of the right type.
fn allocator(caller: &mut Caller<'_, StoreData>) -> Option<wasmtime::TypedFunc<i32, i32>> {
    abi::ALLOCATORS.iter().find_map(|name| {
        let func = caller.get_export(name)?.into_func()?;
        func.typed::<i32, i32>(&*caller).ok()
    })
}

/// Hands `gift` to the guest: its allocator makes room, then the bytes are copied there.
fn give(caller: &mut Caller<'_, StoreData>, gift: Gift) -> wasmtime::Result<Val> {
    let ptr = match allocator(caller) {
        Some(alloc) => Some(alloc.call(&mut *caller, gift.len())?),
        None => None,
    };
    deliver(caller, gift, ptr)
}

/// [`give`] for a module whose calls run on a fiber.
async fn give_async(caller: &mut Caller<'_, StoreData>, gift: Gift) -> wasmtime::Result<Val> {
    let ptr = match allocator(caller) {
        Some(alloc) => Some(alloc.call_async(&mut *caller, gift.len()).await?),
        None => None,
    };
    deliver(caller, gift, ptr)
}

/// Copies `gift` where the allocator put it (the memory may have grown meanwhile).
fn deliver(
    caller: &mut Caller<'_, StoreData>,
    gift: Gift,
    ptr: Option<i32>,
) -> wasmtime::Result<Val> {
    let memory = caller.data().memory;
    let data = memory.map(|m| m.data_mut(&mut *caller));
    abi::deliver(gift, data, ptr).map_err(wasmtime::Error::new)
}

/// The fast path: hands the guest memory, the bound request and the `i32` arguments to the
/// shared implementation.
fn invoke_i32(
    caller: &mut Caller<'_, StoreData>,
    f: &'static HostFunction,
    args: &[i32],
) -> wasmtime::Result<i32> {
    let result = match caller.data().memory {
        Some(memory) => {
            let (data, store) = memory.data_and_store_mut(&mut *caller);
            abi::invoke_i32(f, Some(data), &mut store.request, args)
        }
        None => abi::invoke_i32(f, None, &mut caller.data_mut().request, args),
    };
    result.map_err(wasmtime::Error::new)
}

/// The error for a function that suspended where it was not linked to (cannot happen: only
/// functions declared as suspending may return a wait, and those are linked async).
fn suspended_outside(f: &HostFunction) -> wasmtime::Error {
    wasmtime::Error::new(engine_api::HostTrap::new(
        f.qualified,
        "suspended, but it was not linked as a function that may suspend",
    ))
}

/// Hands the guest memory, the bound request and the arguments to the shared implementation.
fn invoke(
    caller: &mut Caller<'_, StoreData>,
    f: &'static HostFunction,
    params: &[wasmtime::Val],
) -> wasmtime::Result<Called> {
    let mut args = [Val::I32(0); MAX_PARAMS];
    let n = params.len().min(MAX_PARAMS);
    for (a, p) in args.iter_mut().zip(&params[..n]) {
        *a = from_wasmtime(p);
    }
    let called = match caller.data().memory {
        Some(memory) => {
            let (data, store) = memory.data_and_store_mut(&mut *caller);
            abi::invoke(f, Some(data), &mut store.request, &args[..n])
        }
        None => abi::invoke(f, None, &mut caller.data_mut().request, &args[..n]),
    };
    called.map_err(wasmtime::Error::new)
}

/// A host function that may suspend: if it asks to wait, the future is pending (the fiber
/// returns to the instance, which returns `Suspended`) until the instance resumes the call
/// through the store's [`Exchange`]; then the function completes with the host's reply.
async fn invoke_async(
    mut caller: Caller<'_, StoreData>,
    f: &'static HostFunction,
    params: &[wasmtime::Val],
    results: &mut [wasmtime::Val],
) -> wasmtime::Result<()> {
    let pending = match invoke(&mut caller, f, params)? {
        Called::Returned(value) => {
            set_result(results, value);
            return Ok(());
        }
        Called::Give(gift) => {
            let value = give_async(&mut caller, *gift).await?;
            set_result(results, Some(value));
            return Ok(());
        }
        Called::Suspended(pending) => pending,
    };
    let exchange: Arc<Exchange> = caller
        .data()
        .exchange
        .clone()
        .ok_or_else(|| suspended_outside(f))?;
    // The request of this step ends here; the next step's comes with the resumption.
    caller.data_mut().request.unbind();
    let resume = exchange.suspend(pending.wait()).await;
    caller.data_mut().request = resume.request;
    caller.data_mut().deadline = resume.deadline;
    if resume.deadline.is_some() {
        caller.as_context_mut().set_epoch_deadline(1);
    }
    let value = match caller.data().memory {
        Some(memory) => {
            let (data, store) = memory.data_and_store_mut(&mut caller);
            abi::finish(pending, Some(data), &mut store.request, resume.reply)
        }
        None => abi::finish(pending, None, &mut caller.data_mut().request, resume.reply),
    }
    .map_err(wasmtime::Error::new)?;
    set_result(results, value);
    Ok(())
}

fn set_result(results: &mut [wasmtime::Val], value: Option<Val>) {
    if let (Some(v), Some(slot)) = (value, results.first_mut()) {
        *slot = to_wasmtime(v);
    }
}

pub(crate) fn func_type(engine: &wasmtime::Engine, ty: &FuncType) -> wasmtime::FuncType {
    wasmtime::FuncType::new(
        engine,
        ty.params.iter().map(|t| val_type(*t)),
        ty.results.iter().map(|t| val_type(*t)),
    )
}

fn val_type(t: ValType) -> wasmtime::ValType {
    match t {
        ValType::I32 => wasmtime::ValType::I32,
        ValType::I64 => wasmtime::ValType::I64,
        ValType::F32 => wasmtime::ValType::F32,
        ValType::F64 => wasmtime::ValType::F64,
        ValType::V128 => wasmtime::ValType::V128,
        ValType::Ref => wasmtime::ValType::EXTERNREF,
    }
}

/// A wasmtime number as a [`Val`] (references and vectors never cross the host ABI: the
/// tables declare numbers only).
pub(crate) fn from_wasmtime(v: &wasmtime::Val) -> Val {
    match v {
        wasmtime::Val::I32(v) => Val::I32(*v),
        wasmtime::Val::I64(v) => Val::I64(*v),
        wasmtime::Val::F32(bits) => Val::F32(f32::from_bits(*bits)),
        wasmtime::Val::F64(bits) => Val::F64(f64::from_bits(*bits)),
        _ => Val::I32(0),
    }
}

pub(crate) fn to_wasmtime(v: Val) -> wasmtime::Val {
    match v {
        Val::I32(v) => wasmtime::Val::I32(v),
        Val::I64(v) => wasmtime::Val::I64(v),
        Val::F32(v) => wasmtime::Val::F32(v.to_bits()),
        Val::F64(v) => wasmtime::Val::F64(v.to_bits()),
    }
}
