//! The daemon's shared state: configuration, backends, origin and concurrency permits.
//!
//! Owns: [`App`], [`GpuStatus`]. May import `config`, `exec`, `video`, `limits`, `origin`;
//! tokio for semaphores. Never tonic.

pub mod admission;

use std::sync::Arc;

use self::admission::Admission;

use crate::cache::Cache;
use crate::config::Config;
use crate::error::Result;
use crate::exec::cpu::CpuBackend;
use crate::exec::{Backend, Executor};
use crate::limits::Limits;
use crate::origin::Origin;
#[cfg(feature = "video")]
use crate::video::VideoBackend;

/// What happened when the GPU was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpuStatus {
    /// Disabled in configuration or at build time.
    Disabled,
    /// Opened: adapter name and graphics API.
    Ready {
        /// Adapter name.
        adapter: String,
        /// Adapter kind (`DiscreteGpu`, `Cpu` for a software adapter, …).
        device_type: String,
        /// Driver name and version.
        driver: String,
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
    /// Where sources come from: the local folder, or several origins by path prefix.
    pub origin: Arc<dyn Origin>,
    /// Rendered-variant cache; `None` when disabled in configuration.
    pub cache: Option<Arc<Cache>>,
    /// Admission control for image jobs: running permits plus a bounded waiting line; a
    /// permit is held from decode to encode. An `Arc` inside `App` (never a `static`) so
    /// tests can run several daemons in one process.
    pub admission: Arc<Admission>,
    /// Source bytes fetched from origins, for the `source_bytes` metric.
    pub bytes_in: Arc<std::sync::atomic::AtomicU64>,
    /// GPU state at start-up.
    pub gpu: GpuStatus,
    /// Video cuts and thumbnails (FFmpeg); a stand-in answering `unavailable` when FFmpeg
    /// could not start, so images are still served.
    #[cfg(feature = "video")]
    pub video: Arc<dyn VideoBackend>,
    /// Video jobs running at once ([`VIDEO_CONCURRENCY`]) and waiting (`max_queued_jobs`;
    /// more are refused with 429, so the line cannot grow without bound). The FFmpeg worker
    /// holds its permit until it has really stopped (`video::run_blocking`), so this bounds
    /// the work, not just the waiting.
    #[cfg(feature = "video")]
    pub video_admission: Arc<Admission>,
    /// Asks the GPU backend whether its device is still alive; `None` without a GPU.
    gpu_health: Option<GpuHealth>,
    /// Where the daemon counts its own RPCs and stage times (`xformd daemon`, where no front
    /// end in the process counts them); `None` leaves counting to the front end.
    pub(crate) rpc_metrics: Option<Arc<crate::metrics::Metrics>>,
}

/// Reads the GPU backend's device-lost flag.
type GpuHealth = Arc<dyn Fn() -> bool + Send + Sync>;

/// Video jobs at once: each re-encode already uses every core through libx264/libvpx
/// threads, so more would only interleave them.
#[cfg(feature = "video")]
pub const VIDEO_CONCURRENCY: usize = 2;

impl App {
    /// `Some(true)` while a GPU backend is open and its device is not lost, `Some(false)`
    /// once it is lost, `None` when there is no GPU (disabled or unavailable at start).
    pub fn gpu_healthy(&self) -> Option<bool> {
        self.gpu_health.as_ref().map(|h| h())
    }

    /// Count each Transform RPC (`xformd_requests_total` with dialect `grpc` and the HTTP
    /// equivalent of its outcome) and its stage times in `metrics`. For a daemon without a
    /// front end in its process: in `xformd serve` the front end counts requests and stages
    /// from the responses, and counting here too would count them twice.
    pub fn with_rpc_metrics(mut self, metrics: Arc<crate::metrics::Metrics>) -> App {
        self.rpc_metrics = Some(metrics);
        self
    }

    /// Copy this daemon's cache totals, queue depth and source bytes into `metrics` at each
    /// scrape (used by `xformd serve`, where one process hosts both halves).
    pub fn export_metrics(&self, metrics: &crate::metrics::Metrics) {
        let app = self.clone();
        metrics.set_refresher(Box::new(move |m| {
            if let Some(cache) = &app.cache {
                let st = cache.stats();
                for (event, v) in [
                    ("hits", st.hits),
                    ("misses", st.misses),
                    ("coalesced", st.coalesced),
                    ("evictions", st.evictions),
                    ("entries", st.entries),
                    ("bytes", st.bytes),
                ] {
                    m.set_cache(event, v);
                }
            }
            let depth = app.admission.depth(app.config.limits.max_concurrent_jobs);
            m.queue_depth.set(i64::try_from(depth).unwrap_or(i64::MAX));
            let bytes = app.bytes_in.load(std::sync::atomic::Ordering::Relaxed);
            m.bytes_in.set(i64::try_from(bytes).unwrap_or(i64::MAX));
            m.set_gpu(app.gpu.labels());
        }));
    }

