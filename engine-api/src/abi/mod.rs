//! The host ABIs: every function a guest can import, declared once, one table per ABI.
//!
//! An ABI ([`HostAbi`]) is an import module name and a table of host functions. Each entry
//! ([`HostFunction`]) has its name, typed parameters and result, the phases it may be called
//! in and its implementation; engines link every entry of every ABI in [`ABIS`] from the
//! table alone ([`invoke`] is their one way in), so an engine crate never implements a host
//! function. A module may import from several ABIs.
//!
//! * [`ngx`]: the OpenResty-style request API, imported from `ngx`.
//! * [`ngx_test`]: functions the test suite needs (a call that suspends), from `ngx_test`.
//! * [`wasi`]: WASI preview 1 (`wasi_snapshot_preview1`), for modules built for
//!   `wasm32-wasip1`: clocks, randomness, stdout/stderr into the error log, and clear errors
//!   for the file system and sockets a guest does not have here.
//! * [`proxy_wasm`]: the Proxy-Wasm ABI 0.2.1 (import module `env`), for filters built with
//!   the Proxy-Wasm SDKs.
//!
//! A host function either returns at once or, if its entry says it may suspend
//! ([`HostFn::Suspending`]), asks the engine to suspend the guest until the host has carried
//! out a [`Wait`]; [`finish`] then completes it. See `docs/design.md` for the recipe for
//! adding a host function or a whole ABI.

pub mod ngx;
pub mod ngx_test;
pub mod proxy_wasm;
pub mod wasi;

pub use abi_consts::{shdict, status};

use std::fmt;

use crate::error::HostTrap;
use crate::limits::{LogVerdict, MAX_LOG_BYTES, MAX_LOG_LINES};
use crate::memory::GuestMemory;
use crate::phase::PhaseSet;
use crate::request::{HostRequest, RequestSlot};
use crate::value::{FuncType, Val, ValType};
use crate::wait::{Reply, Wait};
use abi_consts::LogLevel;

/// Every ABI the host provides. Validation and every engine's linker take this list.
pub static ABIS: &[&HostAbi] = &[
    &ngx::NGX,
    &ngx_test::NGX_TEST,
    &wasi::WASI,
    &proxy_wasm::PROXY_WASM,
];

/// The most parameters a host function may have (a table test keeps every entry within it).
pub const MAX_PARAMS: usize = 16;

/// One ABI: the import module guests name and its host functions.
#[derive(Debug)]
pub struct HostAbi {
    /// The import module, e.g. `ngx`.
    pub module: &'static str,
    /// The host functions, in ABI order.
    pub functions: &'static [HostFunction],
}

impl HostAbi {
    /// The function imported as `<module>.<name>`.
    pub fn lookup(&self, name: &str) -> Option<&'static HostFunction> {
        self.functions.iter().find(|f| f.name == name)
    }
}

/// Writes one guest log line (`ngx.log`, WASI's stdout and stderr) within the request's log
/// budget: false when it was dropped, after one warning that says the budget is spent.
pub(crate) fn log_line(request: &mut dyn HostRequest, level: LogLevel, msg: &[u8]) -> bool {
    match request.log_budget(msg.len()) {
        LogVerdict::Write => {
            request.log(level, msg);
            true
        }
        LogVerdict::DropFirst => {
            let note = format!(
                "log limit reached: this request's guests logged {MAX_LOG_LINES} lines or {} \
                 KiB; further lines are dropped",
                MAX_LOG_BYTES / 1024
            );
            request.log(LogLevel::Warn, note.as_bytes());
            false
        }
        LogVerdict::Drop => false,
    }
}

/// The host function `module.name` among `abis`.
pub fn lookup(
    abis: &[&'static HostAbi],
    module: &str,
    name: &str,
) -> Option<&'static HostFunction> {
    abis.iter().find(|a| a.module == module)?.lookup(name)
}

