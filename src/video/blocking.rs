//! The async boundary of the video module: blocking FFmpeg work on tokio's blocking pool,
//! under a concurrency permit and a deadline, cancellable when the caller goes away.
//!
//! Owns: [`run_blocking`]. The only video file that imports tokio; in-crate only `error`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, ErrorKind, Result};

/// Sets the shared cancel flag when dropped. `run_blocking` holds one, so dropping its future
/// (the client went away) tells the worker to stop at its next packet.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Run blocking FFmpeg work `f` on tokio's blocking pool under a concurrency `permit` and a
/// `deadline`.
///
/// `f` receives a cancel flag that is set when the deadline passes or when the returned
/// future is dropped; FFmpeg loops check it between packets. The permit moves into the
/// blocking task, so the slot stays taken until FFmpeg has really stopped, not merely until
/// the caller stopped waiting: the semaphore bounds the work actually running.
///
/// # Errors
/// `f`'s own error; [`ErrorKind::Timeout`] when the deadline passes; [`ErrorKind::Internal`]
/// when `f` panics (the panic is contained in the blocking task and never reaches the
/// runtime).
pub async fn run_blocking<T>(
    permit: tokio::sync::OwnedSemaphorePermit,
    deadline: Duration,
    f: impl FnOnce(&AtomicBool) -> Result<T> + Send + 'static,
) -> Result<T>
where
    T: Send + 'static,
{
    let cancel = Arc::new(AtomicBool::new(false));
    // Declared before the await so that dropping this future mid-await sets the flag.
    let _on_drop = CancelOnDrop(Arc::clone(&cancel));
    let flag = Arc::clone(&cancel);
    let mut task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        f(&flag)
    });
    match tokio::time::timeout(deadline, &mut task).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(Error::internal(format!("video worker failed: {join}"))),
        Err(_) => {
            // The worker keeps its permit until it notices the flag and cleans up.
            cancel.store(true, Ordering::Relaxed);
            Err(Error::new(
                ErrorKind::Timeout,
                format!("video work exceeded its deadline of {} ms", deadline.as_millis()),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use tokio::sync::Semaphore;

    use super::*;

    #[tokio::test]
    async fn deadline_sets_cancel_and_keeps_permit_until_worker_stops() {
        let sem = Arc::new(Semaphore::new(1));
        let permit = Arc::clone(&sem).acquire_owned().await.unwrap();
        let seen = Arc::new(AtomicUsize::new(0));
        let seen2 = Arc::clone(&seen);
        let err = run_blocking(permit, Duration::from_millis(50), move |cancel| {
            // A worker that only stops when told to, like the FFmpeg packet loop.
            while !cancel.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
            }
            seen2.store(1, Ordering::Relaxed);
            Ok(())
        })
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout);
        // The permit comes back once the worker has observed the flag and returned.
        let _again = sem.acquire().await.unwrap();
        assert_eq!(seen.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn panics_become_internal_errors() {
        let permit = Arc::new(Semaphore::new(1)).acquire_owned().await.unwrap();
        let err = run_blocking(permit, Duration::from_secs(5), |_| -> Result<()> {
            panic!("boom");
        })
        .await
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Internal);
    }

    #[tokio::test]
    async fn dropping_the_future_cancels() {
        let permit = Arc::new(Semaphore::new(1)).acquire_owned().await.unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let fut = run_blocking(permit, Duration::from_secs(60), move |cancel| {
            while !cancel.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(1));
            }
            let _ = tx.send(());
            Ok(())
        });
        // Poll once so the worker starts, then drop the future as a vanished client would.
        let _ = tokio::time::timeout(Duration::from_millis(20), fut).await;
        let stopped = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(5)));
        assert!(stopped.await.unwrap().is_ok(), "worker never saw the cancel flag");
    }
}
