//! The `[cache]` section and its `[cache.object_store]` bucket, with their defaults.
//!
//! Owns: [`CacheConfig`], [`ObjectCacheConfig`]. Plain data: serde and std only.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The rendered-variant cache (`[cache]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Cache rendered variants at all.
    pub enabled: bool,
    /// Folder of the disk cache; empty = `$XDG_CACHE_HOME/xformd`, else `/tmp/xformd-cache`.
    pub dir: PathBuf,
    /// Upper bound of the cached bytes; the least recently used entries are evicted past it.
    pub max_bytes: u64,
    /// Where entries live: `disk` (the folder `dir`) or `object_store` (an S3-compatible
    /// bucket, `[cache.object_store]`), shared by daemons and kept across restarts.
    pub backend: String,
    /// The bucket of the `object_store` backend.
    pub object_store: ObjectCacheConfig,
}

/// The S3-compatible bucket of the object-store cache (`[cache.object_store]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ObjectCacheConfig {
    /// Endpoint URL; empty = AWS.
    pub endpoint: String,
    /// Bucket (must exist).
    pub bucket: String,
    /// Key prefix inside the bucket (a folder, without a trailing `/`).
    pub prefix: String,
    /// Region.
    pub region: String,
    /// Access key id; empty = `AWS_ACCESS_KEY_ID` from the environment.
    pub access_key_id: String,
    /// Secret access key; empty = `AWS_SECRET_ACCESS_KEY` from the environment.
    pub secret_access_key: String,
    /// `https://<bucket>.<endpoint>` requests instead of path-style (most S3-compatible
    /// servers want path-style).
    pub virtual_hosted_style: bool,
    /// Milliseconds one cache read or write may take; a slower read is a miss.
    pub timeout_ms: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            enabled: true,
            dir: PathBuf::new(),
            max_bytes: 1 << 30,
            backend: "disk".into(),
            object_store: ObjectCacheConfig::default(),
        }
    }
}

impl Default for ObjectCacheConfig {
    fn default() -> Self {
        ObjectCacheConfig {
            endpoint: String::new(),
            bucket: String::new(),
            prefix: "xformd-cache".into(),
            region: "us-east-1".into(),
            access_key_id: String::new(),
            secret_access_key: String::new(),
            virtual_hosted_style: false,
            timeout_ms: 5000,
        }
    }
}

impl CacheConfig {
    /// The folder the disk cache uses: `dir`, else `$XDG_CACHE_HOME/xformd`, else
    /// `/tmp/xformd-cache`.
    pub fn resolved_dir(&self) -> PathBuf {
        if !self.dir.as_os_str().is_empty() {
            return self.dir.clone();
        }
        match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            Some(x) => PathBuf::from(x).join("xformd"),
            None => PathBuf::from("/tmp/xformd-cache"),
        }
    }
}