/// What a host function sees of one call: the guest's memory and the request.
pub struct HostCall<'a> {
    /// The guest's linear memory, bounds-checked.
    pub memory: GuestMemory<'a>,
    /// The request the guest runs for.
    pub request: &'a mut dyn HostRequest,
}

/// The arguments of a host function call, typed as its table entry declares. Engines pass
/// them as [`Val`]s, or as plain `i32`s for a function whose every parameter is one (the
/// fast path, [`invoke_i32`]).
#[derive(Debug, Clone, Copy)]
pub struct Args<'a>(Repr<'a>);

#[derive(Debug, Clone, Copy)]
enum Repr<'a> {
    Vals(&'a [Val]),
    I32(&'a [i32]),
}

impl<'a> Args<'a> {
    /// Wraps arguments an engine passes as values.
    pub fn new(args: &'a [Val]) -> Self {
        Args(Repr::Vals(args))
    }

    /// Wraps the arguments of a function whose parameters are all `i32`s.
    #[inline]
    pub fn of_i32(args: &'a [i32]) -> Self {
        Args(Repr::I32(args))
    }

    /// How many arguments there are.
    pub fn len(self) -> usize {
        match self.0 {
            Repr::Vals(v) => v.len(),
            Repr::I32(v) => v.len(),
        }
    }

    /// True when there are none.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// Argument `n` (`None` past the end).
    pub fn get(self, n: usize) -> Option<Val> {
        match self.0 {
            Repr::Vals(v) => v.get(n).copied(),
            Repr::I32(v) => v.get(n).map(|x| Val::I32(*x)),
        }
    }

    /// Argument `n` as an `i32` (0 if the entry declares another type there).
    #[inline]
    pub fn i32(self, n: usize) -> i32 {
        match self.0 {
            Repr::I32(v) => v.get(n).copied().unwrap_or(0),
            Repr::Vals(v) => match v.get(n) {
                Some(Val::I32(x)) => *x,
                _ => 0,
            },
        }
    }

    /// Argument `n` as an `i64` (0 if the entry declares another type there).
    pub fn i64(self, n: usize) -> i64 {
        match self.get(n) {
            Some(Val::I64(v)) => v,
            _ => 0,
        }
    }

    /// Argument `n` as an `f32` (0 if the entry declares another type there).
    pub fn f32(self, n: usize) -> f32 {
        match self.get(n) {
            Some(Val::F32(v)) => v,
            _ => 0.0,
        }
    }

    /// Argument `n` as an `f64` (0 if the entry declares another type there).
    pub fn f64(self, n: usize) -> f64 {
        match self.get(n) {
            Some(Val::F64(v)) => v,
            _ => 0.0,
        }
    }
}

/// What a suspending host function decides when called.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Flow {
    /// Return this result now (`None` for a function without results).
    Return(Option<Val>),
    /// Suspend the guest until the host has carried out this wait; then the entry's
    /// `finish` produces the result.
    Wait(Wait),
}

/// The implementation of a host function, by shape.
#[derive(Clone, Copy)]
pub enum HostFn {
    /// Returns one `i32` (a status code or a length) at once: the shape of the `ngx` ABI.
    Status(fn(&mut HostCall<'_>, Args<'_>) -> Result<i32, HostTrap>),
    /// Returns its declared result (or nothing) at once.
    Typed(fn(&mut HostCall<'_>, Args<'_>) -> Result<Option<Val>, HostTrap>),
    /// May suspend the guest: `start` runs when the guest calls; after a [`Flow::Wait`],
    /// `finish` runs with the same arguments once the host replies, and returns the result.
    Suspending {
        /// Runs when the guest calls.
        start: fn(&mut HostCall<'_>, Args<'_>) -> Result<Flow, HostTrap>,
        /// Completes the call after the wait.
        finish: fn(&mut HostCall<'_>, Args<'_>) -> Result<Option<Val>, HostTrap>,
    },
    /// Returns an `i32` status, or bytes to hand to the guest in memory the guest allocates
    /// (the Proxy-Wasm convention: the engine calls the module's allocator export, see
    /// [`Gift`]).
    Giving(fn(&mut HostCall<'_>, Args<'_>) -> Result<Give, HostTrap>),
}

