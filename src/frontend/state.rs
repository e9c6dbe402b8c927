//! The front end's state: the channel and clients to the daemons, URL and HTTP settings,
//! and the builder methods `xformd serve` and the tests configure it with.
//!
//! Owns: [`FrontState`]. May import what the parent may.

use std::sync::Arc;

use axum::http::HeaderValue;
use tonic::transport::Channel;
use tonic_health::pb::health_client::HealthClient;

use super::{daemons, listener, signature, video};
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::service::auth::{daemon_client, AttachToken, DaemonClient};
use crate::url::UrlOptions;

/// How often a daemon host name is resolved again (`frontend.daemon_refresh_secs`'s default).
const DAEMON_REFRESH: std::time::Duration = std::time::Duration::from_secs(10);

/// Front-end state: the daemon client and URL settings.
#[derive(Clone)]
pub struct FrontState {
    pub(super) client: DaemonClient,
    /// The daemons' address and transport settings, kept to rebuild the channel with TLS
    /// (`with_daemon_ca`) or other discovery settings.
    pub(super) target: daemons::DaemonTarget,
    /// The bearer token every call carries (`with_grpc_token`).
    pub(super) token: AttachToken,
    /// The channel under `client`.
    pub(super) channel: Channel,
    /// The daemon's `grpc.health.v1`, for `/readyz` (same channel as `client`).
    pub(super) health: HealthClient<Channel>,
    pub(super) url: Arc<UrlOptions>,
    pub(super) cache_control: HeaderValue,
    pub(super) debug_headers: bool,
    pub(super) metrics: Arc<Metrics>,
    pub(super) signing: Arc<signature::SigningConfig>,
    pub(super) max_url_bytes: usize,
    pub(super) max_header_bytes: usize,
    pub(super) request_timeout: std::time::Duration,
    pub(super) connections: listener::ConnectionLimits,
    /// Finished video cuts, so the ranges of one video come from one cut (`video`).
    pub(super) video_cache: Arc<video::CutCache>,
}

impl FrontState {
    /// A front end calling the daemon at `daemon_url` (connects lazily, reconnects on
    /// failure, so front ends may start before their daemons). A host name (a headless
    /// Service) is balanced over every address it resolves to, re-resolved every 10 s
    /// (`daemons`; [`FrontState::with_daemon_refresh`]).
    pub fn new(daemon_url: &str, url: UrlOptions, cache_control: &str, debug_headers: bool) -> Result<Self> {
        let target = daemons::DaemonTarget::parse(daemon_url, DAEMON_REFRESH)?;
        let channel = daemons::connect(&target)?;
        let health = HealthClient::new(channel.clone());
        let token = AttachToken::default();
        let client = daemon_client(channel.clone(), token.clone());
        let cache_control =
            HeaderValue::from_str(cache_control).map_err(|e| Error::invalid("cache_control", cache_control, e))?;
        Ok(FrontState {
            client,
            target,
            token,
            channel,
            health,
            url: Arc::new(url),
            cache_control,
            debug_headers,
            metrics: Arc::new(Metrics::new()),
            signing: Arc::new(signature::SigningConfig::default()),
            max_url_bytes: 8192,
            max_header_bytes: 16384,
            request_timeout: std::time::Duration::from_secs(30),
            connections: listener::ConnectionLimits::default(),
            video_cache: Arc::new(video::CutCache::default()),
        })
    }

    /// Share `metrics` (in `xformd serve` the daemon's counters live in the same registry).
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Authenticate every call to the daemon with `token` (`server.grpc_token`; empty = none).
    pub fn with_grpc_token(mut self, token: &str) -> Result<Self> {
        self.token = AttachToken::new(token)?;
        self.client = daemon_client(self.channel.clone(), self.token.clone());
        Ok(self)
    }

    /// Speak TLS to the daemon and accept only a certificate signed by `ca_pem`
    /// (`server.daemon_ca`); the daemon URL's host must be in the certificate.
    pub fn with_daemon_ca(mut self, ca_pem: &[u8]) -> Result<Self> {
        crate::service::auth::ensure_crypto_provider();
        let tls =
            tonic::transport::ClientTlsConfig::new().ca_certificate(tonic::transport::Certificate::from_pem(ca_pem));
        self.target = self.target.clone().with_tls(tls);
        self.reconnect()
    }

    /// Re-resolve the daemon host name every `every` (`frontend.daemon_refresh_secs`); zero
    /// turns client-side balancing off (one connection to whatever the name resolves to).
    pub fn with_daemon_refresh(mut self, every: std::time::Duration) -> Result<Self> {
        self.target = self.target.clone().with_refresh(every);
        self.reconnect()
    }

    /// Balance over exactly `addrs` (a fixed fleet; tests) instead of resolving the host.
    pub fn with_daemon_addresses(mut self, addrs: Vec<std::net::SocketAddr>) -> Result<Self> {
        self.target = self.target.clone().with_addresses(addrs);
        self.reconnect()
    }

    /// A new channel (and clients on it) after the target changed.
    fn reconnect(mut self) -> Result<Self> {
        self.channel = daemons::connect(&self.target)?;
        self.health = HealthClient::new(self.channel.clone());
        self.client = daemon_client(self.channel.clone(), self.token.clone());
        Ok(self)
    }

    /// Time out slow clients and cap open connections as `limits` says.
    pub fn with_connection_limits(mut self, limits: listener::ConnectionLimits) -> Self {
        self.connections = limits;
        self
    }

    /// Check signatures as `signing` says.
    pub fn with_signing(mut self, signing: signature::SigningConfig) -> Self {
        self.signing = Arc::new(signing);
        self
    }

    /// Fail requests whose daemon call takes longer than `timeout` with 504.
    pub fn with_request_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Refuse paths + queries longer than `bytes` with 414.
    pub fn with_max_url_bytes(mut self, bytes: usize) -> Self {
        self.max_url_bytes = bytes;
        self
    }

    /// Refuse requests whose headers (names + values) add up to more than `bytes` with 431.
    pub fn with_max_header_bytes(mut self, bytes: usize) -> Self {
        self.max_header_bytes = bytes;
        self
    }
}
