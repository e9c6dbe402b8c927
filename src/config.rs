//! The configuration tree, its documented defaults, and the layering
//! defaults → TOML file → environment (`XFORMD__SECTION__KEY`) → command-line flags.
//!
//! Owns: [`Config`] and its sections, [`Config::load`], [`Config::validate`],
//! [`Config::to_toml`] (what `xformd config dump` prints). Imports `error` and `limits` only.

pub mod cli;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;

/// Everything configurable.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Listen addresses and the daemon the front end talks to.
    pub server: ServerConfig,
    /// Where sources come from.
    pub media: MediaConfig,
    /// Limits on untrusted sizes.
    pub limits: LimitsConfig,
    /// Backend choice.
    pub backend: BackendConfig,
    /// HTTP front end behaviour.
    pub frontend: FrontendConfig,
    /// Named transformations: name → ImageKit transformation string (`n-name`, `t_name`).
    pub named: BTreeMap<String, String>,
    /// Rendered-variant cache.
    pub cache: CacheConfig,
    /// Extra origins chosen by path prefix (`[[origins]]`); paths no entry claims come from
    /// the local folder `media.root`.
    pub origins: Vec<OriginConfig>,
}

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

/// One origin (`[[origins]]`): which paths it serves and where their bytes come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OriginConfig {
    /// Path prefix this origin serves, on segment boundaries (`/remote` claims `/remote/a.jpg`,
    /// not `/remotes/a.jpg`); the longest matching prefix wins.
    pub prefix: String,
    /// `local`, `http` or `s3`.
    pub kind: String,
    /// Remove `prefix` from the path before asking the origin.
    pub strip_prefix: bool,
    /// `local`: the folder.
    pub root: PathBuf,
    /// `http`: base URL the path is appended to, e.g. `https://images.example.com/media`.
    pub base_url: String,
    /// `http`: hosts the origin (and every redirect) may reach; empty = the base URL's host.
    pub allowed_hosts: Vec<String>,
    /// `http`: allow addresses in loopback and private ranges (`127.0.0.0/8`, `10/8`,
    /// `172.16/12`, `192.168/16`, `fc00::/7`, …); refused by default against SSRF.
    pub allow_private: bool,
    /// `http`: allow link-local and cloud-metadata addresses (`169.254/16`, `fe80::/10`,
    /// `fd00:ec2::254`); refused by default, also when `allow_private` is set.
    pub allow_link_local: bool,
    /// Largest source in bytes; 0 = `limits.max_source_bytes` (never more than it).
    pub max_bytes: u64,
    /// `http` and `s3`: milliseconds one fetch may take, redirects included (then 504).
    pub timeout_ms: u64,
    /// `s3`: endpoint URL; empty = AWS.
    pub endpoint: String,
    /// `s3`: bucket.
    pub bucket: String,
    /// `s3`: key prefix inside the bucket (a folder, without a trailing `/`).
    pub bucket_prefix: String,
    /// `s3`: region.
    pub region: String,
    /// `s3`: access key id; empty = `AWS_ACCESS_KEY_ID` from the environment.
    pub access_key_id: String,
    /// `s3`: secret access key; empty = `AWS_SECRET_ACCESS_KEY` from the environment.
    pub secret_access_key: String,
    /// `s3`: `https://<bucket>.<endpoint>` requests instead of path-style
    /// `https://<endpoint>/<bucket>` (most S3-compatible servers want path-style).
    pub virtual_hosted_style: bool,
    /// `s3`: Cloudinary cloud name when the bucket is a Cloudinary backup bucket
    /// (`res/<cloud>/<asset>/<delivery>/<public_id>/<version>.<ext>`); empty = plain keys.
    pub cloudinary_backup: String,
}

