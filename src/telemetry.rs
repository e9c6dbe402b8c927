//! Logging and tracing set-up, and the span and field names used across the crate.
//!
//! Owns: [`init`]. Log level from `RUST_LOG` (default `info`).

use tracing_subscriber::EnvFilter;

/// Field carrying the canonical job string.
pub const FIELD_JOB: &str = "job";
/// Field carrying the backend that ran a job.
pub const FIELD_BACKEND: &str = "backend";

/// Install the global subscriber; `json` switches to JSON lines; `default_level` applies
/// when `RUST_LOG` is unset (servers log `info`, one-shot commands `warn` so that a failed
/// job prints one line). Logs go to stderr so stdout stays clean for `render --json` and
/// `translate`.
pub fn init(json: bool, default_level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}
