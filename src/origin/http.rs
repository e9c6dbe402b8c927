//! A web server origin: `GET <base_url><path>`.
//!
//! Owns: [`HttpOrigin`], [`HttpSettings`]; re-exports [`AddressPolicy`] and [`refusal`] (in
//! `address`, with the checking DNS resolver). May import `error`, `config`
//! (its `[[origins]]` entry) and the parent's trait; reqwest stays in this file.
//!
//! Against server-side request forgery: the host must be in the allow-list; the addresses it
//! resolves to must not be loopback, private, link-local or cloud-metadata addresses unless
//! the configuration allows them. The check runs inside reqwest's DNS resolver, so the
//! address that is checked is the address that is connected to (no DNS-rebinding window),
//! and IP-literal hosts (which skip DNS) are checked before the request. Redirects are not
//! followed by reqwest: each `Location` goes through the same checks (at most
//! [`MAX_REDIRECTS`]). Proxies from the environment are ignored, since a proxy would make the
//! address check meaningless. Bodies are streamed and abandoned past `max_bytes`; the whole
//! fetch, redirects included, runs under one deadline.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{StatusCode, Url};
use sha2::{Digest, Sha256};

use super::{BoxFuture, Fetched, Origin};
use crate::config::OriginConfig;
use crate::error::{Error, ErrorKind, Result};

mod address;

pub use self::address::{refusal, AddressPolicy};
use self::address::{CheckedResolver, Refused};

/// Redirects followed per fetch.
pub const MAX_REDIRECTS: usize = 5;

/// The settings of one web-server origin.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Base URL the request path is appended to.
    pub base_url: Url,
    /// Hosts that may be reached (lower case).
    pub allowed_hosts: Vec<String>,
    /// Address ranges that may be reached.
    pub policy: AddressPolicy,
    /// Largest body.
    pub max_bytes: u64,
    /// Deadline of one fetch, redirects included.
    pub timeout: Duration,
}

impl HttpSettings {
    /// From a `[[origins]]` entry; `max_bytes` is already capped by the limits.
    pub fn from_config(o: &OriginConfig, max_bytes: u64) -> Result<HttpSettings> {
        let base_url = Url::parse(&o.base_url).map_err(|e| Error::invalid("origins.base_url", &o.base_url, e))?;
        if !matches!(base_url.scheme(), "http" | "https") || base_url.host_str().is_none() {
            return Err(Error::invalid("origins.base_url", &o.base_url, "needs http(s)://host"));
        }
        let mut allowed_hosts: Vec<String> = o.allowed_hosts.iter().map(|h| h.to_ascii_lowercase()).collect();
        if allowed_hosts.is_empty() {
            allowed_hosts.extend(base_url.host_str().map(str::to_ascii_lowercase));
        }
        Ok(HttpSettings {
            base_url,
            allowed_hosts,
            policy: AddressPolicy { allow_private: o.allow_private, allow_link_local: o.allow_link_local },
            max_bytes,
            timeout: Duration::from_millis(o.timeout_ms.max(1)),
        })
    }
}

/// A web server.
#[derive(Debug, Clone)]
pub struct HttpOrigin {
    settings: Arc<HttpSettings>,
    client: reqwest::Client,
}

