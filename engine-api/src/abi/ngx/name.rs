//! Short copies of guest bytes (header names, variable names, context keys) kept on the
//! stack: a host function that must write guest memory while it holds a name it read from
//! guest memory copies the name first, and most names fit in [`INLINE`] bytes, so the hot
//! path does not allocate.

use std::ops::Deref;

/// Names up to this long are copied on the stack.
const INLINE: usize = 64;

/// A copy of a name, on the stack when short.
pub(super) enum NameBuf {
    Inline([u8; INLINE], usize),
    Heap(Vec<u8>),
}

impl NameBuf {
    /// A copy of `src`.
    pub(super) fn copy(src: &[u8]) -> Self {
        if src.len() <= INLINE {
            let mut buf = [0; INLINE];
            buf[..src.len()].copy_from_slice(src);
            NameBuf::Inline(buf, src.len())
        } else {
            NameBuf::Heap(src.to_vec())
        }
    }

    /// A copy of `src` in ASCII lower case.
    pub(super) fn lowercase(src: &[u8]) -> Self {
        let mut name = Self::copy(src);
        match &mut name {
            NameBuf::Inline(buf, len) => buf[..*len].make_ascii_lowercase(),
            NameBuf::Heap(v) => v.make_ascii_lowercase(),
        }
        name
    }
}

impl Deref for NameBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            NameBuf::Inline(buf, len) => &buf[..*len],
            NameBuf::Heap(v) => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{NameBuf, INLINE};

    #[test]
    fn short_and_long_names_copy_the_same() {
        for len in [0, 1, INLINE - 1, INLINE, INLINE + 1, 1000] {
            let src: Vec<u8> = (0..len).map(|i| b'A' + (i % 26) as u8).collect();
            assert_eq!(&*NameBuf::copy(&src), &src[..]);
            assert_eq!(&*NameBuf::lowercase(&src), &src.to_ascii_lowercase()[..]);
            assert_eq!(
                matches!(NameBuf::copy(&src), NameBuf::Inline(..)),
                len <= INLINE
            );
        }
    }
}
