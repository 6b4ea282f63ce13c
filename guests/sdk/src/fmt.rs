//! Building response text and log messages without the heap.
//!
//! [`say!`](crate::say), [`print!`](crate::print) and [`log!`](crate::log) format their
//! `format!`-style arguments into a [`StackBuf`]: text up to [`STACK_BYTES`] never touches the
//! guest's allocator, and longer text moves to the heap once. [`say_parts!`](crate::say_parts)
//! and [`print_parts!`](crate::print_parts) take OpenResty's `ngx.say(a, b, c)` shape instead:
//! each argument is a [`Piece`] (text, bytes, an integer) appended as it is, without
//! `core::fmt`.

use core::fmt;
use core::mem::MaybeUninit;

/// Text up to this many bytes is built on the stack.
pub const STACK_BYTES: usize = 512;

/// Formats `args` and passes the bytes to `f`. A string without arguments is passed as it
/// is; otherwise the text is built in a [`StackBuf`].
pub fn with_formatted<R>(args: fmt::Arguments<'_>, f: impl FnOnce(&[u8]) -> R) -> R {
    if let Some(s) = args.as_str() {
        return f(s.as_bytes());
    }
    let mut buf = StackBuf::new();
    // Writing to a StackBuf never fails; a Display impl that fails leaves what it wrote.
    let _ = fmt::Write::write_fmt(&mut buf, args);
    f(buf.as_bytes())
}

/// Appends `pieces` to a [`StackBuf`] and passes the bytes to `f`. The pieces come as one
/// list of references (as `format_args!` passes its arguments) so that the caller's values
/// are stored once, not kept live across a call per piece (a JIT then has to spill them, even
/// inside the caller's loops: WebAssembly engines keep no registers across calls).
#[inline(never)]
pub fn with_pieces<R>(pieces: &[&dyn Piece], f: impl FnOnce(&[u8]) -> R) -> R {
    let mut buf = StackBuf::new();
    for p in pieces {
        p.put(&mut buf);
    }
    f(buf.as_bytes())
}

/// A byte buffer on the stack that moves to the heap when it outgrows [`STACK_BYTES`].
pub struct StackBuf {
    buf: [MaybeUninit<u8>; STACK_BYTES],
    /// Initialised bytes at the start of `buf`.
    len: usize,
    /// Everything written so far, once it no longer fits in `buf`.
    spill: Option<Vec<u8>>,
}

impl StackBuf {
    /// An empty buffer.
    pub fn new() -> Self {
        StackBuf {
            buf: [MaybeUninit::uninit(); STACK_BYTES],
            len: 0,
            spill: None,
        }
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.spill {
            Some(v) => v,
            // SAFETY: the first `len` bytes of `buf` were initialised by `push`.
            None => unsafe {
                core::slice::from_raw_parts(self.buf.as_ptr().cast::<u8>(), self.len)
            },
        }
    }

    /// Appends `bytes`.
    pub fn push(&mut self, bytes: &[u8]) {
        if let Some(v) = &mut self.spill {
            v.extend_from_slice(bytes);
            return;
        }
        let end = self.len + bytes.len();
        if end <= STACK_BYTES {
            // SAFETY: `len..end` lies inside `buf` (checked above), and `bytes` cannot overlap
            // a buffer this function borrows mutably.
            unsafe { copy_short(bytes, self.buf.as_mut_ptr().add(self.len).cast::<u8>()) };
            self.len = end;
            return;
        }
        let mut v = Vec::with_capacity(end * 2);
        v.extend_from_slice(self.as_bytes());
        v.extend_from_slice(bytes);
        self.spill = Some(v);
    }
}

/// Copies `src` to `dst`. Up to 16 bytes (most parts of a response line) by fixed-size loads
/// and stores, which compile to plain WebAssembly loads and stores; longer copies by
/// `memory.copy`, which engines run as a call into the host (a libcall in wasmtime).
///
/// # Safety
/// `dst` must be valid for `src.len()` bytes of writes and must not overlap `src`.
#[inline]
unsafe fn copy_short(src: &[u8], dst: *mut u8) {
    let n = src.len();
    let s = src.as_ptr();
    // SAFETY (all arms): every read lies in `src` and every write in `dst .. dst + n`; the
    // two halves of a copy may overlap each other, never the other buffer.
    unsafe {
        match n {
            0 => {}
            1..=3 => {
                *dst = *s;
                *dst.add(n / 2) = *s.add(n / 2);
                *dst.add(n - 1) = *s.add(n - 1);
            }
            4..=7 => {
                let a = s.cast::<u32>().read_unaligned();
                let b = s.add(n - 4).cast::<u32>().read_unaligned();
                dst.cast::<u32>().write_unaligned(a);
                dst.add(n - 4).cast::<u32>().write_unaligned(b);
            }
            8..=16 => {
                let a = s.cast::<u64>().read_unaligned();
                let b = s.add(n - 8).cast::<u64>().read_unaligned();
                dst.cast::<u64>().write_unaligned(a);
                dst.add(n - 8).cast::<u64>().write_unaligned(b);
            }
            _ => core::ptr::copy_nonoverlapping(s, dst, n),
        }
    }
}

