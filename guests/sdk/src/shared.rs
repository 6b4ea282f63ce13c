//! Shared dictionaries (`ngx.shared.DICT`): zones declared by `wasm_shared_dict <name>
//! <size>;` in nginx shared memory, seen by every worker; each operation is atomic across
//! workers. Usable in every phase and in `init_worker`.
//!
//! ```ignore
//! use ngx_wasm_guest::shared::Dict;
//!
//! let hits = Dict::new("counters");
//! let n = hits.incr("/api", 1.0, Some((0.0, Some(60_000))))?; // a 60 s window
//! hits.set("last", "/api", None)?; // or &Value::Bytes(..), 1.5, 7i64, true: a ValueRef
//! ```
//!
//! Times to live are milliseconds (`None`: never expires). A full zone evicts its
//! least-recently-used entries on [`Dict::set`] (the result says `true`, OpenResty's
//! `forcible`); the `safe_*` stores fail with [`crate::Error::NoMemory`] instead.

use super::{check, ffi, len, Error, Result};
use abi_consts::shdict;

/// A value in a shared dictionary.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Bytes (a Lua string).
    Bytes(Vec<u8>),
    /// A number (a Lua number).
    Number(f64),
    /// An integer, kept exactly.
    Integer(i64),
    /// A boolean.
    Bool(bool),
}

/// A value to store, borrowed: what [`Dict::set`] and the other stores take, so that
/// storing bytes copies them once, into the zone. Made from a [`Value`] (`&v`), bytes
/// (`b"hello"`, `&[u8]`, `&str`), `f64`, `i64` or `bool`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    /// Bytes.
    Bytes(&'a [u8]),
    /// A number.
    Number(f64),
    /// An integer, kept exactly.
    Integer(i64),
    /// A boolean.
    Bool(bool),
}

impl<'a> From<&'a Value> for ValueRef<'a> {
    fn from(v: &'a Value) -> Self {
        match v {
            Value::Bytes(b) => ValueRef::Bytes(b),
            Value::Number(n) => ValueRef::Number(*n),
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Bool(b) => ValueRef::Bool(*b),
        }
    }
}

impl<'a> From<&'a [u8]> for ValueRef<'a> {
    fn from(b: &'a [u8]) -> Self {
        ValueRef::Bytes(b)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for ValueRef<'a> {
    fn from(b: &'a [u8; N]) -> Self {
        ValueRef::Bytes(b)
    }
}

impl<'a> From<&'a str> for ValueRef<'a> {
    fn from(s: &'a str) -> Self {
        ValueRef::Bytes(s.as_bytes())
    }
}

impl From<f64> for ValueRef<'_> {
    fn from(n: f64) -> Self {
        ValueRef::Number(n)
    }
}

impl From<i64> for ValueRef<'_> {
    fn from(i: i64) -> Self {
        ValueRef::Integer(i)
    }
}

impl From<bool> for ValueRef<'_> {
    fn from(b: bool) -> Self {
        ValueRef::Bool(b)
    }
}

impl<'a> ValueRef<'a> {
    /// The value's kind and bytes, without copying bytes (a number is written to `scratch`).
    fn encode(self, scratch: &'a mut [u8; 8]) -> (i32, &'a [u8]) {
        match self {
            ValueRef::Bytes(b) => (shdict::BYTES, b),
            ValueRef::Number(n) => {
                *scratch = n.to_le_bytes();
                (shdict::F64, scratch)
            }
            ValueRef::Integer(i) => {
                *scratch = i.to_le_bytes();
                (shdict::I64, scratch)
            }
            ValueRef::Bool(b) => {
                scratch[0] = u8::from(b);
                (shdict::BOOL, &scratch[..1])
            }
        }
    }
}

impl Value {
    fn decode(kind: u32, bytes: Vec<u8>) -> Result<Value> {
        let eight = |b: &[u8]| <[u8; 8]>::try_from(b).map_err(|_| Error::Internal);
        Ok(match kind as i32 {
            shdict::BYTES => Value::Bytes(bytes),
            shdict::F64 => Value::Number(f64::from_le_bytes(eight(&bytes)?)),
            shdict::I64 => Value::Integer(i64::from_le_bytes(eight(&bytes)?)),
            shdict::BOOL => Value::Bool(bytes.first() == Some(&1)),
            n => return Err(Error::Other(n)),
        })
    }
}

/// The signature the reading host functions share.
type ReadFn = unsafe extern "C" fn(*const u8, i32, *const u8, i32, *mut u8, i32, *mut u8) -> i32;