    /// Build backends and origin from `config`. A missing GPU is not an error: jobs then run
    /// on the CPU and say so.
    pub fn new(config: Config) -> Result<App> {
        let cpu = Arc::new(CpuBackend::new(config.backend.cpu_threads)?);
        let (gpu, status, gpu_health) = open_gpu(&config);
        #[cfg(feature = "gpu")]
        let concrete = gpu.clone();
        let gpu: Option<Arc<dyn Backend>> = gpu.map(|g| g as Arc<dyn Backend>);
        let executor = Arc::new(Executor::new(Arc::clone(&cpu), gpu, config.backend.gpu_min_pixels));
        #[cfg(feature = "gpu")]
        if let Some(g) = concrete.filter(|g| config.backend.calibrate_gpu && !g.is_software()) {
            calibrate_in_background(cpu, g, config.limits(), Arc::clone(&executor));
        }
        let origin = crate::origin::from_config(&config)?;
        let cache = Cache::from_config(&config.cache)?.map(Arc::new);
        let limits = config.limits();
        Ok(App {
            limits,
            admission: Arc::new(Admission::new(config.limits.max_concurrent_jobs, config.limits.max_queued_jobs)),
            #[cfg(feature = "video")]
            video_admission: Arc::new(Admission::new(VIDEO_CONCURRENCY, config.limits.max_queued_jobs)),
            config: Arc::new(config),
            executor,
            origin,
            cache,
            bytes_in: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            gpu: status,
            #[cfg(feature = "video")]
            video: open_video(limits),
            gpu_health,
            rpc_metrics: None,
        })
    }
}

/// The FFmpeg helper process backend, or a stand-in that refuses video work with the reason.
#[cfg(feature = "video")]
fn open_video(limits: Limits) -> Arc<dyn VideoBackend> {
    // Finds the helper only; whether FFmpeg works shows on the first call (and in `xformd
    // check`), so a one-shot image render never starts it.
    match crate::video::ProcessBackend::new(limits) {
        Ok(b) => Arc::new(b),
        Err(e) => {
            tracing::warn!(error = %e, "no video backend; video requests are refused");
            Arc::new(NoVideo(e.message().to_string()))
        }
    }
}

/// Answers every video call with `unavailable` and the reason no helper was found.
#[cfg(feature = "video")]
struct NoVideo(String);

#[cfg(feature = "video")]
impl NoVideo {
    fn refuse<T>(&self) -> Result<T> {
        Err(crate::error::Error::new(
            crate::error::ErrorKind::Unavailable,
            format!("video is unavailable on this daemon: {}", self.0),
        ))
    }
}

#[cfg(feature = "video")]
impl VideoBackend for NoVideo {
    fn probe(&self, _input: &std::path::Path) -> Result<crate::video::VideoInfo> {
        self.refuse()
    }

