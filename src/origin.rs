//! Where sources come from.
//!
//! Owns: [`Origin`], [`Fetched`], [`BoxFuture`], [`from_config`], [`READY_TIMEOUT`]; the origins live in the
//! children: [`local`] (a folder, the default), [`http`] (a web server: host allow-list,
//! private addresses refused, redirects re-checked, size and time limits), [`s3`]
//! (S3-compatible storage through `object_store`, optionally in the Cloudinary backup
//! layout of [`backup`]), and [`router`] (several origins chosen by path prefix).
//!
//! May import `error`, `config` (the `[[origins]]` section) and `limits`; reqwest and
//! object_store stay inside `http` and `s3`. Never `pipeline`, `exec`, `media` or tonic.

pub mod backup;
pub mod http;
pub mod local;
pub mod router;
pub mod s3;

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

pub use self::local::LocalOrigin;
use crate::config::{Config, OriginConfig};
use crate::error::{Error, ErrorKind, Result};

/// Source bytes and their identity.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// A validator for the cache key: mtime + size for files, the origin's ETag or
    /// Last-Modified for web servers and object stores (a content hash when it sends neither).
    pub etag: String,
}

/// The longest a readiness check ([`Origin::ready`]) of one origin may take.
pub const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// A boxed future, so origins can be trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A place sources are fetched from.
pub trait Origin: Send + Sync {
    /// Fetch `path` (starting with `/`).
    fn fetch<'a>(&'a self, path: &'a str) -> BoxFuture<'a, Result<Fetched>>;
    /// Local file path of `path`, when the origin is a folder (video decoding reads files).
    fn local_path(&self, path: &str) -> Option<PathBuf>;
    /// Whether the origin can serve now, by a cheap check bounded by [`READY_TIMEOUT`] (a
    /// folder is readable, a web server answers, a bucket lists); the error says why not.
    /// Used by the daemon's health reporting; an origin without such a check is ready.
    fn ready(&self) -> BoxFuture<'_, Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

/// `check` under `limit` (at most [`READY_TIMEOUT`]); running out of time is not ready.
async fn ready_within(limit: Duration, what: &str, check: impl Future<Output = Result<()>>) -> Result<()> {
    let limit = limit.min(READY_TIMEOUT);
    match tokio::time::timeout(limit, check).await {
        Ok(r) => r,
        Err(_) => Err(Error::new(ErrorKind::Timeout, format!("{what} did not answer within {} ms", limit.as_millis()))),
    }
}

/// Build the origin tree from the configuration: the `[[origins]]` entries by path prefix,
/// over the local folder `media.root` (the default for paths no entry claims).
pub fn from_config(config: &Config) -> Result<Arc<dyn Origin>> {
    let max = config.limits.max_source_bytes;
    let default: Arc<dyn Origin> = Arc::new(LocalOrigin::new(config.media.root.clone()).with_max_bytes(max));
    if config.origins.is_empty() {
        return Ok(default);
    }
    let mut router = router::Router::new(default);
    for o in &config.origins {
        router.add(&o.prefix, o.strip_prefix, build_one(o, config.limits.max_source_bytes)?)?;
    }
    Ok(Arc::new(router))
}

/// One `[[origins]]` entry.
fn build_one(o: &OriginConfig, max_source_bytes: u64) -> Result<Arc<dyn Origin>> {
    let max_bytes = match o.max_bytes {
        0 => max_source_bytes,
        n => n.min(max_source_bytes),
    };
    Ok(match o.kind.as_str() {
        "local" => Arc::new(LocalOrigin::new(o.root.clone()).with_max_bytes(max_bytes)),
        "http" => Arc::new(http::HttpOrigin::new(http::HttpSettings::from_config(o, max_bytes)?)?),
        "s3" => Arc::new(s3::S3Origin::from_config(o, max_bytes)?),
        other => {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("origins.kind must be local, http or s3, not '{other}'"),
            ))
        }
    })
}

/// True when a relative object path tries to leave its folder.
fn escapes(rel: &str) -> bool {
    rel.split(['/', '\\']).any(|s| s == ".." || s == ".") || rel.contains('\0')
}
