//! The channel to the daemons: one lazily connected endpoint, or — when the daemon URL names
//! a host (a Kubernetes headless Service) — every address that name resolves to, balanced
//! client-side and re-resolved periodically.
//!
//! Owns: [`DaemonTarget`], [`connect`]. Why client-side: gRPC multiplexes every call over one
//! HTTP/2 connection, so a front end behind a plain Service (one virtual IP) would send all
//! its work to one daemon pod until that connection broke, and daemons added by the
//! autoscaler would get nothing. tonic's balanced channel keeps one connection per address
//! and picks between them by power of two choices on pending requests.
//!
//! May import `error`; tonic, tokio outside.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use tonic::transport::channel::Change;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};

use crate::error::{Error, Result};

/// Where the daemons are and how to reach them.
#[derive(Clone, Debug)]
pub struct DaemonTarget {
    /// `http` or `https`.
    scheme: String,
    /// Host as written in the URL (a name or an address).
    host: String,
    port: u16,
    /// TLS settings for `https` (the certificate is checked against `host`).
    tls: Option<ClientTlsConfig>,
    /// How often a host name is resolved again; zero: never balanced (one endpoint).
    refresh: Duration,
    /// Addresses given directly instead of resolving `host` (tests, static fleets).
    fixed: Option<Vec<SocketAddr>>,
}

impl DaemonTarget {
    /// Parse `url` (`http://host:port`, `https://…`); `refresh` as [`DaemonTarget::refresh`].
    pub fn parse(url: &str, refresh: Duration) -> Result<Self> {
        let uri: tonic::codegen::http::Uri = url.parse().map_err(|e| Error::invalid("daemon", url, e))?;
        let scheme = uri.scheme_str().unwrap_or("http").to_string();
        let host = uri.host().ok_or_else(|| Error::invalid("daemon", url, "no host"))?.to_string();
        let port = uri.port_u16().unwrap_or(if scheme == "https" { 443 } else { 80 });
        Ok(DaemonTarget { scheme, host, port, tls: None, refresh, fixed: None })
    }

    /// Speak TLS with `tls` (the daemon's certificate must name the URL's host).
    pub fn with_tls(mut self, tls: ClientTlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Resolve the host again every `every`; zero: never balanced (one endpoint).
    pub fn with_refresh(mut self, every: Duration) -> Self {
        self.refresh = every;
        self
    }

    /// `host:port`, with an IPv6 host in brackets.
    fn authority(&self) -> String {
        if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Balance over exactly `addrs` instead of resolving the host.
    pub fn with_addresses(mut self, addrs: Vec<SocketAddr>) -> Self {
        self.fixed = Some(addrs);
        self
    }

    /// Balanced when the host is a name other than `localhost` (which resolves to both
    /// loopback families while a daemon usually listens on one) or addresses were given.
    fn balanced(&self) -> bool {
        let name = self.host.parse::<std::net::IpAddr>().is_err()
            && !self.host.starts_with('[')
            && self.host != "localhost"
            && !self.refresh.is_zero();
        self.fixed.is_some() || name
    }

    /// The endpoint for `authority` (the URL's own host:port or one resolved address).
    fn endpoint(&self, authority: &str) -> Result<Endpoint> {
        let url = format!("{}://{authority}", self.scheme);
        let mut e = Endpoint::from_shared(url.clone()).map_err(|e| Error::invalid("daemon", url, e))?.tcp_nodelay(true);
        if let Some(tls) = &self.tls {
            // The certificate names the service, not the pod address we dial.
            let tls = tls.clone().domain_name(self.host.clone());
            e = e.tls_config(tls).map_err(|e| Error::invalid("daemon_ca", "", e))?;
        }
        Ok(e)
    }
}

/// A channel to the daemons of `target`; needs a tokio runtime when balanced (the resolver
/// task and tonic's balancer run on it).
pub fn connect(target: &DaemonTarget) -> Result<Channel> {
    let authority = target.authority();
    if !target.balanced() || tokio::runtime::Handle::try_current().is_err() {
        return Ok(target.endpoint(&authority)?.connect_lazy());
    }
    // Check the template once, so a bad URL fails here and not inside the task.
    target.endpoint(&authority)?;
    let (channel, tx) = Channel::balance_channel::<SocketAddr>(64);
    let target = target.clone();
    tokio::spawn(async move {
        let mut current: HashSet<SocketAddr> = HashSet::new();
        loop {
            let found = match &target.fixed {
                Some(addrs) => Some(addrs.iter().copied().collect::<HashSet<_>>()),
                None => match tokio::net::lookup_host((target.host.as_str(), target.port)).await {
                    Ok(addrs) => Some(addrs.collect()),
                    Err(e) => {
                        // Keep the daemons we have: a DNS hiccup must not empty the fleet.
                        tracing::warn!(host = %target.host, error = %e, "daemon name did not resolve");
                        None
                    }
                },
            };
            if let Some(found) = found.filter(|f| !f.is_empty()) {
                for addr in found.difference(&current) {
                    let Ok(e) = target.endpoint(&addr.to_string()) else { continue };
                    if tx.send(Change::Insert(*addr, e)).await.is_err() {
                        return;
                    }
                }
                for addr in current.difference(&found) {
                    if tx.send(Change::Remove(*addr)).await.is_err() {
                        return;
                    }
                }
                if found != current {
                    tracing::info!(host = %target.host, daemons = found.len(), "daemon addresses");
                }
                current = found;
            }
            if target.fixed.is_some() {
                // Nothing to re-resolve; stay alive while the channel is, so the balancer
                // keeps its endpoints.
                tx.closed().await;
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(target.refresh) => {}
                () = tx.closed() => return,
            }
        }
    });
    Ok(channel)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_balanced_addresses_and_localhost_are_not() {
        let t = |u: &str| DaemonTarget::parse(u, Duration::from_secs(10)).unwrap();
        assert!(t("http://xformd-daemon.xformd.svc:50051").balanced());
        assert!(!t("http://127.0.0.1:50051").balanced());
        assert!(!t("http://[::1]:50051").balanced());
        assert!(!t("http://localhost:50051").balanced());
        assert!(!DaemonTarget::parse("http://daemons:1", Duration::ZERO).unwrap().balanced(), "refresh 0 turns it off");
        let fixed = t("http://127.0.0.1:1").with_addresses(vec!["127.0.0.1:2".parse().unwrap()]);
        assert!(fixed.balanced());
        assert_eq!(t("https://d.example").port, 443);
        assert!(DaemonTarget::parse("not a url", Duration::ZERO).is_err());
    }
}
