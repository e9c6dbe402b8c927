//! Attacks on the gRPC daemon itself (issue #12, hole 7): whoever reaches the daemon's port
//! bypasses URL signing and the front end's limits, so RPCs need the shared token, reflection
//! is off, and a daemon exposed beyond loopback without a token does not start.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use tonic::Code;
use xformd::service::proto as pb;
use xformd::service::proto::transformer_client::TransformerClient;

use crate::common::{config, media_dir, start_server_with};

const TOKEN: &str = "0123456789abcdef-test-token";

fn request(path: &str) -> pb::TransformRequest {
    let job = xformd::url::to_job(path, None, &xformd::url::UrlOptions::default()).unwrap().job;
    pb::TransformRequest {
        job: Some(xformd::service::convert::job_to_proto(&job)),
        backend: pb::Backend::Cpu as i32,
        ..Default::default()
    }
}

async fn channel(addr: std::net::SocketAddr) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap()
}

fn with_bearer(path: &str, token: &str) -> tonic::Request<pb::TransformRequest> {
    let mut r = tonic::Request::new(request(path));
    r.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

/// Hole 7: with `server.grpc_token` set, a client that reaches :50051 directly (skipping the
/// front end's signature check) is refused with UNAUTHENTICATED, with no token or a wrong
/// one; the front end, which sends the token, still renders; health stays open for probes.
#[tokio::test]
async fn attack_direct_grpc_call_without_the_token() {
    let mut c = config(media_dir());
    c.backend.gpu = false;
    c.server.grpc_token = TOKEN.into();
    let s = start_server_with(c, |f| f.with_grpc_token(TOKEN).unwrap()).await;
    let through_front = reqwest::get(s.url("/tr:w-40,f-png/photos/coffee.png")).await.unwrap();
    assert_eq!(through_front.status(), StatusCode::OK, "the front end authenticates itself");

    let mut client = TransformerClient::connect(format!("http://{}", s.grpc)).await.unwrap();
    let none = client.transform(request("/tr:w-40,f-png/photos/coffee.png")).await.unwrap_err();
    assert_eq!(none.code(), Code::Unauthenticated, "{none:?}");
    for wrong in ["0123456789abcdef-test-toke", "0123456789abcdef-test-tokenX", ""] {
        let e = client.transform(with_bearer("/tr:w-40/photos/coffee.png", wrong)).await.unwrap_err();
        assert_eq!(e.code(), Code::Unauthenticated, "token {wrong:?}");
    }
    let ok = client.transform(with_bearer("/tr:w-40,f-png/photos/coffee.png", TOKEN)).await.unwrap();
    assert_eq!(ok.into_inner().width, 40);

    let mut health = tonic_health::pb::health_client::HealthClient::new(channel(s.grpc).await);
    let h = health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await;
    assert!(h.is_ok(), "health needs no token: {h:?}");
}

/// Hole 7: server reflection handed anyone the full API; it is off unless
/// `server.grpc_reflection = true`.
#[tokio::test]
async fn attack_reflection_enumerates_the_api() {
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::{server_reflection_request::MessageRequest, ServerReflectionRequest};
    let ask = || {
        let req = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        tokio_stream::iter(vec![req])
    };
    let s = start_server_with(config(media_dir()), |f| f).await;
    let mut client = ServerReflectionClient::new(channel(s.grpc).await);
    let e = client.server_reflection_info(ask()).await.unwrap_err();
    assert_eq!(e.code(), Code::Unimplemented, "reflection must be off by default");

    let mut c = config(media_dir());
    c.server.grpc_reflection = true;
    let s = start_server_with(c, |f| f).await;
    let mut client = ServerReflectionClient::new(channel(s.grpc).await);
    assert!(client.server_reflection_info(ask()).await.is_ok(), "on when asked for");
}

fn daemon(grpc: &str, envs: &[(&str, &str)]) -> std::process::Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xformd"));
    cmd.args(["daemon", "--media", media_dir().to_str().unwrap(), "--grpc", grpc])
        .env("XFORMD__BACKEND__GPU", "false")
        .env("XFORMD__CACHE__ENABLED", "false")
        .env_remove("XFORMD__SERVER__GRPC_TOKEN")
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.spawn().unwrap()
}

/// The first stderr line that says the daemon listens, or everything it wrote before exiting.
fn started(child: &mut std::process::Child) -> Result<String, String> {
    let mut seen = String::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.starts_with("xformd daemon: gRPC on ") {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(line);
        }
        seen.push_str(&line);
        seen.push('\n');
    }
    let _ = child.wait();
    Err(seen)
}

