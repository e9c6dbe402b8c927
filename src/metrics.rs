//! Prometheus metrics for the front end and the daemon, served at `/metrics`.
//!
//! Owns: [`Metrics`], [`serve`] (the daemon's own `/metrics` listener,
//! `server.metrics_listen`). One instance per process, created by `main` (or a test) and
//! shared by `Arc` with the front end and the daemon — never a `static`, so tests can run
//! several servers side by side and read their own counters.
//!
//! Who counts requests and stage times: in `xformd serve` and `xformd front`, the front end
//! (it sees HTTP statuses and dialects); in `xformd daemon` the daemon itself, per Transform
//! RPC, with dialect `grpc` (`App::with_rpc_metrics`). Never both in one process.

use std::future::Future;
use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::error::{Error, Result};

/// `Content-Type` of a scrape.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Serve `GET /metrics` (only that) on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    metrics: Arc<Metrics>,
) -> Result<()> {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = metrics.clone();
            async move { ([(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)], metrics.encode()) }
        }),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::internal(format!("metrics server: {e}")))
}

/// Labels of the request counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// HTTP status code.
    pub status: u16,
    /// `imagekit`, `cloudinary` or `none` (health, metrics, errors before parsing); `grpc`
    /// for RPCs counted by a daemon without a front end.
    pub dialect: String,
    /// `cpu`, `gpu` or `none`.
    pub backend: String,
}

/// Label of per-stage histograms.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabels {
    /// `fetch`, `decode`, `process`, `encode`, `total`.
    pub stage: String,
}

/// Label of the fallback counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// Why the GPU did not run (`no_adapter`, `no_kernel:rotate`, `over_device_limits`, …).
    pub reason: String,
}

/// Labels of the GPU info gauge: which adapter serves GPU jobs, if any.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct GpuInfoLabels {
    /// `ready`, `unavailable` or `disabled`.
    pub status: String,
    /// Adapter name (empty unless ready).
    pub adapter: String,
    /// wgpu's device type (`DiscreteGpu`, `Cpu` for a software adapter, …).
    pub device_type: String,
    /// Graphics API (`Vulkan`, …).
    pub api: String,
}

/// Label of the cache counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    /// `hit`, `miss`, `eviction`.
    pub event: String,
}

/// Every metric the process exports.
pub struct Metrics {
    /// Requests by status, dialect and backend.
    pub requests: Family<RequestLabels, Counter>,
    /// Seconds per stage.
    pub stage_seconds: Family<StageLabels, Histogram>,
    /// GPU fallbacks by reason.
    pub gpu_fallbacks: Family<ReasonLabels, Counter>,
    /// Rendered-variant cache totals (hits, misses, coalesced, evictions, entries, bytes),
    /// copied from the daemon's cache at scrape time.
    pub cache: Family<CacheLabels, Gauge>,
    /// Jobs waiting for or holding a permit.
    pub queue_depth: Gauge,
    /// Source bytes read from origins (total, copied from the daemon at scrape time).
    pub bytes_in: Gauge,
    /// Response bytes sent.
    pub bytes_out: Counter,
    /// 1 for the GPU adapter that serves (or the reason there is none), set at scrape time:
    /// says which adapter a daemon runs on without reading its logs.
    pub gpu_info: Family<GpuInfoLabels, Gauge>,
    /// The registry, locked only while encoding a scrape (std Mutex: never held across an
    /// await, and scrapes are rare and short).
    registry: Mutex<Registry>,
    /// Copies daemon-side state (cache, queue, bytes in) into the gauges before a scrape; set
    /// by `xformd serve`, where front end and daemon share a process.
    refresher: Mutex<Option<Refresher>>,
}

/// A function that updates gauges from daemon state just before a scrape.
pub type Refresher = Box<dyn Fn(&Metrics) + Send + Sync>;

