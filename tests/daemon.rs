//! The production daemon: gRPC health that follows origin and GPU readiness (and the front
//! end's `/readyz` that asks it), and `/metrics` of a daemon without a front end, in process
//! and through the `xformd daemon --metrics-listen` binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;
use xformd::app::App;
use xformd::config::Config;
use xformd::service::convert::job_to_proto;
use xformd::service::proto as pb;
use xformd::service::proto::transformer_client::TransformerClient;
use xformd::url::{to_job, UrlOptions};

use crate::common::{config, gpu_tests_required, media_dir, start_server};

async fn health(grpc: std::net::SocketAddr) -> HealthClient<Channel> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{grpc}")).unwrap().connect().await.unwrap();
    HealthClient::new(channel)
}

async fn status(client: &mut HealthClient<Channel>, service: &str) -> ServingStatus {
    let r = client.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner();
    ServingStatus::try_from(r.status).unwrap()
}

/// A CPU-only daemon configuration over `media` that re-checks readiness every 50 ms.
fn quick(media: std::path::PathBuf) -> Config {
    let mut c = config(media);
    c.backend.gpu = false;
    c.server.health_interval_ms = 50;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_media_folder_is_not_serving_until_it_appears() {
    let dir = tempfile::tempdir().unwrap();
    let media = dir.path().join("media");
    let s = start_server(quick(media.clone())).await;
    let mut h = health(s.grpc).await;
    assert_eq!(status(&mut h, "xformd.v1.Transformer").await, ServingStatus::NotServing);
    assert_eq!(status(&mut h, "").await, ServingStatus::NotServing);
    assert_eq!(status(&mut h, "xformd.origin").await, ServingStatus::NotServing);
    let r = reqwest::get(s.url("/readyz")).await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("not serving"));
    // Liveness is not readiness.
    assert_eq!(reqwest::get(s.url("/healthz")).await.unwrap().status(), 200);

    // The background check notices the folder.
    std::fs::create_dir_all(&media).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while status(&mut h, "xformd.v1.Transformer").await != ServingStatus::Serving {
        assert!(Instant::now() < deadline, "still not serving after the folder appeared");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status(&mut h, "").await, ServingStatus::Serving);
    assert_eq!(status(&mut h, "xformd.origin").await, ServingStatus::Serving);
    let r = reqwest::get(s.url("/readyz")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_extra_origin_makes_the_daemon_unready() {
    // A port nothing listens on: the web origin's HEAD is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut c = quick(media_dir());
    c.origins.push(xformd::config::OriginConfig {
        prefix: "/web".into(),
        kind: "http".into(),
        base_url: format!("http://127.0.0.1:{port}/m"),
        allow_private: true,
        timeout_ms: 500,
        ..Default::default()
    });
    let s = start_server(c).await;
    let mut h = health(s.grpc).await;
    assert_eq!(status(&mut h, "xformd.origin").await, ServingStatus::NotServing);
    assert_eq!(status(&mut h, "xformd.v1.Transformer").await, ServingStatus::NotServing);
    assert_eq!(reqwest::get(s.url("/readyz")).await.unwrap().status(), 503);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gpu_component_follows_the_backend() {
    // CPU backend, no GPU initialised: the GPU component is down, the daemon serves (jobs
    // run on the CPU)…
    let s = start_server(quick(media_dir())).await;
    let mut h = health(s.grpc).await;
    assert_eq!(status(&mut h, "xformd.gpu").await, ServingStatus::NotServing);
    assert_eq!(status(&mut h, "xformd.v1.Transformer").await, ServingStatus::Serving);
    assert_eq!(reqwest::get(s.url("/readyz")).await.unwrap().status(), 200);
    drop(s);
    // …unless the daemon is GPU-only.
    let mut c = quick(media_dir());
    c.backend.default = "gpu".into();
    let s = start_server(c).await;
    let mut h = health(s.grpc).await;
    assert_eq!(status(&mut h, "xformd.v1.Transformer").await, ServingStatus::NotServing);
    assert_eq!(status(&mut h, "xformd.origin").await, ServingStatus::Serving);
    drop(s);
    if !gpu_tests_required() {
        return;
    }
    // With an adapter (lavapipe in CI) the GPU component serves, GPU-only included.
    let mut c = quick(media_dir());
    c.backend.gpu = true;
    c.backend.default = "gpu".into();
    let s = start_server(c).await;
    let mut h = health(s.grpc).await;
    assert_eq!(status(&mut h, "xformd.gpu").await, ServingStatus::Serving);
    assert_eq!(status(&mut h, "xformd.v1.Transformer").await, ServingStatus::Serving);
}

/// Issue #13: with `backend.allow_software_adapter` off (the default), a daemon never serves
/// GPU jobs on a software adapter (lavapipe is what a GPU node without a visible driver
/// finds): the GPU is unavailable, with a reason naming the adapter, and `xformd_gpu_info`
/// says so; allowed, the same adapter serves and the gauge names it and its kind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_software_adapter_serves_only_when_allowed_and_metrics_name_the_adapter() {
    use xformd::app::GpuStatus;
    let mut c = config(media_dir());
    c.backend.gpu = true;
    c.backend.allow_software_adapter = false;
    let app = App::new(c.clone()).unwrap();
    let metrics = xformd::metrics::Metrics::new();
    app.export_metrics(&metrics);
    let text = metrics.encode();
    match &app.gpu {
        // A machine with real hardware: it serves, and it is not the software adapter.
        GpuStatus::Ready { device_type, adapter, .. } => {
            assert_ne!(device_type, "Cpu", "{adapter} is a software adapter");
            assert!(text.contains(&format!("adapter=\"{adapter}\"")), "{text}");
        }
        GpuStatus::Unavailable(why) => {
            if gpu_tests_required() {
                // CI: lavapipe is present and must have been refused, by name.
                assert!(why.contains("only a software adapter") && why.contains("allow_software_adapter"), "{why}");
            }
            assert!(
                text.contains(r#"xformd_gpu_info{status="unavailable",adapter="",device_type="",api=""} 1"#),
                "{text}"
            );
        }
        GpuStatus::Disabled => panic!("the GPU was enabled"),
    }
    if !gpu_tests_required() {
        return;
    }
    c.backend.allow_software_adapter = true;
    let app = App::new(c).unwrap();
    let GpuStatus::Ready { adapter, device_type, .. } = &app.gpu else { panic!("{:?}", app.gpu) };
    let metrics = xformd::metrics::Metrics::new();
    app.export_metrics(&metrics);
    let text = metrics.encode();
    let line =
        format!(r#"xformd_gpu_info{{status="ready",adapter="{adapter}",device_type="{device_type}",api="Vulkan"}} 1"#);
    assert!(text.contains(&line), "{line} in {text}");
}

fn request(path: &str) -> pb::TransformRequest {
    let job = to_job(path, None, &UrlOptions::default()).unwrap().job;
    pb::TransformRequest {
        job: Some(job_to_proto(&job)),
        backend: pb::Backend::Cpu as i32,
        accept: "image/jpeg".into(),
        hint_width: None,
        hint_dpr: None,
    }
}

/// A daemon without a front end counts its own RPCs and stage times in its registry, served
/// by the tiny `/metrics` listener.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daemon_only_metrics_count_rpcs_and_stages() {
    let metrics = Arc::new(xformd::metrics::Metrics::new());
    let app = App::new(quick(media_dir())).unwrap().with_rpc_metrics(metrics.clone());
    app.export_metrics(&metrics);
    let grpc = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let grpc_addr = grpc.local_addr().unwrap();
    let scrape = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let scrape_addr = scrape.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    tokio::spawn(xformd::service::serve(grpc, until(stopped.clone()), app));
    tokio::spawn(xformd::metrics::serve(scrape, until(stopped), metrics));

    let mut client = TransformerClient::connect(format!("http://{grpc_addr}")).await.unwrap();
    let out = client.transform(request("/tr:w-60,f-png/photos/coffee.png")).await.unwrap().into_inner();
    assert_eq!(out.width, 60);
    let missing = client.transform(request("/tr:w-60/photos/none.png")).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);

    let r = reqwest::get(format!("http://{scrape_addr}/metrics")).await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.contains(r#"xformd_requests_total{status="200",dialect="grpc",backend="cpu"} 1"#), "{text}");
    assert!(text.contains(r#"xformd_requests_total{status="404",dialect="grpc",backend="none"} 1"#), "{text}");
    assert!(text.contains(r#"xformd_stage_seconds_count{stage="decode"} 1"#), "{text}");
    assert!(text.contains(r#"xformd_stage_seconds_count{stage="encode"} 1"#), "{text}");
    assert!(text.contains("xformd_queue_depth 0"), "{text}");
    // Only /metrics is served there.
    assert_eq!(reqwest::get(format!("http://{scrape_addr}/other")).await.unwrap().status(), 404);
    let _ = stop.send(true);
}

/// `xformd daemon --metrics-listen`: the binary wires the listener and daemon-side counting.
#[test]
fn the_daemon_binary_serves_metrics() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xformd"))
        .args(["daemon", "--media", media_dir().to_str().unwrap(), "--grpc", "127.0.0.1:0"])
        .args(["--metrics-listen", "127.0.0.1:0"])
        .env("XFORMD__BACKEND__GPU", "false")
        .env("XFORMD__CACHE__ENABLED", "false")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stderr = child.stderr.take().unwrap();
    let _child = Kill(child);
    let mut lines = BufReader::new(stderr).lines();
    let (mut grpc, mut scrape) = (None, None);
    while grpc.is_none() || scrape.is_none() {
        let line = lines.next().expect("daemon exited early").unwrap();
        if let Some(rest) = line.strip_prefix("xformd daemon: gRPC on ") {
            grpc = rest.split(',').next().map(str::to_string);
        }
        if let Some(rest) = line.strip_prefix("xformd metrics: http://") {
            scrape = rest.split('/').next().map(str::to_string);
        }
    }
    let (grpc, scrape) = (grpc.unwrap(), scrape.unwrap());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let text = rt.block_on(async {
        let mut client = TransformerClient::connect(format!("http://{grpc}")).await.unwrap();
        let out = client.transform(request("/tr:w-40,f-png/photos/coffee.png")).await.unwrap().into_inner();
        assert_eq!(out.width, 40);
        reqwest::get(format!("http://{scrape}/metrics")).await.unwrap().text().await.unwrap()
    });
    assert!(text.contains(r#"xformd_requests_total{status="200",dialect="grpc",backend="cpu"} 1"#), "{text}");
    assert!(text.contains(r#"xformd_stage_seconds_count{stage="process"} 1"#), "{text}");
}

/// `Origin::ready` per kind: a bucket answers a LIST (a missing bucket does not), a web
/// server answers a HEAD of its base URL (any status), a closed port does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn origins_report_readiness_by_kind() {
    use xformd::config::OriginConfig;
    use xformd::origin::Origin;

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Nothing is routed: every request is a 404, which still proves the server is there.
    tokio::spawn(async move { axum::serve(listener, axum::Router::new()).await });
    let web = |base_url: String| OriginConfig {
        kind: "http".into(),
        base_url,
        allow_private: true,
        timeout_ms: 500,
        ..OriginConfig::default()
    };
    let settings = |o: &OriginConfig| xformd::origin::http::HttpSettings::from_config(o, 1000).unwrap();
    let up = xformd::origin::http::HttpOrigin::new(settings(&web(format!("http://{addr}/m")))).unwrap();
    assert!(up.ready().await.is_ok());
    let mut strict = web(format!("http://{addr}/m"));
    strict.allow_private = false;
    let refused = xformd::origin::http::HttpOrigin::new(settings(&strict)).unwrap();
    assert!(refused.ready().await.is_err(), "the address policy applies to the readiness check too");

    let Some(moto) = crate::origins::moto().await else { return };
    crate::origins::bucket(&moto, "ready").await;
    let s3 = |bucket: &str| OriginConfig {
        kind: "s3".into(),
        endpoint: moto.endpoint.clone(),
        bucket: bucket.into(),
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        timeout_ms: 2000,
        ..OriginConfig::default()
    };
    let there = xformd::origin::s3::S3Origin::from_config(&s3("ready"), 1000).unwrap();
    assert!(there.ready().await.is_ok());
    let missing = xformd::origin::s3::S3Origin::from_config(&s3("no-such-bucket"), 1000).unwrap();
    let e = missing.ready().await.unwrap_err();
    assert_eq!(e.kind(), xformd::ErrorKind::Unavailable, "{e}");
}

/// A front end whose daemon is not there is alive but not ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_when_the_daemon_does_not_answer() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let state =
        xformd::frontend::FrontState::new(&format!("http://{closed}"), UrlOptions::default(), "public", false).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(xformd::frontend::serve(listener, std::future::pending(), state));
    let r = reqwest::get(format!("http://{addr}/readyz")).await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().starts_with("daemon health"), "says why");
    assert_eq!(reqwest::get(format!("http://{addr}/healthz")).await.unwrap().status(), 200);
}
