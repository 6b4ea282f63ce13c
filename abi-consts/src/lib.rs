//! The constants of the ngx_wasm host ABI that both sides use: the host (`engine-api`) and
//! the Rust guest SDK (`guests/sdk`, built for `wasm32`). Written once here; the C header
//! (`guests/include/ngx_wasm_guest_abi.h`) repeats them for C guests, and a test in
//! `engine-api` keeps it in step.
//!
//! `no_std`, no dependencies: it builds for every target a guest may use.

#![no_std]

/// Import module names: the WebAssembly module name under which each ABI's host functions
/// are imported.
pub mod import {
    /// The OpenResty-style request API (`ngx.*`).
    pub const NGX: &str = "ngx";
    /// Functions that exist for the test suite (`docs/abi.md`, "The ngx_test ABI").
    pub const NGX_TEST: &str = "ngx_test";
    /// WASI preview 1 (`docs/wasi.md`).
    pub const WASI: &str = "wasi_snapshot_preview1";
}

/// Status codes returned by host functions. Getters return a length (`>= 0`) instead of
/// [`status::OK`].
pub mod status {
    /// Success.
    pub const OK: i32 = 0;
    /// The requested item (e.g. a header) does not exist.
    pub const NOT_FOUND: i32 = -1;
    /// An argument is invalid (unknown log level, status out of range, bad header name...).
    pub const BAD_ARGUMENT: i32 = -2;
    /// The operation is not allowed now: in this phase, after the response header was sent,
    /// on a header nginx manages, on a variable that cannot be changed...
    pub const NOT_ALLOWED: i32 = -3;
    /// The host failed (e.g. out of memory).
    pub const INTERNAL: i32 = -4;
    /// A socket operation ran out of time (`timeout` in OpenResty).
    pub const TIMEOUT: i32 = -5;
    /// The peer closed the connection, or reset it, or the socket is closed (`closed`).
    pub const CLOSED: i32 = -6;
    /// The connection could not be made (refused, unreachable).
    pub const CONNECT_FAILED: i32 = -7;
    /// The host name could not be resolved, or no `resolver` is configured.
    pub const RESOLVE_FAILED: i32 = -8;
    /// What arrived is longer than the most the guest asked for (a line, a stream), or the
    /// guest's output went past `wasm_max_output`.
    pub const TOO_LARGE: i32 = -9;
    /// The TLS handshake failed (the peer speaks no TLS, no common protocol or cipher, the
    /// connection broke during it).
    pub const TLS_FAILED: i32 = -10;
    /// The TLS handshake succeeded but the peer's certificate was refused: its chain does
    /// not lead to a trusted certificate, or it is not valid for the server name.
    pub const TLS_VERIFY_FAILED: i32 = -11;
    /// The key exists already (`add`, OpenResty's `exists`).
    pub const EXISTS: i32 = -12;
    /// The shared dictionary has no room for the entry, even after evicting what it may
    /// (`safe_set`, `safe_add`, or an entry larger than the zone: OpenResty's `no memory`).
    pub const NO_MEMORY: i32 = -13;
    /// A limit on work in progress is reached: `wasm_max_pending_timers` timers are pending
    /// (OpenResty's `too many pending timers`).
    pub const TOO_MANY: i32 = -14;
}

/// Shared dictionaries (`wasm_shared_dict`, OpenResty's `ngx.shared.DICT`).
pub mod shdict {
    /// A value of bytes (a Lua string).
    pub const BYTES: i32 = 1;
    /// A number, a little-endian `f64` of 8 bytes (a Lua number).
    pub const F64: i32 = 2;
    /// An integer, a little-endian `i64` of 8 bytes.
    pub const I64: i32 = 3;
    /// A boolean, one byte (0 or 1).
    pub const BOOL: i32 = 4;
    /// A list (`lpush`...): `shdict_get` on it is -2, as OpenResty's "value is a list".
    pub const LIST: i32 = 5;

    /// `shdict_set`'s `op`: store, evicting least-recently-used entries if the zone is full.
    pub const SET: i32 = 0;
    /// Store without evicting (`safe_set`): `NO_MEMORY` when full.
    pub const SAFE_SET: i32 = 1;
    /// Store only if the key is absent (or expired): `EXISTS` otherwise.
    pub const ADD: i32 = 2;
    /// `ADD` without evicting (`safe_add`).
    pub const SAFE_ADD: i32 = 3;
    /// Store only if the key is present: `NOT_FOUND` otherwise.
    pub const REPLACE: i32 = 4;

