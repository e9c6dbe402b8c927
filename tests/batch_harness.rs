//! The fleet harness of the batch tests (`batch`, `batch_cli`): generated sources, manifests,
//! the single-render reference outputs, and daemons on 127.0.0.1 that a test can kill.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use xformd::app::App;
use xformd::batch::{naming, BatchArgs};
use xformd::config::Config;
use xformd::job::{BackendPref, Hints};
use xformd::pipeline::{transform, TransformInput};
use xformd::url::UrlOptions;

use crate::common::config;

/// Six variants: sizes that shrink a JPEG on load by 1, 2 and 4 (several decode groups),
/// an explicit format, a chain (`:`, a hashed file name) and a quality.
pub(crate) const VARIANTS: [&str; 6] =
    ["w-200,h-150,c-at_max", "w-120,f-webp", "w-64,h-64", "w-300,q-60", "w-100:e-grayscale", "w-90,f-png"];

/// A CPU-only test configuration over `media` (no GPU start-up per daemon; the GPU path is
/// covered by tests/variants.rs and the backend tests).
pub(crate) fn cpu_config(media: &Path) -> Config {
    let mut c = config(media.to_path_buf());
    c.backend.gpu = false;
    c
}

/// `n` generated sources under `dir`: JPEGs of a few sizes in `a/` and `b/` (same names, so
/// folders must keep them apart) and transparent PNGs (`f-auto` picks PNG for them).
pub(crate) fn generate_media(dir: &Path, n: usize) -> Vec<String> {
    let mut sources = Vec::new();
    for i in 0..n {
        let (w, h) = [(400, 300), (320, 480), (520, 260)][i % 3];
        let img = image::RgbaImage::from_fn(w, h, |x, y| {
            let v = |k: u32| u8::try_from((x * k + y * (k + 3) + u32::try_from(i).unwrap() * 37) % 256).unwrap();
            image::Rgba([v(3), v(5), v(7), if i % 4 == 3 { u8::try_from((x + y) % 256).unwrap() } else { 255 }])
        });
        let (folder, ext) = if i % 4 == 3 {
            ("p", "png")
        } else if i % 2 == 0 {
            ("a", "jpg")
        } else {
            ("b", "jpg")
        };
        let rel = format!("{folder}/img{}.{ext}", i / 2);
        let path = dir.join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        if ext == "png" {
            img.save(&path).unwrap();
        } else {
            image::DynamicImage::ImageRgba8(img).to_rgb8().save(&path).unwrap();
        }
        sources.push(rel);
    }
    sources
}

/// A CSV manifest (header, one row per pair, quoted variants) of `sources` × `variants`.
pub(crate) fn write_csv(path: &Path, sources: &[String], variants: &[&str]) {
    let mut text = String::from("source,variant\n");
    for s in sources {
        for v in variants {
            text.push_str(&format!("{s},\"{v}\"\n"));
        }
    }
    std::fs::write(path, text).unwrap();
}

/// The bytes `xformd render /tr:<variant>/<source>` produces with `config` (the same calls:
/// `url::to_job`, then `pipeline::transform`), by output key.
pub(crate) async fn expected(config: &Config, sources: &[String], variants: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let app = App::new(config.clone()).unwrap();
    let mut out = BTreeMap::new();
    for s in sources {
        for v in variants {
            let job = xformd::url::to_job(&format!("/tr:{v}/{s}"), None, &UrlOptions::default()).unwrap().job;
            let input = TransformInput {
                job,
                backend: BackendPref::Auto,
                accept: "image/jpeg".into(),
                hints: Hints::default(),
            };
            let o = transform(&app, input).await.unwrap();
            out.insert(naming::key(&format!("/{s}"), v, o.mime), o.data);
        }
    }
    out
}

/// Every output file under `dir` (journal and temporaries excluded), by key.
pub(crate) fn outputs(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_str().unwrap().to_string();
            if p.is_dir() {
                walk(root, &p, out);
            } else if !name.starts_with('.') {
                let key = p.strip_prefix(root).unwrap().to_str().unwrap().replace('\\', "/");
                out.insert(key, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Assert `got` and `want` hold the same keys and bytes, naming the first difference.
pub(crate) fn assert_same(got: &BTreeMap<String, Vec<u8>>, want: &BTreeMap<String, Vec<u8>>) {
    let missing: Vec<&String> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<&String> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing {missing:?}, unexpected {extra:?}");
    for (k, v) in want {
        assert!(got[k] == *v, "{k}: {} bytes, a single render gives {} bytes", got[k].len(), v.len());
    }
}

/// A daemon on 127.0.0.1 in a runtime of its own, so that [`Daemon::kill`] can drop every
/// task and socket at once, as a killed process would (a graceful shutdown would drain).
pub(crate) struct Daemon {
    pub(crate) addr: SocketAddr,
    /// Its daemon-only metrics (each rendered variant counts as a request).
    pub(crate) metrics: std::sync::Arc<xformd::metrics::Metrics>,
    kill: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Daemon {
    pub(crate) fn start(config: Config) -> Daemon {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (kill, killed) = std::sync::mpsc::channel::<()>();
        let metrics = std::sync::Arc::new(xformd::metrics::Metrics::new());
        let m = metrics.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            let _enter = rt.enter();
            let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            let app = App::new(config).unwrap().with_rpc_metrics(m);
            rt.spawn(xformd::service::serve(listener, std::future::pending(), app));
            // Until killed (or the handle dropped); then no task of this daemon runs again.
            let _ = killed.recv();
            rt.shutdown_background();
        });
        let addr = addr_rx.recv().unwrap();
        Daemon { addr, metrics, kill: Some(kill), thread: Some(thread) }
    }

    /// Variants this daemon rendered (its `xformd_requests_total` with status 200).
    pub(crate) fn rendered(&self) -> u64 {
        let text = self.metrics.encode();
        text.lines()
            .filter(|l| l.starts_with("xformd_requests_total{") && l.contains("status=\"200\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stop at once: in-flight calls break, the port refuses connections.
    pub(crate) fn kill(&mut self) {
        drop(self.kill.take());
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Batch arguments for `manifest` into `out` over `daemons`, quiet.
pub(crate) fn args(manifest: &Path, out: &Path, daemons: &[&Daemon]) -> BatchArgs {
    BatchArgs {
        manifest: Some(manifest.to_str().unwrap().to_string()),
        daemons: daemons.iter().map(|d| d.url()).collect(),
        out: out.to_str().unwrap().to_string(),
        quiet: true,
        ..BatchArgs::default()
    }
}