/// What a [`HostFn::Giving`] function answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Give {
    /// This status, at once.
    Status(i32),
    /// These bytes: the engine allocates room for them in the guest ([`ALLOCATORS`]), then
    /// [`deliver`] copies them there and writes their address and length at `ptr_out` and
    /// `len_out`; the function returns [`Gift::OK`].
    Bytes {
        /// The bytes.
        bytes: Vec<u8>,
        /// Where the guest wants the address (a `u32`).
        ptr_out: i32,
        /// Where the guest wants the length (a `u32`).
        len_out: i32,
    },
}

/// The exports engines try, in order, to allocate guest memory for a [`Give::Bytes`]: the
/// Proxy-Wasm SDKs export `proxy_on_memory_allocate`, C and older SDKs `malloc`. Each is
/// `(size: i32) -> i32`.
pub const ALLOCATORS: [&str; 2] = ["proxy_on_memory_allocate", "malloc"];

/// Bytes a host function hands to the guest, waiting for the guest's allocator
/// ([`Called::Give`]).
#[derive(Debug)]
pub struct Gift {
    func: &'static HostFunction,
    bytes: Vec<u8>,
    ptr_out: i32,
    len_out: i32,
}

impl Gift {
    /// The status a delivered gift answers (Proxy-Wasm `Ok`).
    pub const OK: i32 = 0;
    /// The status when the guest has no allocator or its allocator returned 0 (Proxy-Wasm
    /// `InternalFailure`).
    pub const NO_MEMORY: i32 = 10;

    /// How many bytes the guest must allocate.
    pub fn len(&self) -> i32 {
        self.bytes.len() as i32
    }

    /// True when there is nothing to copy (the guest still allocates, as SDKs expect a
    /// pointer).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The host function that gives.
    pub fn function(&self) -> &'static HostFunction {
        self.func
    }
}

/// Completes a [`Called::Give`]: copies the gift to `ptr`, which the guest's allocator
/// returned (`None`: the guest has no allocator), and writes the address and length where
/// the guest asked. Returns the function's result.
pub fn deliver(gift: Gift, memory: Option<&mut [u8]>, ptr: Option<i32>) -> Result<Val, HostTrap> {
    let mut memory = GuestMemory::new(memory, gift.func.qualified);
    let Some(ptr) = ptr.filter(|p| *p != 0 || gift.bytes.is_empty()) else {
        return Ok(Val::I32(Gift::NO_MEMORY));
    };
    memory.write(ptr, &gift.bytes)?;
    memory.write(gift.ptr_out, &(ptr as u32).to_le_bytes())?;
    memory.write(gift.len_out, &(gift.bytes.len() as u32).to_le_bytes())?;
    Ok(Val::I32(Gift::OK))
}

impl fmt::Debug for HostFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HostFn::Status(_) => "Status",
            HostFn::Typed(_) => "Typed",
            HostFn::Suspending { .. } => "Suspending",
            HostFn::Giving(_) => "Giving",
        })
    }
}

/// One entry of an ABI table.
#[derive(Debug)]
pub struct HostFunction {
    /// Import name inside its ABI's module, e.g. `resp_print`.
    pub name: &'static str,
    /// `<module>.<name>`, for messages.
    pub qualified: &'static str,
    /// Parameter names and types, in order.
    pub params: &'static [(&'static str, ValType)],
    /// Result types: none or one.
    pub results: &'static [ValType],
    /// The phases it may be called in; elsewhere it returns [`status::NOT_ALLOWED`] (in its
    /// result type) without looking at its arguments, and never suspends.
    pub phases: PhaseSet,
    /// The implementation.
    pub func: HostFn,
}