    fn cut(
        &self,
        _input: &std::path::Path,
        _spec: &crate::video::CutSpec,
        _output: &std::path::Path,
        _cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<crate::video::CutReport> {
        self.refuse()
    }

    fn thumbnail(&self, _input: &std::path::Path, _at_secs: f64, _limits: &Limits) -> Result<crate::media::Frame> {
        self.refuse()
    }
}

impl GpuStatus {
    /// The labels of `xformd_gpu_info` for this status.
    pub fn labels(&self) -> crate::metrics::GpuInfoLabels {
        let (status, adapter, device_type, api) = match self {
            GpuStatus::Ready { adapter, device_type, api, .. } => {
                ("ready", adapter.as_str(), device_type.as_str(), api.as_str())
            }
            GpuStatus::Unavailable(_) => ("unavailable", "", "", ""),
            GpuStatus::Disabled => ("disabled", "", "", ""),
        };
        crate::metrics::GpuInfoLabels {
            status: status.into(),
            adapter: adapter.into(),
            device_type: device_type.into(),
            api: api.into(),
        }
    }
}

/// Measure the `auto` threshold on this daemon's own devices (`bench::calibrate`) on a
/// thread of its own, and hand it to the executor; until then, and if it fails, the
/// configured `backend.gpu_min_pixels` applies. A software adapter is never calibrated:
/// `auto` does not use one.
#[cfg(feature = "gpu")]
fn calibrate_in_background(
    cpu: Arc<CpuBackend>,
    gpu: Arc<crate::exec::gpu::GpuBackend>,
    limits: Limits,
    executor: Arc<Executor>,
) {
    use crate::bench::calibrate::{calibrate, RUNS, SIZES};
    let spawned = std::thread::Builder::new().name("xformd-calibrate".into()).spawn(move || {
        let started = std::time::Instant::now();
        match calibrate(&cpu, &gpu, &limits, &SIZES, RUNS) {
            Ok(t) => {
                executor.set_gpu_min_pixels(t.min_pixels());
                tracing::info!(result = %t.describe(), ms = started.elapsed().as_millis(), "auto backend threshold calibrated");
            }
            Err(e) => tracing::warn!(error = %e, "GPU calibration failed; backend.gpu_min_pixels stays as configured"),
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "GPU calibration not started");
    }
}

/// The executable whose hidden `gpu-probe` subcommand answers for [`open_gpu`]: set by
/// `xformd serve` and `xformd daemon`; unset for one-shot commands and library users
/// (tests), which probe in process.
#[cfg(feature = "gpu")]
static GPU_PROBE: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Probe for a GPU adapter in a child process (`exe gpu-probe`) before opening one here.
pub fn probe_gpu_with(exe: std::path::PathBuf) {
    #[cfg(feature = "gpu")]
    let _ = GPU_PROBE.set(exe);
    #[cfg(not(feature = "gpu"))]
    drop(exe);
}

/// `xformd gpu-probe`'s one line: `{"ok":true,"adapter":…}` for the adapter a daemon with
/// `backend.allow_software_adapter` off would open, else `{"ok":false,"reason":…}`.
pub fn gpu_probe_answer() -> String {
    #[cfg(feature = "gpu")]
    let probed = crate::exec::gpu::device::probe(false);
    #[cfg(not(feature = "gpu"))]
    let probed: Result<String> =
        Err(crate::error::Error::new(crate::error::ErrorKind::Unavailable, "built without the gpu feature"));
    match probed {
        Ok(adapter) => serde_json::json!({ "ok": true, "adapter": adapter }),
        Err(e) => serde_json::json!({ "ok": false, "reason": e.message() }),
    }
    .to_string()
}

/// Why the probe child found no adapter a daemon may use, or `None` when it found one or
/// could not answer (then the daemon probes in process, as before). Enumerating adapters
/// loads every installed Vulkan driver into the process that does it, and Mesa's stay
/// mapped, with LLVM, for the life of the process: 54 MiB of a GPU-less daemon's RSS
/// (docs/benchmarks.md). A child that exits takes them with it.
#[cfg(feature = "gpu")]
fn child_probe_refusal() -> Option<String> {
    let exe = GPU_PROBE.get()?;
    let mut child = std::process::Command::new(exe)
        .arg("gpu-probe")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    let started = std::time::Instant::now();
    // A driver that hangs while enumerating would hang an in-process probe just the same;
    // here it is killed and reported.
    let timed_out = || started.elapsed() >= std::time::Duration::from_secs(30);
    if !matches!(crate::child::wait_or_kill(&mut child, timed_out), Ok(Some(_))) {
        let _ = child.kill();
        let _ = child.wait();
        return Some("the GPU probe did not answer within 30 s".into());
    }
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take()?, &mut out).ok()?;
    let answer: serde_json::Value = serde_json::from_str(out.trim()).ok()?;
    match answer["ok"].as_bool()? {
        true => None,
        false => Some(answer["reason"].as_str()?.to_string()),
    }
}

#[cfg(feature = "gpu")]
fn open_gpu(config: &Config) -> (Option<Arc<crate::exec::gpu::GpuBackend>>, GpuStatus, Option<GpuHealth>) {
    if !config.backend.gpu {
        return (None, GpuStatus::Disabled, None);
    }
    // With software adapters allowed, whatever the probe finds is opened here anyway.
    if let Some(reason) = (!config.backend.allow_software_adapter).then(child_probe_refusal).flatten() {
        tracing::warn!(error = %reason, "no GPU backend; jobs run on the CPU");
        return (None, GpuStatus::Unavailable(reason), None);
    }
    match crate::exec::gpu::GpuBackend::open(config.backend.allow_software_adapter) {
        Ok(g) => {
            let status = GpuStatus::Ready {
                adapter: g.adapter_name().to_string(),
                device_type: g.device_type(),
                driver: g.driver(),
                api: g.api(),
                pipelines: g.pipeline_count(),
            };
            tracing::info!(adapter = g.adapter_name(), device_type = %g.device_type(), api = %g.api(), "GPU backend ready");
            let g = Arc::new(g);
            let probe = g.clone();
            let health: GpuHealth = Arc::new(move || probe.is_healthy());
            (Some(g), status, Some(health))
        }
        Err(e) => {
            tracing::warn!(error = %e, "no GPU backend; jobs run on the CPU");
            (None, GpuStatus::Unavailable(e.message().to_string()), None)
        }
    }
}

#[cfg(not(feature = "gpu"))]
fn open_gpu(_config: &Config) -> (Option<Arc<dyn Backend>>, GpuStatus, Option<GpuHealth>) {
    (None, GpuStatus::Disabled, None)
}
