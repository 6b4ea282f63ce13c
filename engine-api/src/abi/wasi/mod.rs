//! WASI preview 1 (`wasi_snapshot_preview1`): what a module built for `wasm32-wasip1` imports.
//!
//! A guest here has no file system, no sockets of its own, no arguments and no environment,
//! and stdout/stderr are the nginx error log. So the host gives what makes a language's
//! standard library work inside a request handler, and a clear error for the rest:
//!
//! * arguments and environment are empty ([`args`]);
//! * the real-time and monotonic clocks have nanosecond resolution; CPU-time clocks are not
//!   provided ([`clock`]);
//! * `random_get` fills from the operating system's CSPRNG ([`random`]);
//! * `fd_write` to 1 (stdout) logs at `info`, to 2 (stderr) at `err`, one error-log line per
//!   line written (a line may span writes, [`StdioLines`]), within the request's log budget;
//!   `fd_read` of 0 (stdin) is at its end ([`fd`]);
//! * there are no pre-opened directories, so every `path_*` call and every descriptor above 2
//!   answers `EBADF` (`ENOTDIR` for a path relative to stdio), sockets `ENOTSOCK`/`EBADF`
//!   ([`path`], [`sock`]);
//! * `poll_oneoff` never blocks the worker: ready subscriptions answer at once, and a wait
//!   for a clock suspends the call on an nginx timer where calls may wait, like `ngx.sleep`
//!   ([`poll`]);
//! * `proc_exit` ends the call as a failure, whatever the code ([`proc`]).
//!
//! Every function is registered, so any wasip1 module links. A pointer or length outside the
//! guest's memory answers `EFAULT` (WASI reports errors as values; the `ngx` ABI traps
//! instead). `docs/wasi.md` lists each function.

mod args;
mod clock;
mod fd;
pub use crate::stdio::StdioLines;
pub use fd::end_of_call;
mod path;
mod poll;
mod proc;
mod random;
mod sock;
#[cfg(test)]
mod tests;

use super::{host_abi, HostAbi};
use crate::error::HostTrap;
use crate::memory::{u32_at, word_at, GuestMemory};