impl HostFunction {
    /// The WebAssembly signature guests must import it with.
    pub fn func_type(&self) -> FuncType {
        FuncType {
            params: self.params.iter().map(|(_, t)| *t).collect(),
            results: self.results.to_vec(),
        }
    }

    /// True if a call of it may suspend the guest.
    pub fn suspends(&self) -> bool {
        matches!(self.func, HostFn::Suspending { .. })
    }

    /// True if a call of it may call back into the guest, to allocate memory for what it
    /// returns ([`HostFn::Giving`]).
    pub fn gives(&self) -> bool {
        matches!(self.func, HostFn::Giving(_))
    }

    /// True when every parameter is an `i32`, the result is one `i32`, and it never
    /// suspends: engines link such a function through a typed closure of its arity
    /// ([`crate::by_arity!`]) and call it with [`invoke_i32`], their fastest path.
    pub fn is_i32_shaped(&self) -> bool {
        !self.suspends()
            && !self.gives()
            && self.results == [ValType::I32]
            && self.params.iter().all(|(_, t)| *t == ValType::I32)
    }

    /// The signature as `docs/abi.md` writes it: `(level, msg_ptr, msg_len) -> i32` when
    /// every parameter is an `i32`, `(delay_ms: i32, token: i64) -> i64` otherwise.
    pub fn signature(&self) -> String {
        let all_i32 = self.params.iter().all(|(_, t)| *t == ValType::I32);
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(n, t)| {
                if all_i32 {
                    n.to_string()
                } else {
                    format!("{n}: {t}")
                }
            })
            .collect();
        let result = match self.results {
            [] => "()".to_string(),
            [t] => t.to_string(),
            many => {
                let names: Vec<String> = many.iter().map(|t| t.to_string()).collect();
                format!("({})", names.join(", "))
            }
        };
        format!("({}) -> {result}", params.join(", "))
    }

    /// What it returns when called outside its phases: [`status::NOT_ALLOWED`] as its
    /// result type (a table test keeps phase-limited functions to integer results).
    fn refused(&self) -> Option<Val> {
        match self.results.first() {
            Some(ValType::I64) => Some(Val::I64(status::NOT_ALLOWED.into())),
            Some(_) => Some(Val::I32(status::NOT_ALLOWED)),
            None => None,
        }
    }
}

/// The arguments of a suspended host function, kept for its `finish`.
#[derive(Clone, Copy)]
struct SavedArgs {
    vals: [Val; MAX_PARAMS],
    len: usize,
}

impl SavedArgs {
    fn of(args: Args<'_>) -> SavedArgs {
        let mut vals = [Val::I32(0); MAX_PARAMS];
        let len = args.len().min(MAX_PARAMS);
        for (n, v) in vals.iter_mut().enumerate().take(len) {
            *v = args.get(n).unwrap_or(Val::I32(0));
        }
        SavedArgs { vals, len }
    }

    fn get(&self) -> Args<'_> {
        Args::new(&self.vals[..self.len])
    }
}

/// A host function call that suspended: what it waits for, and what [`finish`] needs to
/// complete it. The engine keeps it while the guest is suspended.
pub struct Pending {
    func: &'static HostFunction,
    wait: Wait,
    args: SavedArgs,
}

impl Pending {
    /// What the call waits for.
    pub fn wait(&self) -> Wait {
        self.wait
    }

    /// The host function that suspended.
    pub fn function(&self) -> &'static HostFunction {
        self.func
    }
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("func", &self.func.qualified)
            .field("wait", &self.wait)
            .finish()
    }
}

/// The outcome of [`invoke`].
#[derive(Debug)]
pub enum Called {
    /// The function returned this result (`None`: it has none).
    Returned(Option<Val>),
    /// The function asks to suspend the guest; resume it with [`finish`]. (Boxed: a host
    /// call returns this on every call, and suspending is the rare case.)
    Suspended(Box<Pending>),
    /// The function hands bytes to the guest: call the guest's allocator ([`ALLOCATORS`])
    /// with [`Gift::len`], then [`deliver`] with its answer.
    Give(Box<Gift>),
}