fn stage_histogram() -> Histogram {
    // 1 ms … ~16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh set of metrics registered under the `xformd` prefix.
    pub fn new() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let stage_seconds =
            Family::<StageLabels, Histogram>::new_with_constructor(stage_histogram as fn() -> Histogram);
        let gpu_fallbacks = Family::<ReasonLabels, Counter>::default();
        let cache = Family::<CacheLabels, Gauge>::default();
        let queue_depth = Gauge::default();
        let bytes_in = Gauge::default();
        let bytes_out = Counter::default();
        let gpu_info = Family::<GpuInfoLabels, Gauge>::default();
        let mut registry = Registry::with_prefix("xformd");
        registry.register("requests", "HTTP requests by status, dialect and backend", requests.clone());
        registry.register("stage_seconds", "Seconds spent per pipeline stage", stage_seconds.clone());
        registry.register(
            "gpu_fallbacks",
            "Jobs that wanted the GPU but ran on the CPU, by reason",
            gpu_fallbacks.clone(),
        );
        registry.register("cache", "Rendered-variant cache totals by event", cache.clone());
        registry.register("queue_depth", "Image jobs waiting for or holding a permit", queue_depth.clone());
        registry.register("source_bytes", "Bytes read from origins", bytes_in.clone());
        registry.register("response_bytes", "Bytes sent in responses", bytes_out.clone());
        registry.register(
            "gpu_info",
            "The GPU adapter serving GPU jobs (1), by status, name, kind and API",
            gpu_info.clone(),
        );
        Metrics {
            requests,
            stage_seconds,
            gpu_fallbacks,
            cache,
            queue_depth,
            bytes_in,
            bytes_out,
            gpu_info,
            registry: Mutex::new(registry),
            refresher: Mutex::new(None),
        }
    }

    /// Count one request.
    pub fn request(&self, status: u16, dialect: &str, backend: &str) {
        self.requests
            .get_or_create(&RequestLabels { status, dialect: dialect.to_string(), backend: backend.to_string() })
            .inc();
    }

    /// Observe a stage duration in milliseconds.
    pub fn stage_ms(&self, stage: &str, ms: f64) {
        self.stage_seconds.get_or_create(&StageLabels { stage: stage.to_string() }).observe(ms / 1000.0);
    }

    /// Say which adapter serves: the one labelled series is 1 (a previous one is removed).
    pub fn set_gpu(&self, labels: GpuInfoLabels) {
        self.gpu_info.clear();
        self.gpu_info.get_or_create(&labels).set(1);
    }

    /// Count a GPU fallback.
    pub fn fallback(&self, reason: &str) {
        self.gpu_fallbacks.get_or_create(&ReasonLabels { reason: reason.to_string() }).inc();
    }

    /// Set a cache total (`hits`, `misses`, `coalesced`, `evictions`, `entries`, `bytes`).
    pub fn set_cache(&self, event: &str, value: u64) {
        self.cache
            .get_or_create(&CacheLabels { event: event.to_string() })
            .set(i64::try_from(value).unwrap_or(i64::MAX));
    }

    /// Install the function that copies daemon state into the gauges before each scrape.
    pub fn set_refresher(&self, f: Refresher) {
        *self.refresher.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(f);
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        if let Some(f) = self.refresher.lock().unwrap_or_else(std::sync::PoisonError::into_inner).as_ref() {
            f(self);
        }
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Encoding into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_show_up_in_the_exposition() {
        let m = Metrics::new();
        m.request(200, "imagekit", "cpu");
        m.request(200, "imagekit", "cpu");
        m.fallback("no_adapter");
        m.stage_ms("decode", 12.0);
        let text = m.encode();
        assert!(text.contains(r#"xformd_requests_total{status="200",dialect="imagekit",backend="cpu"} 2"#), "{text}");
        assert!(text.contains(r#"xformd_gpu_fallbacks_total{reason="no_adapter"} 1"#));
        assert!(text.contains("xformd_stage_seconds_bucket"));
    }
}
