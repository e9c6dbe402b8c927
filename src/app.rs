//! The daemon's shared state: configuration, backends, origin and concurrency permits.
//!
//! Owns: [`App`], [`GpuStatus`]. May import `config`, `exec`, `video`, `limits`, `origin`;
//! tokio for semaphores. Never tonic.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::config::Config;
use crate::error::Result;
use crate::exec::cpu::CpuBackend;
use crate::exec::{Backend, Executor};
use crate::limits::Limits;
use crate::origin::{LocalOrigin, Origin};

/// What happened when the GPU was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpuStatus {
    /// Disabled in configuration or at build time.
    Disabled,
    /// Opened: adapter name and graphics API.
    Ready {
        /// Adapter name.
        adapter: String,
        /// Graphics API.
        api: String,
        /// Pipelines built.
        pipelines: usize,
    },
    /// No adapter or the pipelines failed: the reason.
    Unavailable(String),
}

/// Shared daemon state. Cheap to clone (everything is behind `Arc`).
#[derive(Clone)]
pub struct App {
    /// Merged configuration.
    pub config: Arc<Config>,
    /// Limits derived from the configuration.
    pub limits: Limits,
    /// Backends and the policy between them.
    pub executor: Arc<Executor>,
    /// Where sources come from.
    pub origin: Arc<dyn Origin>,
    /// Image jobs running at once; a permit is held from decode to encode. An `Arc` inside
    /// `App` (never a `static`) so tests can run several daemons in one process.
    pub image_permits: Arc<Semaphore>,
    /// GPU state at start-up.
    pub gpu: GpuStatus,
}

impl App {
    /// Build backends and origin from `config`. A missing GPU is not an error: jobs then run
    /// on the CPU and say so.
    pub fn new(config: Config) -> Result<App> {
        let cpu = Arc::new(CpuBackend::new(config.backend.cpu_threads)?);
        let (gpu, status) = open_gpu(&config);
        let executor = Arc::new(Executor::new(cpu, gpu, config.backend.gpu_min_pixels));
        let origin: Arc<dyn Origin> = Arc::new(LocalOrigin::new(config.media.root.clone()));
        Ok(App {
            limits: config.limits(),
            image_permits: Arc::new(Semaphore::new(config.limits.max_concurrent_jobs)),
            config: Arc::new(config),
            executor,
            origin,
            gpu: status,
        })
    }
}

#[cfg(feature = "gpu")]
fn open_gpu(config: &Config) -> (Option<Arc<dyn Backend>>, GpuStatus) {
    if !config.backend.gpu {
        return (None, GpuStatus::Disabled);
    }
    match crate::exec::gpu::GpuBackend::new() {
        Ok(g) => {
            let status =
                GpuStatus::Ready { adapter: g.adapter_name().to_string(), api: g.api(), pipelines: g.pipeline_count() };
            tracing::info!(adapter = g.adapter_name(), api = %g.api(), "GPU backend ready");
            (Some(Arc::new(g)), status)
        }
        Err(e) => {
            tracing::warn!(error = %e, "no GPU backend; jobs run on the CPU");
            (None, GpuStatus::Unavailable(e.message().to_string()))
        }
    }
}

#[cfg(not(feature = "gpu"))]
fn open_gpu(_config: &Config) -> (Option<Arc<dyn Backend>>, GpuStatus) {
    (None, GpuStatus::Disabled)
}
