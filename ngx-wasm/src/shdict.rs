//! Shared dictionaries (`wasm_shared_dict <name> <size>`): key-value zones in nginx shared
//! memory that every worker sees, the shape of lua-nginx-module's `ngx.shared.DICT`.
//!
//! * **Zone** ([`Zones::add`], at configuration; `init_zone` when nginx maps it): a slab
//!   pool whose root is a [`Shared`] header (a red-black tree of entries keyed by a hash of
//!   the key, with the key bytes as tie-break, and a least-recently-used queue). A zone kept
//!   across `nginx -s reload` (same name and size) keeps its header, so its data survives.
//! * **Entry**: one slab allocation, an [`Entry`] followed by the key and the value bytes.
//! * **Operations** ([`run`]): each under the zone's shm mutex, so atomic across workers.
//!   Expired entries are freed lazily (two from the LRU tail on every store, as OpenResty
//!   does), and a store that finds no room evicts least-recently-used entries (up to 30)
//!   unless it is a `safe_*` store.

use std::ffi::c_void;
use std::ptr;

use engine_api::abi::shdict;
use engine_api::{RequestError, ShdictAnswer, ShdictBytes, ShdictOp};
use ngx::core::Status;
use ngx::ffi::{
    ngx_conf_t, ngx_current_msec, ngx_int_t, ngx_pagesize, ngx_queue_t, ngx_rbtree_delete,
    ngx_rbtree_insert, ngx_rbtree_node_t, ngx_rbtree_t, ngx_shared_memory_add, ngx_shm_zone_t,
    ngx_shmtx_lock, ngx_shmtx_unlock, ngx_slab_alloc_locked, ngx_slab_free_locked, ngx_slab_page_t,
    ngx_slab_pool_t, ngx_str_node_t, ngx_str_rbtree_insert_value, ngx_str_rbtree_lookup, ngx_str_t,
};

/// How many least-recently-used entries a store may evict to make room.
const MAX_EVICT: usize = 30;

/// The root of a zone, in shared memory.
#[repr(C)]
struct Shared {
    rbtree: ngx_rbtree_t,
    sentinel: ngx_rbtree_node_t,
    /// Most recently used first.
    lru: ngx_queue_t,
}

/// One entry, in shared memory, followed by its key and value bytes.
#[repr(C)]
struct Entry {
    /// The tree node (key: the key's hash) and the key (pointing after this struct).
    sn: ngx_str_node_t,
    lru: ngx_queue_t,
    /// `ngx_current_msec` when it expires; 0: never.
    expires: u64,
    flags: u32,
    value_len: u32,
    kind: u8,
}

/// The value of a list entry: its elements, in order.
#[repr(C)]
struct ListHead {
    elems: ngx_queue_t,
    len: u32,
}

/// One element of a list, followed by its bytes.
#[repr(C)]
struct ListElem {
    /// First, so that the queue link is the allocation's address.
    link: ngx_queue_t,
    kind: u8,
    len: u32,
}

/// The list head of a list entry (its value bytes).
///
/// # Safety
/// `e` must be a live entry of kind LIST.
unsafe fn list_head(e: *mut Entry) -> *mut ListHead {
    // SAFETY: the caller's contract; the value follows the key.
    unsafe {
        e.add(1)
            .cast::<u8>()
            .add((*e).sn.str_.len)
            .cast::<ListHead>()
    }
}

/// A zone's per-cycle handle, in the configuration pool (the shm zone's `data`).
#[repr(C)]
struct ZoneCtx {
    shpool: *mut ngx_slab_pool_t,
    sh: *mut Shared,
}

/// The shared dictionaries of one configuration.
#[derive(Default)]
pub struct Zones {
    zones: Vec<(Vec<u8>, *mut ngx_shm_zone_t)>,
}

