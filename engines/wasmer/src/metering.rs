//! The metering compiled into wasmer modules when a budget is configured: an instruction
//! counter, and a stop flag another thread can raise.
//!
//! Each basic block of each function is charged, at its end, the cost of its operators
//! (wasmtime's fuel costs: structural operators are free, everything else costs one). The
//! charge checks two globals the middleware adds to the module:
//!
//! ```text
//! if remaining < cost | stop { exhausted = 1; unreachable }
//! remaining -= cost
//! ```
//!
//! `remaining` is the call's `wasm_fuel`; `stop` is raised by the worker's watchdog at the
//! call's deadline ([`crate::budget`]). The guest only reads `stop`, so the watchdog's
//! store cannot be lost to the guest's own update of the counter (which is what happens when
//! a thread empties `remaining` instead: measured, a tight loop overwrote it for seconds).
//! Every loop iteration and every call passes at least one charge, so a raised flag stops
//! the guest within one basic block. `wasmer-middlewares`' metering has the counter but no
//! such flag, hence this middleware.

use std::sync::{Mutex, PoisonError};

use wasmer::sys::{FunctionMiddleware, MiddlewareError, MiddlewareReaderState, ModuleMiddleware};
use wasmer::wasmparser::{BlockType, Operator};
use wasmer::{ExportIndex, GlobalInit, GlobalType, LocalFunctionIndex, Mutability, Type};
use wasmer_types::{GlobalIndex, ModuleInfo};

/// Export names of the three globals (a guest exporting one of these names is refused).
pub(crate) const REMAINING: &str = "ngx_wasm_fuel_remaining";
pub(crate) const STOP: &str = "ngx_wasm_stop";
pub(crate) const EXHAUSTED: &str = "ngx_wasm_fuel_exhausted";

const NAME: &str = "ngx_wasm_metering";

/// The cost of an operator: wasmtime's fuel cost, so `wasm_fuel` means about the same on
/// both engines.
fn cost(op: &Operator) -> u64 {
    match op {
        Operator::Nop
        | Operator::Drop
        | Operator::Block { .. }
        | Operator::Loop { .. }
        | Operator::Unreachable
        | Operator::Return
        | Operator::Else
        | Operator::End => 0,
        _ => 1,
    }
}

/// Whether a block of straight-line code ends at `op`: it is a branch, a call, or a place a
/// branch can land. Extra boundaries only add charges; a missing one could let a loop run
/// uncharged, so the list is generous.
fn ends_block(op: &Operator) -> bool {
    matches!(
        op,
        Operator::Block { .. }
            | Operator::Loop { .. }
            | Operator::If { .. }
            | Operator::Else
            | Operator::End
            | Operator::Br { .. }
            | Operator::BrIf { .. }
            | Operator::BrTable { .. }
            | Operator::Return
            | Operator::Call { .. }
            | Operator::CallIndirect { .. }
            | Operator::ReturnCall { .. }
            | Operator::ReturnCallIndirect { .. }
            | Operator::CallRef { .. }
            | Operator::ReturnCallRef { .. }
            | Operator::Try { .. }
            | Operator::TryTable { .. }
            | Operator::Catch { .. }
            | Operator::CatchAll
            | Operator::Delegate { .. }
            | Operator::Throw { .. }
            | Operator::ThrowRef
            | Operator::Rethrow { .. }
            | Operator::BrOnNull { .. }
            | Operator::BrOnNonNull { .. }
            | Operator::BrOnCast { .. }
            | Operator::BrOnCastFail { .. }
    )
}

/// The indexes of the three globals in one module.
#[derive(Debug, Clone, Copy)]
struct Globals {
    remaining: u32,
    stop: u32,
    exhausted: u32,
}

/// The module-level middleware. It serves one module (it records that module's global
/// indexes), so each compilation makes its own.
#[derive(Debug)]
pub(crate) struct Metering {
    initial: u64,
    globals: Mutex<Option<Globals>>,
}

impl Metering {
    /// Metering whose counter starts at `initial` (what a start function gets).
    pub(crate) fn new(initial: u64) -> Self {
        Metering {
            initial,
            globals: Mutex::new(None),
        }
    }
}

fn add_global(
    info: &mut ModuleInfo,
    name: &str,
    ty: Type,
    init: GlobalInit,
) -> Result<u32, MiddlewareError> {
    if info.exports.contains_key(name) {
        return Err(MiddlewareError::new(
            NAME,
            format!("the export name \"{name}\" is reserved by ngx_wasm"),
        ));
    }
    let index: GlobalIndex = info.globals.push(GlobalType::new(ty, Mutability::Var));
    info.global_initializers.push(init);
    info.exports
        .insert(name.to_string(), ExportIndex::Global(index));
    Ok(index.as_u32())
}

impl ModuleMiddleware for Metering {
    fn generate_function_middleware<'a>(
        &self,
        _: LocalFunctionIndex,
    ) -> Box<dyn FunctionMiddleware<'a> + 'a> {
        let globals = *self.globals.lock().unwrap_or_else(PoisonError::into_inner);
        Box::new(FunctionMetering {
            globals,
            pending: 0,
        })
    }

    fn transform_module_info(&self, info: &mut ModuleInfo) -> Result<(), MiddlewareError> {
        let mut globals = self.globals.lock().unwrap_or_else(PoisonError::into_inner);
        if globals.is_some() {
            return Err(MiddlewareError::new(
                NAME,
                "one metering middleware per module",
            ));
        }
        // i64 globals hold the counter's bits; it is compared unsigned.
        *globals = Some(Globals {
            remaining: add_global(
                info,
                REMAINING,
                Type::I64,
                GlobalInit::I64Const(self.initial as i64),
            )?,
            stop: add_global(info, STOP, Type::I32, GlobalInit::I32Const(0))?,
            exhausted: add_global(info, EXHAUSTED, Type::I32, GlobalInit::I32Const(0))?,
        });
        Ok(())
    }
}

/// The middleware of one function.
#[derive(Debug)]
struct FunctionMetering {
    /// None only if the module step did not run (then nothing is charged: a compile error
    /// would be better, but wasmer always runs it first).
    globals: Option<Globals>,
    /// Cost of the operators since the last charge.
    pending: u64,
}

impl<'a> FunctionMiddleware<'a> for FunctionMetering {
    fn feed(
        &mut self,
        operator: Operator<'a>,
        state: &mut MiddlewareReaderState<'a>,
    ) -> Result<(), MiddlewareError> {
        // The operator's own cost counts in the charge made before it: a call is paid for
        // before the callee runs.
        self.pending += cost(&operator);
        if ends_block(&operator) && self.pending > 0 {
            let Some(g) = self.globals else {
                return Err(MiddlewareError::new(NAME, "module globals missing"));
            };
            let cost = self.pending as i64;
            state.extend(&[
                Operator::GlobalGet {
                    global_index: g.remaining,
                },
                Operator::I64Const { value: cost },
                Operator::I64LtU,
                Operator::GlobalGet {
                    global_index: g.stop,
                },
                Operator::I32Or,
                Operator::If {
                    blockty: BlockType::Empty,
                },
                Operator::I32Const { value: 1 },
                Operator::GlobalSet {
                    global_index: g.exhausted,
                },
                Operator::Unreachable,
                Operator::End,
                Operator::GlobalGet {
                    global_index: g.remaining,
                },
                Operator::I64Const { value: cost },
                Operator::I64Sub,
                Operator::GlobalSet {
                    global_index: g.remaining,
                },
            ]);
            self.pending = 0;
        }
        state.push_operator(operator);
        Ok(())
    }
}
