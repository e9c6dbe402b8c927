//! The pool task around every render: the work runs on the CPU backend's rayon pool under a
//! cancellation token, a panic becomes an internal error, and freed memory goes back to the
//! system when the last job of a burst is done.
//!
//! Owns: [`on_pool`]. Used by `pipeline` (images, variants, video thumbnails).

use crate::app::App;
use crate::cancel::{self, Cancel};
use crate::error::{Error, Result};

/// Run `work` on the CPU backend's pool while holding the admission `permit`, and wait for
/// its result without blocking a tokio worker. The permit is released before the result is
/// sent, so whoever sees the result also sees the admission slot free (the queue-depth
/// gauge is exact once a response is out).
///
/// The work runs under a [`Cancel`] token that this future raises when it is dropped before
/// the result arrives (the HTTP client went away, the gRPC stream was reset, a deadline
/// passed): the steps and the long kernel loops check it and stop, so the worker is free
/// again within one row band instead of finishing a render nobody reads. A panic inside the
/// work is caught here and answered as an internal error (rayon would abort the process on a
/// panic in a spawned task).
pub(super) async fn on_pool<T: Send + 'static>(
    app: &App,
    permit: tokio::sync::OwnedSemaphorePermit,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let token = Cancel::new();
    let guard = token.on_drop();
    let admission = std::sync::Arc::clone(&app.admission);
    app.executor.cpu().spawn(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| cancel::scope(&token, work)))
            .unwrap_or_else(|panic| Err(panicked(panic.as_ref())));
        drop(permit);
        // The receiver is gone only if the client went away; the result is then unwanted.
        let _ = tx.send(result);
        if admission.is_idle() {
            release_free_memory();
        }
    });
    let result = rx.await.map_err(|_| Error::internal("pool task ended without a result"));
    guard.disarm();
    result?
}

/// Hand freed heap pages back to the system once the last job of a burst is done. glibc keeps
/// them in its per-thread arenas otherwise: after the mixed load of docs/security.md the
/// daemon sat at 4× its idle RSS ten seconds later. Costs a few milliseconds, only when idle.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks glibc's own arenas; any thread may call it at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The internal error for a panic caught on the pool, with its message for the log.
fn panicked(panic: &(dyn std::any::Any + Send)) -> Error {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string payload".into());
    tracing::error!(panic = %what, "render panicked; the worker carries on");
    Error::internal(format!("render panicked: {what}"))
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::error::ErrorKind;

    /// A CPU-only app without a cache, for the pool tests.
    fn cpu_app() -> App {
        let mut config = crate::config::Config::default();
        config.backend.gpu = false;
        config.cache.enabled = false;
        App::new(config).unwrap()
    }

    /// Hole 9 of issue #12: rayon aborts the process on a panic in a spawned task; the pool
    /// wrapper turns it into a 500 for that request and the pool keeps serving.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panic_on_the_pool_is_an_internal_error() {
        let app = cpu_app();
        let permit = app.admission.acquire().await.unwrap();
        let e = on_pool(&app, permit, || -> Result<()> { panic!("boom") }).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Internal);
        assert!(e.message().contains("boom"), "{e}");
        let permit = app.admission.acquire().await.unwrap();
        assert_eq!(on_pool(&app, permit, || Ok(7)).await.unwrap(), 7);
    }

    /// Dropping the waiting future raises the token the work runs under.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dropping_the_wait_cancels_the_work() {
        let app = cpu_app();
        let permit = app.admission.acquire().await.unwrap();
        let (seen_tx, seen_rx) = std::sync::mpsc::channel();
        let wait = on_pool(&app, permit, move || {
            let started = Instant::now();
            while cancel::check().is_ok() {
                assert!(started.elapsed().as_secs() < 10, "never cancelled");
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            seen_tx.send(()).unwrap();
            Ok(())
        });
        assert!(tokio::time::timeout(std::time::Duration::from_millis(100), wait).await.is_err());
        let seen = tokio::task::spawn_blocking(move || seen_rx.recv_timeout(std::time::Duration::from_secs(5)));
        assert!(seen.await.unwrap().is_ok(), "the work did not see the cancellation");
    }
}