impl Zones {
    /// Declares zone `name` of `size` bytes (`wasm_shared_dict`); `Err` is the message for
    /// nginx -t.
    ///
    /// # Safety
    /// `cf` must be nginx's configuration context of the directive being read.
    pub unsafe fn add(
        &mut self,
        cf: *mut ngx_conf_t,
        name: &[u8],
        size: usize,
    ) -> Result<(), String> {
        if self.zones.iter().any(|(n, _)| n == name) {
            return Err(format!(
                "duplicate wasm_shared_dict \"{}\"",
                String::from_utf8_lossy(name)
            ));
        }
        // SAFETY: the caller's contract: cf is live; nginx copies what it keeps.
        unsafe {
            let ctx = ngx::ffi::ngx_pcalloc((*cf).pool, size_of::<ZoneCtx>()).cast::<ZoneCtx>();
            if ctx.is_null() {
                return Err("no memory".into());
            }
            let mut n = ngx_str_t {
                len: name.len(),
                data: ngx::ffi::ngx_pstrdup(
                    (*cf).pool,
                    &mut ngx_str_t {
                        len: name.len(),
                        data: name.as_ptr().cast_mut(),
                    },
                ),
            };
            if n.data.is_null() {
                return Err("no memory".into());
            }
            let tag = ptr::addr_of_mut!(crate::ngx_http_wasm_module).cast::<c_void>();
            let zone = ngx_shared_memory_add(cf, &mut n, size, tag);
            if zone.is_null() {
                return Err(format!(
                    "cannot add the shared memory zone \"{}\"",
                    String::from_utf8_lossy(name)
                ));
            }
            if !(*zone).data.is_null() {
                return Err(format!(
                    "the shared memory zone \"{}\" is already used by another directive",
                    String::from_utf8_lossy(name)
                ));
            }
            (*zone).data = ctx.cast();
            (*zone).init = Some(init_zone);
            self.zones.push((name.to_vec(), zone));
        }
        Ok(())
    }

    fn find(&self, name: &[u8]) -> Option<*mut ngx_shm_zone_t> {
        self.zones.iter().find(|(n, _)| n == name).map(|(_, z)| *z)
    }
}

/// nginx maps a zone: make its root, or keep the old cycle's (`data`) on reload.
unsafe extern "C" fn init_zone(zone: *mut ngx_shm_zone_t, data: *mut c_void) -> ngx_int_t {
    // SAFETY: nginx passes the zone this module added, mapped; `data` is the old cycle's
    // ZoneCtx of the same zone when it is reused.
    unsafe {
        let ctx = (*zone).data.cast::<ZoneCtx>();
        let old = data.cast::<ZoneCtx>();
        if !old.is_null() {
            (*ctx).shpool = (*old).shpool;
            (*ctx).sh = (*old).sh;
            return Status::NGX_OK.0;
        }
        let shpool = (*zone).shm.addr.cast::<ngx_slab_pool_t>();
        (*ctx).shpool = shpool;
        if (*zone).shm.exists != 0 {
            (*ctx).sh = (*shpool).data.cast();
            return Status::NGX_OK.0;
        }
        let sh = ngx_slab_alloc_locked(shpool, size_of::<Shared>()).cast::<Shared>();
        if sh.is_null() {
            return Status::NGX_ERROR.0;
        }
        (*shpool).data = sh.cast();
        (*ctx).sh = sh;
        let sentinel = ptr::addr_of_mut!((*sh).sentinel);
        (*sentinel).color = 0;
        (*sh).rbtree.root = sentinel;
        (*sh).rbtree.sentinel = sentinel;
        (*sh).rbtree.insert = Some(ngx_str_rbtree_insert_value);
        queue_init(ptr::addr_of_mut!((*sh).lru));
        // Eviction handles a full zone; nginx need not log every failed allocation.
        (*shpool).set_log_nomem(0);
    }
    Status::NGX_OK.0
}

// ngx_queue_t's macros, for the LRU queue.
unsafe fn queue_init(q: *mut ngx_queue_t) {
    // SAFETY: q is a live queue head in shared memory.
    unsafe {
        (*q).prev = q;
        (*q).next = q;
    }
}

unsafe fn queue_insert_head(h: *mut ngx_queue_t, x: *mut ngx_queue_t) {
    // SAFETY: h is a live queue head, x a live element not in a queue.
    unsafe {
        (*x).next = (*h).next;
        (*(*x).next).prev = x;
        (*x).prev = h;
        (*h).next = x;
    }
}

