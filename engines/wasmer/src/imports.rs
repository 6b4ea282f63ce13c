//! Builds the `ngx` imports from the ABI table: one typed function per entry, by arity.

use engine_api::abi::{self, HostFunction};
use wasmer::{Extern, Function, FunctionEnv, FunctionEnvMut, RuntimeError, Store};

use crate::HostState;

/// Hands the guest memory and the bound request to the shared implementation.
fn invoke(
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
            abi::invoke(f, Some(data), &mut state.request, args)
        }
        None => abi::invoke(f, None, &mut state.request, args),
    };
    result.map_err(|t| RuntimeError::user(Box::new(t)))
}

macro_rules! wrap {
    ($store:expr, $env:expr, $f:expr, $($a:ident),*) => {{
        let f: &'static HostFunction = $f;
        Function::new_typed_with_env($store, $env, move |mut env: FunctionEnvMut<'_, HostState>, $($a: i32),*| {
            invoke(&mut env, f, &[$($a),*])
        })
    }};
}

/// The host function `f` for one store.
fn function(store: &mut Store, env: &FunctionEnv<HostState>, f: &'static HostFunction) -> Function {
    match f.params.len() {
        0 => wrap!(store, env, f,),
        1 => wrap!(store, env, f, a),
        2 => wrap!(store, env, f, a, b),
        3 => wrap!(store, env, f, a, b, c),
        4 => wrap!(store, env, f, a, b, c, d),
        5 => wrap!(store, env, f, a, b, c, d, e),
        6 => wrap!(store, env, f, a, b, c, d, e, g),
        7 => wrap!(store, env, f, a, b, c, d, e, g, h),
        // The table test in engine-api keeps every entry at 8 parameters or fewer.
        _ => wrap!(store, env, f, a, b, c, d, e, g, h, i),
    }
}

/// The imports of one instance, in the module's import order: only the functions the
/// module imports are made (wasmer has no pre-linking, so each store makes its own; a guest
/// typically imports a handful of the table's functions).
pub(crate) fn build(
    store: &mut Store,
    env: &FunctionEnv<HostState>,
    imports: &[&'static HostFunction],
) -> Vec<Extern> {
    imports
        .iter()
        .map(|f| Extern::Function(function(store, env, f)))
        .collect()
}
