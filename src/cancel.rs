//! Cooperative cancellation of a render: a flag the request's owner raises, checked by the
//! work between steps and inside long loops.
//!
//! Owns: [`Cancel`], [`scope`], [`current`], [`check`], [`CancelOnDrop`]. A leaf utility like
//! `limits`: imports only `error` in-crate.
//!
//! Why a token: an image render runs on the CPU pool, away from the request's future. When
//! the client goes away (HTTP connection closed, gRPC stream reset) or the front end's
//! deadline passes, tonic and hyper drop that future, but a pool thread would keep burning
//! CPU on a result nobody will read. The future holds a [`CancelOnDrop`]; dropping it raises
//! the flag, and the work stops at its next check with [`ErrorKind::Cancelled`].
//!
//! Why a thread-local scope: the pool task installs its token with [`scope`], and every stage
//! below it (decode, the step loop, kernels, encode) reads it with [`current`] or [`check`],
//! the way a tracing span travels with the work, instead of widening every kernel's signature.
//! A kernel that fans out over rayon takes [`current`] once before the fan-out and hands the
//! clone to its closures (other pool threads do not see the scope).

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};

/// A shared cancellation flag. Cloning shares it; the default token is never cancelled.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A fresh, not cancelled token.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Raise the flag; every holder sees it at its next check.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// True once [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` once cancelled.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            return Err(Error::new(ErrorKind::Cancelled, "the request was cancelled"));
        }
        Ok(())
    }

    /// A guard that cancels this token when dropped, unless [`CancelOnDrop::disarm`]ed first.
    pub fn on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(Some(self.clone()))
    }
}

/// Cancels its token when dropped: held by the future that waits for the work.
#[derive(Debug)]
pub struct CancelOnDrop(Option<Cancel>);

impl CancelOnDrop {
    /// The work finished and its result was received: dropping no longer cancels.
    pub fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            c.cancel();
        }
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Cancel>> = const { RefCell::new(None) };
}

/// Run `work` with `token` as this thread's current token (restored afterwards, also when
/// `work` panics).
pub fn scope<T>(token: &Cancel, work: impl FnOnce() -> T) -> T {
    struct Restore(Option<Cancel>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = previous);
        }
    }
    let previous = CURRENT.with(|c| c.borrow_mut().replace(token.clone()));
    let _restore = Restore(previous);
    work()
}

/// This thread's current token; outside any [`scope`] a token that is never cancelled.
pub fn current() -> Cancel {
    CURRENT.with(|c| c.borrow().clone()).unwrap_or_default()
}

/// `Err(Cancelled)` when this thread's current token is cancelled.
pub fn check() -> Result<()> {
    CURRENT.with(|c| c.borrow().as_ref().map_or(Ok(()), Cancel::check))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_the_guard_cancels_and_disarming_does_not() {
        let t = Cancel::new();
        t.on_drop().disarm();
        assert!(!t.is_cancelled());
        drop(t.on_drop());
        assert!(t.is_cancelled());
        assert_eq!(t.check().unwrap_err().kind(), ErrorKind::Cancelled);
    }

    #[test]
    fn scope_installs_and_restores_the_token() {
        let outer = Cancel::new();
        let inner = Cancel::new();
        inner.cancel();
        scope(&outer, || {
            assert!(check().is_ok());
            scope(&inner, || assert!(check().is_err()));
            assert!(check().is_ok(), "the outer token is back");
        });
        assert!(check().is_ok());
        assert!(!current().is_cancelled());
        let r = std::panic::catch_unwind(|| scope(&inner, || panic!("boom")));
        assert!(r.is_err());
        assert!(check().is_ok(), "restored after a panic");
    }
}
