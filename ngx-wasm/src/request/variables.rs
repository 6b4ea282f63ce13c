//! nginx variables by name (`ngx.var`), with a per-worker cache of name lookups.
//!
//! nginx only hands out variable *indexes* at configuration time, so a name a guest asks for
//! at run time is looked up in the core module's variable hash. The result (the variable
//! entry, a prefix variable such as `$http_*`/`$arg_*`, or "unknown") is cached per name in
//! the configuration's main conf, so each name costs nginx's hash lookup once per worker and
//! configuration, not per request. Unknown names, names over 255 bytes and names past the
//! cache's bounds (1,024 names, 64 KiB of names) are looked up each time: whatever names a
//! guest asks for, the cache stays that small.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ptr;

use engine_api::RequestError;
use ngx::ffi::{
    ngx_hash_find, ngx_hash_key, ngx_http_get_flushed_variable, ngx_http_request_t,
    ngx_http_variable_t, ngx_http_variable_value_t, ngx_palloc, ngx_str_t, NGX_HTTP_VAR_CHANGEABLE,
    NGX_HTTP_VAR_INDEXED,
};
use ngx::http::{HttpModuleMainConf, NgxHttpCoreModule};

use super::pool_copy;

/// How a variable name resolves.
#[derive(Clone, Copy)]
enum Entry {
    /// A variable of the hash (built-in or declared with `set`, `map`...).
    Var(*mut ngx_http_variable_t),
    /// A prefix variable (`$http_`, `$arg_`, `$cookie_`, `$sent_http_`...).
    Prefix(*mut ngx_http_variable_t),
    /// No such variable.
    Unknown,
}

/// At most this many names are cached per worker (guests may ask for any name).
const CACHE_MAX: usize = 1024;

/// At most this many bytes of names are cached per worker.
const CACHE_MAX_BYTES: usize = 64 * 1024;

/// A name longer than this is looked up every time, never cached (nginx's own variable
/// names are short; a prefix variable's name is as long as the header or argument it names).
const CACHED_NAME_MAX: usize = 255;

/// FNV-1a: variable names are short, and SipHash's flood resistance is not needed for a map
/// capped at [`CACHE_MAX`] entries; it costs several times more per lookup.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type Names = HashMap<Box<[u8]>, Entry, BuildHasherDefault<Fnv>>;

/// Name -> entry for one configuration, kept in its main conf (so a reload starts a new
/// one); used by one worker thread only. The first [`FEW`] names are searched linearly (a
/// handler uses a handful, and comparing lengths first rejects most at once); later ones go
/// to a hash map.
#[derive(Default)]
pub struct Cache(RefCell<CacheInner>);

#[derive(Default)]
struct CacheInner {
    few: Vec<(Box<[u8]>, Entry)>,
    many: Names,
    /// The bytes of the names kept in `few` and `many`.
    bytes: usize,
}

/// Names kept in the linear part of the cache.
const FEW: usize = 16;

impl CacheInner {
    fn get(&self, name: &[u8]) -> Option<Entry> {
        if let Some((_, e)) = self.few.iter().find(|(n, _)| **n == *name) {
            return Some(*e);
        }
        self.many.get(name).copied()
    }

    /// Keeps `entry` for `name` unless it names no variable (a guest may ask for any
    /// number of those), the name is long, or the cache is full (by names or bytes): the
    /// name is then looked up again next time, which costs time, never memory.
    fn insert(&mut self, name: &[u8], entry: Entry) {
        if matches!(entry, Entry::Unknown)
            || name.len() > CACHED_NAME_MAX
            || self.bytes + name.len() > CACHE_MAX_BYTES
        {
            return;
        }
        if self.few.len() < FEW {
            self.few.push((name.into(), entry));
        } else if self.many.len() < CACHE_MAX - FEW {
            self.many.insert(name.into(), entry);
        } else {
            return;
        }
        self.bytes += name.len();
    }
}

fn lookup(r: &ngx_http_request_t, name: &[u8]) -> Entry {
    let Some(cache) = crate::HttpWasmModule::main_conf(r).map(|m| &m.variables) else {
        return Entry::Unknown;
    };
    if let Some(e) = cache.0.borrow().get(name) {
        return e;
    }
    let entry = resolve(r, name);
    cache.0.borrow_mut().insert(name, entry);
    entry
}

/// Looks `name` up in the core module's variables (the hash, then the prefix variables).
fn resolve(r: &ngx_http_request_t, name: &[u8]) -> Entry {
    let Some(cmcf) = NgxHttpCoreModule::main_conf(r) else {
        return Entry::Unknown;
    };
    let mut lower = name.to_vec();
    // SAFETY: lower is a live buffer of lower.len() bytes.
    let key = unsafe { ngx_hash_key(lower.as_mut_ptr(), lower.len()) };
    // SAFETY: the core module's variables hash is built at configuration time and read-only.
    let v = unsafe {
        ngx_hash_find(
            ptr::from_ref(&cmcf.variables_hash).cast_mut(),
            key,
            lower.as_mut_ptr(),
            lower.len(),
        )
    }
    .cast::<ngx_http_variable_t>();
    if !v.is_null() {
        return Entry::Var(v);
    }
    let prefixes = &cmcf.prefix_variables;
    // SAFETY: prefix_variables is an array of nelts ngx_http_variable_t.
    let list = unsafe {
        std::slice::from_raw_parts_mut(prefixes.elts.cast::<ngx_http_variable_t>(), prefixes.nelts)
    };
    list.iter_mut()
        .filter(|p| name.starts_with(super::bytes(&p.name)))
        .max_by_key(|p| p.name.len)
        .map_or(Entry::Unknown, |p| Entry::Prefix(p))
}

