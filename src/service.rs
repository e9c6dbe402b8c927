//! The gRPC daemon: `xformd.v1.Transformer` (behind `server.grpc_token`), `grpc.health.v1`
//! and, with `server.grpc_reflection`, server reflection; TLS only when `server.grpc_tls_cert`
//! and `grpc_tls_key` are set.
//!
//! Owns: [`serve`]. The server is a function of (listener, shutdown, app): tests bind
//! `127.0.0.1:0`, pass the listener in, and never sleep waiting for readiness. Health
//! statuses follow the origins and the GPU ([`health`]): checked once before the first call
//! is accepted, then in the background.
//!
//! May import: `pipeline`, `app`, `job`, `error`; tonic, prost, tonic-health. Never `url`,
//! `exec`, wgpu or ffmpeg. Only this module knows the wire format.

// Bearer-token authentication of RPCs (`server.grpc_token`).
pub mod auth;
pub mod convert;
pub mod health;
pub mod proto;
pub mod transform;
pub mod translate;
pub mod variants;
#[cfg(feature = "video")]
pub mod video;

use std::future::Future;

use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;

use crate::app::App;
use crate::error::{Error, Result};

/// Serve gRPC on `listener` until `shutdown` completes, then drain in-flight calls.
pub async fn serve(listener: TcpListener, shutdown: impl Future<Output = ()> + Send, app: App) -> Result<()> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    let first = health::check(&app).await;
    health::report(&health_reporter, &first).await;
    let interval = std::time::Duration::from_millis(app.config.server.health_interval_ms);
    // Stops with this function: dropped when the server returns.
    let _watcher = health::HealthWatcher::spawn(app.clone(), health_reporter, interval, first);
    // Reflection hands anyone the whole API surface: only on request (`grpcurl` while debugging).
    let reflection = if app.config.server.grpc_reflection {
        let r = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .map_err(|e| Error::internal(format!("reflection: {e}")))?;
        Some(r)
    } else {
        None
    };
    let auth = auth::RequireToken::new(&app.config.server.grpc_token);
    let tls = tls_config(&app.config.server)?;
    let svc = proto::transformer_server::TransformerServer::new(transform::TransformerService::new(app))
        .max_decoding_message_size(16 << 20)
        .max_encoding_message_size(512 << 20);
    let mut builder = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        builder = builder.tls_config(tls).map_err(|e| Error::internal(format!("gRPC TLS: {e}")))?;
    }
    builder
        .add_service(health_service)
        .add_optional_service(reflection)
        .add_service(tonic::service::interceptor::InterceptedService::new(svc, auth))
        // TCP_NODELAY: a response is headers, data and trailers in separate writes; with
        // Nagle on, the last one waits for the client's delayed ACK (~40 ms per request).
        .serve_with_incoming_shutdown(TcpIncoming::from(listener).with_nodelay(Some(true)), shutdown)
        .await
        .map_err(|e| Error::internal(format!("gRPC server: {e}")))
}

/// The server's TLS identity from `server.grpc_tls_cert` / `grpc_tls_key` (PEM files), or
/// `None` for plaintext. A file that cannot be read stops the daemon at start, naming it.
fn tls_config(server: &crate::config::ServerConfig) -> Result<Option<tonic::transport::ServerTlsConfig>> {
    let (cert, key) = (&server.grpc_tls_cert, &server.grpc_tls_key);
    if cert.is_empty() && key.is_empty() {
        return Ok(None);
    }
    let read = |path: &str, what: &str| {
        std::fs::read(path).map_err(|e| Error::internal(format!("reading server.{what} '{path}': {e}")))
    };
    let identity = tonic::transport::Identity::from_pem(read(cert, "grpc_tls_cert")?, read(key, "grpc_tls_key")?);
    auth::ensure_crypto_provider();
    Ok(Some(tonic::transport::ServerTlsConfig::new().identity(identity)))
}
