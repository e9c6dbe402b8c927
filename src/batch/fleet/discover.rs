//! Finding the daemons: each `--daemon` URL names one daemon (an IP address) or many (a DNS
//! name with several addresses, e.g. a Kubernetes headless Service), re-resolved on a timer
//! so pods that come and go are followed.
//!
//! Owns: [`Target`], [`resolve_all`]. May import: `error`; tokio (DNS through the system
//! resolver, `lookup_host`).

use std::net::SocketAddr;

use crate::error::{Error, Result};

/// One `--daemon` URL, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL as given.
    pub url: String,
    /// `host:port` to resolve.
    pub authority: String,
}

impl Target {
    /// Parse `http://host:port` (the port defaults to 50051, the daemon's).
    pub fn parse(url: &str) -> Result<Target> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            Error::invalid("daemon", url, "expected http://HOST:PORT (TLS to daemons is not supported by batch yet)")
        })?;
        let host_port = rest.trim_end_matches('/');
        if host_port.is_empty() || host_port.contains('/') {
            return Err(Error::invalid("daemon", url, "expected http://HOST:PORT"));
        }
        let has_port = match host_port.rfind(']') {
            Some(close) => host_port[close..].contains(':'),
            None => host_port.contains(':'),
        };
        let authority = if has_port { host_port.to_string() } else { format!("{host_port}:50051") };
        Ok(Target { url: url.to_string(), authority })
    }

    /// Every address the target resolves to now.
    pub async fn resolve(&self) -> Result<Vec<SocketAddr>> {
        let addrs = tokio::net::lookup_host(&self.authority)
            .await
            .map_err(|e| Error::new(crate::error::ErrorKind::Unavailable, format!("resolve {}: {e}", self.url)))?;
        Ok(addrs.collect())
    }
}

/// The union of every target's addresses, sorted and without duplicates; a target that does
/// not resolve is skipped (and reported) as long as another one does.
pub async fn resolve_all(targets: &[Target]) -> Result<Vec<SocketAddr>> {
    let mut all = Vec::new();
    let mut last_error = None;
    for t in targets {
        match t.resolve().await {
            Ok(a) => all.extend(a),
            Err(e) => {
                tracing::warn!(daemon = %t.url, error = %e, "daemon name did not resolve");
                last_error = Some(e);
            }
        }
    }
    all.sort();
    all.dedup();
    match (all.is_empty(), last_error) {
        (true, Some(e)) => Err(e),
        (true, None) => Err(Error::invalid("daemon", "", "no daemon address")),
        _ => Ok(all),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_resolve_to_every_address() {
        assert_eq!(Target::parse("http://127.0.0.1:7").unwrap().authority, "127.0.0.1:7");
        assert_eq!(Target::parse("http://daemons/").unwrap().authority, "daemons:50051");
        assert_eq!(Target::parse("http://[::1]:9").unwrap().authority, "[::1]:9");
        assert_eq!(Target::parse("http://[::1]").unwrap().authority, "[::1]:50051");
        assert!(Target::parse("https://a:1").is_err());
        assert!(Target::parse("a:1").is_err());
        let t = [Target::parse("http://127.0.0.1:7").unwrap(), Target::parse("http://localhost:7").unwrap()];
        let addrs = resolve_all(&t).await.unwrap();
        assert!(addrs.contains(&"127.0.0.1:7".parse().unwrap()), "{addrs:?}");
        assert_eq!(addrs.iter().filter(|a| a.to_string() == "127.0.0.1:7").count(), 1, "deduplicated");
    }
}