/// How [`Dict::store`] stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// `set`: evicts least-recently-used entries when full.
    Set,
    /// `safe_set`: never evicts.
    SafeSet,
    /// `add`: only when absent ([`crate::Error::Exists`] otherwise).
    Add,
    /// `safe_add`.
    SafeAdd,
    /// `replace`: only when present ([`crate::Error::NotFound`] otherwise).
    Replace,
}

fn ttl_arg(ttl_ms: Option<u64>) -> i64 {
    ttl_ms.map_or(0, |t| i64::try_from(t).unwrap_or(i64::MAX).max(1))
}

/// A shared dictionary, by the name of its `wasm_shared_dict` zone.
#[derive(Debug, Clone, Copy)]
pub struct Dict<'a> {
    name: &'a str,
}

impl<'a> Dict<'a> {
    /// The zone `name` (an unknown one makes every call fail with
    /// [`crate::Error::BadArgument`]).
    pub const fn new(name: &'a str) -> Self {
        Dict { name }
    }

    fn n(&self) -> (*const u8, i32) {
        (self.name.as_ptr(), len(self.name.as_bytes()))
    }

    /// The value and flags of `key`; `None` when absent or expired (`get`).
    pub fn get(&self, key: &str) -> Result<Option<(Value, u32)>> {
        Ok(self.get_with(key, false)?.map(|(v, f, _)| (v, f)))
    }

    /// `get_stale`: as [`Dict::get`], but an expired entry that is not freed yet is returned
    /// too, with `true` as its third part.
    pub fn get_stale(&self, key: &str) -> Result<Option<(Value, u32, bool)>> {
        self.get_with(key, true)
    }

    /// `get_keys(max)`: the keys of live entries, at most `max` (0: all), most recently used
    /// first. The zone is locked while it is scanned: keep `max` small on a busy zone.
    pub fn keys(&self, max: u32) -> Result<Vec<Vec<u8>>> {
        let (dp, dl) = self.n();
        let max = i32::try_from(max).unwrap_or(i32::MAX);
        // SAFETY: live slices of this guest (the getter convention).
        let raw = super::get_bytes(|p, c| unsafe { ffi::shdict_get_keys(dp, dl, max, p, c) })?;
        let mut keys = Vec::new();
        let mut rest = raw.as_slice();
        while rest.len() >= 4 {
            let n = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            let Some(k) = rest.get(4..4 + n) else {
                return Err(Error::Internal);
            };
            keys.push(k.to_vec());
            rest = &rest[4 + n..];
        }
        Ok(keys)
    }

    fn get_with(&self, key: &str, stale: bool) -> Result<Option<(Value, u32, bool)>> {
        let f = if stale {
            ffi::shdict_get_stale
        } else {
            ffi::shdict_get
        };
        self.read(key, f)
    }

    /// Runs a reading host function (`shdict_get`, `_get_stale`, `_lpop`, `_rpop`: one
    /// signature, one meta layout) by the getter convention, growing the buffer to the length
    /// it asks for (a pop takes nothing while the buffer is too small).
    fn read(&self, key: &str, f: ReadFn) -> Result<Option<(Value, u32, bool)>> {
        let (dp, dl) = self.n();
        let mut meta = [0u8; shdict::META_SIZE as usize];
        let mut buf: Vec<u8> = Vec::with_capacity(64);
        loop {
            let cap = buf.capacity();
            // SAFETY: live slices of this guest; the host writes at most `cap` bytes to buf
            // and META_SIZE to meta.
            let rc = unsafe {
                f(
                    dp,
                    dl,
                    key.as_ptr(),
                    len(key.as_bytes()),
                    buf.as_mut_ptr(),
                    i32::try_from(cap).unwrap_or(i32::MAX),
                    meta.as_mut_ptr(),
                )
            };
            let n = match check(rc) {
                Ok(n) => n as usize,
                Err(Error::NotFound) => return Ok(None),
                Err(e) => return Err(e),
            };
            if n <= cap {
                // SAFETY: the host wrote n <= capacity bytes (the getter convention).
                unsafe { buf.set_len(n) };
                let word =
                    |i: usize| u32::from_le_bytes([meta[i], meta[i + 1], meta[i + 2], meta[i + 3]]);
                return Ok(Some((Value::decode(word(0), buf)?, word(4), word(8) == 1)));
            }
            buf.reserve_exact(n);
        }
    }

