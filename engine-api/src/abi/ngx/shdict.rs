//! Shared dictionaries (`wasm_shared_dict`, OpenResty's `ngx.shared.DICT`): entries in nginx
//! shared memory that every worker sees, each operation atomic across workers.
//!
//! Every function names its zone (`dict_ptr`, `dict_len`) and, but for the zone-wide ones,
//! a key of 1 to 65,535 bytes. Values have a kind ([`shdict::BYTES`], [`shdict::F64`],
//! [`shdict::I64`], [`shdict::BOOL`]) and 32-bit flags. Times to live are milliseconds, 0 for
//! "never expires". An unknown zone is -2, as is a bad key or value.

use super::{status, Args, HostCall};
use crate::error::{HostTrap, RequestError};
use crate::memory::{u32_at, word_at, GuestMemory};
use crate::request::{ShdictAnswer, ShdictOp};
use abi_consts::shdict;

/// A zone name and a key, read from guest memory.
type DictKey<'m> = (&'m [u8], &'m [u8]);

/// The zone and key arguments at `a[at..at + 4]`, or `None` for a bad key.
///
/// Both borrow guest memory only: the host is asked with them in place (no copy), as
/// `HostCall::request` is a field of its own.
fn dict_key<'m>(
    memory: &'m GuestMemory<'_>,
    a: Args<'_>,
    at: usize,
) -> Result<Option<DictKey<'m>>, HostTrap> {
    let dict = memory.read(a.i32(at), a.i32(at + 1))?;
    let key = memory.read(a.i32(at + 2), a.i32(at + 3))?;
    let ok = !key.is_empty() && key.len() <= shdict::MAX_KEY as usize && !dict.is_empty();
    Ok(ok.then_some((dict, key)))
}

/// A time to live argument: 0 never expires, negative (past `i64::MAX` as a `u64`) is
/// refused.
fn ttl(ms: i64) -> Result<Option<u64>, ()> {
    match u64::try_from(ms) {
        Ok(0) => Ok(None),
        Ok(ms) => Ok(Some(ms)),
        Err(_) => Err(()),
    }
}

/// `shdict_get(dict_ptr, dict_len, key_ptr, key_len, out_ptr, out_cap, meta_ptr) -> len`:
/// the value of `key` by the getter convention, its kind, flags and 0 (not stale) written
/// to `meta_ptr` (three little-endian `u32`, 12 bytes); -1 when absent or expired.
pub(super) fn get(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    get_with(call, a, false)
}

/// `shdict_get_stale(dict_ptr, dict_len, key_ptr, key_len, out_ptr, out_cap, meta_ptr) ->
/// len`: as `shdict_get`, but an expired entry not freed yet is returned too; the third
/// `u32` of `meta_ptr` is 1 when the value is stale (`get_stale`).
pub(super) fn get_stale(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    get_with(call, a, true)
}

fn get_with(call: &mut HostCall<'_>, a: Args<'_>, stale: bool) -> Result<i32, HostTrap> {
    call.memory.slice_mut(a.i32(4), a.i32(5))?;
    call.memory.slice_mut(a.i32(6), shdict::META_SIZE)?;
    let Some((dict, key)) = dict_key(&call.memory, a, 0)? else {
        return Ok(status::BAD_ARGUMENT);
    };
    let answer = call.request.shdict(ShdictOp::Get { dict, key, stale });
    write_value(call, a, answer)
}

/// Writes what a read answered (`shdict_get`, `_get_stale`, `_lpop`, `_rpop`): the value by
/// the getter convention at `a[4..6]` and its meta (kind, flags, stale: three `u32`) at
/// `a[6]`; -1 when there is none; the length a pop needs when the buffer is too small.
fn write_value(
    call: &mut HostCall<'_>,
    a: Args<'_>,
    answer: Result<ShdictAnswer, RequestError>,
) -> Result<i32, HostTrap> {
    match answer {
        Ok(ShdictAnswer::Value(Some((kind, flags, value, stale)))) => {
            let mut meta = [0u8; shdict::META_SIZE as usize];
            meta[..4].copy_from_slice(&u32::from(kind).to_le_bytes());
            meta[4..8].copy_from_slice(&flags.to_le_bytes());
            meta[8..].copy_from_slice(&u32::from(stale).to_le_bytes());
            call.memory.write(a.i32(6), &meta)?;
            call.memory.write_out(a.i32(4), a.i32(5), &value)
        }
        Ok(ShdictAnswer::Value(None)) => Ok(status::NOT_FOUND),
        Ok(ShdictAnswer::Needed(n)) => Ok(i32::try_from(n).unwrap_or(i32::MAX)),
        Ok(_) => Ok(status::INTERNAL),
        Err(e) => Ok(e.status()),
    }
}

