//! The object-store cache backend (`cache.backend = "object_store"`) against a real
//! S3-protocol server (`moto_server`, started by `origins::moto`): entries survive a restart
//! of the daemon, identical concurrent requests render once, the byte bound evicts, and the
//! cache counters reach `/metrics`.

use std::sync::atomic::{AtomicUsize, Ordering};

use object_store::ObjectStore;
use tokio_stream::StreamExt;
use xformd::app::App;
use xformd::config::Config;
use xformd::job::BackendPref;
use xformd::pipeline::transform;

use crate::cache::{assert_twenty_identical_requests_render_once, get, input, stats};
use crate::common::{config, media_dir, start_server};
use crate::origins::{bucket, moto, Moto};

/// A fresh bucket name per test (they share one moto_server per test, but keep them apart).
fn bucket_name(test: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("cache-{test}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A CPU-only configuration whose cache is `bucket` on `moto`, bounded to `max_bytes`.
fn object_cache_config(moto: &Moto, bucket: &str, max_bytes: u64) -> Config {
    let mut c = config(media_dir());
    c.backend.gpu = false;
    c.cache.enabled = true;
    c.cache.max_bytes = max_bytes;
    c.cache.backend = "object_store".into();
    let o = &mut c.cache.object_store;
    o.endpoint = moto.endpoint.clone();
    o.bucket = bucket.into();
    o.prefix = "renders".into();
    o.access_key_id = "testing".into();
    o.secret_access_key = "testing".into();
    c
}

/// Object keys in the bucket under `renders/`.
async fn objects(store: &dyn ObjectStore) -> Vec<String> {
    let prefix = object_store::path::Path::from("renders");
    store.list(Some(&prefix)).map(|m| m.unwrap().location.to_string()).collect().await
}

/// The first request renders and writes an object; a fresh daemon (new process state, same
/// bucket) answers the same request from the bucket, and its `/metrics` shows the hit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_daemon_serves_hits_from_the_bucket() {
    let Some(moto) = moto().await else { return };
    let name = bucket_name("restart");
    let store = bucket(&moto, &name).await;
    let c = object_cache_config(&moto, &name, 64 << 20);
    let url = "/tr:w-80,f-png/photos/LadyBird.jpg";
    let first = {
        let s = start_server(c.clone()).await;
        let r = reqwest::get(s.url(url)).await.unwrap();
        assert_eq!(r.status(), 200);
        let metrics = reqwest::get(s.url("/metrics")).await.unwrap().text().await.unwrap();
        assert!(metrics.contains(r#"xformd_cache{event="misses"} 1"#), "{metrics}");
        r.bytes().await.unwrap()
    };
    let keys = objects(store.as_ref()).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(keys[0].starts_with("renders/") && keys[0].ends_with(".xfc"), "{keys:?}");

    let s = start_server(c.clone()).await;
    let r = reqwest::get(s.url(url)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap(), first, "the same bytes, from the bucket");
    let metrics = reqwest::get(s.url("/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"xformd_cache{event="hits"} 1"#), "{metrics}");
    assert!(metrics.contains(r#"xformd_cache{event="misses"} 0"#), "{metrics}");

    // The metadata came back with the bytes: the same content type and size as rendered.
    let app = App::new(c).unwrap();
    app.cache.as_ref().unwrap().indexed().await;
    assert_eq!(stats(&app).entries, 1, "the start-up listing found the entry");
    // As the front end asked: backend `auto` (part of the key), any format accepted.
    let mut same = input(url);
    same.backend = BackendPref::Auto;
    same.accept = "*/*".into();
    let out = transform(&app, same).await.unwrap();
    assert_eq!((out.mime, out.width), ("image/png", 80));
    assert_eq!((stats(&app).hits, stats(&app).misses), (1, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_identical_requests_render_once() {
    let Some(moto) = moto().await else { return };
    let name = bucket_name("coalesce");
    let store = bucket(&moto, &name).await;
    let app = App::new(object_cache_config(&moto, &name, 64 << 20)).unwrap();
    assert_twenty_identical_requests_render_once(&app).await;
    assert_eq!(objects(store.as_ref()).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_byte_bound_evicts_the_least_recently_used_object() {
    let Some(moto) = moto().await else { return };
    // Measure one entry, then bound the cache to about two and a half of them.
    let probe_name = bucket_name("probe");
    bucket(&moto, &probe_name).await;
    let probe = App::new(object_cache_config(&moto, &probe_name, 64 << 20)).unwrap();
    get(&probe, "/tr:w-200,h-200,f-png/photos/LadyBird.jpg").await;
    let one = stats(&probe).bytes;
    assert!(one > 1000);

    let name = bucket_name("evict");
    let store = bucket(&moto, &name).await;
    let bound = one * 5 / 2 + one / 10;
    let app = App::new(object_cache_config(&moto, &name, bound)).unwrap();
    app.cache.as_ref().unwrap().indexed().await;
    for w in [200, 201, 202] {
        get(&app, &format!("/tr:w-{w},h-200,f-png/photos/LadyBird.jpg")).await;
    }
    let s = stats(&app);
    assert!(s.evictions >= 1, "{s:?}");
    assert!(s.bytes <= bound, "{s:?}");
    assert_eq!(objects(store.as_ref()).await.len(), 2, "the evicted object was deleted from the bucket");
    get(&app, "/tr:w-202,h-200,f-png/photos/LadyBird.jpg").await;
    assert_eq!(stats(&app).hits, 1, "the newest entry is still there");
    get(&app, "/tr:w-200,h-200,f-png/photos/LadyBird.jpg").await;
    assert_eq!(stats(&app).misses, 4, "the oldest entry was evicted");
}