/// Runs `func` for a guest: the entry point engines use from their linker closures.
///
/// `memory` is the guest's exported memory (if any) and `slot` the request bound for the
/// current call. `args` must have `func.params.len()` values of the declared types.
pub fn invoke(
    func: &'static HostFunction,
    memory: Option<&mut [u8]>,
    slot: &mut RequestSlot,
    args: &[Val],
) -> Result<Called, HostTrap> {
    run(func, memory, slot, Args::new(args))
}

/// [`invoke`] for a function of [`HostFunction::is_i32_shaped`] shape, with its arguments and
/// result as plain `i32`s: the engines' fast path.
pub fn invoke_i32(
    func: &'static HostFunction,
    memory: Option<&mut [u8]>,
    slot: &mut RequestSlot,
    args: &[i32],
) -> Result<i32, HostTrap> {
    let Some(mut call) = prepare(func, memory, slot, args.len())? else {
        return Ok(status::NOT_ALLOWED);
    };
    let args = Args::of_i32(args);
    match func.func {
        HostFn::Status(f) => f(&mut call, args),
        HostFn::Typed(f) => match f(&mut call, args)? {
            Some(Val::I32(v)) => Ok(v),
            _ => Err(HostTrap::new(
                func.qualified,
                "linked as a function returning an i32, which it is not",
            )),
        },
        HostFn::Suspending { .. } | HostFn::Giving(_) => Err(HostTrap::new(
            func.qualified,
            "linked as a plain i32 function, which it is not",
        )),
    }
}

/// The checks every call of a host function passes first, in this order: the argument
/// count, a request bound (host functions are not available during instantiation), the
/// phase (`None`: refused here, without looking at the arguments).
#[inline]
fn prepare<'a>(
    func: &'static HostFunction,
    memory: Option<&'a mut [u8]>,
    slot: &'a mut RequestSlot,
    nargs: usize,
) -> Result<Option<HostCall<'a>>, HostTrap> {
    if nargs != func.params.len() {
        return Err(HostTrap::new(
            func.qualified,
            "called with the wrong number of arguments",
        ));
    }
    let Some(request) = slot.get() else {
        return Err(HostTrap::new(
            func.qualified,
            "called outside a request (host functions are not available during instantiation)",
        ));
    };
    if !func.phases.contains(request.phase()) {
        return Ok(None);
    }
    Ok(Some(HostCall {
        memory: GuestMemory::new(memory, func.qualified),
        request,
    }))
}

fn run(
    func: &'static HostFunction,
    memory: Option<&mut [u8]>,
    slot: &mut RequestSlot,
    args: Args<'_>,
) -> Result<Called, HostTrap> {
    let Some(mut call) = prepare(func, memory, slot, args.len())? else {
        return Ok(Called::Returned(func.refused()));
    };
    Ok(match func.func {
        HostFn::Status(f) => Called::Returned(Some(Val::I32(f(&mut call, args)?))),
        HostFn::Typed(f) => Called::Returned(f(&mut call, args)?),
        HostFn::Suspending { start, .. } => match start(&mut call, args)? {
            Flow::Return(v) => Called::Returned(v),
            Flow::Wait(wait) => Called::Suspended(Box::new(Pending {
                func,
                wait,
                args: SavedArgs::of(args),
            })),
        },
        HostFn::Giving(f) => match f(&mut call, args)? {
            Give::Status(s) => Called::Returned(Some(Val::I32(s))),
            Give::Bytes {
                bytes,
                ptr_out,
                len_out,
            } => {
                // The out-pointers are checked now, so that a bad one traps before the
                // guest's allocator runs.
                call.memory.read(ptr_out, 4)?;
                call.memory.read(len_out, 4)?;
                Called::Give(Box::new(Gift {
                    func,
                    bytes,
                    ptr_out,
                    len_out,
                }))
            }
        },
    })
}

