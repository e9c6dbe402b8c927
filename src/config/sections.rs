//! The sections of [`Config`](super::Config) (`[server]`, `[media]`, `[limits]`, `[backend]`,
//! `[frontend]`, `[[origins]]`; `[cache]` in its child `cache`) and their documented defaults.
//!
//! Owns: the section structs, their `Default`s, [`default_media_root`]. Plain data: imports
//! serde, std and `limits` (for the default limits) only.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::limits::Limits;

// `[cache]` and `[cache.object_store]`.
mod cache;
pub use cache::{CacheConfig, ObjectCacheConfig};

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
    /// PEM file of the certificate authority that signed the daemon's certificate: the front
    /// end then speaks TLS to the daemon and verifies it (`https://` in `daemon_url`).
    pub daemon_ca: String,
    /// Seconds a request may take before it fails with 504.
    pub request_timeout_secs: u64,
    /// Seconds in-flight work may take to finish after SIGTERM.
    pub shutdown_timeout_secs: u64,
    /// Address of a Prometheus `/metrics` listener of the daemon (e.g. `0.0.0.0:9090`);
    /// empty = none (in `serve` the front end's `/metrics` still answers).
    pub metrics_listen: String,
    /// Milliseconds between the daemon's readiness checks (origins, GPU) behind gRPC health.
    pub health_interval_ms: u64,
    /// Shared secret: every `xformd.v1` RPC must carry `authorization: Bearer <token>`, and
    /// front ends send it. Empty = no authentication (refused off loopback, see
    /// `grpc_insecure`). Set it through `XFORMD__SERVER__GRPC_TOKEN`, not a file in git.
    pub grpc_token: String,
    /// Let the daemon listen beyond loopback without a token (a mesh authenticates for it).
    pub grpc_insecure: bool,
    /// Serve gRPC server reflection (for `grpcurl`); off on the edge.
    pub grpc_reflection: bool,
    /// PEM certificate chain of the daemon: with `grpc_tls_key`, the gRPC port speaks TLS
    /// only. Empty = plaintext (loopback, or a mesh that encrypts for it).
    pub grpc_tls_cert: String,
    /// PEM private key of `grpc_tls_cert`.
    pub grpc_tls_key: String,
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
    /// Most chain steps per job (layers' steps included); more are refused with 400.
    pub max_steps: u32,
    /// Most layers per job (nested ones included); more are refused with 400.
    pub max_layers: u32,
    /// Most estimated work per render (≈ multiply-adds per pixel, see docs/security.md);
    /// more is refused with 400 before decoding.
    pub max_work: u64,
    /// Refuse damaged sources (truncated or corrupt JPEG data) with 422 instead of rendering
    /// what decodes (the missing part grey), as libvips' `fail=false` and browsers do.
    pub strict_decode: bool,
    /// Largest output in pixels that `f-auto` sends as AVIF (slow to encode); larger ones get
    /// WebP or JPEG/PNG. 0 = never AVIF through `f-auto`; `f-avif` always encodes AVIF.
    pub max_auto_avif_pixels: u64,
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
    /// Accept a software Vulkan adapter (Mesa lavapipe/llvmpipe) as the GPU. Off: a node
    /// whose GPU driver is invisible to Vulkan serves on the CPU backend and reports the GPU
    /// unavailable, instead of rendering "on the GPU" in software (slower than the CPU).
    pub allow_software_adapter: bool,
    /// With `auto`, frames smaller than this many pixels stay on the CPU (upload and
    /// readback cost more than the GPU saves below it). The starting value: with
    /// `calibrate_gpu`, the daemon measures the crossover on its own devices at start-up and
    /// replaces it.
    pub gpu_min_pixels: u64,
    /// Measure `gpu_min_pixels` at start-up (a hardware GPU only): the bench chain on both
    /// backends at 0.25, 1, 4 and 12 MP, in the background, a few seconds (`bench::calibrate`).
    /// Off: `gpu_min_pixels` is used as configured.
    pub calibrate_gpu: bool,
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
    /// When the daemon URL names a host (a Kubernetes headless Service), every address it
    /// resolves to is a daemon: calls are balanced over them client-side and the name is
    /// resolved again this often. 0: one connection to the name, as a plain Service gives.
    pub daemon_refresh_secs: u64,
    /// Longest accepted path + query, in bytes (longer ⇒ 414).
    pub max_url_bytes: usize,
    /// Most bytes of request headers (names + values) accepted (more ⇒ 431).
    pub max_header_bytes: usize,
    /// Seconds a connection may take to send a request's headers, counted from when it
    /// starts waiting for one (so it also closes idle keep-alive connections); slowloris
    /// clients are dropped after this.
    pub header_read_timeout_secs: u64,
    /// Seconds a response write may stay blocked on a client that does not read.
    pub write_stall_secs: u64,
    /// Open connections at most; more are answered 503 and closed.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            http: "127.0.0.1:8080".into(),
            grpc: "127.0.0.1:50051".into(),
            daemon_url: String::new(),
            daemon_ca: String::new(),
            request_timeout_secs: 30,
            shutdown_timeout_secs: 20,
            metrics_listen: String::new(),
            health_interval_ms: 5000,
            grpc_token: String::new(),
            grpc_insecure: false,
            grpc_reflection: false,
            grpc_tls_cert: String::new(),
            grpc_tls_key: String::new(),
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
            max_steps: l.max_steps,
            max_layers: l.max_layers,
            max_work: l.max_work,
            strict_decode: l.strict_decode,
            max_auto_avif_pixels: l.max_auto_avif_pixels,
            max_concurrent_jobs: 8,
            max_queued_jobs: 64,
        }
    }
}

impl Default for BackendConfig {
    fn default() -> Self {
        BackendConfig {
            default: "auto".into(),
            gpu: true,
            allow_software_adapter: false,
            gpu_min_pixels: 512 * 512,
            calibrate_gpu: true,
            cpu_threads: 0,
        }
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
            daemon_refresh_secs: 10,
            max_url_bytes: 8192,
            max_header_bytes: 16384,
            header_read_timeout_secs: 10,
            write_stall_secs: 30,
            max_connections: 4096,
        }
    }
}
