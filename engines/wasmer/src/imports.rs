//! Builds a module's imports from the host ABIs, one function per imported table entry: a
//! function whose parameters and result are `i32`s (every `ngx` function) as a typed closure
//! of its arity (`new_typed_with_env`, through engine-api's one list of arities,
//! [`engine_api::by_arity!`]); any other from its signature (`new_with_env`). A function that
//! may suspend is made async (`new_with_env_async`): a module importing one runs its calls
//! on a coroutine ([`crate::call`]); every other module keeps plain calls.

use std::sync::Arc;

use engine_api::abi::{self, Called, Gift, HostFunction, MAX_PARAMS};
use engine_api::by_arity;
use engine_api::suspend::Exchange;
use engine_api::{FuncType, HostTrap, Val, ValType};
use wasmer::{
    AsStoreMut, AsyncFunctionEnvMut, Extern, Function, FunctionEnv, FunctionEnvMut, RuntimeError,
    Store, Value,
};

use crate::HostState;

/// Runs `f` with the guest memory and the bound request of `state`.
fn invoke(
    state: &mut HostState,
    store: &impl wasmer::AsStoreRef,
    f: &'static HostFunction,
    params: &[Value],
) -> Result<Called, RuntimeError> {
    let mut args = [Val::I32(0); MAX_PARAMS];
    let n = params.len().min(MAX_PARAMS);
    for (a, p) in args.iter_mut().zip(&params[..n]) {
        *a = from_wasmer(p);
    }
    let result = match &state.memory {
        Some(memory) => {
            let view = memory.view(store);
            // SAFETY: the slice is used only during this host call, while the guest is
            // suspended in it; nothing else reads, writes or grows the memory meanwhile.
            let data = unsafe { view.data_unchecked_mut() };
            abi::invoke(f, Some(data), &mut state.request, &args[..n])
        }
        None => abi::invoke(f, None, &mut state.request, &args[..n]),
    };
    result.map_err(trap)
}

fn trap(t: HostTrap) -> RuntimeError {
    RuntimeError::user(Box::new(t))
}

fn results(value: Option<Val>) -> Vec<Value> {
    value.map(to_wasmer).into_iter().collect()
}

/// The fast path: hands the guest memory, the bound request and the `i32` arguments to the
/// shared implementation.
fn invoke_i32(
    env: &mut FunctionEnvMut<'_, HostState>,
    f: &'static HostFunction,
    args: &[i32],
) -> Result<i32, RuntimeError> {
    let (state, store) = env.data_and_store_mut();
    let result = match &state.memory {
        Some(memory) => {
            let view = memory.view(&store);
            // SAFETY: the slice is used only during this host call, while the guest is
            // suspended in it; nothing else reads, writes or grows the memory meanwhile.
            let data = unsafe { view.data_unchecked_mut() };
            abi::invoke_i32(f, Some(data), &mut state.request, args)
        }
        None => abi::invoke_i32(f, None, &mut state.request, args),
    };
    result.map_err(trap)
}

/// Makes `$f`, a function of `i32`s, as a typed closure with the given parameters.
macro_rules! typed_i32 {
    ($store:expr, $env:expr, $f:expr; $($a:ident),*) => {
        Function::new_typed_with_env(
            $store,
            $env,
            move |mut env: FunctionEnvMut<'_, HostState>, $($a: i32),*| {
                invoke_i32(&mut env, $f, &[$($a),*])
            },
        )
    };
}

/// A plain host function for one store.
fn function(store: &mut Store, env: &FunctionEnv<HostState>, f: &'static HostFunction) -> Function {
    if f.is_i32_shaped() {
        return by_arity!(
            f.params.len(),
            typed_i32!(store, env, f),
            dynamic_function(store, env, f)
        );
    }
    dynamic_function(store, env, f)
}

/// A plain host function for one store, made from its signature.
fn dynamic_function(
    store: &mut Store,
    env: &FunctionEnv<HostState>,
    f: &'static HostFunction,
) -> Function {
    Function::new_with_env(
        store,
        env,
        func_type(&f.func_type()),
        move |mut env: FunctionEnvMut<'_, HostState>, params: &[Value]| {
            let (state, store) = env.data_and_store_mut();
            match invoke(state, &store, f, params)? {
                Called::Returned(value) => Ok(results(value)),
                Called::Give(gift) => Ok(results(Some(give(&mut env, *gift)?))),
                Called::Suspended(_) => Err(trap(HostTrap::new(
                    f.qualified,
                    "suspended, but it was not made as a function that may suspend",
                ))),
            }
        },
    )
}