/// Completes a suspended host function once the host replied: the result the guest's call
/// of it returns. [`Reply::Cancel`] is a trap, which ends the guest's call.
pub fn finish(
    pending: Box<Pending>,
    memory: Option<&mut [u8]>,
    slot: &mut RequestSlot,
    reply: Reply,
) -> Result<Option<Val>, HostTrap> {
    let func = pending.func;
    if reply == Reply::Cancel {
        return Err(HostTrap::new(
            func.qualified,
            "cancelled while it waited (the call was abandoned)",
        ));
    }
    let HostFn::Suspending { finish, .. } = func.func else {
        return Err(HostTrap::new(
            func.qualified,
            "resumed, but it cannot suspend",
        ));
    };
    let Some(request) = slot.get() else {
        return Err(HostTrap::new(func.qualified, "resumed outside a request"));
    };
    let mut call = HostCall {
        memory: GuestMemory::new(memory, func.qualified),
        request,
    };
    finish(&mut call, pending.args.get())
}

/// Declares an ABI table: `host_abi!("module", { name(param: type, ...) -> type [phases] =>
/// shape implementation; ... })`, where the shape is `status`, `typed`, `errno` (a WASI
/// function returning `Result<(), Errno>`), `giving` (a Proxy-Wasm function that may hand
/// bytes to the guest) or `suspending` (then two implementations: start, finish) and the
/// phases a [`PhaseSet`] constant.
macro_rules! host_abi {
    ($module:literal, {
        $( $name:ident ( $($param:ident : $ty:ident),* ) $(-> $ret:ident)? [$phases:ident]
            => $shape:ident $func:path $(, $finish:path)?; )*
    }) => {
        $crate::abi::HostAbi {
            module: $module,
            functions: &[
                $( $crate::abi::HostFunction {
                    name: stringify!($name),
                    qualified: concat!($module, ".", stringify!($name)),
                    params: &[$((stringify!($param), $crate::abi::host_abi!(@ty $ty))),*],
                    results: &[$($crate::abi::host_abi!(@ty $ret))?],
                    phases: $crate::phase::PhaseSet::$phases,
                    func: $crate::abi::host_abi!(@fn $shape $func $(, $finish)?),
                }, )*
            ],
        }
    };
    (@ty i32) => { $crate::value::ValType::I32 };
    (@ty i64) => { $crate::value::ValType::I64 };
    (@ty f32) => { $crate::value::ValType::F32 };
    (@ty f64) => { $crate::value::ValType::F64 };
    (@fn status $f:path) => { $crate::abi::HostFn::Status($f) };
    (@fn typed $f:path) => { $crate::abi::HostFn::Typed($f) };
    (@fn giving $f:path) => { $crate::abi::HostFn::Giving($f) };
    (@fn errno $f:path) => {
        $crate::abi::HostFn::Status(|call, args| Ok($crate::abi::wasi::errno($f(call, args))))
    };
    (@fn suspending $start:path, $finish:path) => {
        $crate::abi::HostFn::Suspending { start: $start, finish: $finish }
    };
}
pub(crate) use host_abi;

