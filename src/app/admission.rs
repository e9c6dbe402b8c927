//! Admission control: a bounded number of jobs run, a bounded number wait, the rest are
//! refused at once with `Busy` (HTTP 429 with `Retry-After`, gRPC RESOURCE_EXHAUSTED).
//!
//! Owns: [`Admission`]. Memory stays bounded under load because at most
//! `running + waiting` sources are held at any time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, ErrorKind, Result};

/// Running permits plus a bounded waiting line.
#[derive(Debug)]
pub struct Admission {
    permits: Arc<Semaphore>,
    running: usize,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// Decrements the waiting count when a waiter leaves the line (admitted or gone).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Admission {
    /// `running` jobs at once, `max_waiting` more in line.
    pub fn new(running: usize, max_waiting: usize) -> Self {
        Admission { permits: Arc::new(Semaphore::new(running)), running, waiting: AtomicUsize::new(0), max_waiting }
    }

    /// True when no job holds or waits for a permit.
    pub fn is_idle(&self) -> bool {
        self.permits.available_permits() == self.running && self.waiting.load(Ordering::SeqCst) == 0
    }

    /// Wait for a permit, or fail at once with `Busy` when the line is full.
    pub async fn acquire(&self) -> Result<OwnedSemaphorePermit> {
        if let Ok(p) = Arc::clone(&self.permits).try_acquire_owned() {
            return Ok(p);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.max_waiting {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(Error::new(ErrorKind::Busy, "too many requests in line; retry shortly"));
        }
        let _line = Waiting(&self.waiting);
        Arc::clone(&self.permits).acquire_owned().await.map_err(|_| Error::new(ErrorKind::Unavailable, "shutting down"))
    }

    /// Jobs running plus waiting, for the queue-depth gauge.
    pub fn depth(&self, running_capacity: usize) -> usize {
        running_capacity.saturating_sub(self.permits.available_permits()) + self.waiting.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_when_the_line_is_full_and_admits_after_release() {
        let a = Arc::new(Admission::new(1, 1));
        let first = a.acquire().await.unwrap();
        let a2 = Arc::clone(&a);
        let waiter = tokio::spawn(async move { a2.acquire().await.map(drop) });
        // Let the waiter take its place in line.
        while a.waiting.load(Ordering::SeqCst) == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(a.acquire().await.unwrap_err().kind(), ErrorKind::Busy);
        drop(first);
        waiter.await.unwrap().unwrap();
        assert!(a.acquire().await.is_ok());
    }
}