/// Hole 7: the manifests bound 0.0.0.0 with no authentication. `xformd daemon` on a
/// non-loopback address without a token refuses to start, naming the key; with the token (from
/// the environment, as the manifests pass it) or an explicit `grpc_insecure` it starts.
#[test]
fn attack_daemon_exposed_beyond_loopback_without_a_token() {
    let refused = started(&mut daemon("0.0.0.0:0", &[])).expect_err("an exposed daemon without a token started");
    assert!(refused.contains("server.grpc_token"), "{refused}");
    let with_token = started(&mut daemon("0.0.0.0:0", &[("XFORMD__SERVER__GRPC_TOKEN", TOKEN)]));
    assert!(with_token.is_ok(), "{with_token:?}");
    let insecure = started(&mut daemon("0.0.0.0:0", &[("XFORMD__SERVER__GRPC_INSECURE", "true")]));
    assert!(insecure.is_ok(), "{insecure:?}");
    assert!(started(&mut daemon("127.0.0.1:0", &[])).is_ok(), "loopback needs no token");
}

/// A test certificate authority `name` in `dir` and a server certificate it signed for
/// 127.0.0.1 and localhost (OpenSSL's command line): (CA cert, server cert, server key).
fn authority(dir: &std::path::Path, name: &str) -> (String, String, String) {
    let p = |f: &str| dir.join(format!("{name}-{f}")).to_string_lossy().into_owned();
    let (ca_key, ca, csr, key, cert, ext) =
        (p("ca.key"), p("ca.crt"), p("leaf.csr"), p("leaf.key"), p("leaf.crt"), p("ext"));
    let ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    for cmd in [
        format!("req -x509 {ec} -days 1 -subj /CN=xformd-test-CA -keyout {ca_key} -out {ca}"),
        format!("req {ec} -subj /CN=xformd-daemon -keyout {key} -out {csr}"),
        format!("x509 -req -days 1 -in {csr} -CA {ca} -CAkey {ca_key} -CAcreateserial -extfile {ext} -out {cert}"),
    ] {
        let ok = Command::new("openssl").args(cmd.split(' ')).stdout(Stdio::null()).stderr(Stdio::null()).status();
        assert!(ok.expect("openssl runs").success(), "openssl {cmd}");
    }
    (ca, cert, key)
}

/// Hole 7, optional TLS: with `server.grpc_tls_cert`/`grpc_tls_key`, the daemon port speaks
/// TLS only. A plaintext client (a sniffer's view of the token and the pictures) gets
/// nothing; a client trusting another authority is refused; the front end with
/// `server.daemon_ca` renders through it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_plaintext_or_unverified_client_on_a_tls_daemon() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = authority(dir.path(), "daemon");
    let (other, _, _) = authority(dir.path(), "other");
    let mut c = config(media_dir());
    c.backend.gpu = false;
    c.server.grpc_tls_cert = cert;
    c.server.grpc_tls_key = key;
    let app = xformd::app::App::new(c).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(xformd::service::serve(listener, std::future::pending(), app));

    let health = |channel: tonic::transport::Channel| async move {
        let mut h = tonic_health::pb::health_client::HealthClient::new(channel);
        h.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await
    };
    let plain = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect_lazy();
    assert!(health(plain).await.is_err(), "a plaintext client was answered");
    let tls_with = |ca: &str| {
        let pem = std::fs::read(ca).unwrap();
        let tls = tonic::transport::ClientTlsConfig::new().ca_certificate(tonic::transport::Certificate::from_pem(pem));
        tonic::transport::Endpoint::from_shared(format!("https://{addr}"))
            .unwrap()
            .tls_config(tls)
            .unwrap()
            .connect_lazy()
    };
    assert!(health(tls_with(&other)).await.is_err(), "a certificate from another authority was accepted");
    let verified = health(tls_with(&ca)).await;
    assert!(verified.is_ok(), "the verified TLS client is served: {verified:?}");

    // The front end over TLS, verifying the daemon.
    let pem = std::fs::read(&ca).unwrap();
    let state = xformd::frontend::FrontState::new(
        &format!("https://{addr}"),
        xformd::url::UrlOptions::default(),
        "public, max-age=60",
        false,
    )
    .unwrap()
    .with_daemon_ca(&pem)
    .unwrap();
    let http_l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = http_l.local_addr().unwrap();
    tokio::spawn(xformd::frontend::serve(http_l, std::future::pending(), state));
    let r = reqwest::get(format!("http://{http}/tr:w-40,f-png/photos/coffee.png")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