unsafe fn queue_insert_tail(h: *mut ngx_queue_t, x: *mut ngx_queue_t) {
    // SAFETY: h is a live queue head, x a live element not in a queue.
    unsafe {
        (*x).prev = (*h).prev;
        (*(*x).prev).next = x;
        (*x).next = h;
        (*h).prev = x;
    }
}

unsafe fn queue_remove(x: *mut ngx_queue_t) {
    // SAFETY: x is a live element of a queue.
    unsafe {
        (*(*x).next).prev = (*x).prev;
        (*(*x).prev).next = (*x).next;
    }
}

/// The entry whose `lru` is `q`.
unsafe fn entry_of(q: *mut ngx_queue_t) -> *mut Entry {
    // SAFETY: q is the `lru` field of an Entry.
    unsafe { q.byte_sub(std::mem::offset_of!(Entry, lru)).cast::<Entry>() }
}

/// FNV-1a: the tree's hash of a key (stable across builds, as the zone outlives a binary
/// upgrade).
fn hash(key: &[u8]) -> u32 {
    key.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

fn now() -> u64 {
    // SAFETY: nginx's cached monotonic clock, the same clock in every worker.
    unsafe { ngx_current_msec as u64 }
}

/// The `expires` of an entry stored now with this time to live (0: never).
fn expiry(ttl: Option<u64>) -> u64 {
    ttl.map_or(0, |t| now().saturating_add(t).max(1))
}

/// What an entry stores besides its key.
#[derive(Clone, Copy)]
struct Stored<'a> {
    kind: u8,
    value: &'a [u8],
    flags: u32,
    ttl: Option<u64>,
}

/// A locked zone.
struct Locked {
    shpool: *mut ngx_slab_pool_t,
    sh: *mut Shared,
    size: usize,
}

impl Drop for Locked {
    fn drop(&mut self) {
        // SAFETY: locked in `lock`.
        unsafe { ngx_shmtx_unlock(ptr::addr_of_mut!((*self.shpool).mutex)) };
    }
}

fn lock(zones: &Zones, name: &[u8]) -> Result<Locked, RequestError> {
    let zone = zones.find(name).ok_or(RequestError::BadArgument)?;
    // SAFETY: a zone of this configuration, mapped and initialised before workers start.
    unsafe {
        let ctx = (*zone).data.cast::<ZoneCtx>();
        let (shpool, sh) = ((*ctx).shpool, (*ctx).sh);
        if shpool.is_null() || sh.is_null() {
            return Err(RequestError::Internal);
        }
        ngx_shmtx_lock(ptr::addr_of_mut!((*shpool).mutex));
        Ok(Locked {
            shpool,
            sh,
            size: (*zone).shm.size,
        })
    }
}

impl Locked {
    fn lookup(&self, key: &[u8]) -> Option<*mut Entry> {
        let mut k = ngx_str_t {
            len: key.len(),
            data: key.as_ptr().cast_mut(),
        };
        // SAFETY: the tree is live and locked; nginx only reads the key.
        let n = unsafe {
            ngx_str_rbtree_lookup(ptr::addr_of_mut!((*self.sh).rbtree), &mut k, hash(key))
        };
        (!n.is_null()).then(|| n.cast::<Entry>())
    }

    fn live(e: *mut Entry, now: u64) -> bool {
        // SAFETY: a live entry of the locked zone.
        let exp = unsafe { (*e).expires };
        exp == 0 || exp > now
    }

    fn is_list(e: *mut Entry) -> bool {
        // SAFETY: an entry of the locked zone.
        unsafe { (*e).kind == shdict::LIST as u8 }
    }

    fn touch(&self, e: *mut Entry) {
        // SAFETY: a live entry of the locked zone.
        unsafe {
            queue_remove(ptr::addr_of_mut!((*e).lru));
            queue_insert_head(
                ptr::addr_of_mut!((*self.sh).lru),
                ptr::addr_of_mut!((*e).lru),
            );
        }
    }

