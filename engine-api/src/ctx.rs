//! The per-request context (`ngx.ctx`): a small key/value store of bytes kept by the host for
//! one request and shared by every phase of it.

use crate::error::RequestError;

/// The most bytes (keys and values) one request's context may hold.
pub const CTX_MAX_BYTES: usize = 1 << 20;

/// Keys and values of one request. Few keys are expected, so a list searched linearly beats a
/// hash map; the total size is capped at [`CTX_MAX_BYTES`].
#[derive(Debug, Default)]
pub struct CtxStore {
    entries: Vec<(Box<[u8]>, Vec<u8>)>,
    bytes: usize,
}

impl CtxStore {
    /// The value stored under `key`.
    pub fn get(&self, key: &[u8]) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(k, _)| &k[..] == key)
            .map(|(_, v)| &v[..])
    }

    /// Stores `value` under `key`, replacing an earlier value. Fails with
    /// [`RequestError::NotAllowed`] when the store would exceed [`CTX_MAX_BYTES`].
    pub fn set(&mut self, key: &[u8], value: &[u8]) -> Result<(), RequestError> {
        let old = self.entries.iter().position(|(k, _)| &k[..] == key);
        let freed = old.map_or(0, |i| self.entries[i].0.len() + self.entries[i].1.len());
        let needed = self.bytes - freed + key.len() + value.len();
        if needed > CTX_MAX_BYTES {
            return Err(RequestError::NotAllowed);
        }
        match old {
            Some(i) => {
                let v = &mut self.entries[i].1;
                v.clear();
                v.extend_from_slice(value);
            }
            None => self.entries.push((key.into(), value.to_vec())),
        }
        self.bytes = needed;
        Ok(())
    }

    /// Removes `key`; true if it was there.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        let Some(i) = self.entries.iter().position(|(k, _)| &k[..] == key) else {
            return false;
        };
        let (k, v) = self.entries.swap_remove(i);
        self.bytes -= k.len() + v.len();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_delete_and_cap() {
        let mut c = CtxStore::default();
        assert_eq!(c.get(b"a"), None);
        c.set(b"a", b"1").unwrap();
        c.set(b"a", b"22").unwrap();
        c.set(b"b", b"").unwrap();
        assert_eq!(c.get(b"a"), Some(&b"22"[..]));
        assert_eq!(c.get(b"b"), Some(&b""[..]));
        assert!(c.delete(b"a"));
        assert!(!c.delete(b"a"));
        let big = vec![0u8; CTX_MAX_BYTES];
        assert_eq!(c.set(b"x", &big), Err(RequestError::NotAllowed));
        c.set(b"x", &big[..CTX_MAX_BYTES - 2]).unwrap();
        // replacing a value frees the old one first
        c.set(b"x", &big[..CTX_MAX_BYTES - 2]).unwrap();
        assert_eq!(c.set(b"y", b"zz"), Err(RequestError::NotAllowed));
    }
}