/// `shdict_get_keys(dict_ptr, dict_len, max, out_ptr, out_cap) -> len`: the keys of live
/// entries (at most `max`, 0: all; OpenResty's default is 1024), most recently used first,
/// by the getter convention, each as a little-endian `u32` length and its bytes. The zone
/// is locked while it is scanned: other workers wait, as with OpenResty's `get_keys`.
pub(super) fn get_keys(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    call.memory.slice_mut(a.i32(3), a.i32(4))?;
    let dict = call.memory.read(a.i32(0), a.i32(1))?;
    let Ok(max) = u32::try_from(a.i32(2)) else {
        return Ok(status::BAD_ARGUMENT);
    };
    match call.request.shdict(ShdictOp::Keys { dict, max }) {
        Ok(ShdictAnswer::Keys(keys)) => {
            let mut out = Vec::with_capacity(keys.iter().map(|k| k.len() + 4).sum());
            for k in keys {
                out.extend_from_slice(&(k.len() as u32).to_le_bytes());
                out.extend_from_slice(&k);
            }
            call.memory.write_out(a.i32(3), a.i32(4), &out)
        }
        Ok(_) => Ok(status::INTERNAL),
        Err(e) => Ok(e.status()),
    }
}

/// `shdict_set(dict_ptr, dict_len, key_ptr, key_len, val_ptr, val_len, opts_ptr) -> status`:
/// stores the value as `opts` says (24 bytes, little-endian: `kind: u32`, `flags: u32`,
/// `op: u32`, 4 reserved zero bytes, `ttl_ms: u64`, 0 never expires): `op` is `set`,
/// `safe_set`, `add`, `safe_add` or `replace`. 0, or 1 when live entries were evicted to make
/// room (`forcible`); -1 (`replace` of an absent key), -12 (`add` of a present one), -13.
pub(super) fn set(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let value = call.memory.read(a.i32(4), a.i32(5))?;
    let opts = call.memory.read(a.i32(6), shdict::SET_OPTS_SIZE)?;
    let Some((dict, key)) = dict_key(&call.memory, a, 0)? else {
        return Ok(status::BAD_ARGUMENT);
    };
    let (kind, flags, op) = (u32_at(opts, 0), u32_at(opts, 4), u32_at(opts, 8));
    let fixed = match i32::try_from(kind) {
        Ok(shdict::BYTES) => true,
        Ok(shdict::F64 | shdict::I64) => value.len() == 8,
        Ok(shdict::BOOL) => value.len() == 1 && value[0] <= 1,
        _ => false,
    };
    let op = i32::try_from(op).unwrap_or(-1);
    let (Ok(ttl_ms), true, true, 0) = (
        ttl(i64::from_le_bytes(word_at(opts, 16))),
        fixed,
        (shdict::SET..=shdict::REPLACE).contains(&op),
        u32_at(opts, 12),
    ) else {
        return Ok(status::BAD_ARGUMENT);
    };
    let answer = call.request.shdict(ShdictOp::Set {
        dict,
        key,
        op,
        kind: kind as u8,
        value,
        flags,
        ttl_ms,
    });
    Ok(match answer {
        Ok(ShdictAnswer::Stored(forcible)) => i32::from(forcible),
        Ok(_) => status::INTERNAL,
        Err(e) => e.status(),
    })
}

/// `shdict_delete(dict_ptr, dict_len, key_ptr, key_len) -> status`: removes `key` (0 also
/// when it was absent).
pub(super) fn delete(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let Some((dict, key)) = dict_key(&call.memory, a, 0)? else {
        return Ok(status::BAD_ARGUMENT);
    };
    Ok(match call.request.shdict(ShdictOp::Delete { dict, key }) {
        Ok(_) => status::OK,
        Err(e) => e.status(),
    })
}

