//! The rendered-variant cache through the real pipeline: hits, LRU eviction under the byte
//! bound, persistence across restarts, request coalescing, leftovers of interrupted writes.

use std::path::Path;

use xformd::app::App;
use xformd::config::Config;
use xformd::job::BackendPref;
use xformd::job::Hints;
use xformd::pipeline::{transform, TransformInput, TransformOutput};
use xformd::url::{to_job, UrlOptions};

use crate::common::{config, media_dir};

/// A CPU-only app over the bundled media with its cache in `dir`.
fn app(dir: &Path, max_bytes: u64) -> App {
    App::new(cache_config(dir, max_bytes)).unwrap()
}

fn cache_config(dir: &Path, max_bytes: u64) -> Config {
    let mut c = config(media_dir());
    c.backend.gpu = false;
    c.cache.enabled = true;
    c.cache.dir = dir.to_path_buf();
    c.cache.max_bytes = max_bytes;
    c
}

/// A CPU transform of the URL path `path`, accepting JPEG (shared with tests/cache_object.rs).
pub(crate) fn input(path: &str) -> TransformInput {
    let job = to_job(path, None, &UrlOptions::default()).unwrap().job;
    TransformInput { job, backend: BackendPref::Cpu, accept: "image/jpeg".into(), hints: Hints::default() }
}

/// Render the URL path `path` through `app`'s pipeline (and its cache).
pub(crate) async fn get(app: &App, path: &str) -> TransformOutput {
    transform(app, input(path)).await.unwrap()
}

/// The counters of `app`'s cache, which must be enabled.
pub(crate) fn stats(app: &App) -> xformd::cache::CacheStats {
    app.cache.as_ref().expect("cache enabled").stats()
}

/// Send twenty identical requests to `app` at once and check that they all answer the same
/// bytes from one render (the others hit or wait for it), whatever the cache backend.
pub(crate) async fn assert_twenty_identical_requests_render_once(app: &App) {
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move { get(&app, "/tr:w-300,bl-4,f-png/photos/Wine_by_Jakkub_Mede.jpg").await }));
    }
    let mut outputs = Vec::new();
    for t in tasks {
        outputs.push(t.await.unwrap().data);
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
    let s = stats(app);
    assert_eq!(s.misses, 1, "one render for twenty requests: {s:?}");
    assert_eq!(s.hits + s.coalesced, 19, "{s:?}");
}

#[tokio::test]
async fn second_identical_request_is_a_hit() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path(), 64 << 20);
    let first = get(&app, "/tr:w-120,f-png/photos/LadyBird.jpg").await;
    assert_eq!((stats(&app).hits, stats(&app).misses), (0, 1));
    let second = get(&app, "/tr:w-120,f-png/photos/LadyBird.jpg").await;
    assert_eq!((stats(&app).hits, stats(&app).misses), (1, 1));
    assert_eq!(first.data, second.data);
    assert_eq!((second.mime, second.width, second.height), ("image/png", first.width, first.height));
    // Another transformation, or the same one with another backend preference, is another entry.
    get(&app, "/tr:w-121,f-png/photos/LadyBird.jpg").await;
    let mut gpu = input("/tr:w-120,f-png/photos/LadyBird.jpg");
    gpu.backend = BackendPref::Gpu;
    transform(&app, gpu).await.unwrap();
    assert_eq!((stats(&app).hits, stats(&app).misses, stats(&app).entries), (1, 3, 3));
}