    fn free(&self, e: *mut Entry) {
        // SAFETY: a live entry of the locked zone, removed from both structures, then freed
        // with its list elements, if it is a list.
        unsafe {
            if (*e).kind == shdict::LIST as u8 {
                let head = list_head(e);
                let mut q = (*head).elems.next;
                while !ptr::eq(q, ptr::addr_of_mut!((*head).elems)) {
                    let next = (*q).next;
                    ngx_slab_free_locked(self.shpool, q.cast());
                    q = next;
                }
            }
            ngx_rbtree_delete(
                ptr::addr_of_mut!((*self.sh).rbtree),
                ptr::addr_of_mut!((*e).sn.node),
            );
            queue_remove(ptr::addr_of_mut!((*e).lru));
            ngx_slab_free_locked(self.shpool, e.cast());
        }
    }

    /// The least recently used entry, if any.
    fn oldest(&self) -> Option<*mut Entry> {
        // SAFETY: the queue is live and locked.
        unsafe {
            let head = ptr::addr_of_mut!((*self.sh).lru);
            let last = (*head).prev;
            (!ptr::eq(last, head)).then(|| entry_of(last))
        }
    }

    /// Frees up to `max` expired entries (0: no limit), oldest first; the lazy sweep of a
    /// store (`whole_queue` false) stops at the first live entry, as OpenResty's does.
    fn free_expired(&self, max: usize, whole_queue: bool) -> usize {
        let now = now();
        let mut freed = 0;
        // SAFETY: the queue is live and locked; `prev` is read before an entry is freed.
        unsafe {
            let head = ptr::addr_of_mut!((*self.sh).lru);
            let mut q = (*head).prev;
            while !ptr::eq(q, head) && (max == 0 || freed < max) {
                let prev = (*q).prev;
                let e = entry_of(q);
                if !Self::live(e, now) {
                    self.free(e);
                    freed += 1;
                } else if !whole_queue {
                    break;
                }
                q = prev;
            }
        }
        freed
    }

    /// Allocates an entry for `key` and `value_len` bytes; evicts LRU entries unless `safe`.
    /// Returns the entry and whether a live entry was evicted.
    fn alloc(
        &self,
        key: &[u8],
        value_len: usize,
        safe: bool,
    ) -> Result<(*mut Entry, bool), RequestError> {
        let size = size_of::<Entry>() + key.len() + value_len;
        self.alloc_raw(size, safe, None)
            .map(|(p, forcible)| (p.cast::<Entry>(), forcible))
    }

    /// `size` bytes of the pool; unless `safe`, evicts least-recently-used entries (never
    /// `keep`) until they fit. Returns the memory and whether a live entry was evicted.
    fn alloc_raw(
        &self,
        size: usize,
        safe: bool,
        keep: Option<*mut Entry>,
    ) -> Result<(*mut u8, bool), RequestError> {
        if size >= self.size {
            return Err(RequestError::NoMemory);
        }
        let now = now();
        let mut forcible = false;
        for _ in 0..=MAX_EVICT {
            // SAFETY: the pool is locked.
            let p = unsafe { ngx_slab_alloc_locked(self.shpool, size) }.cast::<u8>();
            if !p.is_null() {
                return Ok((p, forcible));
            }
            if safe {
                return Err(RequestError::NoMemory);
            }
            let Some(old) = self.oldest().filter(|o| Some(*o) != keep) else {
                break;
            };
            forcible |= Self::live(old, now);
            self.free(old);
        }
        Err(RequestError::NoMemory)
    }

    /// Fills a fresh entry with `key` and `v` and links it in.
    fn link(&self, e: *mut Entry, key: &[u8], v: &Stored<'_>) {
        let Stored {
            kind,
            value,
            flags,
            ttl,
        } = *v;
        // SAFETY: e has room for the Entry, the key and the value (see `alloc`).
        unsafe {
            let data = e.add(1).cast::<u8>();
            ptr::copy_nonoverlapping(key.as_ptr(), data, key.len());
            ptr::copy_nonoverlapping(value.as_ptr(), data.add(key.len()), value.len());
            ptr::write(
                e,
                Entry {
                    sn: std::mem::zeroed(),
                    lru: std::mem::zeroed(),
                    expires: expiry(ttl),
                    flags,
                    value_len: value.len() as u32,
                    kind,
                },
            );
            (*e).sn.node.key = hash(key) as _;
            (*e).sn.str_ = ngx_str_t {
                len: key.len(),
                data,
            };
            ngx_rbtree_insert(
                ptr::addr_of_mut!((*self.sh).rbtree),
                ptr::addr_of_mut!((*e).sn.node),
            );
            queue_insert_head(
                ptr::addr_of_mut!((*self.sh).lru),
                ptr::addr_of_mut!((*e).lru),
            );
        }
    }

