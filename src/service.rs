//! The gRPC daemon: `xformd.v1.Transformer`, `grpc.health.v1` and server reflection.
//!
//! Owns: [`serve`]. The server is a function of (listener, shutdown, app): tests bind
//! `127.0.0.1:0`, pass the listener in, and never sleep waiting for readiness.
//!
//! May import: `pipeline`, `app`, `job`, `error`; tonic, prost, tonic-health. Never `url`,
//! `exec`, wgpu or ffmpeg. Only this module knows the wire format.

pub mod convert;
pub mod proto;
pub mod transform;
pub mod translate;
#[cfg(feature = "video")]
pub mod video;

use std::future::Future;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

use crate::app::App;
use crate::error::{Error, Result};

/// Serve gRPC on `listener` until `shutdown` completes, then drain in-flight calls.
pub async fn serve(listener: TcpListener, shutdown: impl Future<Output = ()> + Send, app: App) -> Result<()> {
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter.set_serving::<proto::transformer_server::TransformerServer<transform::TransformerService>>().await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|e| Error::internal(format!("reflection: {e}")))?;
    let svc = proto::transformer_server::TransformerServer::new(transform::TransformerService::new(app))
        .max_decoding_message_size(16 << 20)
        .max_encoding_message_size(512 << 20);
    tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(reflection)
        .add_service(svc)
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await
        .map_err(|e| Error::internal(format!("gRPC server: {e}")))
}
