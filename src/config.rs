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
    /// Image jobs running at once.
    pub max_concurrent_jobs: usize,
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
    /// Add `X-Xformd-Tr` / `X-Xformd-Dropped` headers to every response.
    pub debug_headers: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            http: "127.0.0.1:8080".into(),
            grpc: "127.0.0.1:50051".into(),
            daemon_url: String::new(),
            request_timeout_secs: 30,
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

impl Default for LimitsConfig {
    fn default() -> Self {
        let l = Limits::default();
        LimitsConfig {
            max_input_pixels: l.max_input_pixels,
            max_output_dim: l.max_output_dim,
            max_alloc: l.max_alloc,
            max_source_bytes: l.max_source_bytes,
            max_video_secs: l.max_video_secs,
            max_concurrent_jobs: 8,
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
    fn dump_round_trips() {
        let c = Config::default();
        let back: Config = toml::from_str(&c.to_toml().unwrap()).unwrap();
        assert_eq!(back, c);
    }
}
