//! Bounds-checked access to a guest's linear memory.
//!
//! Every pointer and length a guest passes to a host function goes through here. Guest
//! pointers are unsigned 32-bit offsets; `ptr + len` is computed without overflow and checked
//! against the current memory size, so a bad pair is a [`HostTrap`], never a host crash.

use crate::error::HostTrap;

/// A guest's linear memory for the duration of one host call, or none when the guest does not
/// export a memory named `memory`.
pub struct GuestMemory<'a> {
    data: Option<&'a mut [u8]>,
    function: &'static str,
}

impl<'a> GuestMemory<'a> {
    /// Wraps the memory bytes an engine handed over for a call to `function`.
    pub fn new(data: Option<&'a mut [u8]>, function: &'static str) -> Self {
        GuestMemory { data, function }
    }

    /// The host function this memory was handed to (`<module>.<name>`), for messages.
    pub fn function(&self) -> &'static str {
        self.function
    }

    /// The size of the memory in bytes (0 when the guest exports none).
    pub fn size(&self) -> usize {
        self.data.as_ref().map_or(0, |d| d.len())
    }

    // Every host call checks several ranges: the in-bounds path is inlined into each
    // caller, the two failures are built out of line.
    #[inline]
    fn range(&self, ptr: i32, len: i32) -> Result<std::ops::Range<usize>, HostTrap> {
        let (p, l) = (ptr as u32 as u64, len as u32 as u64);
        let Some(data) = self.data.as_ref() else {
            if l == 0 {
                return Ok(0..0);
            }
            return Err(self.no_memory());
        };
        let end = p + l; // both below 2^32: cannot overflow u64
        if end > data.len() as u64 {
            return Err(self.out_of_bounds(p, l));
        }
        Ok(p as usize..end as usize)
    }

    #[cold]
    #[inline(never)]
    fn no_memory(&self) -> HostTrap {
        HostTrap::new(
            self.function,
            "the guest exports no memory named \"memory\"",
        )
    }

    #[cold]
    #[inline(never)]
    fn out_of_bounds(&self, p: u64, l: u64) -> HostTrap {
        HostTrap::new(
            self.function,
            format!(
                "memory access out of bounds (ptr={}, len={}, memory size={})",
                p,
                l,
                self.size()
            ),
        )
    }

    /// The `len` bytes at `ptr`.
    #[inline]
    pub fn read(&self, ptr: i32, len: i32) -> Result<&[u8], HostTrap> {
        let r = self.range(ptr, len)?;
        Ok(match self.data.as_deref() {
            Some(d) => &d[r],
            None => &[],
        })
    }

    /// Copies `bytes` to `ptr`; the whole range must lie in memory.
    #[inline]
    pub fn write(&mut self, ptr: i32, bytes: &[u8]) -> Result<(), HostTrap> {
        let len = i32::try_from(bytes.len())
            .map_err(|_| HostTrap::new(self.function, "value larger than 2 GiB"))?;
        let r = self.range(ptr, len)?;
        if let Some(d) = self.data.as_deref_mut() {
            d[r].copy_from_slice(bytes);
        }
        Ok(())
    }

    /// The `len` bytes at `ptr`, writable (an output buffer the host fills).
    #[inline]
    pub fn slice_mut(&mut self, ptr: i32, len: i32) -> Result<&mut [u8], HostTrap> {
        let r = self.range(ptr, len)?;
        Ok(match self.data.as_deref_mut() {
            Some(d) => &mut d[r],
            None => &mut [],
        })
    }

    /// The getter convention: checks that `out_ptr .. out_ptr + out_cap` lies in memory, copies
    /// `value` there if it fits, and returns its full length either way (a length above
    /// `out_cap` tells the guest how large a buffer to retry with; nothing is written then).
    pub fn write_out(&mut self, out_ptr: i32, out_cap: i32, value: &[u8]) -> Result<i32, HostTrap> {
        let r = self.range(out_ptr, out_cap)?;
        let len = i32::try_from(value.len())
            .map_err(|_| HostTrap::new(self.function, "value larger than 2 GiB"))?;
        if value.len() <= r.len() {
            if let Some(d) = self.data.as_deref_mut() {
                d[r.start..r.start + value.len()].copy_from_slice(value);
            }
        }
        Ok(len)
    }
}

/// Reads a little-endian `u32` at `at` of `b`, a structure the caller read whole.
pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

/// The 8 bytes at `at` of `b` (a little-endian word: `u64`, `i64` or `f64`), a structure the
/// caller read whole.
pub(crate) fn word_at(b: &[u8], at: usize) -> [u8; 8] {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_inside_bounds() {
        let mut buf = *b"hello world";
        let m = GuestMemory::new(Some(&mut buf), "t");
        assert_eq!(m.read(6, 5).unwrap(), b"world");
        assert_eq!(m.read(11, 0).unwrap(), b"");
        assert_eq!(m.read(0, 11).unwrap(), b"hello world");
    }

    #[test]
    fn rejects_out_of_bounds_and_overflow() {
        let mut buf = [0u8; 16];
        let m = GuestMemory::new(Some(&mut buf), "ngx.t");
        assert!(m.read(16, 1).is_err());
        assert!(m.read(12, 5).is_err());
        assert!(
            m.read(17, 0).is_err(),
            "a zero-length range must still start in memory"
        );
        // 0xffff_fff0 + 0x20 overflows 32 bits: must be rejected, not wrap to a valid range.
        let e = m.read(-16, 0x20).unwrap_err();
        assert_eq!(e.function, "ngx.t");
        assert!(e.reason.contains("out of bounds"), "{}", e.reason);
        assert!(
            m.read(0, -1).is_err(),
            "a negative length is a huge unsigned length"
        );
    }

    #[test]
    fn write_out_reports_needed_length_without_writing() {
        let mut buf = [0u8; 8];
        let mut m = GuestMemory::new(Some(&mut buf), "t");
        assert_eq!(m.write_out(0, 3, b"abcdef").unwrap(), 6);
        assert_eq!(m.read(0, 8).unwrap(), &[0u8; 8]);
        assert_eq!(m.write_out(2, 6, b"abcdef").unwrap(), 6);
        assert_eq!(m.read(0, 8).unwrap(), b"\0\0abcdef");
        assert!(
            m.write_out(4, 6, b"x").is_err(),
            "the declared buffer must lie in memory"
        );
    }

    #[test]
    fn no_memory() {
        let m = GuestMemory::new(None, "t");
        assert_eq!(m.read(0, 0).unwrap(), b"");
        assert!(m.read(0, 1).unwrap_err().reason.contains("no memory"));
    }
}
