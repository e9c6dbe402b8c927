//! The one bench harness: criterion over the modules below.
//!
//! `cargo bench --bench main` runs all; `cargo bench --bench main -- resize` filters.
//! `XFORMD_BENCH_VIDEO=1 cargo bench --bench main` adds the video cut vs FFmpeg CLI ratio
//! (whole multi-second encodes, so it is opt-in).

use criterion::{criterion_group, criterion_main, Criterion};

pub mod kernels;
pub mod url_parse;
#[cfg(feature = "video")]
pub mod video_cut;

/// The video comparison prints its own Markdown table; criterion only schedules it.
pub fn video(_c: &mut Criterion) {
    #[cfg(feature = "video")]
    if std::env::var_os("XFORMD_BENCH_VIDEO").is_some() {
        video_cut::cut_vs_cli();
    }
}

/// criterion_group! generates an undocumented `pub fn`; a private module keeps it private.
mod group {
    use super::*;
    criterion_group!(benches, url_parse::benches, kernels::benches, video);
}

criterion_main!(group::benches);