impl Default for StackBuf {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Write for StackBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}

/// A value [`say_parts!`](crate::say_parts) appends as it is: text and bytes verbatim,
/// integers in decimal, `char` as UTF-8.
pub trait Piece {
    /// Appends this value to `out`.
    fn put(&self, out: &mut StackBuf);
}

impl<T: Piece + ?Sized> Piece for &T {
    fn put(&self, out: &mut StackBuf) {
        (**self).put(out);
    }
}

impl Piece for str {
    fn put(&self, out: &mut StackBuf) {
        out.push(self.as_bytes());
    }
}

impl Piece for String {
    fn put(&self, out: &mut StackBuf) {
        out.push(self.as_bytes());
    }
}

impl Piece for [u8] {
    fn put(&self, out: &mut StackBuf) {
        out.push(self);
    }
}

impl Piece for Vec<u8> {
    fn put(&self, out: &mut StackBuf) {
        out.push(self);
    }
}

impl Piece for char {
    fn put(&self, out: &mut StackBuf) {
        let mut b = [0; 4];
        out.push(self.encode_utf8(&mut b).as_bytes());
    }
}

/// Decimal digits of `n`, written from the end of `buf`; returns where they start.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> usize {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return i;
        }
    }
}

macro_rules! unsigned_piece {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            fn put(&self, out: &mut StackBuf) {
                let mut buf = [0; 20];
                let start = decimal(*self as u64, &mut buf);
                out.push(&buf[start..]);
            }
        }
    )*};
}

macro_rules! signed_piece {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            fn put(&self, out: &mut StackBuf) {
                if *self < 0 {
                    out.push(b"-");
                }
                self.unsigned_abs().put(out);
            }
        }
    )*};
}

unsigned_piece!(u8, u16, u32, u64, usize);
signed_piece!(i8, i16, i32, i64, isize);

#[cfg(test)]
mod tests {
    use super::*;

    fn formatted(args: fmt::Arguments<'_>) -> Vec<u8> {
        with_formatted(args, |b| b.to_vec())
    }

    fn pieces(list: &[&dyn Piece]) -> Vec<u8> {
        with_pieces(list, |b| b.to_vec())
    }

    #[test]
    fn short_text_is_formatted_on_the_stack() {
        assert_eq!(
            formatted(format_args!("{} {}", "abc", 500500)),
            b"abc 500500"
        );
        assert_eq!(formatted(format_args!("plain")), b"plain");
    }

    #[test]
    fn long_text_spills_without_losing_bytes() {
        let long = "é".repeat(STACK_BYTES);
        let out = formatted(format_args!("<{}|{}>", "x".repeat(STACK_BYTES - 3), long));
        let want = format!("<{}|{}>", "x".repeat(STACK_BYTES - 3), long);
        assert_eq!(out, want.as_bytes());
        let exact = "y".repeat(STACK_BYTES);
        assert_eq!(formatted(format_args!("{exact}")), exact.as_bytes());
    }

    #[test]
    fn every_short_length_copies_exactly() {
        let src: Vec<u8> = (0..40u8).collect();
        for n in 0..=40 {
            let mut buf = StackBuf::new();
            buf.push(b"ab");
            buf.push(&src[..n]);
            buf.push(b"z");
            let want: Vec<u8> = b"ab".iter().chain(&src[..n]).chain(b"z").copied().collect();
            assert_eq!(buf.as_bytes(), &want[..], "length {n}");
        }
    }

    #[test]
    fn pieces_match_display() {
        let h = String::from("abc");
        assert_eq!(pieces(&[&h, &" ", &500500u64]), b"abc 500500");
        for n in [0i64, 7, -7, 10, -10, i64::MIN, i64::MAX] {
            assert_eq!(pieces(&[&n]), n.to_string().as_bytes());
        }
        for n in [0u64, 9, 10, 99, 100, u64::MAX] {
            assert_eq!(pieces(&[&n]), n.to_string().as_bytes());
        }
        let bytes: &[u8] = b"\x00\xff";
        assert_eq!(pieces(&[&i8::MIN, &'é', &bytes]), b"-128\xc3\xa9\x00\xff");
    }
}