/// Listen addresses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// HTTP front end address.
    pub http: String,
    /// gRPC daemon address.
    pub grpc: String,
    /// gRPC URL of the daemon(s) the front end calls; empty = the local `grpc` address.
    pub daemon_url: String,
    /// Seconds a request may take before it fails with 504.
    pub request_timeout_secs: u64,
    /// Seconds in-flight work may take to finish after SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// Address of a Prometheus `/metrics` listener of the daemon (e.g. `0.0.0.0:9090`);
    /// empty = none (in `serve` the front end's `/metrics` still answers).
    pub metrics_listen: String,
    /// Milliseconds between the daemon's readiness checks (origins, GPU) behind gRPC health.
    pub health_interval_ms: u64,
}

/// Source origin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaConfig {
    /// Local folder served by the default origin.
    pub root: PathBuf,
}

/// Limits, mirrored into [`Limits`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest source in pixels.
    pub max_input_pixels: u64,
    /// Largest output edge in pixels.
    pub max_output_dim: u32,
    /// Largest pixel buffer in bytes.
    pub max_alloc: u64,
    /// Largest source file in bytes.
    pub max_source_bytes: u64,
    /// Longest video in seconds.
    pub max_video_secs: u32,
    /// Most frames in an animated GIF or WebP source; more are refused with 413.
    pub max_frames: u32,
    /// Image jobs running at once.
    pub max_concurrent_jobs: usize,
    /// Image jobs waiting for a slot; more are refused with 429.
    pub max_queued_jobs: usize,
}

/// Backend selection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackendConfig {
    /// `auto`, `cpu` or `gpu`: the default when a request does not say.
    pub default: String,
    /// Try to open a GPU at start-up.
    pub gpu: bool,
    /// With `auto`, frames smaller than this many pixels stay on the CPU (upload and
    /// readback cost more than the GPU saves below it).
    pub gpu_min_pixels: u64,
    /// CPU worker threads; 0 = one per core.
    pub cpu_threads: usize,
}

/// HTTP front end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FrontendConfig {
    /// `Cache-Control` on successful responses.
    pub cache_control: String,
    /// Cloudinary cloud name accepted as the first path segment.
    pub cloud_name: String,
    /// Keep `/<asset>/<delivery>/` when forwarding Cloudinary paths.
    pub keep_types: bool,
    /// Add `X-Xformd-Tr` / `X-Xformd-Dropped` headers to every response (also per request
    /// with `?debug`).
    pub debug_headers: bool,
    /// ImageKit private key for `ik-s` signed URLs; empty = not checked.
    pub imagekit_private_key: String,
    /// Cloudinary API secret for `s--…--` signatures; empty = not checked.
    pub cloudinary_api_secret: String,
    /// Refuse unsigned requests when a key for their dialect is set.
    pub require_signature: bool,
    /// Longest accepted path + query, in bytes (longer ⇒ 414).
    pub max_url_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            http: "127.0.0.1:8080".into(),
            grpc: "127.0.0.1:50051".into(),
            daemon_url: String::new(),
            request_timeout_secs: 30,
            shutdown_timeout_secs: 20,
            metrics_listen: String::new(),
            health_interval_ms: 5000,
        }
    }
}

impl Default for MediaConfig {
    fn default() -> Self {
        MediaConfig { root: default_media_root() }
    }
}

