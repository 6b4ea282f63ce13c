//! File descriptors: a guest has stdin (empty), stdout and stderr (the error log), and no
//! other descriptor, so every other `fd` answers `EBADF`.

use abi_consts::LogLevel;

use super::super::{log_line, Args, HostCall};
use super::{put_u32, records, u32_at, Answer, Errno, Stdio};
use crate::request::HostRequest;

/// `filetype::character_device`: what stdio is.
const CHARACTER_DEVICE: u8 = 2;
/// `fdflags::append`, `fdflags::nonblock`: what a guest may set on stdio (a no-op here:
/// output is appended to the log and nothing blocks).
const APPEND: u32 = 1;
const NONBLOCK: u32 = 4;
/// Rights: `fd_read`, `fd_fdstat_set_flags`, `fd_write`, `fd_filestat_get`,
/// `poll_fd_readwrite`.
const RIGHT_READ: u64 = 1 << 1;
const RIGHT_SET_FLAGS: u64 = 1 << 3;
const RIGHT_WRITE: u64 = 1 << 6;
const RIGHT_FILESTAT_GET: u64 = 1 << 21;
const RIGHT_POLL: u64 = 1 << 27;

/// The most bytes one `fd_write` takes; it reports a short write past it and the guest's
/// library writes the rest with the next call. It bounds the time one host call runs, which
/// a budget cannot interrupt.
pub(super) const MAX_WRITE: usize = 1 << 20;
/// The longest log line kept; the rest of a longer line is dropped (nginx cuts its error-log
/// lines at 2 KiB anyway).
const MAX_LINE: usize = 4096;

/// Functions stdio does not support: `ENOTSUP` on 0-2, `EBADF` elsewhere.
pub(super) fn not_supported(_call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    Stdio::get(a.i32(0))?;
    Err(Errno::NOTSUP)
}

/// Seeking and positioned I/O: stdio is a stream (`ESPIPE`).
pub(super) fn not_seekable(_call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    Stdio::get(a.i32(0))?;
    Err(Errno::SPIPE)
}

/// `fd_readdir`: stdio is not a directory.
pub(super) fn not_a_directory(_call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    Stdio::get(a.i32(0))?;
    Err(Errno::NOTDIR)
}

/// `fd_prestat_get`, `fd_prestat_dir_name`: there are no pre-opened directories, so every
/// descriptor answers `EBADF` (which ends a libc's scan for them).
pub(super) fn no_preopen(_call: &mut HostCall<'_>, _a: Args<'_>) -> Answer {
    Err(Errno::BADF)
}

/// `fd_sync`, `fd_datasync`: stdout and stderr lines are in the log already; stdin has
/// nothing to sync (`EINVAL`, as Linux answers for a terminal).
pub(super) fn sync(_call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    match Stdio::get(a.i32(0))? {
        Stdio::In => Err(Errno::INVAL),
        Stdio::Out | Stdio::Err => Ok(()),
    }
}

/// `fd_fdstat_get(fd, stat_out)`: stdio is a character device; stdin may be read, stdout and
/// stderr written.
pub(super) fn fdstat_get(call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    let io = match Stdio::get(a.i32(0))? {
        Stdio::In => RIGHT_READ,
        Stdio::Out | Stdio::Err => RIGHT_WRITE,
    };
    let mut stat = [0u8; 24];
    stat[0] = CHARACTER_DEVICE;
    let flags: u16 = if io == RIGHT_WRITE { APPEND as u16 } else { 0 };
    stat[2..4].copy_from_slice(&flags.to_le_bytes());
    let rights = io | RIGHT_SET_FLAGS | RIGHT_FILESTAT_GET | RIGHT_POLL;
    stat[8..16].copy_from_slice(&rights.to_le_bytes());
    Ok(call.memory.write(a.i32(1), &stat)?)
}

/// `fd_fdstat_set_flags(fd, flags)`: `APPEND` and `NONBLOCK` are accepted on stdio (they
/// change nothing); the synchronous-I/O flags are not supported.
pub(super) fn fdstat_set_flags(_call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    Stdio::get(a.i32(0))?;
    if a.i32(1) as u32 & !(APPEND | NONBLOCK) != 0 {
        return Err(Errno::NOTSUP);
    }
    Ok(())
}

