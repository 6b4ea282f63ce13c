//! Where a directive stands in the configuration (`file:line`), for `nginx -t` errors about
//! work done after the directive was parsed (loading a module, checking an export).

use std::fmt;

use ngx::ffi::ngx_conf_t;

/// A directive's `file:line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfSite {
    /// Configuration file path.
    pub file: String,
    /// Line number in it.
    pub line: usize,
}

impl ConfSite {
    /// The directive being parsed now.
    ///
    /// # Safety
    /// `cf` must be nginx's configuration context while a directive is parsed.
    pub unsafe fn current(cf: *mut ngx_conf_t) -> ConfSite {
        // SAFETY: nginx sets conf_file while it parses a file.
        let file = unsafe { &*(*cf).conf_file };
        ConfSite {
            file: String::from_utf8_lossy(crate::request::bytes(&file.file.name)).into_owned(),
            line: file.line,
        }
    }
}

impl fmt::Display for ConfSite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}
