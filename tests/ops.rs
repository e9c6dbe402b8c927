//! Operations: metrics, request ids, admission (429), URL limits, signed URLs, SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::common::{config, media_dir, start_server_with};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_status_dialect_and_backend() {
    let s = start_server_with(config(media_dir()), |f| f).await;
    assert_eq!(reqwest::get(s.url("/tr:w-50/photos/coffee.png")).await.unwrap().status(), StatusCode::OK);
    assert_eq!(reqwest::get(s.url("/tr:w-50/photos/missing.png")).await.unwrap().status(), StatusCode::NOT_FOUND);
    let text = reqwest::get(s.url("/metrics")).await.unwrap().text().await.unwrap();
    assert!(text.contains(r#"xformd_requests_total{status="200",dialect="imagekit",backend="#), "{text}");
    assert!(text.contains(r#"xformd_requests_total{status="404",dialect="imagekit",backend="none"} 1"#), "{text}");
    assert!(text.contains(r#"xformd_stage_seconds_count{stage="decode"} 1"#), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_export_cache_totals_and_source_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = config(media_dir());
    c.cache.enabled = true;
    c.cache.dir = dir.path().to_path_buf();
    let s = start_server_with(c, |f| f).await;
    for _ in 0..2 {
        assert_eq!(reqwest::get(s.url("/tr:w-40/photos/coffee.png")).await.unwrap().status(), StatusCode::OK);
    }
    let text = reqwest::get(s.url("/metrics")).await.unwrap().text().await.unwrap();
    assert!(text.contains(r#"xformd_cache{event="hits"} 1"#), "{text}");
    assert!(text.contains(r#"xformd_cache{event="misses"} 1"#), "{text}");
    let coffee = std::fs::metadata(media_dir().join("photos/coffee.png")).unwrap().len();
    assert!(text.contains(&format!("xformd_source_bytes {}", 2 * coffee)), "{text}");
    assert!(text.contains("xformd_queue_depth 0"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_id_is_echoed_or_made() {
    let s = start_server_with(config(media_dir()), |f| f).await;
    let client = reqwest::Client::new();
    let r = client.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = client.get(s.url("/tr:w-20/photos/coffee.png")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = client.get(s.url("/tr:w-20/photos/coffee.png")).send().await.unwrap();
    assert!(!r.headers()["x-request-id"].is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlong_urls_are_414() {
    let s = start_server_with(config(media_dir()), |f| f.with_max_url_bytes(100)).await;
    let long = format!("/tr:w-10/photos/{}.jpg", "a".repeat(200));
    assert_eq!(reqwest::get(s.url(&long)).await.unwrap().status(), StatusCode::URI_TOO_LONG);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_headers_are_431() {
    let s = start_server_with(config(media_dir()), |f| f.with_max_header_bytes(2000)).await;
    let client = reqwest::Client::new();
    let url = s.url("/tr:w-10/photos/LadyBird.jpg");
    let r = client.get(&url).header("x-padding", "a".repeat(4000)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["key"], "headers");
    // Ordinary requests under the limit still pass.
    assert_eq!(client.get(&url).send().await.unwrap().status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_429_with_retry_after() {
    let mut c = config(media_dir());
    c.limits.max_concurrent_jobs = 1;
    c.limits.max_queued_jobs = 0;
    let s = start_server_with(c, |f| f).await;
    // Admission comes before the fetch, so the first request holds the only permit from the
    // moment it arrives; a modest render (a second or so in a debug build) is enough for the
    // other seven to find it taken, and stays far below the front end's 30 s deadline even
    // on a loaded CI machine (a 2000 px σ 10 blur took 18 s there and timed out).
    let url = s.url("/tr:w-1200,bl-6/photos/LadyBird.jpg");
    let mut handles = Vec::new();
    for _ in 0..8 {
        let url = url.clone();
        handles.push(tokio::spawn(async move { reqwest::get(url).await.unwrap() }));
    }
    let (mut ok, mut busy) = (0, 0);
    for h in handles {
        let r = h.await.unwrap();
        match r.status() {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(r.headers()["retry-after"], "1");
                busy += 1;
            }
            other => panic!("unexpected {other}: {}", r.text().await.unwrap_or_default()),
        }
    }
    assert!(ok >= 1 && busy >= 1, "ok={ok} busy={busy}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_urls_are_enforced() {
    use xformd::frontend::signature::{imagekit_signature, SigningConfig};
    let signing = SigningConfig { imagekit_key: Some("k3y".into()), cloudinary_secret: None, required: true };
    let s = start_server_with(config(media_dir()), move |f| f.with_signing(signing.clone())).await;
    let unsigned = reqwest::get(s.url("/tr:w-30/photos/coffee.png")).await.unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    let sig = imagekit_signature("k3y", "tr:w-30/photos/coffee.png9999999999");
    let signed = reqwest::get(s.url(&format!("/tr:w-30/photos/coffee.png?ik-s={sig}"))).await.unwrap();
    assert_eq!(signed.status(), StatusCode::OK);
    let tampered = reqwest::get(s.url(&format!("/tr:w-31/photos/coffee.png?ik-s={sig}"))).await.unwrap();
    assert_eq!(tampered.status(), StatusCode::UNAUTHORIZED);
}

#[test]
fn sigterm_drains_and_exits_zero() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xformd"))
        .args(["serve", "--media", media_dir().to_str().unwrap(), "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0"])
        .env("XFORMD__BACKEND__GPU", "false")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    // The front end prints its address once it is listening.
    let addr = loop {
        let line = lines.next().expect("server exited early").unwrap();
        if let Some(rest) = line.strip_prefix("xformd front end: http://") {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    let body = reqwest::blocking::get(format!("http://{addr}/healthz")).unwrap().text().unwrap();
    assert_eq!(body, "ok");
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let started = Instant::now();
    loop {
        if let Some(code) = child.try_wait().unwrap() {
            assert!(code.success(), "exit status {code}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "did not exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn deploy_example_config_equals_the_defaults() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/config.example.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let body: String = text.lines().skip_while(|l| l.starts_with('#')).map(|l| format!("{l}\n")).collect();
    let dumped = xformd::config::Config::default().to_toml().unwrap();
    assert_eq!(body, dumped, "deploy/config.example.toml is stale: run `make config-example`");
}
