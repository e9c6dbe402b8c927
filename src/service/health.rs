//! gRPC health (`grpc.health.v1`) that reflects whether the daemon can do its work.
//!
//! Owns: [`Readiness`], [`check`], [`report`], [`HealthWatcher`], [`GPU_SERVICE`],
//! [`ORIGIN_SERVICE`]. May import `app` (origins, GPU state, configuration); tonic-health.
//!
//! What each service name answers:
//!
//! * `xformd.origin`: SERVING when every configured origin is ready (`Origin::ready`: the
//!   media folder exists and lists, a web origin answers a HEAD of its base URL, a bucket
//!   answers a LIST; each check bounded by `origin::READY_TIMEOUT`), else NOT_SERVING.
//! * `xformd.gpu`: SERVING while a GPU backend is open and its device has not been lost;
//!   NOT_SERVING when the GPU is disabled (`backend.gpu = false`), no adapter was found at
//!   start, or the device was lost. It describes the GPU only: jobs still run on the CPU.
//! * `""` (the whole server) and `xformd.v1.Transformer`: SERVING when `xformd.origin` is,
//!   and, when the daemon is GPU-only (`backend.default = "gpu"`), `xformd.gpu` is too. With
//!   `auto` or `cpu` a missing or lost GPU does not make the daemon unready, because jobs
//!   fall back to the CPU backend and say so.
//!
//! The statuses are set once before the server accepts calls ([`check`] + [`report`] in
//! `service::serve`) and then every `server.health_interval_ms` by a background task
//! ([`HealthWatcher`]), so a health call never waits on an origin. Transitions are logged.

use std::time::Duration;

use tonic::server::NamedService;
use tonic_health::server::HealthReporter;
use tonic_health::ServingStatus;

use super::proto::transformer_server::TransformerServer;
use super::transform::TransformerService;
use crate::app::App;

/// Health service name of the GPU component.
pub const GPU_SERVICE: &str = "xformd.gpu";
/// Health service name of the origins component.
pub const ORIGIN_SERVICE: &str = "xformd.origin";

/// The outcome of one round of checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// `Err` with the reasons when an origin is not ready.
    pub origins: Result<(), String>,
    /// `Some(healthy)` with a GPU backend, `None` without one.
    pub gpu: Option<bool>,
    /// True when the daemon is GPU-only (`backend.default = "gpu"`).
    pub gpu_required: bool,
}

impl Readiness {
    /// True when the GPU component is serving.
    pub fn gpu_serving(&self) -> bool {
        self.gpu == Some(true)
    }

    /// True when the daemon as a whole is serving.
    pub fn serving(&self) -> bool {
        self.origins.is_ok() && (!self.gpu_required || self.gpu_serving())
    }
}

/// Check the origins and the GPU of `app` now.
pub async fn check(app: &App) -> Readiness {
    Readiness {
        origins: app.origin.ready().await.map_err(|e| e.message().to_string()),
        gpu: app.gpu_healthy(),
        gpu_required: app.config.backend.default == "gpu",
    }
}

fn status(serving: bool) -> ServingStatus {
    if serving {
        ServingStatus::Serving
    } else {
        ServingStatus::NotServing
    }
}

/// Set every status from `r`.
pub async fn report(reporter: &HealthReporter, r: &Readiness) {
    let overall = status(r.serving());
    reporter.set_service_status("", overall).await;
    reporter.set_service_status(<TransformerServer<TransformerService> as NamedService>::NAME, overall).await;
    reporter.set_service_status(GPU_SERVICE, status(r.gpu_serving())).await;
    reporter.set_service_status(ORIGIN_SERVICE, status(r.origins.is_ok())).await;
}

fn log_transition(before: Option<&Readiness>, now: &Readiness) {
    if before == Some(now) {
        return;
    }
    match (&now.origins, now.serving()) {
        (_, true) => tracing::info!(gpu = ?now.gpu, "daemon ready"),
        (Err(why), false) => tracing::warn!(reason = %why, gpu = ?now.gpu, "daemon not ready: origins"),
        (Ok(()), false) => tracing::warn!(gpu = ?now.gpu, "daemon not ready: GPU-only and the GPU is not healthy"),
    }
}

/// The background task that re-checks readiness; stopped when dropped.
#[derive(Debug)]
pub struct HealthWatcher {
    task: tokio::task::JoinHandle<()>,
}

impl HealthWatcher {
    /// Check `app` every `interval` (at least 10 ms) and report to `reporter`; `first` is
    /// the round already reported at start.
    pub fn spawn(app: App, reporter: HealthReporter, interval: Duration, first: Readiness) -> HealthWatcher {
        let interval = interval.max(Duration::from_millis(10));
        log_transition(None, &first);
        let task = tokio::spawn(async move {
            let mut last = first;
            loop {
                tokio::time::sleep(interval).await;
                let now = check(&app).await;
                if now != last {
                    log_transition(Some(&last), &now);
                    report(&reporter, &now).await;
                    last = now;
                }
            }
        });
        HealthWatcher { task }
    }
}

impl Drop for HealthWatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gpu_matters_only_to_a_gpu_only_daemon() {
        let r = |origins: Result<(), String>, gpu, gpu_required| Readiness { origins, gpu, gpu_required };
        assert!(r(Ok(()), None, false).serving());
        assert!(!r(Ok(()), None, false).gpu_serving());
        assert!(r(Ok(()), Some(false), false).serving(), "auto falls back to the CPU");
        assert!(!r(Ok(()), Some(false), true).serving(), "GPU-only with a lost device");
        assert!(!r(Ok(()), None, true).serving(), "GPU-only without an adapter");
        assert!(r(Ok(()), Some(true), true).serving());
        assert!(!r(Err("x".into()), Some(true), false).serving(), "an origin is down");
    }
}