#[tokio::test]
async fn a_changed_source_is_a_miss() {
    let media = tempfile::tempdir().unwrap();
    std::fs::copy(media_dir().join("photos/flower.webp"), media.path().join("f.webp")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut c = cache_config(dir.path(), 64 << 20);
    c.media.root = media.path().to_path_buf();
    let app = App::new(c).unwrap();
    get(&app, "/tr:w-50,f-png/f.webp").await;
    // Same mtime second is possible: change the size, which is part of the file validator.
    std::fs::copy(media_dir().join("photos/LadyBird.jpg"), media.path().join("f.webp")).unwrap();
    let after = get(&app, "/tr:w-50,f-png/f.webp").await;
    assert_eq!(stats(&app).misses, 2, "the new source was rendered, not served from the cache");
    assert!(after.height > 0);
}

#[tokio::test]
async fn least_recently_used_entries_are_evicted_over_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    // Measure one entry, then bound the cache to about two and a half of them.
    let probe = app(tempfile::tempdir().unwrap().path(), 64 << 20);
    get(&probe, "/tr:w-200,h-200,f-png/photos/LadyBird.jpg").await;
    let one = stats(&probe).bytes;
    assert!(one > 1000);
    let app = app(dir.path(), one * 5 / 2 + one / 10);
    for w in [200, 201, 202] {
        get(&app, &format!("/tr:w-{w},h-200,f-png/photos/LadyBird.jpg")).await;
    }
    let s = stats(&app);
    assert!(s.evictions >= 1, "{s:?}");
    assert!(s.bytes <= one * 5 / 2 + one / 10, "{s:?}");
    // The first (least recently used) was evicted: asking again renders it.
    get(&app, "/tr:w-202,h-200,f-png/photos/LadyBird.jpg").await;
    assert_eq!(stats(&app).hits, 1, "the newest entry is still there");
    get(&app, "/tr:w-200,h-200,f-png/photos/LadyBird.jpg").await;
    assert_eq!(stats(&app).misses, 4, "the oldest entry was evicted");
}

#[tokio::test]
async fn entries_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let before = {
        let app = app(dir.path(), 64 << 20);
        get(&app, "/tr:w-90,f-png/photos/coffee.png").await
    };
    let app = app(dir.path(), 64 << 20);
    assert_eq!(stats(&app).entries, 1);
    let after = get(&app, "/tr:w-90,f-png/photos/coffee.png").await;
    assert_eq!((stats(&app).hits, stats(&app).misses), (1, 0));
    assert_eq!(before.data, after.data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_identical_requests_render_once() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path(), 64 << 20);
    assert_twenty_identical_requests_render_once(&app).await;
}

#[tokio::test]
async fn leftovers_of_interrupted_writes_are_ignored_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let shard = dir.path().join("7f");
    std::fs::create_dir_all(&shard).unwrap();
    let tmp = shard.join(format!("{}.1.0.tmp", "7f".repeat(32)));
    std::fs::write(&tmp, b"XFC1\x10\x00\x00\x00{\"key\":").unwrap();
    let app = app(dir.path(), 64 << 20);
    assert!(!tmp.exists(), "the temporary file was removed");
    assert_eq!(stats(&app).entries, 0);
    let out = get(&app, "/tr:w-64,f-png/photos/flower.webp").await;
    assert_eq!(out.width, 64);
    assert_eq!((stats(&app).misses, stats(&app).entries), (1, 1));
}

#[tokio::test]
async fn failed_renders_leave_no_file() {
    let media = tempfile::tempdir().unwrap();
    std::fs::write(media.path().join("broken.jpg"), b"\xff\xd8\xff\xe0 not really a jpeg").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut c = cache_config(dir.path(), 64 << 20);
    c.media.root = media.path().to_path_buf();
    let app = App::new(c).unwrap();
    assert!(transform(&app, input("/tr:w-10/broken.jpg")).await.is_err());
    assert!(transform(&app, input("/tr:w-10/broken.jpg")).await.is_err());
    assert_eq!(stats(&app).entries, 0);
    assert_eq!(stats(&app).misses, 2, "a failure is not cached");
    let files = walk(dir.path());
    assert!(files.is_empty(), "no file left behind: {files:?}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// End to end over HTTP: the second request is answered from the cache folder that the
/// first one filled.
#[tokio::test]
async fn http_requests_fill_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let s = crate::common::start_server(cache_config(dir.path(), 64 << 20)).await;
    let url = s.url("/tr:w-80,f-png/photos/LadyBird.jpg");
    let a = reqwest::get(&url).await.unwrap();
    assert_eq!(a.status(), 200);
    let a = a.bytes().await.unwrap();
    let b = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    assert_eq!(a, b);
    let entries: Vec<_> = walk(dir.path()).into_iter().filter(|p| p.extension().is_some_and(|e| e == "xfc")).collect();
    assert_eq!(entries.len(), 1);
}
