//! When and how soon to try another daemon.
//!
//! Owns: [`RetryPolicy`], [`retryable`], [`retryable_kind`]. Retried: `UNAVAILABLE`
//! (daemon down, draining, refused connection), `RESOURCE_EXHAUSTED` (its queue is full),
//! `DEADLINE_EXCEEDED` (the call's own deadline), and any failure that did not come from a
//! daemon's answer (no `x-xformd-code` in the metadata: a connection reset by a daemon
//! killed mid-stream reaches tonic as `UNKNOWN`, `INTERNAL` or `CANCELLED`). Everything a
//! daemon says about the request itself (bad parameter, missing source) is final.
//!
//! Delays grow exponentially with full jitter (AWS architecture blog, "Exponential backoff
//! and jitter"): N clients that lost the same daemon do not come back in step.
//!
//! May import: `error`; tonic (codes), fastrand.

use std::time::Duration;

use crate::error::ErrorKind;

/// Attempts per call and the delays between them.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries in all (the first included).
    pub attempts: u32,
    /// Upper bound of the first delay.
    pub base: Duration,
    /// Upper bound of any delay.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 8, base: Duration::from_millis(50), cap: Duration::from_secs(5) }
    }
}

impl RetryPolicy {
    /// The delay before retry number `n` (1 = the first retry): uniform in
    /// `[0, min(cap, base · 2^(n-1))]`.
    pub fn delay(&self, n: u32) -> Duration {
        let ceiling = self.base.saturating_mul(1u32 << n.saturating_sub(1).min(16)).min(self.cap);
        let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(fastrand::u64(0..=ms))
    }
}

/// True when `status` is worth another daemon.
pub fn retryable(status: &tonic::Status) -> bool {
    use tonic::Code;
    match status.code() {
        Code::Unavailable | Code::ResourceExhausted | Code::DeadlineExceeded => true,
        Code::Unknown | Code::Internal | Code::Cancelled | Code::Aborted => {
            status.metadata().get("x-xformd-code").is_none()
        }
        _ => false,
    }
}

/// True when a variant's own error (sent inside a stream) is the daemon's state, not the
/// variant's: another daemon may render it.
pub fn retryable_kind(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::Busy | ErrorKind::Unavailable | ErrorKind::Timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_daemon_state_and_transport_failures_are_retried() {
        assert!(retryable(&tonic::Status::unavailable("down")));
        assert!(retryable(&tonic::Status::resource_exhausted("busy")));
        assert!(retryable(&tonic::Status::deadline_exceeded("slow")));
        assert!(retryable(&tonic::Status::unknown("connection reset")));
        let mut answered = tonic::Status::internal("render failed");
        answered.metadata_mut().insert("x-xformd-code", "internal".parse().unwrap());
        assert!(!retryable(&answered));
        assert!(!retryable(&tonic::Status::invalid_argument("w")));
        assert!(!retryable(&tonic::Status::not_found("x")));
        assert!(!retryable(&tonic::Status::unauthenticated("token")));
    }

    #[test]
    fn delays_grow_and_stay_capped() {
        let p = RetryPolicy { attempts: 5, base: Duration::from_millis(100), cap: Duration::from_millis(400) };
        for _ in 0..200 {
            assert!(p.delay(1) <= Duration::from_millis(100));
            assert!(p.delay(3) <= Duration::from_millis(400));
            assert!(p.delay(30) <= Duration::from_millis(400));
        }
        let spread: std::collections::HashSet<_> = (0..50).map(|_| p.delay(3)).collect();
        assert!(spread.len() > 5, "jittered");
    }
}
