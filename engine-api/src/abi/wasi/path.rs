//! Paths: there are no pre-opened directories, so a path has nothing to be relative to.

use super::super::{Args, HostCall};
use super::{Answer, Errno, Stdio};

/// Every `path_*` function whose first argument is the directory: `ENOTDIR` for stdio (not
/// a directory), `EBADF` for any other descriptor (none is open).
pub(super) fn no_directory(_call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    Stdio::get(a.i32(0))?;
    Err(Errno::NOTDIR)
}

/// `path_symlink(old_path, old_path_len, fd, new_path, new_path_len)`: the directory is the
/// third argument.
pub(super) fn symlink(_call: &mut HostCall<'_>, a: Args<'_>) -> Answer {
    Stdio::get(a.i32(2))?;
    Err(Errno::NOTDIR)
}