/// Hands `gift` to the guest: its allocator makes room, then the bytes are copied there
/// (the memory may have grown meanwhile).
fn give(env: &mut FunctionEnvMut<'_, HostState>, gift: Gift) -> Result<Val, RuntimeError> {
    let ptr = match env.data().allocator.clone() {
        Some(alloc) => Some(alloc.call(&mut env.as_store_mut(), gift.len())?),
        None => None,
    };
    let (state, store) = env.data_and_store_mut();
    match &state.memory {
        Some(memory) => {
            let view = memory.view(&store);
            // SAFETY: as in `invoke`: the slice is used only during this host call.
            let data = unsafe { view.data_unchecked_mut() };
            abi::deliver(gift, Some(data), ptr)
        }
        None => abi::deliver(gift, None, ptr),
    }
    .map_err(trap)
}

/// A host function that may suspend, for one store: if it asks to wait, its future is
/// pending (the coroutine returns to the instance, which returns `Suspended`) until the
/// instance resumes the call through the store's [`Exchange`].
fn async_function(
    store: &mut Store,
    env: &FunctionEnv<HostState>,
    f: &'static HostFunction,
) -> Function {
    Function::new_with_env_async(
        store,
        env,
        func_type(&f.func_type()),
        move |env: AsyncFunctionEnvMut<HostState>, params: &[Value]| {
            let params = params.to_vec();
            async move {
                let (pending, exchange): (_, Arc<Exchange>) = {
                    let mut handle = env.write().await;
                    let (state, store) = handle.data_and_store_mut();
                    let pending = match invoke(state, &*store, f, &params)? {
                        Called::Returned(value) => return Ok(results(value)),
                        Called::Suspended(pending) => pending,
                        Called::Give(_) => {
                            return Err(trap(HostTrap::new(
                                f.qualified,
                                "gives bytes, but it was made as a function that may suspend",
                            )))
                        }
                    };
                    let Some(exchange) = state.exchange.clone() else {
                        return Err(trap(HostTrap::new(f.qualified, "no resumable call")));
                    };
                    // The request of this step ends here; the next step's comes with the
                    // resumption.
                    state.request.unbind();
                    (pending, exchange)
                };
                let resume = exchange.suspend(pending.wait()).await;
                let mut handle = env.write().await;
                let (state, store) = handle.data_and_store_mut();
                state.request = resume.request;
                let value = match &state.memory {
                    Some(memory) => {
                        let view = memory.view(&*store);
                        // SAFETY: as in `invoke`: used only while the guest waits for this
                        // call to complete.
                        let data = unsafe { view.data_unchecked_mut() };
                        abi::finish(pending, Some(data), &mut state.request, resume.reply)
                    }
                    None => abi::finish(pending, None, &mut state.request, resume.reply),
                }
                .map_err(trap)?;
                Ok(results(value))
            }
        },
    )
}

/// The imports of one instance, in the module's import order: only the functions the
/// module imports are made (wasmer has no pre-linking, so each store makes its own; a guest
/// typically imports a handful of the tables' functions).
pub(crate) fn build(
    store: &mut Store,
    env: &FunctionEnv<HostState>,
    imports: &[&'static HostFunction],
) -> Vec<Extern> {
    imports
        .iter()
        .map(|f| {
            Extern::Function(if f.suspends() {
                async_function(store, env, f)
            } else {
                function(store, env, f)
            })
        })
        .collect()
}

pub(crate) fn func_type(ty: &FuncType) -> wasmer::FunctionType {
    wasmer::FunctionType::new(
        ty.params.iter().map(|t| val_type(*t)).collect::<Vec<_>>(),
        ty.results.iter().map(|t| val_type(*t)).collect::<Vec<_>>(),
    )
}

fn val_type(t: ValType) -> wasmer::Type {
    match t {
        ValType::I32 => wasmer::Type::I32,
        ValType::I64 => wasmer::Type::I64,
        ValType::F32 => wasmer::Type::F32,
        ValType::F64 => wasmer::Type::F64,
        ValType::V128 => wasmer::Type::V128,
        ValType::Ref => wasmer::Type::ExternRef,
    }
}

/// A wasmer number as a [`Val`] (references and vectors never cross the host ABI: the
/// tables declare numbers only).
pub(crate) fn from_wasmer(v: &Value) -> Val {
    match v {
        Value::I32(v) => Val::I32(*v),
        Value::I64(v) => Val::I64(*v),
        Value::F32(v) => Val::F32(*v),
        Value::F64(v) => Val::F64(*v),
        _ => Val::I32(0),
    }
}

pub(crate) fn to_wasmer(v: Val) -> Value {
    match v {
        Val::I32(v) => Value::I32(v),
        Val::I64(v) => Value::I64(v),
        Val::F32(v) => Value::F32(v),
        Val::F64(v) => Value::F64(v),
    }
}
