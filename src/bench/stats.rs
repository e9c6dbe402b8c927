//! Timing series of `xformd bench`.
//!
//! Owns: [`Stats`], [`Split`], [`series`].
//!
//! May import: `error`.

use std::time::{Duration, Instant};

use crate::error::Result;

/// Statistics of one series, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Median.
    pub median: f64,
    /// Fastest.
    pub min: f64,
    /// Slowest.
    pub max: f64,
}

impl Stats {
    /// Median, min and max of `samples`.
    pub fn of(samples: &[Duration]) -> Stats {
        let mut s: Vec<f64> = samples.iter().map(Duration::as_secs_f64).collect();
        s.sort_by(f64::total_cmp);
        let median = match s.len() {
            0 => 0.0,
            n if n % 2 == 1 => s[n / 2],
            n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
        };
        Stats { median, min: s.first().copied().unwrap_or(0.0), max: s.last().copied().unwrap_or(0.0) }
    }
}

/// Median phase split of the GPU's timed runs, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    /// Upload + unpack.
    pub upload: f64,
    /// Op dispatches.
    pub kernels: f64,
    /// Pack + readback.
    pub readback: f64,
}

/// One warm-up, then `runs` timed calls of `f`.
pub fn series(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<Stats> {
    f()?;
    let mut samples = Vec::new();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        f()?;
        samples.push(t.elapsed());
    }
    Ok(Stats::of(&samples))
}
