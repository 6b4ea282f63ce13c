//! The `ngx_test` ABI: host functions the test suite needs and guests should not use.
//!
//! `suspend` is the smallest host function that waits: it suspends the guest, the host
//! resumes it after a delay on a later turn of its event loop, and the call goes on with
//! the function's result. It lets the suite (and `make bench-micro`) exercise suspension on
//! every engine before the real waiting operations (sleep, subrequests, sockets) exist.
//! `add_mixed` takes and returns each of the four number types, without suspending.

use super::{host_abi, Args, Flow, HostAbi, HostCall};
use crate::error::HostTrap;
use crate::value::Val;
use crate::wait::Wait;

/// The `ngx_test` ABI.
pub static NGX_TEST: HostAbi = host_abi!("ngx_test", {
    suspend(delay_ms: i32, token: i64) -> i64 [BEFORE_CONTENT_END] => suspending suspend, resumed;
    add_mixed(a: i32, b: i64, c: f32, d: f64) -> f64 [ALL] => typed add_mixed;
});

/// `suspend(delay_ms, token) -> i64`: suspends the call for `delay_ms` milliseconds (0: until
/// the next event loop turn) and then returns `token`. A negative delay returns -2 at once.
/// Refused (-3) where a call cannot wait: filters, the log phase, init_worker.
fn suspend(_call: &mut HostCall<'_>, a: Args<'_>) -> Result<Flow, HostTrap> {
    let Ok(delay_ms) = u32::try_from(a.i32(0)) else {
        return Ok(Flow::Return(Some(Val::I64(
            abi_consts::status::BAD_ARGUMENT.into(),
        ))));
    };
    Ok(Flow::Wait(Wait::Yield { delay_ms }))
}

/// Completes `suspend` once the host resumed the call: its result is the token.
fn resumed(_call: &mut HostCall<'_>, a: Args<'_>) -> Result<Option<Val>, HostTrap> {
    Ok(Some(Val::I64(a.i64(1))))
}

/// `add_mixed(a: i32, b: i64, c: f32, d: f64) -> f64`: `a + b + c + d`, computed in `f64`.
fn add_mixed(_call: &mut HostCall<'_>, a: Args<'_>) -> Result<Option<Val>, HostTrap> {
    let sum = f64::from(a.i32(0)) + a.i64(1) as f64 + f64::from(a.f32(2)) + a.f64(3);
    Ok(Some(Val::F64(sum)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::ngx::tests::MockRequest;
    use crate::abi::{finish, invoke, Called};
    use crate::phase::Phase;
    use crate::request::RequestSlot;
    use crate::wait::Reply;

    #[test]
    fn suspend_waits_then_returns_the_token() {
        let func = NGX_TEST.lookup("suspend").expect("suspend");
        let mut req = MockRequest::default();
        let mut slot = RequestSlot::default();
        // SAFETY: unbound below, before `req`'s borrow ends.
        unsafe { slot.bind(&mut req) };
        let called = invoke(func, None, &mut slot, &[Val::I32(5), Val::I64(42)]);
        let Ok(Called::Suspended(pending)) = called else {
            panic!("did not suspend: {called:?}");
        };
        assert_eq!(pending.wait(), Wait::Yield { delay_ms: 5 });
        assert_eq!(
            finish(pending, None, &mut slot, Reply::Ready),
            Ok(Some(Val::I64(42)))
        );
        let Ok(Called::Suspended(pending)) =
            invoke(func, None, &mut slot, &[Val::I32(0), Val::I64(1)])
        else {
            panic!("did not suspend");
        };
        let e = finish(pending, None, &mut slot, Reply::Cancel).expect_err("cancel traps");
        assert!(e.reason.contains("cancelled"), "{e}");
        assert!(matches!(
            invoke(func, None, &mut slot, &[Val::I32(-1), Val::I64(1)]),
            Ok(Called::Returned(Some(Val::I64(-2))))
        ));
        slot.unbind();
        req.phase = Phase::BodyFilter;
        // SAFETY: as above.
        unsafe { slot.bind(&mut req) };
        assert!(
            matches!(
                invoke(func, None, &mut slot, &[Val::I32(0), Val::I64(1)]),
                Ok(Called::Returned(Some(Val::I64(-3))))
            ),
            "no waiting in a filter"
        );
        slot.unbind();
    }

    #[test]
    fn add_mixed_takes_every_number_type() {
        let func = NGX_TEST.lookup("add_mixed").expect("add_mixed");
        let mut req = MockRequest::default();
        let mut slot = RequestSlot::default();
        // SAFETY: unbound below, before `req`'s borrow ends.
        unsafe { slot.bind(&mut req) };
        let r = invoke(
            func,
            None,
            &mut slot,
            &[
                Val::I32(1),
                Val::I64(1 << 40),
                Val::F32(0.5),
                Val::F64(0.25),
            ],
        );
        slot.unbind();
        assert!(matches!(r, Ok(Called::Returned(Some(Val::F64(v)))) if v == 1_099_511_627_777.75));
    }
}
