//! Attacks through client hints over the real front end and daemon on 127.0.0.1 (issue #12,
//! hole 8 and the cache-busting item of hole 9).

use reqwest::StatusCode;

use crate::common::{config, media_dir, start_server, Servers};

/// A server with the rendered-variant cache on, in its own temporary folder.
async fn cached_server(dir: &std::path::Path) -> Servers {
    let mut c = config(media_dir());
    c.backend.gpu = false;
    c.cache.enabled = true;
    c.cache.dir = dir.to_path_buf();
    start_server(c).await
}

async fn get_with(s: &Servers, path: &str, headers: &[(&str, String)]) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(s.url(path));
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    req.send().await.unwrap()
}

/// The daemon's cache total for `event` (`misses`, `entries`…), read from `/metrics`.
async fn cache_total(s: &Servers, event: &str) -> u64 {
    let text = reqwest::get(s.url("/metrics")).await.unwrap().text().await.unwrap();
    let needle = format!("event=\"{event}\"}}");
    let line = text.lines().find(|l| l.contains("cache") && l.contains(&needle)).unwrap_or_else(|| panic!("{text}"));
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

fn vary(r: &reqwest::Response) -> String {
    r.headers().get("vary").and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase()
}

/// Hole 8: a `w-auto` / `dpr-auto` response depends on `Sec-CH-Width` / `Sec-CH-DPR` (or
/// `Width` / `DPR`). Cached by a CDN under a year-long immutable Cache-Control with only
/// `Vary: Accept`, the first client's size would be served to every other screen. `Vary`
/// must name every header that changed the bytes.
#[tokio::test]
async fn attack_cdn_cache_poisoning_through_client_hints() {
    let s = start_server(config(media_dir())).await;
    let path = "/tr:w-auto,f-png/photos/LadyBird.jpg";
    let small = get_with(&s, path, &[("sec-ch-width", "200".into())]).await;
    assert_eq!(small.status(), StatusCode::OK);
    let v = vary(&small);
    assert!(v.contains("sec-ch-width") && v.contains("width"), "Vary does not name the width hint: {v:?}");
    let small = small.bytes().await.unwrap();
    let big = get_with(&s, path, &[("width", "600".into())]).await.bytes().await.unwrap();
    assert_ne!(small, big, "the legacy Width header is a hint too");

    let dpr = get_with(&s, "/tr:w-100,dpr-auto,f-png/photos/LadyBird.jpg", &[("sec-ch-dpr", "2".into())]).await;
    let v = vary(&dpr);
    assert!(v.contains("sec-ch-dpr") && v.contains("dpr"), "Vary does not name the DPR hint: {v:?}");
    assert!(!v.contains("width"), "a job without w-auto does not vary on Width: {v:?}");

    // A job that reads no hint varies on nothing (no needless CDN cache fragmentation).
    let fixed = get_with(&s, "/tr:w-100,f-png/photos/LadyBird.jpg", &[("sec-ch-width", "300".into())]).await;
    assert_eq!(vary(&fixed), "");
}

/// Hole 9, cache-busting: random hint values minted one daemon cache entry (and one render)
/// each, even for jobs that never read them. Unused hints are dropped and used ones rounded
/// onto a ladder, so twenty random values cost at most a couple of renders.
#[tokio::test]
async fn attack_cache_busting_with_random_client_hints() {
    let dir = tempfile::tempdir().unwrap();
    let s = cached_server(dir.path()).await;
    let mut fixed = Vec::new();
    for i in 0..20u32 {
        let hints = [("sec-ch-width", (137 + i * 31).to_string()), ("sec-ch-dpr", format!("1.{i}"))];
        let r = get_with(&s, "/tr:w-64,f-png/photos/LadyBird.jpg", &hints).await;
        assert_eq!(r.status(), StatusCode::OK);
        fixed.push(r.bytes().await.unwrap());
    }
    assert!(fixed.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(cache_total(&s, "misses").await, 1, "hints a job does not read must not reach the cache key");

    // w-auto: widths 301..=399 all render at the 400 rung.
    let mut auto = Vec::new();
    for i in 0..20u32 {
        let r =
            get_with(&s, "/tr:w-auto,f-png/photos/LadyBird.jpg", &[("sec-ch-width", (301 + i * 5).to_string())]).await;
        auto.push(r.bytes().await.unwrap());
    }
    assert!(auto.windows(2).all(|w| w[0] == w[1]), "one ladder rung, one output");
    assert_eq!(cache_total(&s, "misses").await, 2);
    let frame = crate::common::decode(&auto[0]);
    assert_eq!(frame.width, 400);
}
