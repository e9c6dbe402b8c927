//! Issue #13: a front end spreads its calls over every daemon of a fleet (client-side, as over
//! a Kubernetes headless Service), instead of pinning one HTTP/2 connection to one daemon.
//! Two real daemons on 127.0.0.1, one front end given both addresses; each daemon counts the
//! calls it served in its own metrics.

use std::sync::Arc;

use tokio::net::TcpListener;
use xformd::app::App;
use xformd::frontend::{self, FrontState};
use xformd::metrics::Metrics;
use xformd::service;
use xformd::url::UrlOptions;

use crate::common::{config, media_dir};

/// Calls a daemon served, from its own request counter.
fn served(m: &Metrics) -> u64 {
    m.encode()
        .lines()
        .filter(|l| l.starts_with("xformd_requests_total{") && l.contains("status=\"200\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_front_end_balances_its_calls_over_every_daemon() {
    let mut c = config(media_dir());
    c.backend.gpu = false;
    let mut daemons = Vec::new();
    for _ in 0..2 {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let metrics = Arc::new(Metrics::new());
        let app = App::new(c.clone()).unwrap().with_rpc_metrics(metrics.clone());
        let task = tokio::spawn(service::serve(l, std::future::pending::<()>(), app));
        daemons.push((addr, metrics, task));
    }
    let addrs: Vec<_> = daemons.iter().map(|d| d.0).collect();
    // The URL's own address is never dialled: the fixed list replaces name resolution.
    let state = FrontState::new("http://daemons.invalid:50051", UrlOptions::default(), "no-store", false)
        .unwrap()
        .with_daemon_addresses(addrs)
        .unwrap();
    let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let front = http.local_addr().unwrap();
    let front_task = tokio::spawn(frontend::serve(http, std::future::pending::<()>(), state));

    // Concurrent requests, so that pending counts differ and both daemons get picked.
    let client = reqwest::Client::new();
    let mut calls = Vec::new();
    for i in 0..24 {
        let url = format!("http://{front}/tr:w-{},f-png/photos/coffee.png", 40 + i);
        let client = client.clone();
        calls.push(tokio::spawn(async move { client.get(url).send().await.unwrap().status() }));
    }
    for c in calls {
        assert_eq!(c.await.unwrap(), reqwest::StatusCode::OK);
    }
    let counts: Vec<u64> = daemons.iter().map(|d| served(&d.1)).collect();
    assert_eq!(counts.iter().sum::<u64>(), 24, "{counts:?}");
    assert!(counts.iter().all(|&n| n >= 3), "every daemon served a share: {counts:?}");
    front_task.abort();
    for d in daemons {
        d.2.abort();
    }
}
