//! Adapts the ABI table to a wasmi [`Linker`]: one typed closure per entry, by arity.

use engine_api::abi::{self, HostFunction, HOST_FUNCTIONS};
use wasmi::{Caller, Linker};

use crate::{StoreData, Trap};

/// Hands the guest memory and the bound request to the shared implementation.
fn invoke(
    caller: &mut Caller<'_, StoreData>,
    f: &'static HostFunction,
    args: &[i32],
) -> Result<i32, wasmi::Error> {
    let result = match caller.data().memory {
        Some(memory) => {
            let (data, store) = memory.data_and_store_mut(&mut *caller);
            abi::invoke(f, Some(data), &mut store.request, args)
        }
        None => abi::invoke(f, None, &mut caller.data_mut().request, args),
    };
    result.map_err(|t| wasmi::Error::host(Trap(t)))
}

macro_rules! wrap {
    ($linker:expr, $f:expr, $($a:ident),*) => {{
        let f: &'static HostFunction = $f;
        $linker
            .func_wrap(abi::IMPORT_MODULE, f.name, move |mut caller: Caller<'_, StoreData>, $($a: i32),*| {
                invoke(&mut caller, f, &[$($a),*])
            })
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }};
}

/// A linker holding every host function of the ABI table.
pub(crate) fn build(engine: &wasmi::Engine) -> anyhow::Result<Linker<StoreData>> {
    let mut linker = Linker::new(engine);
    for f in HOST_FUNCTIONS {
        match f.params.len() {
            0 => wrap!(linker, f,),
            1 => wrap!(linker, f, a),
            2 => wrap!(linker, f, a, b),
            3 => wrap!(linker, f, a, b, c),
            4 => wrap!(linker, f, a, b, c, d),
            5 => wrap!(linker, f, a, b, c, d, e),
            6 => wrap!(linker, f, a, b, c, d, e, g),
            7 => wrap!(linker, f, a, b, c, d, e, g, h),
            8 => wrap!(linker, f, a, b, c, d, e, g, h, i),
            n => anyhow::bail!(
                "{}: {n} parameters is more than this engine adapts",
                f.qualified
            ),
        }
    }
    Ok(linker)
}
