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