fn value_of(vv: *mut ngx_http_variable_value_t) -> Option<&'static [u8]> {
    if vv.is_null() {
        return None;
    }
    // SAFETY: a variable value nginx returned, valid for the request.
    let vv = unsafe { &*vv };
    if vv.not_found() != 0 || vv.valid() == 0 {
        return None;
    }
    if vv.len() == 0 || vv.data.is_null() {
        return Some(&[]);
    }
    // SAFETY: the value points at len bytes allocated for the request.
    Some(unsafe { std::slice::from_raw_parts(vv.data, vv.len() as usize) })
}

/// The value of `$name` (lower case) for `r`.
pub fn get<'r>(
    r: &'r mut ngx_http_request_t,
    name: &[u8],
) -> Result<Option<&'r [u8]>, RequestError> {
    match lookup(r, name) {
        Entry::Unknown => Err(RequestError::NotFound),
        Entry::Var(v) => {
            // SAFETY: v is an entry of the core module's variables.
            let v = unsafe { &*v };
            if v.flags & NGX_HTTP_VAR_INDEXED as usize != 0 {
                // SAFETY: r is a live request; index is a valid variable index.
                return Ok(value_of(unsafe {
                    ngx_http_get_flushed_variable(r, v.index)
                }));
            }
            let Some(get) = v.get_handler else {
                return Ok(None);
            };
            let vv = alloc_value(r)?;
            // SAFETY: calls the variable's own handler with a pool-allocated value.
            if unsafe { get(r, vv, v.data) } != 0 {
                return Ok(None);
            }
            Ok(value_of(vv))
        }
        Entry::Prefix(p) => {
            // SAFETY: p is an entry of the core module's prefix variables.
            let p = unsafe { &*p };
            let Some(get) = p.get_handler else {
                return Ok(None);
            };
            let vv = alloc_value(r)?;
            let mut full = ngx_str_t {
                len: name.len(),
                data: name.as_ptr().cast_mut(),
            };
            // SAFETY: prefix handlers read the full name (data) during the call only.
            if unsafe { get(r, vv, ptr::addr_of_mut!(full) as usize) } != 0 {
                return Ok(None);
            }
            Ok(value_of(vv))
        }
    }
}

fn alloc_value(r: &ngx_http_request_t) -> Result<*mut ngx_http_variable_value_t, RequestError> {
    // SAFETY: r->pool is the live request pool.
    let vv = unsafe { ngx_palloc(r.pool, size_of::<ngx_http_variable_value_t>()) }
        .cast::<ngx_http_variable_value_t>();
    if vv.is_null() {
        return Err(RequestError::Internal);
    }
    // SAFETY: vv has room for one value; zeroed means "not valid, not found" until set.
    unsafe { ptr::write_bytes(vv, 0, 1) };
    Ok(vv)
}

/// The first value length nginx cannot store (`ngx_variable_value_t.len` has 28 bits).
const MAX_VALUE_LEN: usize = 1 << 28;

/// Sets `$name` (lower case) for `r`, if the variable is changeable; a value of 256 MiB or
/// more is refused rather than stored cut.
pub fn set(r: &mut ngx_http_request_t, name: &[u8], value: &[u8]) -> Result<(), RequestError> {
    let v = match lookup(r, name) {
        Entry::Unknown => return Err(RequestError::NotFound),
        Entry::Prefix(_) => return Err(RequestError::NotAllowed),
        // SAFETY: v is an entry of the core module's variables.
        Entry::Var(v) => unsafe { &*v },
    };
    if v.flags & NGX_HTTP_VAR_CHANGEABLE as usize == 0 {
        return Err(RequestError::NotAllowed);
    }
    // nginx keeps a variable's length in 28 bits: a longer value would be stored cut.
    if value.len() >= MAX_VALUE_LEN {
        return Err(RequestError::BadArgument);
    }
    let data = pool_copy(r, value)?;
    let vv = alloc_value(r)?;
    // SAFETY: vv was just allocated and zeroed.
    unsafe {
        (*vv).set_len(data.len as u32);
        (*vv).set_valid(1);
        (*vv).set_no_cacheable(0);
        (*vv).set_not_found(0);
        (*vv).data = data.data;
    }
    if let Some(set) = v.set_handler {
        // SAFETY: the variable's own setter, with a value allocated in the request pool.
        unsafe { set(r, vv, v.data) };
        return Ok(());
    }
    if v.flags & NGX_HTTP_VAR_INDEXED as usize != 0 {
        // SAFETY: r->variables has one slot per indexed variable.
        unsafe { *r.variables.add(v.index) = *vv };
        return Ok(());
    }
    Err(RequestError::NotAllowed)
}
