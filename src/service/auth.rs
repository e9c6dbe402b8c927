//! Bearer-token authentication between front ends and daemons (`server.grpc_token`).
//!
//! Owns: [`RequireToken`] (the daemon's interceptor), [`AttachToken`] (the client's),
//! [`DaemonClient`], [`daemon_client`], [`check_exposure`], [`ensure_crypto_provider`] (for the
//! optional TLS on the port). Everything that reaches the
//! daemon's port bypasses URL signing and the front end's limits, so a daemon reachable from
//! outside loopback must demand a shared secret. Health stays open (Kubernetes probes and
//! load balancers call it without credentials); every `xformd.v1` RPC needs the token.

use std::net::SocketAddr;
use std::sync::Arc;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::service::Interceptor;
use tonic::transport::Channel;
use tonic::{Request, Status};

use super::proto::transformer_client::TransformerClient;
use crate::error::{Error, Result};

/// The daemon side: refuse calls without `authorization: Bearer <token>` when a token is set.
#[derive(Clone, Default)]
pub struct RequireToken {
    token: Option<Arc<[u8]>>,
}

impl RequireToken {
    /// Require `token`; an empty token requires nothing.
    pub fn new(token: &str) -> Self {
        RequireToken { token: (!token.is_empty()).then(|| Arc::from(token.as_bytes())) }
    }
}

impl Interceptor for RequireToken {
    fn call(&mut self, request: Request<()>) -> std::result::Result<Request<()>, Status> {
        let Some(expected) = &self.token else { return Ok(request) };
        let given = request.metadata().get("authorization").map(MetadataValue::as_bytes).unwrap_or_default();
        let given = given.strip_prefix(b"Bearer ").unwrap_or_default();
        if constant_time_eq(given, expected) {
            Ok(request)
        } else {
            Err(Status::unauthenticated("a valid `authorization: Bearer <server.grpc_token>` is required"))
        }
    }
}

/// Compare without an early exit, so the time taken does not tell how many leading bytes
/// of a guess were right (the length is not secret: tokens are long random strings).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// The client side: add the bearer token, when there is one, to every call.
#[derive(Clone, Default)]
pub struct AttachToken {
    header: Option<MetadataValue<Ascii>>,
}

impl AttachToken {
    /// Attach `token`; empty attaches nothing. A token that is not a valid header value is
    /// refused here, at startup, naming the key.
    pub fn new(token: &str) -> Result<Self> {
        if token.is_empty() {
            return Ok(AttachToken::default());
        }
        let header = format!("Bearer {token}")
            .parse()
            .map_err(|_| Error::invalid("server.grpc_token", "<redacted>", "must be printable ASCII"))?;
        Ok(AttachToken { header: Some(header) })
    }
}

impl Interceptor for AttachToken {
    fn call(&mut self, mut request: Request<()>) -> std::result::Result<Request<()>, Status> {
        if let Some(h) = &self.header {
            request.metadata_mut().insert("authorization", h.clone());
        }
        Ok(request)
    }
}

/// A `xformd.v1.Transformer` client that authenticates itself.
pub type DaemonClient = TransformerClient<InterceptedService<Channel, AttachToken>>;

/// A client over `channel` sending `token` (may be empty).
pub fn daemon_client(channel: Channel, token: AttachToken) -> DaemonClient {
    TransformerClient::with_interceptor(channel, token).max_decoding_message_size(512 << 20)
}

/// Refuse to expose an unauthenticated daemon beyond loopback, unless the operator said so
/// (`server.grpc_insecure`, e.g. behind a mesh that authenticates for it).
pub fn check_exposure(addr: SocketAddr, token: &str, insecure: bool) -> Result<()> {
    if addr.ip().is_loopback() || !token.is_empty() || insecure {
        return Ok(());
    }
    Err(Error::invalid(
        "server.grpc_token",
        "",
        format_args!(
            "the daemon would listen on {addr} with no token: anyone who reaches it bypasses URL signing and \
             limits. Set server.grpc_token (env XFORMD__SERVER__GRPC_TOKEN), bind 127.0.0.1, or set \
             server.grpc_insecure = true"
        ),
    ))
}

/// Select rustls' crypto provider (aws-lc) for the process, once. Both aws-lc and ring are
/// compiled into the tree (object_store, reqwest), so rustls cannot pick one by itself and
/// would panic on the first TLS handshake of the daemon port.
pub fn ensure_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err only when another part of the process installed one first: that one serves.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(token: &str, header: Option<&str>) -> std::result::Result<(), tonic::Code> {
        let mut req = Request::new(());
        if let Some(h) = header {
            req.metadata_mut().insert("authorization", h.parse().unwrap());
        }
        RequireToken::new(token).call(req).map(|_| ()).map_err(|s| s.code())
    }

    #[test]
    fn only_the_exact_bearer_token_passes() {
        assert_eq!(call("", None), Ok(()));
        assert_eq!(call("s3cret", Some("Bearer s3cret")), Ok(()));
        for bad in [None, Some("Bearer s3cre"), Some("Bearer s3cret2"), Some("s3cret"), Some("Basic s3cret")] {
            assert_eq!(call("s3cret", bad), Err(tonic::Code::Unauthenticated), "{bad:?}");
        }
    }

    #[test]
    fn exposure_needs_a_token_or_an_explicit_opt_out() {
        let public: SocketAddr = "0.0.0.0:50051".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:50051".parse().unwrap();
        assert!(check_exposure(local, "", false).is_ok());
        assert!(check_exposure(public, "t", false).is_ok());
        assert!(check_exposure(public, "", true).is_ok());
        let e = check_exposure(public, "", false).unwrap_err();
        assert!(e.to_string().contains("server.grpc_token"), "{e}");
    }
}