    /// Stores `value` under `key`, replacing `old` (the entry of `key`, if any): in place
    /// when `old` holds a scalar of the same size, as OpenResty does (no slab free and
    /// allocation), else in a new entry (evicting unless `safe`). Whether live entries were
    /// evicted.
    fn store(
        &self,
        old: Option<*mut Entry>,
        key: &[u8],
        v: &Stored<'_>,
        safe: bool,
    ) -> Result<bool, RequestError> {
        if let Some(e) = old {
            // SAFETY: an entry of the locked zone.
            if !Self::is_list(e) && unsafe { (*e).value_len } as usize == v.value.len() {
                Self::value(e).copy_from_slice(v.value);
                // SAFETY: as above.
                unsafe {
                    (*e).kind = v.kind;
                    (*e).flags = v.flags;
                    (*e).expires = expiry(v.ttl);
                }
                self.touch(e);
                return Ok(false);
            }
            self.free(e);
        }
        let (e, forcible) = self.alloc(key, v.value.len(), safe)?;
        self.link(e, key, v);
        Ok(forcible)
    }

    fn value<'e>(e: *mut Entry) -> &'e mut [u8] {
        // SAFETY: the value bytes follow the key in the entry's allocation.
        unsafe {
            let data = e.add(1).cast::<u8>().add((*e).sn.str_.len);
            std::slice::from_raw_parts_mut(data, (*e).value_len as usize)
        }
    }

    /// The bytes of the free pages.
    fn free_space(&self) -> u64 {
        let mut bytes = 0u64;
        // SAFETY: the pool's free-page list is live and locked.
        unsafe {
            let head = ptr::addr_of_mut!((*self.shpool).free);
            let mut page: *mut ngx_slab_page_t = (*head).next;
            while !page.is_null() && !ptr::eq(page, head) {
                bytes += (*page).slab as u64 * ngx_pagesize as u64;
                page = (*page).next;
            }
        }
        bytes
    }
}