impl HttpOrigin {
    /// A client with redirects off, proxies off and the checking resolver.
    pub fn new(settings: HttpSettings) -> Result<HttpOrigin> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(settings.timeout)
            .dns_resolver(Arc::new(CheckedResolver { policy: settings.policy }))
            .user_agent(concat!("xformd/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::internal(format!("http origin client: {e}")))?;
        Ok(HttpOrigin { settings: Arc::new(settings), client })
    }

    /// The URL of `path` under the base URL.
    fn url_of(&self, path: &str) -> Result<Url> {
        let rel = path.trim_start_matches('/');
        if rel.is_empty() || super::escapes(rel) {
            return Err(Error::invalid("path", path, "not a file path under the origin"));
        }
        // Segment by segment, percent-encoded: a `?` or `#` in the source path (a `%3F` in the
        // request) stays part of the path instead of becoming a query or fragment of the
        // origin request.
        let mut url = self.settings.base_url.clone();
        url.set_query(None);
        url.set_fragment(None);
        url.path_segments_mut()
            .map_err(|()| Error::invalid("path", path, "the origin's base URL cannot take a path"))?
            .pop_if_empty()
            .extend(rel.split('/'));
        if !self.under_base(&url) {
            return Err(Error::invalid("path", path, "not a file path under the origin"));
        }
        Ok(url)
    }

    /// True when `url` lies under the base URL's path (requests and redirects alike).
    fn under_base(&self, url: &Url) -> bool {
        let base_path = self.settings.base_url.path().trim_end_matches('/');
        url.path().starts_with(&format!("{base_path}/"))
    }

    /// Refuse URLs whose scheme, host or literal address is not allowed.
    fn check(&self, url: &Url) -> Result<()> {
        let refuse = |why: String| Error::new(ErrorKind::Unavailable, format!("origin refused '{url}': {why}"));
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refuse("not http(s)".into()));
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        if !self.settings.allowed_hosts.contains(&host) {
            return Err(refuse(format!("host '{host}' is not in the allow-list")));
        }
        // IP literals skip DNS (and so the checking resolver): judge them here.
        let literal: Option<IpAddr> = host.trim_start_matches('[').trim_end_matches(']').parse().ok();
        if let Some(why) = literal.and_then(|ip| refusal(ip, self.settings.policy)) {
            return Err(refuse(format!("{host} is {why}")));
        }
        Ok(())
    }

    async fn fetch_inner(&self, path: &str) -> Result<Fetched> {
        let mut url = self.url_of(path)?;
        let not_found = || Error::new(ErrorKind::NotFound, format!("no source at '{path}'")).with_param("path", path);
        for _ in 0..=MAX_REDIRECTS {
            self.check(&url)?;
            // A redirect may not leave the origin's base path either: `base_url` is a folder,
            // not a whole site (the scheme, host and address are checked just above).
            if !self.under_base(&url) {
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    format!("origin redirected '{path}' out of its base path to {}", url.path()),
                ));
            }
            let resp = self.client.get(url.clone()).send().await.map_err(|e| transport_error(&url, &e))?;
            let status = resp.status();
            if status.is_redirection() {
                let location =
                    resp.headers().get(reqwest::header::LOCATION).and_then(|v| v.to_str().ok()).ok_or_else(|| {
                        Error::new(ErrorKind::Unavailable, format!("redirect without Location from {url}"))
                    })?;
                url = url
                    .join(location)
                    .map_err(|e| Error::new(ErrorKind::Unavailable, format!("bad redirect '{location}': {e}")))?;
                continue;
            }
            if matches!(status, StatusCode::NOT_FOUND | StatusCode::GONE | StatusCode::FORBIDDEN) {
                return Err(not_found());
            }
            if !status.is_success() {
                return Err(Error::new(ErrorKind::Unavailable, format!("origin answered {status} for {url}")));
            }
            return self.read_body(resp, &url).await;
        }
        Err(Error::new(ErrorKind::Unavailable, format!("more than {MAX_REDIRECTS} redirects for '{path}'")))
    }

    async fn read_body(&self, mut resp: reqwest::Response, url: &Url) -> Result<Fetched> {
        let max = self.settings.max_bytes;
        let too_large = || Error::new(ErrorKind::TooLarge, format!("source at {url} is larger than {max} bytes"));
        if resp.content_length().is_some_and(|n| n > max) {
            return Err(too_large());
        }
        let header = |name: reqwest::header::HeaderName| {
            resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
        };
        let validator = header(reqwest::header::ETAG)
            .map(|e| format!("etag:{e}"))
            .or_else(|| header(reqwest::header::LAST_MODIFIED).map(|lm| format!("lm:{lm}")));
        // The body is read chunk by chunk and abandoned as soon as it passes the limit, so a
        // server that lies about (or omits) Content-Length cannot make us buffer more.
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| transport_error(url, &e))? {
            if (bytes.len() + chunk.len()) as u64 > max {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        let etag = validator.unwrap_or_else(|| {
            let digest = Sha256::digest(&bytes);
            format!("sha256:{}", hex(&digest[..16]))
        });
        Ok(Fetched { bytes, etag })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Map a reqwest failure: the resolver's refusal, a timeout, or an unreachable server.
fn transport_error(url: &Url, e: &reqwest::Error) -> Error {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return Error::new(ErrorKind::Unavailable, format!("origin refused '{url}': {r}"));
        }
        source = s.source();
    }
    if e.is_timeout() {
        return Error::new(ErrorKind::Timeout, format!("origin timed out: {url}"));
    }
    Error::new(ErrorKind::Unavailable, format!("origin unreachable: {url}: {e}"))
}