/// `fd_filestat_get(fd, stat_out)`: a character device of size 0, all times 0.
pub(super) fn filestat_get(call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    Stdio::get(a.i32(0))?;
    let mut stat = [0u8; 64];
    stat[16] = CHARACTER_DEVICE;
    stat[24..32].copy_from_slice(&1u64.to_le_bytes()); // nlink
    Ok(call.memory.write(a.i32(1), &stat)?)
}

/// `fd_read(fd, iovs, iovs_len, nread_out)`: stdin is at its end (0 bytes); stdout and
/// stderr cannot be read (`EBADF`).
pub(super) fn read(call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    if Stdio::get(a.i32(0))? != Stdio::In {
        return Err(Errno::BADF);
    }
    records(&call.memory, a.i32(1), a.i32(2), 8)?;
    put_u32(&mut call.memory, a.i32(3), 0)
}

/// `fd_write(fd, iovs, iovs_len, nwritten_out)`: each line written to stdout becomes an
/// error-log line at `info`, to stderr at `err` (Kong's host does the same). A line may come
/// in several writes (Go's runtime writes a panic piece by piece): its start waits in the
/// host's [`crate::stdio::StdioLines`] until its newline arrives or the export returns
/// ([`end_of_call`]); a host that keeps no lines ends each write's line. Lines past the request's log budget
/// are dropped but still reported written, so a guest's library does not retry them for
/// ever. At most [`MAX_WRITE`] bytes are taken per call (a short write).
pub(super) fn write(call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    let (level, out) = match Stdio::get(a.i32(0))? {
        Stdio::In => return Err(Errno::BADF),
        Stdio::Out => (LogLevel::Info, true),
        Stdio::Err => (LogLevel::Err, false),
    };
    let iovs = records(&call.memory, a.i32(1), a.i32(2), 8)?;
    let kept = call.request.stdio(true).map(|s| s.take(out));
    let mut lines = Lines {
        keeps: kept.is_some(),
        line: kept.unwrap_or_default(),
        ..Lines::default()
    };
    for iov in iovs.chunks_exact(8) {
        let room = MAX_WRITE - lines.taken;
        if room == 0 {
            break;
        }
        let (ptr, len) = (u32_at(iov, 0), u32_at(iov, 4) as usize);
        let data = call.memory.read(ptr as i32, len.min(room) as i32)?;
        lines.feed(data, &mut *call.request, level);
    }
    let taken = lines.taken;
    if lines.keeps {
        if let Some(s) = call.request.stdio(true) {
            s.put(out, lines.line);
        }
    } else {
        lines.end(&mut *call.request, level);
    }
    put_u32(&mut call.memory, a.i32(3), taken as u32)
}

/// The export of a call returned (or failed): logs the starts of lines it left without a
/// newline, so nothing a guest wrote waits for a later call. Cheap when no host holds any.
pub fn end_of_call(request: &mut dyn HostRequest) {
    if !crate::stdio::any_pending() {
        return;
    }
    for (out, level) in [(true, LogLevel::Info), (false, LogLevel::Err)] {
        let Some(line) = request.stdio(false).map(|s| s.take(out)) else {
            return;
        };
        if !line.is_empty() {
            let mut lines = Lines {
                line,
                ..Lines::default()
            };
            lines.end(request, level);
        }
    }
}

/// The lines of one `fd_write`, logged as they end.
#[derive(Default)]
struct Lines {
    line: Vec<u8>,
    /// Bytes taken from the guest so far.
    taken: usize,
    /// The log budget is spent: the rest is counted, not scanned.
    dropping: bool,
    /// The host keeps an unfinished line for the next write.
    keeps: bool,
}
impl Lines {
    fn feed(&mut self, data: &[u8], request: &mut dyn HostRequest, level: LogLevel) {
        self.taken += data.len();
        if self.dropping {
            return;
        }
        for (n, piece) in data.split(|&b| b == b'\n').enumerate() {
            if n > 0 {
                self.end(request, level);
            }
            let keep = MAX_LINE.saturating_sub(self.line.len()).min(piece.len());
            self.line.extend_from_slice(&piece[..keep]);
        }
    }

    /// Logs the line so far (an empty line is not logged).
    fn end(&mut self, request: &mut dyn HostRequest, level: LogLevel) {
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        if !self.line.is_empty() && !self.dropping {
            self.dropping = !log_line(request, level, &self.line);
        }
        self.line.clear();
    }
}
