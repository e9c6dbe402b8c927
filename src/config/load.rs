//! Loading, validating and dumping a [`Config`]: defaults → TOML file → environment
//! (`XFORMD__SECTION__KEY`); command-line flags come after, in [`super::cli`].
//!
//! Owns: [`Config::load`], [`Config::validate`], [`Config::limits`], [`Config::to_toml`]
//! (what `xformd config dump` prints). Imports `error`, `limits` and the sections.

use std::path::Path;

use super::Config;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;

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
        if self.server.grpc_tls_cert.is_empty() != self.server.grpc_tls_key.is_empty() {
            return Err(config_error("server.grpc_tls_cert and server.grpc_tls_key go together"));
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
            max_steps: self.limits.max_steps,
            max_layers: self.limits.max_layers,
            max_work: self.limits.max_work,
            strict_decode: self.limits.strict_decode,
            max_auto_avif_pixels: self.limits.max_auto_avif_pixels,
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