impl Origin for HttpOrigin {
    fn fetch<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<Fetched>> {
        Box::pin(async move {
            match tokio::time::timeout(self.settings.timeout, self.fetch_inner(path)).await {
                Ok(r) => r,
                Err(_) => Err(Error::new(
                    ErrorKind::Timeout,
                    format!("origin took longer than {} ms for '{path}'", self.settings.timeout.as_millis()),
                )),
            }
        })
    }

    fn local_path(&self, _path: &str) -> Option<std::path::PathBuf> {
        None
    }

    fn ready(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(super::ready_within(self.settings.timeout, "the web origin", async {
            // A HEAD of the base URL through the same checks as a fetch: any HTTP answer (a
            // 404 or 403 for the folder included) means the server is reachable.
            let url = self.settings.base_url.clone();
            self.check(&url)?;
            self.client.head(url.clone()).send().await.map_err(|e| transport_error(&url, &e))?;
            Ok(())
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_and_metadata_ranges_are_refused_by_default() {
        let p = AddressPolicy::default();
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fc00::1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(refusal(ip(a), p).is_some(), "{a} should be refused");
        }
        for a in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1"] {
            assert_eq!(refusal(ip(a), p), None, "{a} should be allowed");
        }
    }

    #[test]
    fn allow_private_does_not_open_metadata() {
        let p = AddressPolicy { allow_private: true, allow_link_local: false };
        assert_eq!(refusal(ip("127.0.0.1"), p), None);
        assert_eq!(refusal(ip("fd12::1"), p), None);
        assert!(refusal(ip("169.254.169.254"), p).is_some());
        assert!(refusal(ip("fd00:ec2::254"), p).is_some());
        let all = AddressPolicy { allow_private: true, allow_link_local: true };
        assert_eq!(refusal(ip("169.254.169.254"), all), None);
    }

    #[test]
    fn paths_cannot_climb_out_of_the_base_url() {
        let o = OriginConfig {
            kind: "http".into(),
            base_url: "http://example.com/media/".into(),
            ..OriginConfig::default()
        };
        let origin = HttpOrigin::new(HttpSettings::from_config(&o, 1000).unwrap()).unwrap();
        assert_eq!(origin.url_of("/a/b c.jpg").unwrap().as_str(), "http://example.com/media/a/b%20c.jpg");
        assert!(origin.url_of("/../secret").is_err());
        // Sources arrive percent-decoded once (`url::imagekit::normalize_source`), so a `%`
        // left in one is part of a file name and is sent encoded: it can neither climb out
        // nor become a query.
        assert!(origin.url_of("/a/%2e%2e/x").is_ok_and(|u| u.path() == "/media/a/%252e%252e/x"));
        assert!(origin.url_of("/%2e%2e/secret").is_ok_and(|u| u.path() == "/media/%252e%252e/secret"));
        assert!(origin
            .url_of("/a.jpg?x=1#y")
            .is_ok_and(|u| u.path() == "/media/a.jpg%3Fx=1%23y" && u.query().is_none()));
        assert!(origin.url_of("/").is_err());
        assert!(origin.check(&Url::parse("http://other.com/x").unwrap()).is_err());
        assert!(origin.check(&Url::parse("file:///etc/passwd").unwrap()).is_err());
    }
}