/// `shdict_incr(dict_ptr, dict_len, key_ptr, key_len, args_ptr, out_ptr) -> status`: adds
/// `n` to the number at `key` and writes the result (`f64`) to `out_ptr`; `args` is 32
/// bytes, little-endian: `n: f64`, `init: f64`, `init_ttl_ms: u64`, `options: u32`, 4
/// reserved zero bytes; with option 1 an absent key starts at `init` (time to live
/// `init_ttl_ms`). 0, 1 (`forcible`), -1 (absent, no init), -2 (the value is not a number),
/// -13.
pub(super) fn incr(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    call.memory.slice_mut(a.i32(5), 8)?;
    let args = call.memory.read(a.i32(4), shdict::INCR_ARGS_SIZE)?;
    let Some((dict, key)) = dict_key(&call.memory, a, 0)? else {
        return Ok(status::BAD_ARGUMENT);
    };
    let n = f64::from_le_bytes(word_at(args, 0));
    let init = f64::from_le_bytes(word_at(args, 8));
    let options = i32::try_from(u32_at(args, 24)).unwrap_or(-1);
    let Ok(init_ttl) = ttl(i64::from_le_bytes(word_at(args, 16))) else {
        return Ok(status::BAD_ARGUMENT);
    };
    if options & !shdict::INCR_INIT != 0
        || u32_at(args, 28) != 0
        || !n.is_finite()
        || !init.is_finite()
    {
        return Ok(status::BAD_ARGUMENT);
    }
    let init = (options & shdict::INCR_INIT != 0).then_some((init, init_ttl));
    match call.request.shdict(ShdictOp::Incr { dict, key, n, init }) {
        Ok(ShdictAnswer::Number(v, forcible)) => {
            call.memory.write(a.i32(5), &v.to_le_bytes())?;
            Ok(i32::from(forcible))
        }
        Ok(_) => Ok(status::INTERNAL),
        Err(e) => Ok(e.status()),
    }
}

/// `shdict_ttl(dict_ptr, dict_len, key_ptr, key_len, out_ptr) -> status`: writes the
/// milliseconds `key` has left (`i64`, 0: never expires) to `out_ptr`; -1 when absent.
pub(super) fn get_ttl(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    call.memory.slice_mut(a.i32(4), 8)?;
    let Some((dict, key)) = dict_key(&call.memory, a, 0)? else {
        return Ok(status::BAD_ARGUMENT);
    };
    match call.request.shdict(ShdictOp::Ttl { dict, key }) {
        Ok(ShdictAnswer::Ttl(t)) => {
            let ms = i64::try_from(t.unwrap_or(0)).unwrap_or(i64::MAX);
            call.memory.write(a.i32(4), &ms.to_le_bytes())?;
            Ok(status::OK)
        }
        Ok(_) => Ok(status::INTERNAL),
        Err(e) => Ok(e.status()),
    }
}

/// `shdict_expire(dict_ptr, dict_len, key_ptr, key_len, ttl_ptr) -> status`: sets the time
/// `key` has left to the `u64` of milliseconds at `ttl_ptr` (0: never expires); -1 when
/// absent.
pub(super) fn expire(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let t = i64::from_le_bytes(word_at(call.memory.read(a.i32(4), 8)?, 0));
    let Some((dict, key)) = dict_key(&call.memory, a, 0)? else {
        return Ok(status::BAD_ARGUMENT);
    };
    let Ok(ttl_ms) = ttl(t) else {
        return Ok(status::BAD_ARGUMENT);
    };
    Ok(
        match call.request.shdict(ShdictOp::Expire { dict, key, ttl_ms }) {
            Ok(_) => status::OK,
            Err(e) => e.status(),
        },
    )
}

/// The zone argument at `a[0..2]`.
fn dict_only<'m>(memory: &'m GuestMemory<'_>, a: Args<'_>) -> Result<&'m [u8], HostTrap> {
    memory.read(a.i32(0), a.i32(1))
}

/// `shdict_flush_all(dict_ptr, dict_len) -> status`: marks every entry expired (their memory
/// is reused as needed, as OpenResty's `flush_all`).
pub(super) fn flush_all(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let dict = dict_only(&call.memory, a)?;
    Ok(match call.request.shdict(ShdictOp::FlushAll { dict }) {
        Ok(_) => status::OK,
        Err(e) => e.status(),
    })
}

/// `shdict_flush_expired(dict_ptr, dict_len, max) -> count`: frees up to `max` expired
/// entries (0: all); returns how many.
pub(super) fn flush_expired(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let dict = dict_only(&call.memory, a)?;
    let Ok(max) = u32::try_from(a.i32(2)) else {
        return Ok(status::BAD_ARGUMENT);
    };
    Ok(
        match call.request.shdict(ShdictOp::FlushExpired { dict, max }) {
            Ok(ShdictAnswer::Count(n)) => i32::try_from(n).unwrap_or(i32::MAX),
            Ok(_) => status::INTERNAL,
            Err(e) => e.status(),
        },
    )
}