/// Runs `op` on this configuration's zones.
pub fn run(zones: &Zones, op: ShdictOp<'_>) -> Result<ShdictAnswer, RequestError> {
    match op {
        ShdictOp::Get { dict, key, stale } => {
            let z = lock(zones, dict)?;
            let Some(e) = z.lookup(key) else {
                return Ok(ShdictAnswer::Value(None));
            };
            if Locked::is_list(e) {
                // OpenResty: "value is a list".
                return Err(RequestError::BadArgument);
            }
            let live = Locked::live(e, now());
            if !live && !stale {
                return Ok(ShdictAnswer::Value(None));
            }
            z.touch(e);
            // SAFETY: an entry of the locked zone.
            let (kind, flags) = unsafe { ((*e).kind, (*e).flags) };
            let bytes = ShdictBytes::from_slice(Locked::value(e));
            Ok(ShdictAnswer::Value(Some((kind, flags, bytes, !live))))
        }
        ShdictOp::Keys { dict, max } => {
            let z = lock(zones, dict)?;
            let now = now();
            let mut keys = Vec::new();
            // SAFETY: the queue is live and locked; keys are copied out before unlocking.
            unsafe {
                let head = ptr::addr_of_mut!((*z.sh).lru);
                let mut q = (*head).next;
                while !ptr::eq(q, head) && (max == 0 || keys.len() < max as usize) {
                    let e = entry_of(q);
                    if Locked::live(e, now) {
                        let k = (*e).sn.str_;
                        keys.push(std::slice::from_raw_parts(k.data, k.len).to_vec());
                    }
                    q = (*q).next;
                }
            }
            Ok(ShdictAnswer::Keys(keys))
        }
        ShdictOp::Set {
            dict,
            key,
            op,
            kind,
            value,
            flags,
            ttl_ms,
        } => {
            let z = lock(zones, dict)?;
            // As OpenResty: every store first frees up to two expired entries (the entry of
            // `key` among them if it expired).
            z.free_expired(2, false);
            let old = z.lookup(key);
            let live = old.filter(|e| Locked::live(*e, now()));
            match op {
                shdict::ADD | shdict::SAFE_ADD if live.is_some() => {
                    return Err(RequestError::Exists)
                }
                shdict::REPLACE if live.is_none() => return Err(RequestError::NotFound),
                _ => {}
            }
            let safe = matches!(op, shdict::SAFE_SET | shdict::SAFE_ADD);
            let v = Stored {
                kind,
                value,
                flags,
                ttl: ttl_ms,
            };
            z.store(old, key, &v, safe).map(ShdictAnswer::Stored)
        }
        ShdictOp::Delete { dict, key } => {
            let z = lock(zones, dict)?;
            if let Some(e) = z.lookup(key) {
                z.free(e);
            }
            Ok(ShdictAnswer::Done)
        }
        ShdictOp::Incr { dict, key, n, init } => {
            let z = lock(zones, dict)?;
            let old = z.lookup(key);
            if let Some(e) = old.filter(|e| Locked::live(*e, now())) {
                // SAFETY: a live entry of the locked zone.
                if unsafe { (*e).kind } != shdict::F64 as u8 {
                    return Err(RequestError::BadArgument);
                }
                let v = Locked::value(e);
                let mut b = [0u8; 8];
                b.copy_from_slice(v);
                let sum = f64::from_le_bytes(b) + n;
                v.copy_from_slice(&sum.to_le_bytes());
                z.touch(e);
                return Ok(ShdictAnswer::Number(sum, false));
            }
            let Some((start, ttl)) = init else {
                return Err(RequestError::NotFound);
            };
            // The sweep may free the expired entry of `key`: look it up again after it.
            z.free_expired(2, false);
            let old = z.lookup(key);
            let sum = start + n;
            let v = Stored {
                kind: shdict::F64 as u8,
                value: &sum.to_le_bytes(),
                flags: 0,
                ttl,
            };
            z.store(old, key, &v, false)
                .map(|forcible| ShdictAnswer::Number(sum, forcible))
        }
        ShdictOp::Ttl { dict, key } => {
            let z = lock(zones, dict)?;
            let now = now();
            let e = z
                .lookup(key)
                .filter(|e| Locked::live(*e, now))
                .ok_or(RequestError::NotFound)?;
            // SAFETY: a live entry of the locked zone.
            let exp = unsafe { (*e).expires };
            Ok(ShdictAnswer::Ttl((exp != 0).then(|| exp - now)))
        }
        ShdictOp::Expire { dict, key, ttl_ms } => {
            let z = lock(zones, dict)?;
            let now = now();
            let e = z
                .lookup(key)
                .filter(|e| Locked::live(*e, now))
                .ok_or(RequestError::NotFound)?;
            // SAFETY: a live entry of the locked zone.
            unsafe { (*e).expires = ttl_ms.map_or(0, |t| now.saturating_add(t).max(1)) };
            Ok(ShdictAnswer::Done)
        }
        ShdictOp::FlushAll { dict } => {
            let z = lock(zones, dict)?;
            // SAFETY: the queue is live and locked.
            unsafe {
                let head = ptr::addr_of_mut!((*z.sh).lru);
                let mut q = (*head).next;
                while !ptr::eq(q, head) {
                    (*entry_of(q)).expires = 1;
                    q = (*q).next;
                }
            }
            Ok(ShdictAnswer::Done)
        }
        ShdictOp::FlushExpired { dict, max } => {
            let z = lock(zones, dict)?;
            let freed = z.free_expired(max as usize, true);
            Ok(ShdictAnswer::Count(freed as u64))
        }
        ShdictOp::Push {
            dict,
            key,
            left,
            kind,
            value,
        } => {
            let z = lock(zones, dict)?;
            let now = now();
            let e = match z.lookup(key) {
                Some(e) if Locked::live(e, now) => {
                    // SAFETY: a live entry of the locked zone.
                    if unsafe { (*e).kind } != shdict::LIST as u8 {
                        return Err(RequestError::BadArgument);
                    }
                    z.touch(e);
                    e
                }
                old => {
                    if let Some(e) = old {
                        z.free(e);
                    }
                    z.free_expired(2, false);
                    let (e, _) = z.alloc(key, size_of::<ListHead>(), false)?;
                    let head = Stored {
                        kind: shdict::LIST as u8,
                        value: &[0; size_of::<ListHead>()],
                        flags: 0,
                        ttl: None,
                    };
                    z.link(e, key, &head);
                    // SAFETY: e was just made a list entry; its head is initialised here.
                    unsafe {
                        let head = list_head(e);
                        queue_init(ptr::addr_of_mut!((*head).elems));
                        (*head).len = 0;
                    }
                    e
                }
            };
            let (p, _) = match z.alloc_raw(size_of::<ListElem>() + value.len(), false, Some(e)) {
                Ok(p) => p,
                Err(err) => {
                    // SAFETY: a live list entry of the locked zone.
                    if unsafe { (*list_head(e)).len } == 0 {
                        z.free(e);
                    }
                    return Err(err);
                }
            };
            // SAFETY: p has room for the element and its bytes; the head is live.
            unsafe {
                let el = p.cast::<ListElem>();
                ptr::write(
                    el,
                    ListElem {
                        link: std::mem::zeroed(),
                        kind,
                        len: value.len() as u32,
                    },
                );
                ptr::copy_nonoverlapping(value.as_ptr(), el.add(1).cast::<u8>(), value.len());
                let head = list_head(e);
                let elems = ptr::addr_of_mut!((*head).elems);
                let link = ptr::addr_of_mut!((*el).link);
                if left {
                    queue_insert_head(elems, link);
                } else {
                    queue_insert_tail(elems, link);
                }
                (*head).len += 1;
                Ok(ShdictAnswer::Count(u64::from((*head).len)))
            }
        }
        ShdictOp::Pop {
            dict,
            key,
            left,
            cap,
        } => {
            let z = lock(zones, dict)?;
            let Some(e) = z.lookup(key).filter(|e| Locked::live(*e, now())) else {
                return Ok(ShdictAnswer::Value(None));
            };
            // SAFETY: a live entry of the locked zone; its elements are live.
            unsafe {
                if (*e).kind != shdict::LIST as u8 {
                    return Err(RequestError::BadArgument);
                }
                let head = list_head(e);
                let elems = ptr::addr_of_mut!((*head).elems);
                let q = if left { (*elems).next } else { (*elems).prev };
                if ptr::eq(q, elems) {
                    return Ok(ShdictAnswer::Value(None));
                }
                let el = q.cast::<ListElem>();
                let len = (*el).len as usize;
                if len > cap {
                    // The guest's buffer is too small: nothing is popped, it asks again.
                    return Ok(ShdictAnswer::Needed(len as u64));
                }
                let bytes = ShdictBytes::from_slice(std::slice::from_raw_parts(
                    el.add(1).cast::<u8>(),
                    len,
                ));
                let kind = (*el).kind;
                queue_remove(q);
                ngx_slab_free_locked(z.shpool, el.cast());
                (*head).len -= 1;
                if (*head).len == 0 {
                    // As OpenResty: a list that becomes empty is removed.
                    z.free(e);
                } else {
                    z.touch(e);
                }
                Ok(ShdictAnswer::Value(Some((kind, 0, bytes, false))))
            }
        }
        ShdictOp::Len { dict, key } => {
            let z = lock(zones, dict)?;
            let Some(e) = z.lookup(key).filter(|e| Locked::live(*e, now())) else {
                return Ok(ShdictAnswer::Count(0));
            };
            // SAFETY: a live entry of the locked zone.
            unsafe {
                if (*e).kind != shdict::LIST as u8 {
                    return Err(RequestError::BadArgument);
                }
                Ok(ShdictAnswer::Count(u64::from((*list_head(e)).len)))
            }
        }
        ShdictOp::Capacity { dict } => {
            let z = lock(zones, dict)?;
            Ok(ShdictAnswer::Count(z.size as u64))
        }
        ShdictOp::FreeSpace { dict } => {
            let z = lock(zones, dict)?;
            Ok(ShdictAnswer::Count(z.free_space()))
        }
    }
}
