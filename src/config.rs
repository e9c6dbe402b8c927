//! The configuration tree, its documented defaults, and the layering
//! defaults → TOML file → environment (`XFORMD__SECTION__KEY`) → command-line flags.
//!
//! Owns: [`Config`] (the root of the tree). Its sections and their defaults live in
//! [`sections`] (re-exported here), loading, validation and the TOML dump in `load`, the
//! command line in [`cli`]. Imports `error` and `limits` only.

pub mod cli;
mod load;
pub mod sections;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use sections::{
    default_media_root, BackendConfig, CacheConfig, FrontendConfig, LimitsConfig, MediaConfig, ObjectCacheConfig,
    OriginConfig, ServerConfig,
};

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
