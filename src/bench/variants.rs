//! The `variants` row of `xformd bench`: four sizes of one source, together against one by
//! one, on one backend.
//!
//! Owns: [`chains`], [`measure`], [`unsupported`]. "Together" is the call the daemon's
//! executor makes for variants: on the GPU one upload, one submission and one readback per
//! output (`VariantBackend::run_batch`); on the CPU the variants in parallel on the rayon pool
//! (`CpuBackend::par_map`). "One by one" runs each variant as its own job, in turn.
//!
//! May import: `exec`, `plan`, `media`, `error`.

use super::stats::{series, Stats};
use crate::error::Result;
use crate::exec::cpu::CpuBackend;
use crate::exec::{Backend, RunContext};
use crate::media::Frame;
use crate::plan::{Filter, PlanOp};

/// Resize to ½, ⅓, ¼ and ⅙ of `w` × `h` (Lanczos3), each followed by an unsharp mask: a
/// pre-rendered `srcset`.
pub fn chains(w: u32, h: u32) -> Vec<Vec<PlanOp>> {
    [2, 3, 4, 6]
        .into_iter()
        .map(|d| {
            vec![
                PlanOp::Resize { width: (w / d).max(1), height: (h / d).max(1), filter: Filter::Lanczos3 },
                PlanOp::Sharpen { sigma: 1.0, amount: 1.0, threshold: 0.0 },
            ]
        })
        .collect()
}

/// Why `backend` cannot run every variant of `frame` (e.g. `over_device_limits`).
pub fn unsupported(backend: &dyn Backend, frame: &Frame) -> Option<String> {
    chains(frame.width, frame.height)
        .iter()
        .find_map(|ops| backend.unsupported(ops, (frame.width, frame.height)))
        .map(|why| format!("falls back to the CPU: {why}"))
}

/// Median of the variants run together, and median seconds of the same run one by one.
pub fn measure(
    backend: &dyn Backend,
    cpu: &CpuBackend,
    frame: &Frame,
    ctx: &RunContext<'_>,
    runs: usize,
) -> Result<(Stats, f64)> {
    let chains = chains(frame.width, frame.height);
    let together = series(runs, || match backend.variants() {
        Some(batch) => batch.run_batch(frame, &chains, ctx).map(drop),
        None => cpu
            .par_map(chains.iter().collect(), |ops| backend.run(ops, frame.clone(), ctx).map(drop))
            .into_iter()
            .collect(),
    })?;
    let separate = series(runs, || {
        for ops in &chains {
            backend.run(ops, frame.clone(), ctx)?;
        }
        Ok(())
    })?;
    Ok((together, separate.median))
}
