//! xformd — a GPU-accelerated media transform daemon that serves Cloudinary and ImageKit
//! delivery URLs.
//!
//! # Architecture
//!
//! ```text
//!  client URL ─► frontend (HTTP) ─gRPC─► service ─► pipeline ─► origin ─► media::decode
//!                url: cloudinary → imagekit → Job         plan ─► exec (gpu | cpu) ─► media::encode
//! ```
//!
//! * `url`, `job`, `plan` are pure and synchronous (no tokio, wgpu, tonic, image).
//! * `frontend` understands URLs and HTTP, never pixels; it reaches a daemon only through
//!   the gRPC API (`service`), also inside one process, so scaling out is configuration.
//! * `exec` runs plans: `exec::gpu` (wgpu, WGSL in `shaders/`) and `exec::cpu`
//!   (fast_image_resize, rayon). Only `exec::gpu` knows wgpu.
//! * `error`, `limits`, `cancel`, `child`, `config`, `telemetry` are leaf utilities.
//!
//! # Dependency rules
//!
//! | module | may import in-crate |
//! |---|---|
//! | `job` | `error` |
//! | `url` | `job`, `error` |
//! | `plan` | `job`, `limits`, `error` |
//! | `media` | `job`, `limits`, `error` |
//! | `exec` | `plan`, `media`, `job`, `limits`, `error` |
//! | `app` | `config`, `exec`, `limits`, `origin`, `cache` |
//! | `cache` | `config`, `error`, `origin::s3` (the bucket client builder) |
//! | `pipeline` | `app`, `origin`, `cache`, `media`, `exec`, `job`, `plan`, `video` (AVIF sources decode through its FFmpeg thumbnail at t = 0) |
//! | `service` | `pipeline`, `app`, `job`, `error`, `media` (probe), `url::cloudinary` (the Translate RPC only) |
//! | `frontend` | `url`, `job`, `error`, `service` (client and convert only) |
//! | `batch` | `app`, `config`, `pipeline`, `url`, `job`, `error`, `report` (URL logs), `origin::s3` (the bucket client builder), `service` (client side: proto, auth, convert) |
//! | `cli` | `app`, `url::cloudinary`, `report`, `media` (codec list), `video` (self-test), `error` |
//!
//! `tests/architecture.rs` checks these rules against the `use` lines in `src/`.

pub mod app;
pub mod batch;
pub mod bench;
pub mod cache;
pub mod cancel;
#[cfg(any(feature = "video", feature = "gpu"))]
pub mod child;
pub mod cli;
pub mod config;
pub mod error;
pub mod exec;
pub mod frontend;
pub mod job;
pub mod limits;
pub mod media;
pub mod metrics;
pub mod origin;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod service;
pub mod telemetry;
pub mod url;
#[cfg(feature = "video")]
pub mod video;

pub use error::{Error, ErrorKind, Result};
