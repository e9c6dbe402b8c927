//! Origins against real servers: a web server this test starts on 127.0.0.1 (allow-list,
//! private addresses, redirects, size and time limits) and an S3-protocol server
//! (`moto_server` from the virtualenv `make test` creates) on 127.0.0.1, both through the
//! daemon's HTTP front end and directly.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::Path as UrlPath;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::ObjectStoreExt;
use xformd::config::{Config, OriginConfig};
use xformd::origin::http::{HttpOrigin, HttpSettings};
use xformd::origin::Origin;
use xformd::ErrorKind;

use crate::common::{config, decode, media_dir, start_server};

const ETAG: &str = "\"ladybird-v1\"";

async fn photo(UrlPath(name): UrlPath<String>) -> Response {
    match std::fs::read(media_dir().join("photos").join(&name)) {
        Ok(b) if !name.contains("..") => ([(header::ETAG, ETAG)], b).into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn redirect(to: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to.to_string())]).into_response()
}

/// The test web server: photos under `/m/photos/`, redirects, a slow answer, big bodies.
async fn web_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route("/m/photos/{name}", get(photo))
        .route("/m/to-photo", get(|| async { redirect("/m/photos/LadyBird.jpg") }))
        .route("/m/to-metadata", get(|| async { redirect("http://169.254.169.254/latest/meta-data/") }))
        .route("/m/to-other-host", get(|| async { redirect("http://example.com/a.jpg") }))
        .route("/m/loop", get(|| async { redirect("/m/loop") }))
        .route(
            "/m/slow.jpg",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route("/m/big.jpg", get(|| async { vec![0u8; 500_000] }))
        .route(
            "/m/stream.jpg",
            get(|| async {
                // Chunked, no Content-Length: the limit must hold while streaming.
                let chunks = (0..100).map(|_| Ok::<_, std::io::Error>(vec![0u8; 10_000]));
                Body::from_stream(tokio_stream::iter(chunks))
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn web_entry(addr: SocketAddr) -> OriginConfig {
    OriginConfig {
        prefix: "/web".into(),
        kind: "http".into(),
        base_url: format!("http://{addr}/m"),
        // The metadata address is on the allow-list so that the address check (not the host
        // check) is what refuses the redirect to it.
        allowed_hosts: vec!["127.0.0.1".into(), "localhost".into(), "169.254.169.254".into()],
        allow_private: true,
        timeout_ms: 1500,
        max_bytes: 400_000,
        ..OriginConfig::default()
    }
}

fn origin(entry: &OriginConfig) -> HttpOrigin {
    HttpOrigin::new(HttpSettings::from_config(entry, entry.max_bytes).unwrap()).unwrap()
}

#[tokio::test]
async fn web_origin_serves_a_photo_with_its_etag() {
    let addr = web_server().await;
    let o = origin(&web_entry(addr));
    let f = o.fetch("/photos/LadyBird.jpg").await.unwrap();
    assert_eq!(f.bytes, std::fs::read(media_dir().join("photos/LadyBird.jpg")).unwrap());
    assert!(f.etag.contains(ETAG), "{}", f.etag);
    assert_eq!(o.fetch("/photos/none.jpg").await.unwrap_err().kind(), ErrorKind::NotFound);
    let via_redirect = o.fetch("/to-photo").await.unwrap();
    assert_eq!(via_redirect.bytes, f.bytes);
}

#[tokio::test]
async fn web_origin_refuses_private_and_metadata_addresses() {
    let addr = web_server().await;
    // Loopback without allow_private: refused before any request.
    let mut strict = web_entry(addr);
    strict.allow_private = false;
    let e = origin(&strict).fetch("/photos/LadyBird.jpg").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unavailable);
    assert!(e.message().contains("loopback or private"), "{e}");
    // A host name that resolves to loopback is refused by the checking resolver.
    let mut named = web_entry(addr);
    named.base_url = format!("http://localhost:{}/m", addr.port());
    named.allow_private = false;
    let e = origin(&named).fetch("/photos/LadyBird.jpg").await.unwrap_err();
    assert!(e.message().contains("loopback or private"), "{e}");
    // allow_private opens loopback, not the metadata range: the redirect is re-checked.
    let o = origin(&web_entry(addr));
    let e = o.fetch("/to-metadata").await.unwrap_err();
    assert!(e.message().contains("link-local"), "{e}");
    // A redirect off the allow-list is refused.
    let e = o.fetch("/to-other-host").await.unwrap_err();
    assert!(e.message().contains("allow-list"), "{e}");
    let e = o.fetch("/loop").await.unwrap_err();
    assert!(e.message().contains("redirects"), "{e}");
}

#[tokio::test]
async fn web_origin_enforces_size_and_time_limits() {
    let addr = web_server().await;
    let o = origin(&web_entry(addr));
    assert_eq!(o.fetch("/big.jpg").await.unwrap_err().kind(), ErrorKind::TooLarge);
    assert_eq!(o.fetch("/stream.jpg").await.unwrap_err().kind(), ErrorKind::TooLarge);
    let started = Instant::now();
    assert_eq!(o.fetch("/slow.jpg").await.unwrap_err().kind(), ErrorKind::Timeout);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(4), "gave up after the 1.5 s limit, not the 5 s answer: {took:?}");
}

#[tokio::test]
async fn daemon_renders_from_the_web_origin() {
    let addr = web_server().await;
    let mut c = config(media_dir());
    c.origins.push(web_entry(addr));
    let s = start_server(c).await;
    let r = reqwest::get(s.url("/tr:w-100,f-png/web/photos/LadyBird.jpg")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(decode(&r.bytes().await.unwrap()).width, 100);
    // The local folder still serves paths no origin claims.
    let r = reqwest::get(s.url("/tr:w-50,f-png/photos/LadyBird.jpg")).await.unwrap();
    assert_eq!(r.status(), 200);
    let r = reqwest::get(s.url("/tr:w-50/web/slow.jpg")).await.unwrap();
    assert_eq!(r.status(), 504);
    let r = reqwest::get(s.url("/tr:w-50/web/photos/none.jpg")).await.unwrap();
    assert_eq!(r.status(), 404);
}

// ── S3 ───────────────────────────────────────────────────────────────────────────────────

/// A `moto_server` child process, killed when dropped (also used by `cache_object`).
pub(crate) struct Moto {
    child: Child,
    pub(crate) endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `moto_server` on a free loopback port, or `None` (skip) when it is not installed
/// and `XFORMD_S3_TESTS=1` is not set (`make test` sets it and installs moto).
pub(crate) async fn moto() -> Option<Moto> {
    let bin = std::env::var("XFORMD_MOTO_SERVER")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/moto_server").to_string());
    let required = std::env::var("XFORMD_S3_TESTS").is_ok_and(|v| v == "1");
    if !std::path::Path::new(&bin).exists() {
        assert!(!required, "XFORMD_S3_TESTS=1 but {bin} is missing (run `make s3-deps`)");
        eprintln!("skipping: {bin} not installed");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some(moto)
}

fn s3_entry(moto: &Moto, prefix: &str, bucket: &str) -> OriginConfig {
    OriginConfig {
        prefix: prefix.into(),
        kind: "s3".into(),
        endpoint: moto.endpoint.clone(),
        bucket: bucket.into(),
        region: "us-east-1".into(),
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        ..OriginConfig::default()
    }
}

pub(crate) async fn bucket(moto: &Moto, name: &str) -> Arc<object_store::aws::AmazonS3> {
    // object_store cannot create buckets; moto accepts an unsigned path-style PUT.
    let r = reqwest::Client::new().put(format!("{}/{name}", moto.endpoint)).send().await.unwrap();
    assert!(r.status().is_success(), "create bucket: {}", r.status());
    let store = AmazonS3Builder::new()
        .with_endpoint(&moto.endpoint)
        .with_allow_http(true)
        .with_bucket_name(name)
        .with_region("us-east-1")
        .with_access_key_id("testing")
        .with_secret_access_key("testing")
        .build()
        .unwrap();
    Arc::new(store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_renders_from_s3_plain_and_backup_layouts() {
    let Some(moto) = moto().await else { return };
    let photo = std::fs::read(media_dir().join("photos/LadyBird.jpg")).unwrap();
    let flower = std::fs::read(media_dir().join("photos/flower.webp")).unwrap();
    let plain = bucket(&moto, "media").await;
    plain.put(&ObjectPath::from("site/photos/LadyBird.jpg"), photo.clone().into()).await.unwrap();
    let backup = bucket(&moto, "backup").await;
    let folder = "res/demo/image/upload/folder/bird";
    backup.put(&ObjectPath::from(format!("{folder}/1600000000.jpg")), flower.into()).await.unwrap();
    backup.put(&ObjectPath::from(format!("{folder}/1700000000.jpg")), photo.clone().into()).await.unwrap();

    let mut plain_entry = s3_entry(&moto, "/s3", "media");
    plain_entry.bucket_prefix = "site".into();
    let mut backup_entry = s3_entry(&moto, "/cld", "backup");
    backup_entry.cloudinary_backup = "demo".into();
    let mut c: Config = config(media_dir());
    c.origins = vec![plain_entry.clone(), backup_entry];
    let s = start_server(c).await;

    let r = reqwest::get(s.url("/tr:w-64,f-png/s3/photos/LadyBird.jpg")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(decode(&r.bytes().await.unwrap()).width, 64);
    let r = reqwest::get(s.url("/tr:w-64/s3/photos/none.jpg")).await.unwrap();
    assert_eq!(r.status(), 404);
    // The backup layout serves the newest version (the JPEG, 1700000000), with or without
    // the kept `/image/upload` types.
    let want = decode(&photo);
    for path in ["/cld/folder/bird.jpg", "/cld/image/upload/folder/bird.jpg"] {
        let r = reqwest::get(s.url(&format!("/tr:w-40,f-png{path}"))).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let got = decode(&r.bytes().await.unwrap());
        assert_eq!(got.width, 40);
        let expected = 40 * want.height / want.width;
        assert!(got.height.abs_diff(expected) <= 1, "{path}: {} ≠ {expected}, not the newest version", got.height);
    }

    // The origin's identity is the object's ETag.
    let o = xformd::origin::s3::S3Origin::from_config(&plain_entry, 10 << 20).unwrap();
    let f = o.fetch("/photos/LadyBird.jpg").await.unwrap();
    assert_eq!(f.bytes, photo);
    assert!(f.etag.starts_with("etag:"), "{}", f.etag);
}
