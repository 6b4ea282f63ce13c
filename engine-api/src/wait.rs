//! What a suspended guest call waits for, and how the host answers it.
//!
//! A host function that must wait (for a timer, the request body; a subrequest or a socket
//! later) does not block: it returns a [`crate::abi::Pending`] carrying a [`Wait`].
//! The engine suspends the guest and hands the [`Wait`] to the host
//! ([`crate::Step::Suspended`]), which carries it out on its own event loop and later resumes
//! the call with a [`Reply`] ([`crate::Instance::resume`]).

/// What a suspended call waits for. The host carries it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Resume after `delay_ms` milliseconds; 0 means on the next turn of the event loop
    /// (`ngx.sleep`, `ngx_test.suspend`).
    Yield {
        /// Milliseconds to wait.
        delay_ms: u32,
    },
    /// Resume once nginx has read the request body (`ngx.req_read_body`): the host started
    /// reading it when the guest asked, and wakes the call when it is complete.
    RequestBody,
    /// Resume once every subrequest the guest queued (`ngx.subreq_add`) has finished: the
    /// host issues them when the call suspends and wakes it after the last one.
    Subrequests,
    /// Resume once nginx's events have finished the operation of socket `id` (connect,
    /// send, receive), or its timeout ran out (`u32::MAX` for a connect: no id yet).
    Socket {
        /// The socket.
        id: u32,
    },
    /// Resume once nginx has sent the response output the guest flushed, as far as the
    /// client took it (`resp_flush`, OpenResty's `ngx.flush(true)`): the guest is paced by
    /// its client instead of piling output up in the worker. A client that takes nothing
    /// for `send_timeout` ends the request, which cancels the call.
    Output,
}

/// How the host answers a [`Wait`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// The wait is over: the host function completes and the guest goes on.
    Ready,
    /// The call is abandoned (the client went away, the worker exits): the waiting host
    /// function traps, so the guest's call ends at once, through the engine's ordinary trap
    /// path, without running more guest code.
    Cancel,
}
