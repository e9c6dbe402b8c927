//! Attacks on the front end's connections (issue #12, hole 6): slowloris and connection
//! floods against the real front end on 127.0.0.1.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use xformd::frontend::listener::ConnectionLimits;

use crate::common::{config, media_dir, start_server_with, Servers};

async fn server(limits: ConnectionLimits) -> Servers {
    start_server_with(config(media_dir()), move |f| f.with_connection_limits(limits)).await
}

/// Wait (at most `within`) for the server to close `tcp`: a read returns EOF or an error.
async fn closed_within(tcp: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 512];
    loop {
        match tokio::time::timeout(within, tcp.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            // A 408 or similar before the close is fine; keep reading until EOF.
            Ok(Ok(_)) => {}
        }
    }
}

/// Hole 6: two hundred connections that send half a request line and then nothing held the
/// front end open forever (no header-read timeout). They are closed after
/// `header_read_timeout`, and a normal client is served meanwhile.
#[tokio::test]
async fn attack_slowloris_half_open_connections() {
    let limits = ConnectionLimits { header_read_timeout: Duration::from_secs(1), ..ConnectionLimits::default() };
    let s = server(limits).await;
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut tcp = TcpStream::connect(s.http).await.unwrap();
        tcp.write_all(b"GET /tr:w-40/photos/coffee.png HTTP/1.1\r\nHost: x\r\nX-a: ").await.unwrap();
        slow.push(tcp);
    }
    let ok = reqwest::get(s.url("/tr:w-40/photos/coffee.png")).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK, "a normal client is served while the slow ones wait");
    let started = Instant::now();
    for (i, tcp) in slow.iter_mut().enumerate() {
        assert!(closed_within(tcp, Duration::from_secs(5)).await, "slow connection {i} still open");
    }
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());

    // An idle keep-alive connection is closed the same way (the timer runs while waiting
    // for the next request).
    let mut idle = TcpStream::connect(s.http).await.unwrap();
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await, "idle connection kept open");
}

/// Hole 6: no connection cap. With `max_connections` open, one more is answered 503 and
/// closed at once, and a slot frees when a connection closes.
#[tokio::test]
async fn attack_connection_flood_over_the_cap() {
    let limits = ConnectionLimits { max_connections: 20, ..ConnectionLimits::default() };
    let s = server(limits).await;
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(TcpStream::connect(s.http).await.unwrap());
    }
    // Let the accept loop take all twenty before the extra one arrives.
    let client = reqwest::Client::new();
    let mut over = None;
    for _ in 0..50 {
        let r = client.get(s.url("/healthz")).send().await.unwrap();
        if r.status() == StatusCode::SERVICE_UNAVAILABLE {
            over = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let over = over.expect("the 21st connection was served: no cap");
    assert_eq!(over.headers().get("retry-after").unwrap(), "1");
    drop(held);
    let mut served = false;
    for _ in 0..50 {
        if client.get(s.url("/healthz")).send().await.is_ok_and(|r| r.status() == StatusCode::OK) {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served, "slots are given back when connections close");
}

/// Hole 9: 5xx bodies carried internal details (the daemon's address and transport error,
/// temporary file names, folders). With the daemon down, the front end answers 503 with a
/// fixed message; the details are in the log under the `X-Request-Id` it returns.
#[tokio::test]
async fn attack_error_bodies_leak_internal_details() {
    // A port nobody listens on: bind, note it, close.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let state = xformd::frontend::FrontState::new(
        &format!("http://{dead}"),
        xformd::url::UrlOptions::default(),
        "public, max-age=60",
        false,
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = listener.local_addr().unwrap();
    tokio::spawn(xformd::frontend::serve(listener, std::future::pending(), state));
    let r = reqwest::get(format!("http://{http}/tr:w-40/photos/coffee.png")).await.unwrap();
    assert!(r.status().is_server_error(), "{}", r.status());
    assert!(r.headers().contains_key("x-request-id"));
    let body = r.text().await.unwrap();
    let port = dead.port().to_string();
    for leak in ["127.0.0.1", port.as_str(), "transport", "/tmp", "/work"] {
        assert!(!body.contains(leak), "5xx body leaks {leak:?}: {body}");
    }
    let ready = reqwest::get(format!("http://{http}/readyz")).await.unwrap();
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = ready.text().await.unwrap();
    assert!(!body.contains("127.0.0.1") && !body.contains(&port), "/readyz leaks: {body}");
}

/// Hole 9: a source FFmpeg cannot decode answered 422 with FFmpeg's message, which named the
/// temporary file (its absolute path and the daemon's PID). The message names the request's
/// path only.
#[tokio::test]
async fn attack_undecodable_avif_reveals_temporary_paths() {
    let dir = tempfile::tempdir().unwrap();
    // An ISO-BMFF `ftyp avif` header followed by garbage: sniffed as AVIF, then refused.
    let mut bytes = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf".to_vec();
    bytes.extend(std::iter::repeat_n(0xA5u8, 4000));
    std::fs::write(dir.path().join("bad.avif"), bytes).unwrap();
    let s = crate::common::start_server(config(dir.path().to_path_buf())).await;
    let r = reqwest::get(s.url("/tr:w-40/bad.avif")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    let tmp = std::env::temp_dir();
    let pid = std::process::id().to_string();
    assert!(!body.contains(tmp.to_str().unwrap()) && !body.contains(&pid), "422 body leaks a path or PID: {body}");
    assert!(!body.contains(dir.path().to_str().unwrap()), "422 body leaks the media folder: {body}");
}