fn size(call: &mut HostCall<'_>, a: Args<'_>, capacity: bool) -> Result<i32, HostTrap> {
    call.memory.slice_mut(a.i32(2), 8)?;
    let dict = dict_only(&call.memory, a)?;
    let op = if capacity {
        ShdictOp::Capacity { dict }
    } else {
        ShdictOp::FreeSpace { dict }
    };
    match call.request.shdict(op) {
        Ok(ShdictAnswer::Count(n)) => {
            call.memory.write(a.i32(2), &n.to_le_bytes())?;
            Ok(status::OK)
        }
        Ok(_) => Ok(status::INTERNAL),
        Err(e) => Ok(e.status()),
    }
}

/// `shdict_capacity(dict_ptr, dict_len, out_ptr) -> status`: writes the zone's size in bytes
/// (`u64`) to `out_ptr`.
pub(super) fn capacity(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    size(call, a, true)
}

/// `shdict_free_space(dict_ptr, dict_len, out_ptr) -> status`: writes the bytes of the
/// zone's free pages (`u64`; an entry may still fit in a partly used page when this is 0).
pub(super) fn free_space(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    size(call, a, false)
}

/// `shdict_lpush`/`shdict_rpush(dict_ptr, dict_len, key_ptr, key_len, kind, val_ptr,
/// val_len) -> len`: pushes a value (bytes, or an `f64` of 8 bytes) at the head or tail of
/// the list at `key`, creating it; the new length, -2 (the key holds no list, or a bad
/// value), -13.
fn push(call: &mut HostCall<'_>, a: Args<'_>, left: bool) -> Result<i32, HostTrap> {
    let value = call.memory.read(a.i32(5), a.i32(6))?;
    let Some((dict, key)) = dict_key(&call.memory, a, 0)? else {
        return Ok(status::BAD_ARGUMENT);
    };
    let kind = a.i32(4);
    let ok = match kind {
        shdict::BYTES => true,
        shdict::F64 => value.len() == 8,
        _ => false,
    };
    if !ok {
        return Ok(status::BAD_ARGUMENT);
    }
    match call.request.shdict(ShdictOp::Push {
        dict,
        key,
        left,
        kind: kind as u8,
        value,
    }) {
        Ok(ShdictAnswer::Count(n)) => Ok(i32::try_from(n).unwrap_or(i32::MAX)),
        Ok(_) => Ok(status::INTERNAL),
        Err(e) => Ok(e.status()),
    }
}

/// `shdict_lpush(...)`: see [`push`].
pub(super) fn lpush(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    push(call, a, true)
}

/// `shdict_rpush(...)`: see [`push`].
pub(super) fn rpush(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    push(call, a, false)
}

/// `shdict_lpop`/`shdict_rpop(dict_ptr, dict_len, key_ptr, key_len, out_ptr, out_cap,
/// meta_ptr) -> len`: pops the head or tail of the list at `key` by the getter convention,
/// its kind, flags (0) and 0 written to `meta_ptr` as for `shdict_get`; a value longer than `out_cap`
/// is not popped (the guest asks again with the length returned). -1 when absent or empty,
/// -2 when the key holds no list. A list that becomes empty is removed.
fn pop(call: &mut HostCall<'_>, a: Args<'_>, left: bool) -> Result<i32, HostTrap> {
    let cap = call.memory.slice_mut(a.i32(4), a.i32(5))?.len();
    call.memory.slice_mut(a.i32(6), shdict::META_SIZE)?;
    let Some((dict, key)) = dict_key(&call.memory, a, 0)? else {
        return Ok(status::BAD_ARGUMENT);
    };
    let answer = call.request.shdict(ShdictOp::Pop {
        dict,
        key,
        left,
        cap,
    });
    write_value(call, a, answer)
}

/// `shdict_lpop(...)`: see [`pop`].
pub(super) fn lpop(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    pop(call, a, true)
}

/// `shdict_rpop(...)`: see [`pop`].
pub(super) fn rpop(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    pop(call, a, false)
}

/// `shdict_llen(dict_ptr, dict_len, key_ptr, key_len) -> len`: the length of the list at
/// `key` (0 when absent), -2 when the key holds no list.
pub(super) fn llen(call: &mut HostCall<'_>, a: Args<'_>) -> Result<i32, HostTrap> {
    let Some((dict, key)) = dict_key(&call.memory, a, 0)? else {
        return Ok(status::BAD_ARGUMENT);
    };
    match call.request.shdict(ShdictOp::Len { dict, key }) {
        Ok(ShdictAnswer::Count(n)) => Ok(i32::try_from(n).unwrap_or(i32::MAX)),
        Ok(_) => Ok(status::INTERNAL),
        Err(e) => Ok(e.status()),
    }
}