/// Expands `$link!(ctx...; a0, a1, ...)` with as many parameter names as `$arity` (0 to
/// [`MAX_PARAMS`]), or evaluates `$more` for a larger arity: the one list of arities, for
/// engines whose typed host-function API needs a closure of each arity (each engine's
/// linker passes its own `$link`, used for [`HostFunction::is_i32_shaped`] functions).
#[macro_export]
macro_rules! by_arity {
    ($arity:expr, $link:ident!($($ctx:tt)*), $more:expr) => {
        match $arity {
            0 => $link!($($ctx)*;),
            1 => $link!($($ctx)*; a0),
            2 => $link!($($ctx)*; a0, a1),
            3 => $link!($($ctx)*; a0, a1, a2),
            4 => $link!($($ctx)*; a0, a1, a2, a3),
            5 => $link!($($ctx)*; a0, a1, a2, a3, a4),
            6 => $link!($($ctx)*; a0, a1, a2, a3, a4, a5),
            7 => $link!($($ctx)*; a0, a1, a2, a3, a4, a5, a6),
            8 => $link!($($ctx)*; a0, a1, a2, a3, a4, a5, a6, a7),
            9 => $link!($($ctx)*; a0, a1, a2, a3, a4, a5, a6, a7, a8),
            10 => $link!($($ctx)*; a0, a1, a2, a3, a4, a5, a6, a7, a8, a9),
            11 => $link!($($ctx)*; a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10),
            12 => $link!($($ctx)*; a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11),
            13 => $link!($($ctx)*; a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12),
            14 => $link!($($ctx)*; a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13),
            15 => $link!($($ctx)*; a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14),
            16 => $link!($($ctx)*; a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15),
            _ => $more,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_consistent() {
        let mut modules: Vec<&str> = ABIS.iter().map(|a| a.module).collect();
        modules.dedup();
        assert_eq!(modules.len(), ABIS.len(), "duplicate ABI module names");
        for abi in ABIS {
            let mut names: Vec<&str> = abi.functions.iter().map(|f| f.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(
                names.len(),
                abi.functions.len(),
                "duplicate names in {}",
                abi.module
            );
            for f in abi.functions {
                assert_eq!(f.qualified, format!("{}.{}", abi.module, f.name));
                assert!(
                    f.params.len() <= MAX_PARAMS,
                    "{}: too many parameters",
                    f.qualified
                );
                assert!(f.results.len() <= 1, "{}: at most one result", f.qualified);
                assert!(f.func_type().is_numeric(), "{}: numbers only", f.qualified);
                assert!(f.phases != PhaseSet(0), "{} allowed nowhere", f.qualified);
                if f.phases != PhaseSet::ALL {
                    assert!(
                        matches!(f.results, [] | [ValType::I32] | [ValType::I64]),
                        "{}: a phase-limited function must return an integer status",
                        f.qualified
                    );
                }
                if let HostFn::Status(_) = f.func {
                    assert_eq!(f.results, [ValType::I32], "{}: status shape", f.qualified);
                }
            }
        }
        assert_eq!(ngx::NGX.module, abi_consts::import::NGX);
        assert_eq!(ngx_test::NGX_TEST.module, abi_consts::import::NGX_TEST);
        assert_eq!(wasi::WASI.module, abi_consts::import::WASI);
        assert_eq!(proxy_wasm::PROXY_WASM.module, "env");
    }

    #[test]
    fn lookup_by_module_and_name() {
        let f = lookup(ABIS, "ngx", "resp_say").expect("ngx.resp_say");
        assert_eq!(f.qualified, "ngx.resp_say");
        assert!(lookup(ABIS, "ngx_test", "resp_say").is_none());
        assert!(lookup(ABIS, "env", "resp_say").is_none());
        assert_eq!(f.signature(), "(data_ptr, data_len) -> i32");
        let s = lookup(ABIS, "ngx_test", "suspend").expect("ngx_test.suspend");
        assert!(s.suspends());
        assert_eq!(s.signature(), "(delay_ms: i32, token: i64) -> i64");
    }

    #[test]
    fn args_read_their_declared_types() {
        let vals = [
            Val::I32(-1),
            Val::I64(1 << 40),
            Val::F32(1.5),
            Val::F64(-2.25),
        ];
        let a = Args::new(&vals);
        assert_eq!(
            (a.i32(0), a.i64(1), a.f32(2), a.f64(3)),
            (-1, 1 << 40, 1.5, -2.25)
        );
        assert_eq!(a.i32(1), 0, "another type reads as zero");
        assert_eq!(a.i64(9), 0, "a missing argument reads as zero");
    }
}