    /// Stores `value` under `key` by `how`, with `flags` and a time to live; `true` when
    /// live entries were evicted to make room.
    pub fn store<'v>(
        &self,
        how: Store,
        key: &str,
        value: impl Into<ValueRef<'v>>,
        flags: u32,
        ttl_ms: Option<u64>,
    ) -> Result<bool> {
        let (dp, dl) = self.n();
        let mut scratch = [0u8; 8];
        let (kind, bytes) = value.into().encode(&mut scratch);
        let op = match how {
            Store::Set => shdict::SET,
            Store::SafeSet => shdict::SAFE_SET,
            Store::Add => shdict::ADD,
            Store::SafeAdd => shdict::SAFE_ADD,
            Store::Replace => shdict::REPLACE,
        };
        let mut opts = [0u8; shdict::SET_OPTS_SIZE as usize];
        opts[0..4].copy_from_slice(&(kind as u32).to_le_bytes());
        opts[4..8].copy_from_slice(&flags.to_le_bytes());
        opts[8..12].copy_from_slice(&(op as u32).to_le_bytes());
        opts[16..24].copy_from_slice(&ttl_arg(ttl_ms).to_le_bytes());
        // SAFETY: live slices of this guest.
        let rc = unsafe {
            ffi::shdict_set(
                dp,
                dl,
                key.as_ptr(),
                len(key.as_bytes()),
                bytes.as_ptr(),
                len(bytes),
                opts.as_ptr(),
            )
        };
        check(rc).map(|f| f == 1)
    }

    /// `set`: stores, evicting least-recently-used entries when the zone is full.
    pub fn set<'v>(
        &self,
        key: &str,
        value: impl Into<ValueRef<'v>>,
        ttl_ms: Option<u64>,
    ) -> Result<bool> {
        self.store(Store::Set, key, value, 0, ttl_ms)
    }

    /// `safe_set`: stores without evicting.
    pub fn safe_set<'v>(
        &self,
        key: &str,
        value: impl Into<ValueRef<'v>>,
        ttl_ms: Option<u64>,
    ) -> Result<()> {
        self.store(Store::SafeSet, key, value, 0, ttl_ms).map(drop)
    }

    /// `add`: stores only if `key` is absent or expired.
    pub fn add<'v>(
        &self,
        key: &str,
        value: impl Into<ValueRef<'v>>,
        ttl_ms: Option<u64>,
    ) -> Result<bool> {
        self.store(Store::Add, key, value, 0, ttl_ms)
    }

    /// `safe_add`: `add` without evicting.
    pub fn safe_add<'v>(
        &self,
        key: &str,
        value: impl Into<ValueRef<'v>>,
        ttl_ms: Option<u64>,
    ) -> Result<()> {
        self.store(Store::SafeAdd, key, value, 0, ttl_ms).map(drop)
    }

    /// `replace`: stores only if `key` is present.
    pub fn replace<'v>(
        &self,
        key: &str,
        value: impl Into<ValueRef<'v>>,
        ttl_ms: Option<u64>,
    ) -> Result<bool> {
        self.store(Store::Replace, key, value, 0, ttl_ms)
    }

    /// `lpush`: pushes `value` (bytes or a number) at the head of the list at `key`, creating
    /// it; returns the new length. [`crate::Error::BadArgument`] if the key holds no list.
    pub fn lpush<'v>(&self, key: &str, value: impl Into<ValueRef<'v>>) -> Result<u32> {
        self.push(key, value.into(), true)
    }

    /// `rpush`: as [`Dict::lpush`], at the tail.
    pub fn rpush<'v>(&self, key: &str, value: impl Into<ValueRef<'v>>) -> Result<u32> {
        self.push(key, value.into(), false)
    }

    fn push(&self, key: &str, value: ValueRef<'_>, left: bool) -> Result<u32> {
        let (dp, dl) = self.n();
        let mut scratch = [0u8; 8];
        let (kind, bytes) = value.encode(&mut scratch);
        let f = if left {
            ffi::shdict_lpush
        } else {
            ffi::shdict_rpush
        };
        // SAFETY: live slices of this guest.
        let rc = unsafe {
            f(
                dp,
                dl,
                key.as_ptr(),
                len(key.as_bytes()),
                kind,
                bytes.as_ptr(),
                len(bytes),
            )
        };
        check(rc).map(|n| n as u32)
    }

    /// `lpop`: the head of the list at `key`, removed; `None` when absent or empty.
    pub fn lpop(&self, key: &str) -> Result<Option<Value>> {
        self.pop(key, true)
    }

    /// `rpop`: as [`Dict::lpop`], at the tail.
    pub fn rpop(&self, key: &str) -> Result<Option<Value>> {
        self.pop(key, false)
    }

    fn pop(&self, key: &str, left: bool) -> Result<Option<Value>> {
        let f = if left {
            ffi::shdict_lpop
        } else {
            ffi::shdict_rpop
        };
        Ok(self.read(key, f)?.map(|(v, _, _)| v))
    }

    /// `llen`: the length of the list at `key` (0 when absent).
    pub fn llen(&self, key: &str) -> Result<u32> {
        let (dp, dl) = self.n();
        // SAFETY: live slices of this guest.
        check(unsafe { ffi::shdict_llen(dp, dl, key.as_ptr(), len(key.as_bytes())) })
            .map(|n| n as u32)
    }

    /// `delete`.
    pub fn delete(&self, key: &str) -> Result<()> {
        let (dp, dl) = self.n();
        // SAFETY: live slices of this guest.
        check(unsafe { ffi::shdict_delete(dp, dl, key.as_ptr(), len(key.as_bytes())) }).map(drop)
    }

    /// `incr(key, n, init, init_ttl)`: adds `n` to the number at `key` and returns the
    /// result; with `init` an absent key starts at `init.0` (time to live `init.1`).
    pub fn incr(&self, key: &str, n: f64, init: Option<(f64, Option<u64>)>) -> Result<f64> {
        let (dp, dl) = self.n();
        let mut out = [0u8; 8];
        let (start, ttl) = init.unwrap_or((0.0, None));
        let options = if init.is_some() { shdict::INCR_INIT } else { 0 };
        let mut args = [0u8; shdict::INCR_ARGS_SIZE as usize];
        args[0..8].copy_from_slice(&n.to_le_bytes());
        args[8..16].copy_from_slice(&start.to_le_bytes());
        args[16..24].copy_from_slice(&ttl_arg(ttl).to_le_bytes());
        args[24..28].copy_from_slice(&(options as u32).to_le_bytes());
        // SAFETY: live slices of this guest; the host writes 8 bytes to `out`.
        check(unsafe {
            ffi::shdict_incr(
                dp,
                dl,
                key.as_ptr(),
                len(key.as_bytes()),
                args.as_ptr(),
                out.as_mut_ptr(),
            )
        })?;
        Ok(f64::from_le_bytes(out))
    }

    /// `ttl`: the time `key` has left (`None`: never expires).
    pub fn ttl(&self, key: &str) -> Result<Option<u64>> {
        let (dp, dl) = self.n();
        let mut out = [0u8; 8];
        // SAFETY: live slices of this guest; the host writes 8 bytes to `out`.
        check(unsafe {
            ffi::shdict_ttl(dp, dl, key.as_ptr(), len(key.as_bytes()), out.as_mut_ptr())
        })?;
        let ms = i64::from_le_bytes(out);
        Ok((ms > 0).then_some(ms as u64))
    }

    /// `expire`: sets the time `key` has left (`None`: never expires).
    pub fn expire(&self, key: &str, ttl_ms: Option<u64>) -> Result<()> {
        let (dp, dl) = self.n();
        let t = ttl_arg(ttl_ms).to_le_bytes();
        // SAFETY: live slices of this guest.
        check(unsafe { ffi::shdict_expire(dp, dl, key.as_ptr(), len(key.as_bytes()), t.as_ptr()) })
            .map(drop)
    }

    /// `flush_all`: every entry expires now.
    pub fn flush_all(&self) -> Result<()> {
        let (dp, dl) = self.n();
        // SAFETY: a live slice of this guest.
        check(unsafe { ffi::shdict_flush_all(dp, dl) }).map(drop)
    }

    /// `flush_expired(max)`: frees up to `max` expired entries (0: all); returns how many.
    pub fn flush_expired(&self, max: u32) -> Result<u32> {
        let (dp, dl) = self.n();
        let max = i32::try_from(max).unwrap_or(i32::MAX);
        // SAFETY: a live slice of this guest.
        check(unsafe { ffi::shdict_flush_expired(dp, dl, max) }).map(|n| n as u32)
    }

    /// `capacity`: the zone's size in bytes.
    pub fn capacity(&self) -> Result<u64> {
        let (dp, dl) = self.n();
        let mut out = [0u8; 8];
        // SAFETY: live slices of this guest; the host writes 8 bytes to `out`.
        check(unsafe { ffi::shdict_capacity(dp, dl, out.as_mut_ptr()) })?;
        Ok(u64::from_le_bytes(out))
    }

    /// `free_space`: the bytes of the zone's free pages.
    pub fn free_space(&self) -> Result<u64> {
        let (dp, dl) = self.n();
        let mut out = [0u8; 8];
        // SAFETY: live slices of this guest; the host writes 8 bytes to `out`.
        check(unsafe { ffi::shdict_free_space(dp, dl, out.as_mut_ptr()) })?;
        Ok(u64::from_le_bytes(out))
    }
}
