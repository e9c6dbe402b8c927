//! Shared test helpers: servers on 127.0.0.1:0, fixture paths, backends under test.

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use xformd::app::App;
use xformd::config::Config;
use xformd::frontend::{self, FrontState};
use xformd::service;
use xformd::url::UrlOptions;

/// The crate's bundled sample media.
pub(crate) fn media_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("media")
}

/// True when the GPU tests must run (and fail without an adapter).
pub(crate) fn gpu_tests_required() -> bool {
    std::env::var("XFORMD_GPU_TESTS").is_ok_and(|v| v == "1" || v == "yes")
}

/// A running daemon + front end; dropping it shuts both down.
pub(crate) struct Servers {
    /// Front-end address.
    pub(crate) http: SocketAddr,
    /// Daemon address.
    pub(crate) grpc: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Servers {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

impl Servers {
    /// `http://addr` + `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.http, path)
    }
}

/// A test configuration over `media`.
pub(crate) fn config(media: PathBuf) -> Config {
    let mut c = Config::default();
    c.media.root = media;
    // No rendered-variant cache: a shared on-disk cache would let one test (or an earlier
    // build) answer another's request. tests/cache.rs turns it on over a temporary folder.
    c.cache.enabled = false;
    // The GPU tests run on Mesa lavapipe on purpose; a daemon refuses it by default.
    c.backend.allow_software_adapter = true;
    c
}

/// Start the daemon and the front end on ephemeral loopback ports. Listeners are bound
/// before this returns, so requests can be sent at once (no sleeps).
pub(crate) async fn start_server(config: Config) -> Servers {
    start_server_with(config, |f| f).await
}

/// As [`start_server`], with a hook to adjust the front end (signing, limits, metrics).
pub(crate) async fn start_server_with(config: Config, front: impl FnOnce(FrontState) -> FrontState) -> Servers {
    let grpc_l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http_l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (grpc, http) = (grpc_l.local_addr().unwrap(), http_l.local_addr().unwrap());
    let app = App::new(config.clone()).unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let (g_tx, g_rx) = oneshot::channel::<()>();
    let (h_tx, h_rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = stopped.await;
        let _ = g_tx.send(());
        let _ = h_tx.send(());
    });
    tokio::spawn(service::serve(
        grpc_l,
        async {
            let _ = g_rx.await;
        },
        app.clone(),
    ));
    let url = UrlOptions {
        cloud_name: Some(config.frontend.cloud_name.clone()).filter(|c| !c.is_empty()),
        keep_types: config.frontend.keep_types,
        named: config.named.clone(),
    };
    // As in `xformd serve`: one metrics registry, fed by the daemon's state at each scrape.
    let metrics = std::sync::Arc::new(xformd::metrics::Metrics::new());
    app.export_metrics(&metrics);
    let state = front(
        FrontState::new(&format!("http://{grpc}"), url, &config.frontend.cache_control, config.frontend.debug_headers)
            .unwrap()
            .with_metrics(metrics),
    );
    tokio::spawn(frontend::serve(
        http_l,
        async {
            let _ = h_rx.await;
        },
        state,
    ));
    Servers { http, grpc, stop: Some(stop) }
}

/// Decode image bytes to an RGBA frame.
pub(crate) fn decode(bytes: &[u8]) -> xformd::media::Frame {
    xformd::media::decode::decode(bytes, &xformd::limits::Limits::default()).unwrap().frame
}

/// Layer images and fonts for jobs that have none: every lookup is `NotFound`.
pub(crate) struct NoLayers;

impl xformd::exec::LayerSource for NoLayers {
    fn image(&self, path: &str) -> xformd::Result<xformd::media::Frame> {
        Err(xformd::Error::new(xformd::ErrorKind::NotFound, path))
    }
    fn font(&self, path: &str) -> xformd::Result<Vec<u8>> {
        Err(xformd::Error::new(xformd::ErrorKind::NotFound, path))
    }
}

/// A GPU backend with a device of its own (for tests that count its submissions or destroy
/// it); `None` when there is no adapter, which fails the test when `XFORMD_GPU_TESTS` is set.
#[cfg(feature = "gpu")]
pub(crate) fn own_gpu(what: &str) -> Option<std::sync::Arc<xformd::exec::gpu::GpuBackend>> {
    match xformd::exec::gpu::GpuBackend::new() {
        Ok(g) => Some(std::sync::Arc::new(g)),
        Err(e) if gpu_tests_required() => panic!("XFORMD_GPU_TESTS is set but no GPU backend: {e}"),
        Err(e) => {
            eprintln!("skipping {what}: {e}");
            None
        }
    }
}

/// A stand-in for the FFmpeg helper that crashes as a crash inside an FFmpeg decoder would:
/// it writes part of the cut's output (the part file the request names after
/// `"output":"`) and kills itself with SIGSEGV. Written into `dir`.
#[cfg(all(feature = "video", unix))]
pub(crate) fn crashing_ffmpeg_helper(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let helper = dir.join("crashing-helper");
    let script = "#!/bin/sh\nout=$(sed -n 's/.*\"output\":\"\\([^\"]*\\)\".*/\\1/p')\n\
                  [ -n \"$out\" ] && printf partial > \"$out\"\nkill -SEGV $$\n";
    std::fs::write(&helper, script).unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    helper
}