/// The `wasi_snapshot_preview1` ABI, in the order of the WASI preview 1 specification.
pub static WASI: HostAbi = host_abi!("wasi_snapshot_preview1", {
    args_get(argv: i32, argv_buf: i32) -> i32 [ALL] => errno args::args_get;
    args_sizes_get(argc_out: i32, argv_buf_size_out: i32) -> i32 [ALL] => errno args::sizes_get;
    environ_get(environ: i32, environ_buf: i32) -> i32 [ALL] => errno args::environ_get;
    environ_sizes_get(count_out: i32, buf_size_out: i32) -> i32 [ALL] => errno args::sizes_get;
    clock_res_get(id: i32, resolution_out: i32) -> i32 [ALL] => errno clock::res_get;
    clock_time_get(id: i32, precision: i64, time_out: i32) -> i32 [ALL] => errno clock::time_get;
    fd_advise(fd: i32, offset: i64, len: i64, advice: i32) -> i32 [ALL] => errno fd::not_supported;
    fd_allocate(fd: i32, offset: i64, len: i64) -> i32 [ALL] => errno fd::not_supported;
    fd_close(fd: i32) -> i32 [ALL] => errno fd::not_supported;
    fd_datasync(fd: i32) -> i32 [ALL] => errno fd::sync;
    fd_fdstat_get(fd: i32, stat_out: i32) -> i32 [ALL] => errno fd::fdstat_get;
    fd_fdstat_set_flags(fd: i32, flags: i32) -> i32 [ALL] => errno fd::fdstat_set_flags;
    fd_fdstat_set_rights(fd: i32, rights_base: i64, rights_inheriting: i64) -> i32 [ALL] => errno fd::not_supported;
    fd_filestat_get(fd: i32, stat_out: i32) -> i32 [ALL] => errno fd::filestat_get;
    fd_filestat_set_size(fd: i32, size: i64) -> i32 [ALL] => errno fd::not_supported;
    fd_filestat_set_times(fd: i32, atim: i64, mtim: i64, fst_flags: i32) -> i32 [ALL] => errno fd::not_supported;
    fd_pread(fd: i32, iovs: i32, iovs_len: i32, offset: i64, nread_out: i32) -> i32 [ALL] => errno fd::not_seekable;
    fd_prestat_get(fd: i32, prestat_out: i32) -> i32 [ALL] => errno fd::no_preopen;
    fd_prestat_dir_name(fd: i32, path: i32, path_len: i32) -> i32 [ALL] => errno fd::no_preopen;
    fd_pwrite(fd: i32, iovs: i32, iovs_len: i32, offset: i64, nwritten_out: i32) -> i32 [ALL] => errno fd::not_seekable;
    fd_read(fd: i32, iovs: i32, iovs_len: i32, nread_out: i32) -> i32 [ALL] => errno fd::read;
    fd_readdir(fd: i32, buf: i32, buf_len: i32, cookie: i64, bufused_out: i32) -> i32 [ALL] => errno fd::not_a_directory;
    fd_renumber(fd: i32, to: i32) -> i32 [ALL] => errno fd::not_supported;
    fd_seek(fd: i32, offset: i64, whence: i32, offset_out: i32) -> i32 [ALL] => errno fd::not_seekable;
    fd_sync(fd: i32) -> i32 [ALL] => errno fd::sync;
    fd_tell(fd: i32, offset_out: i32) -> i32 [ALL] => errno fd::not_seekable;
    fd_write(fd: i32, iovs: i32, iovs_len: i32, nwritten_out: i32) -> i32 [ALL] => errno fd::write;
    path_create_directory(fd: i32, path: i32, path_len: i32) -> i32 [ALL] => errno path::no_directory;
    path_filestat_get(fd: i32, flags: i32, path: i32, path_len: i32, stat_out: i32) -> i32 [ALL] => errno path::no_directory;
    path_filestat_set_times(fd: i32, flags: i32, path: i32, path_len: i32, atim: i64, mtim: i64, fst_flags: i32) -> i32 [ALL] => errno path::no_directory;
    path_link(old_fd: i32, old_flags: i32, old_path: i32, old_path_len: i32, new_fd: i32, new_path: i32, new_path_len: i32) -> i32 [ALL] => errno path::no_directory;
    path_open(fd: i32, dirflags: i32, path: i32, path_len: i32, oflags: i32, rights_base: i64, rights_inheriting: i64, fdflags: i32, fd_out: i32) -> i32 [ALL] => errno path::no_directory;
    path_readlink(fd: i32, path: i32, path_len: i32, buf: i32, buf_len: i32, bufused_out: i32) -> i32 [ALL] => errno path::no_directory;
    path_remove_directory(fd: i32, path: i32, path_len: i32) -> i32 [ALL] => errno path::no_directory;
    path_rename(fd: i32, old_path: i32, old_path_len: i32, new_fd: i32, new_path: i32, new_path_len: i32) -> i32 [ALL] => errno path::no_directory;
    path_symlink(old_path: i32, old_path_len: i32, fd: i32, new_path: i32, new_path_len: i32) -> i32 [ALL] => errno path::symlink;
    path_unlink_file(fd: i32, path: i32, path_len: i32) -> i32 [ALL] => errno path::no_directory;
    poll_oneoff(subscriptions: i32, events_out: i32, nsubscriptions: i32, nevents_out: i32) -> i32 [ALL] => suspending poll::start, poll::finish;
    proc_exit(code: i32) [ALL] => typed proc::exit;
    proc_raise(signal: i32) -> i32 [ALL] => errno proc::raise;
    sched_yield() -> i32 [ALL] => errno proc::sched_yield;
    random_get(buf: i32, buf_len: i32) -> i32 [ALL] => errno random::get;
    sock_accept(fd: i32, flags: i32, fd_out: i32) -> i32 [ALL] => errno sock::no_socket;
    sock_recv(fd: i32, ri_data: i32, ri_data_len: i32, ri_flags: i32, ro_datalen_out: i32, ro_flags_out: i32) -> i32 [ALL] => errno sock::no_socket;
    sock_send(fd: i32, si_data: i32, si_data_len: i32, si_flags: i32, so_datalen_out: i32) -> i32 [ALL] => errno sock::no_socket;
    sock_shutdown(fd: i32, how: i32) -> i32 [ALL] => errno sock::no_socket;
});

