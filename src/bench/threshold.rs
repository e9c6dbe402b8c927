//! The `auto` backend threshold, measured: from the `chain` rows of a bench run, the
//! smallest input size from which the GPU beats the CPU at that size and every larger size
//! measured. `backend.gpu_min_pixels` is meant to be set from this on each kind of machine.
//!
//! Owns: [`Threshold`] (and the `gpu_min_pixels` it means), `BenchReport::gpu_threshold`.
//! May import: `exec` (backend kinds).

use super::{BenchOp, BenchReport};
use crate::exec::BackendKind;

/// What a bench run says about `backend.gpu_min_pixels`.
#[derive(Debug, Clone, PartialEq)]
pub enum Threshold {
    /// The GPU won from this many input pixels on (the smallest measured size where it won
    /// and kept winning at every larger size).
    From {
        /// Input pixels (width × height) of that size.
        pixels: u64,
        /// Its name (`1080p` …).
        size: String,
    },
    /// The GPU was slower at every size where it ran, or never ran the chain.
    Never,
}

impl Threshold {
    /// The `gpu_min_pixels` this threshold means: `u64::MAX` (never) when the GPU did not win.
    pub fn min_pixels(&self) -> u64 {
        match self {
            Threshold::From { pixels, .. } => *pixels,
            Threshold::Never => u64::MAX,
        }
    }

    /// One line for the report.
    pub fn describe(&self) -> String {
        match self {
            Threshold::From { pixels, size } => {
                format!("`backend.gpu_min_pixels = {pixels}` (the GPU ran the chain faster from {size} up)")
            }
            Threshold::Never => "none: the GPU did not run the chain faster than the CPU at any size measured, \
                 so `auto` should stay on the CPU on this machine"
                .to_string(),
        }
    }
}

impl BenchReport {
    /// The measured threshold for `auto` (see the module doc). Sizes where the GPU fell back
    /// (over the device's limits) count as losses: `auto` could not use it there either.
    pub fn gpu_threshold(&self) -> Threshold {
        let median = |size: &super::NamedSize, backend| {
            self.rows
                .iter()
                .find(|r| r.op == BenchOp::Chain && &r.size == size && r.backend == backend)
                .and_then(|r| r.result.as_ref().ok().map(|s| s.median))
        };
        let mut sizes: Vec<&super::NamedSize> =
            self.rows.iter().filter(|r| r.op == BenchOp::Chain).map(|r| &r.size).collect();
        sizes.sort_by_key(|s| u64::from(s.width) * u64::from(s.height));
        sizes.dedup();
        // Walk from the largest size down while the GPU keeps winning.
        let mut from = None;
        for size in sizes.iter().rev() {
            match (median(size, BackendKind::Cpu), median(size, BackendKind::Gpu)) {
                (Some(cpu), Some(gpu)) if gpu < cpu => from = Some(*size),
                _ => break,
            }
        }
        match from {
            Some(s) => Threshold::From { pixels: u64::from(s.width) * u64::from(s.height), size: s.name.clone() },
            None => Threshold::Never,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::{NamedSize, Row, Stats};

    fn row(size: &NamedSize, backend: BackendKind, median: Option<f64>) -> Row {
        Row {
            op: BenchOp::Chain,
            size: size.clone(),
            backend,
            result: median.map(|m| Stats { median: m, min: m, max: m }).ok_or_else(|| "over_device_limits".into()),
            split: None,
            separate: None,
            psnr_vs_cpu: None,
        }
    }

    fn report(cases: &[(u32, f64, Option<f64>)]) -> BenchReport {
        let mut rows = Vec::new();
        for &(w, cpu, gpu) in cases {
            let size = NamedSize { name: format!("{w}w"), width: w, height: w };
            rows.push(row(&size, BackendKind::Cpu, Some(cpu)));
            rows.push(row(&size, BackendKind::Gpu, gpu));
        }
        BenchReport { rows, adapter: String::new(), cpu_threads: 1, runs: 1, input: String::new() }
    }

    #[test]
    fn threshold_is_where_the_gpu_starts_winning_for_good() {
        // Loses at 100², wins at 200² and above.
        let r = report(&[(100, 1.0, Some(2.0)), (200, 4.0, Some(3.0)), (400, 16.0, Some(5.0))]);
        assert_eq!(r.gpu_threshold(), Threshold::From { pixels: 200 * 200, size: "200w".into() });
        // A win below a loss does not count: the GPU must keep winning upwards.
        let r = report(&[(100, 2.0, Some(1.0)), (200, 4.0, Some(5.0)), (400, 16.0, Some(5.0))]);
        assert_eq!(r.gpu_threshold(), Threshold::From { pixels: 400 * 400, size: "400w".into() });
    }

    #[test]
    fn slower_or_fallen_back_gpus_give_no_threshold() {
        // lavapipe: slower everywhere, and over its limits at the largest size.
        let r = report(&[(100, 1.0, Some(8.0)), (400, 16.0, None)]);
        assert_eq!(r.gpu_threshold(), Threshold::Never);
        assert!(r.gpu_threshold().describe().contains("stay on the CPU"));
    }
}