/// The bundled sample folder: `media/` next to the crate, found from the current directory
/// or from the executable's location (so `target/release/xformd` finds it too).
pub fn default_media_root() -> PathBuf {
    let candidates = [PathBuf::from("media")].into_iter().chain(
        std::env::current_exe()
            .ok()
            .into_iter()
            .flat_map(|exe| exe.ancestors().skip(1).take(4).map(|a| a.join("media")).collect::<Vec<_>>()),
    );
    for c in candidates {
        if c.join("SOURCES.md").is_file() {
            return c;
        }
    }
    PathBuf::from("media")
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

impl Default for OriginConfig {
    fn default() -> Self {
        OriginConfig {
            prefix: String::new(),
            kind: "local".into(),
            strip_prefix: true,
            root: PathBuf::new(),
            base_url: String::new(),
            allowed_hosts: Vec::new(),
            allow_private: false,
            allow_link_local: false,
            max_bytes: 0,
            timeout_ms: 10_000,
            endpoint: String::new(),
            bucket: String::new(),
            bucket_prefix: String::new(),
            region: "us-east-1".into(),
            access_key_id: String::new(),
            secret_access_key: String::new(),
            virtual_hosted_style: false,
            cloudinary_backup: String::new(),
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        let l = Limits::default();
        LimitsConfig {
            max_input_pixels: l.max_input_pixels,
            max_output_dim: l.max_output_dim,
            max_alloc: l.max_alloc,
            max_source_bytes: l.max_source_bytes,
            max_video_secs: l.max_video_secs,
            max_frames: l.max_frames,
            max_concurrent_jobs: 8,
            max_queued_jobs: 64,
        }
    }
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig { default: "auto".into(), gpu: true, gpu_min_pixels: 512 * 512, cpu_threads: 0 }
    }
}

impl Default for FrontendConfig {
    fn default() -> Self {
        FrontendConfig {
            cache_control: "public, max-age=31536000, immutable".into(),
            cloud_name: String::new(),
            keep_types: false,
            debug_headers: false,
            imagekit_private_key: String::new(),
            cloudinary_api_secret: String::new(),
            require_signature: false,
            max_url_bytes: 8192,
        }
    }
}

fn config_error(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidArgument, msg)
}

/// Set `path` (lower-case section names) in a TOML tree to `raw`, typed by the default's type.
fn set_path(tree: &mut toml::Table, path: &[String], raw: &str) -> Result<()> {
    let (last, parents) = path.split_last().ok_or_else(|| config_error("empty environment key"))?;
    let mut table = tree;
    for p in parents {
        table = table
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or_else(|| config_error(format!("XFORMD__{}: not a section", p.to_uppercase())))?;
    }
    let value = match table.get(last) {
        Some(toml::Value::Integer(_)) => {
            toml::Value::Integer(raw.parse().map_err(|_| config_error(format!("{last}: '{raw}' is not an integer")))?)
        }
        Some(toml::Value::Boolean(_)) => {
            toml::Value::Boolean(raw.parse().map_err(|_| config_error(format!("{last}: '{raw}' is not true/false")))?)
        }
        _ => toml::Value::String(raw.to_string()),
    };
    table.insert(last.clone(), value);
    Ok(())
}