/// A WASI error number (`errno`), as the specification numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub u16);

impl Errno {
    /// No error.
    pub const SUCCESS: Errno = Errno(0);
    /// Bad file descriptor.
    pub const BADF: Errno = Errno(8);
    /// Bad address: a pointer or length outside the guest's memory.
    pub const FAULT: Errno = Errno(21);
    /// Invalid argument.
    pub const INVAL: Errno = Errno(28);
    /// I/O error.
    pub const IO: Errno = Errno(29);
    /// Value too large (an I/O vector longer than 4 GiB in all).
    pub const OVERFLOW: Errno = Errno(61);
    /// Not a directory.
    pub const NOTDIR: Errno = Errno(54);
    /// Not a socket.
    pub const NOTSOCK: Errno = Errno(57);
    /// Not supported.
    pub const NOTSUP: Errno = Errno(58);
    /// Invalid seek (stdio is a stream).
    pub const SPIPE: Errno = Errno(68);
}

/// A pointer or length outside memory is `EFAULT` for a WASI function, not a trap.
impl From<HostTrap> for Errno {
    fn from(_: HostTrap) -> Errno {
        Errno::FAULT
    }
}

/// What a WASI function answers: nothing, or an error number.
pub(crate) type Answer = Result<(), Errno>;

/// The `i32` a WASI function returns for `answer`.
pub(crate) fn errno(answer: Answer) -> i32 {
    i32::from(answer.err().unwrap_or(Errno::SUCCESS).0)
}

/// The three descriptors a guest has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stdio {
    In,
    Out,
    Err,
}

impl Stdio {
    fn of(fd: i32) -> Option<Stdio> {
        match fd {
            0 => Some(Stdio::In),
            1 => Some(Stdio::Out),
            2 => Some(Stdio::Err),
            _ => None,
        }
    }

    /// Stdio for `fd`, or `EBADF`.
    fn get(fd: i32) -> Result<Stdio, Errno> {
        Stdio::of(fd).ok_or(Errno::BADF)
    }
}

/// Writes a little-endian `u32` at `ptr`.
fn put_u32(memory: &mut GuestMemory<'_>, ptr: i32, v: u32) -> Answer {
    Ok(memory.write(ptr, &v.to_le_bytes())?)
}

/// Writes a little-endian `u64` at `ptr`.
fn put_u64(memory: &mut GuestMemory<'_>, ptr: i32, v: u64) -> Answer {
    Ok(memory.write(ptr, &v.to_le_bytes())?)
}

/// Reads a little-endian `u64` at `at` of `b`, a structure the caller read whole.
fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(word_at(b, at))
}

/// The `count` records of `size` bytes at `ptr`, as one slice (`EFAULT` outside memory).
fn records<'m>(
    memory: &'m GuestMemory<'_>,
    ptr: i32,
    count: i32,
    size: usize,
) -> Result<&'m [u8], Errno> {
    let len = usize::try_from(count as u32)
        .ok()
        .and_then(|n| n.checked_mul(size))
        .and_then(|n| i32::try_from(n).ok())
        .ok_or(Errno::FAULT)?;
    Ok(memory.read(ptr, len)?)
}