    /// `shdict_incr`'s `options`: create the key with `init` (and `init_ttl_ms`) when absent.
    pub const INCR_INIT: i32 = 1;

    /// The longest key (OpenResty's limit); keys are 1 to this many bytes.
    pub const MAX_KEY: i32 = 65535;

    /// The size of what `shdict_get`, `shdict_get_stale` and the pops write at `meta_ptr`:
    /// `kind: u32`, `flags: u32`, `stale: u32`, little-endian.
    pub const META_SIZE: i32 = 12;

    /// The size of `shdict_set`'s options: `kind: u32`, `flags: u32`, `op: u32`, 4 reserved
    /// zero bytes, `ttl_ms: u64` (0: never expires), little-endian.
    pub const SET_OPTS_SIZE: i32 = 24;
    /// The size of `shdict_incr`'s arguments: `n: f64`, `init: f64`, `init_ttl_ms: u64`,
    /// `options: u32`, 4 reserved zero bytes, little-endian.
    pub const INCR_ARGS_SIZE: i32 = 32;
}

/// The `flags` bits of `sock_sslhandshake` (OpenResty's `sslhandshake` arguments).
pub mod tls {
    /// Verify the peer's certificate against `wasm_socket_ssl_trusted_certificate` and the
    /// server name (`ssl_verify`); without it any certificate is accepted, as in OpenResty.
    pub const VERIFY: i32 = 1;
}

/// The `options` bits of `subreq_add` (OpenResty's `ngx.location.capture` options).
pub mod subreq {
    /// The subrequest gets the body given (`body_ptr`, `body_len`) instead of the parent's
    /// (`body`).
    pub const WITH_BODY: i32 = 1;
    /// The subrequest starts with a copy of the parent's variables (`copy_all_vars`).
    pub const COPY_ALL_VARS: i32 = 2;
    /// The subrequest shares the parent's variables (`share_all_vars`).
    pub const SHARE_ALL_VARS: i32 = 4;
    /// The parent's body is forwarded whatever the method (`always_forward_body`).
    pub const ALWAYS_FORWARD_BODY: i32 = 8;
    /// The most subrequests one `subreq_wait` may issue.
    pub const MAX_BATCH: i32 = 500;
}

/// nginx log levels, numbered as nginx (and OpenResty's `ngx.ERR`, `ngx.INFO`...) number them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum LogLevel {
    /// `NGX_LOG_STDERR` (0).
    Stderr = 0,
    /// `NGX_LOG_EMERG` (1).
    Emerg = 1,
    /// `NGX_LOG_ALERT` (2).
    Alert = 2,
    /// `NGX_LOG_CRIT` (3).
    Crit = 3,
    /// `NGX_LOG_ERR` (4).
    Err = 4,
    /// `NGX_LOG_WARN` (5).
    Warn = 5,
    /// `NGX_LOG_NOTICE` (6).
    Notice = 6,
    /// `NGX_LOG_INFO` (7).
    Info = 7,
    /// `NGX_LOG_DEBUG` (8).
    Debug = 8,
}

impl LogLevel {
    /// Every level, in ABI order.
    pub const ALL: [LogLevel; 9] = [
        LogLevel::Stderr,
        LogLevel::Emerg,
        LogLevel::Alert,
        LogLevel::Crit,
        LogLevel::Err,
        LogLevel::Warn,
        LogLevel::Notice,
        LogLevel::Info,
        LogLevel::Debug,
    ];

    /// The level for an ABI level number, if it is one.
    pub const fn from_abi(level: i32) -> Option<LogLevel> {
        if level >= 0 && level < LogLevel::ALL.len() as i32 {
            Some(LogLevel::ALL[level as usize])
        } else {
            None
        }
    }

    /// The ABI number of the level.
    pub const fn to_abi(self) -> i32 {
        self as i32
    }

    /// nginx's name for the level, as its error log shows it (`error`, `warn`...).
    pub const fn name(self) -> &'static str {
        match self {
            LogLevel::Stderr => "stderr",
            LogLevel::Emerg => "emerg",
            LogLevel::Alert => "alert",
            LogLevel::Crit => "crit",
            LogLevel::Err => "error",
            LogLevel::Warn => "warn",
            LogLevel::Notice => "notice",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LogLevel;

    #[test]
    fn levels_round_trip() {
        for (n, level) in LogLevel::ALL.iter().enumerate() {
            assert_eq!(LogLevel::from_abi(n as i32), Some(*level));
            assert_eq!(level.to_abi(), n as i32);
        }
        assert_eq!(LogLevel::from_abi(-1), None);
        assert_eq!(LogLevel::from_abi(9), None);
    }
}