impl Config {
    /// Defaults, then `file` if given, then `XFORMD__SECTION__KEY` variables from `env`.
    pub fn load(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Config> {
        let mut tree = toml::Table::try_from(Config::default()).map_err(|e| Error::internal(e.to_string()))?;
        if let Some(file) = file {
            let text = std::fs::read_to_string(file)
                .map_err(|e| config_error(format!("cannot read config {}: {e}", file.display())))?;
            let overlay: toml::Table =
                toml::from_str(&text).map_err(|e| config_error(format!("config {}: {e}", file.display())))?;
            merge(&mut tree, overlay);
        }
        for (k, v) in env {
            if let Some(rest) = k.strip_prefix("XFORMD__") {
                let path: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
                set_path(&mut tree, &path, &v)?;
            }
        }
        let config: Config = toml::Value::Table(tree).try_into().map_err(|e| config_error(format!("config: {e}")))?;
        config.validate()?;
        Ok(config)
    }

    /// Reject settings that cannot work.
    pub fn validate(&self) -> Result<()> {
        if !["auto", "cpu", "gpu"].contains(&self.backend.default.as_str()) {
            return Err(config_error(format!(
                "backend.default must be auto, cpu or gpu, not '{}'",
                self.backend.default
            )));
        }
        if self.limits.max_concurrent_jobs == 0 {
            return Err(config_error("limits.max_concurrent_jobs must be at least 1"));
        }
        if self.limits.max_output_dim == 0 || self.limits.max_input_pixels == 0 {
            return Err(config_error("limits must be positive"));
        }
        if !["disk", "object_store"].contains(&self.cache.backend.as_str()) {
            return Err(config_error(format!(
                "cache.backend must be disk or object_store, not '{}'",
                self.cache.backend
            )));
        }
        if self.cache.enabled && self.cache.backend == "object_store" && self.cache.object_store.bucket.is_empty() {
            return Err(config_error("cache: the object_store backend needs cache.object_store.bucket"));
        }
        for o in &self.origins {
            if !["local", "http", "s3"].contains(&o.kind.as_str()) {
                return Err(config_error(format!("origins.kind must be local, http or s3, not '{}'", o.kind)));
            }
            if !(o.prefix.is_empty() || o.prefix.starts_with('/')) {
                return Err(config_error(format!("origins.prefix must start with '/': '{}'", o.prefix)));
            }
            if o.kind == "http" && o.base_url.is_empty() {
                return Err(config_error("origins: an http origin needs base_url"));
            }
            if o.kind == "s3" && o.bucket.is_empty() {
                return Err(config_error("origins: an s3 origin needs bucket"));
            }
        }
        Ok(())
    }

    /// The limits as the pixel code uses them.
    pub fn limits(&self) -> Limits {
        Limits {
            max_input_pixels: self.limits.max_input_pixels,
            max_output_dim: self.limits.max_output_dim,
            max_alloc: self.limits.max_alloc,
            max_source_bytes: self.limits.max_source_bytes,
            max_video_secs: self.limits.max_video_secs,
            max_frames: self.limits.max_frames,
        }
    }

    /// The merged configuration as TOML (`xformd config dump`).
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string_pretty(self).map_err(|e| Error::internal(format!("config dump: {e}")))
    }
}

fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (k, v) in overlay {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_defaults_with_types() {
        let env = [
            ("XFORMD__SERVER__HTTP".to_string(), "0.0.0.0:9000".to_string()),
            ("XFORMD__LIMITS__MAX_OUTPUT_DIM".to_string(), "4000".to_string()),
            ("XFORMD__BACKEND__GPU".to_string(), "false".to_string()),
            ("OTHER".to_string(), "x".to_string()),
        ];
        let c = Config::load(None, env).unwrap();
        assert_eq!(c.server.http, "0.0.0.0:9000");
        assert_eq!(c.limits.max_output_dim, 4000);
        assert!(!c.backend.gpu);
    }

    #[test]
    fn bad_values_are_rejected() {
        let env = [("XFORMD__LIMITS__MAX_OUTPUT_DIM".to_string(), "big".to_string())];
        assert!(Config::load(None, env).is_err());
        let env = [("XFORMD__BACKEND__DEFAULT".to_string(), "tpu".to_string())];
        assert!(Config::load(None, env).is_err());
    }

    #[test]
    fn origins_and_cache_sections_parse() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "[cache]\nmax_bytes = 1000\n\n[[origins]]\nprefix = \"/web\"\nkind = \"http\"\n\
             base_url = \"http://example.com/m\"\n\n[[origins]]\nprefix = \"/s3\"\nkind = \"s3\"\nbucket = \"b\"\n",
        )
        .unwrap();
        let c = Config::load(Some(&file), []).unwrap();
        assert_eq!(c.cache.max_bytes, 1000);
        assert!(c.cache.enabled);
        assert_eq!(c.origins.len(), 2);
        assert_eq!(c.origins[0].kind, "http");
        assert_eq!(c.origins[1].region, "us-east-1");
        assert!(c.origins[1].strip_prefix);
        std::fs::write(&file, "[[origins]]\nkind = \"ftp\"\n").unwrap();
        assert!(Config::load(Some(&file), []).is_err());
    }

    #[test]
    fn dump_round_trips() {
        let c = Config::default();
        let back: Config = toml::from_str(&c.to_toml().unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
