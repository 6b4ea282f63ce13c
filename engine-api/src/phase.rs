//! The phases a guest export can run in, and sets of them for the host ABI's phase checks.

/// A phase a guest export runs in, named as OpenResty names them (`ngx.get_phase()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Phase {
    /// `init_worker_by_wasm`: once per worker at start, with no request.
    InitWorker = 0,
    /// `server_rewrite_by_wasm`: nginx's server-rewrite phase, before a location is chosen.
    ServerRewrite = 1,
    /// `rewrite_by_wasm`: the location's rewrite phase.
    Rewrite = 2,
    /// `access_by_wasm`: the access phase.
    Access = 3,
    /// `content_by_wasm`: the content phase; the guest produces the response.
    Content = 4,
    /// `header_filter_by_wasm`: the response header is about to be sent.
    HeaderFilter = 5,
    /// `body_filter_by_wasm`: one chunk of the response body is passing through.
    BodyFilter = 6,
    /// `log_by_wasm`: after the response, in the log phase.
    Log = 7,
    /// A timer's export (`timer_at`, `timer_every`): outside any request, like
    /// OpenResty's `ngx.timer` context.
    Timer = 8,
}

impl Phase {
    /// Every phase, in request order (init_worker first, timer last).
    pub const ALL: [Phase; 9] = [
        Phase::InitWorker,
        Phase::ServerRewrite,
        Phase::Rewrite,
        Phase::Access,
        Phase::Content,
        Phase::HeaderFilter,
        Phase::BodyFilter,
        Phase::Log,
        Phase::Timer,
    ];

    /// The phase name used in logs and returned by `get_phase`: `rewrite`, `body_filter`...
    pub fn name(self) -> &'static str {
        match self {
            Phase::InitWorker => "init_worker",
            Phase::ServerRewrite => "server_rewrite",
            Phase::Rewrite => "rewrite",
            Phase::Access => "access",
            Phase::Content => "content",
            Phase::HeaderFilter => "header_filter",
            Phase::BodyFilter => "body_filter",
            Phase::Log => "log",
            Phase::Timer => "timer",
        }
    }

    const fn bit(self) -> u16 {
        1 << self as u8
    }
}

/// A set of phases: where a host function may be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseSet(pub(crate) u16);

impl PhaseSet {
    /// Every phase, init_worker and timers included.
    pub const ALL: PhaseSet = PhaseSet(0x1ff);
    /// Every phase that runs for a request (all but init_worker and timers).
    pub const REQUEST: PhaseSet = PhaseSet(0x1ff & !Phase::InitWorker.bit() & !Phase::Timer.bit());
    /// Where a call may wait (`sleep`, sockets): the phases before the response header is
    /// sent, and timers.
    pub const WAIT: PhaseSet = PhaseSet(PhaseSet::BEFORE_CONTENT_END.0 | Phase::Timer.bit());
    /// Request phases and timers: state a call keeps while it runs (its sockets, its
    /// context), which init_worker has none of.
    pub const CALL: PhaseSet = PhaseSet(PhaseSet::REQUEST.0 | Phase::Timer.bit());
    /// A timer's export only.
    pub const TIMER: PhaseSet = PhaseSet(Phase::Timer.bit());
    /// The phases before the response header is sent, where a guest may answer the request
    /// and change the request itself: server_rewrite, rewrite, access, content.
    pub const BEFORE_CONTENT_END: PhaseSet = PhaseSet(
        Phase::ServerRewrite.bit()
            | Phase::Rewrite.bit()
            | Phase::Access.bit()
            | Phase::Content.bit(),
    );
    /// Where the response status and headers can still change: the phases above and the
    /// header filter.
    pub const HEADERS_WRITABLE: PhaseSet =
        PhaseSet(PhaseSet::BEFORE_CONTENT_END.0 | Phase::HeaderFilter.bit());
    /// Where the request body can be read: the phases above and log.
    pub const BODY_READABLE: PhaseSet = PhaseSet(PhaseSet::BEFORE_CONTENT_END.0 | Phase::Log.bit());
    /// The rewrite phase only (`req_set_uri` with `jump`).
    pub const REWRITE: PhaseSet = PhaseSet(Phase::Rewrite.bit());
    /// The body filter only.
    pub const BODY_FILTER: PhaseSet = PhaseSet(Phase::BodyFilter.bit());

    /// The name `docs/abi.md` uses for the set in its "phases" column.
    pub fn doc_name(self) -> &'static str {
        match self {
            PhaseSet::ALL => "all",
            PhaseSet::REQUEST => "request",
            PhaseSet::BEFORE_CONTENT_END => "answer",
            PhaseSet::HEADERS_WRITABLE => "headers",
            PhaseSet::BODY_READABLE => "body",
            PhaseSet::REWRITE => "rewrite",
            PhaseSet::BODY_FILTER => "body_filter",
            PhaseSet::WAIT => "wait",
            PhaseSet::CALL => "call",
            PhaseSet::TIMER => "timer",
            _ => "custom",
        }
    }

    /// True when `phase` is in the set.
    pub const fn contains(self, phase: Phase) -> bool {
        self.0 & phase.bit() != 0
    }

    /// The phases of the set, in request order.
    pub fn phases(self) -> impl Iterator<Item = Phase> {
        Phase::ALL.into_iter().filter(move |p| self.contains(*p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets() {
        assert!(!PhaseSet::REQUEST.contains(Phase::InitWorker));
        assert_eq!(PhaseSet::REQUEST.phases().count(), 7);
        assert!(!PhaseSet::REQUEST.contains(Phase::Timer));
        assert!(PhaseSet::WAIT.contains(Phase::Timer));
        assert!(PhaseSet::WAIT.contains(Phase::Content));
        assert!(!PhaseSet::WAIT.contains(Phase::Log));
        assert!(
            PhaseSet::CALL.contains(Phase::Timer) && !PhaseSet::CALL.contains(Phase::InitWorker)
        );
        assert!(PhaseSet::HEADERS_WRITABLE.contains(Phase::HeaderFilter));
        assert!(!PhaseSet::HEADERS_WRITABLE.contains(Phase::BodyFilter));
        assert!(!PhaseSet::BEFORE_CONTENT_END.contains(Phase::Log));
        assert!(PhaseSet::BODY_READABLE.contains(Phase::Log));
        let names: Vec<_> = PhaseSet::ALL.phases().map(Phase::name).collect();
        assert_eq!(names.len(), 9);
        assert_eq!(names[0], "init_worker");
    }
}
