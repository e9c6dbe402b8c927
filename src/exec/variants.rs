//! Several output variants of one decoded source (pre-rendering: 4 widths of one photo).
//!
//! Owns: [`Variant`], [`VariantReport`], [`VariantBackend`], [`MAX_VARIANTS`] and
//! `Executor::run_variants`. Each variant is routed as a single job would be
//! (`Executor::choose`): a variant the GPU takes joins the GPU *batch* — the source is
//! uploaded once, every batched variant's chain is recorded into one command encoder from the
//! shared source pixels, one submit, one readback per output (`exec::gpu::variants`). A
//! variant the batch cannot hold runs as its own job, with the reason recorded in
//! [`VariantReport::unbatched`]:
//! * `multi_step`: a `:` chain plans each step on the previous step's pixels (trim, opacity),
//!   which needs them on the CPU between steps;
//! * a reason from [`VariantBackend::unbatchable`] (an op needing a mid-chain readback).
//!
//! Variants that route to the CPU (by preference, size or a GPU fallback reason) and
//! unbatched ones run in parallel on the CPU backend's rayon pool, each exactly as
//! `Executor::run_job` would run it, so their pixels equal single runs.
//!
//! May import: its parent `exec`, `plan`, `media`, `job`, `limits`, `error`.

use super::{plan_on, BackendKind, Executor, Hints, LayerSource, RunContext, RunReport};
use crate::error::{Error, ErrorKind, Result};
use crate::job::{BackendPref, Step};
use crate::limits::Limits;
use crate::media::Frame;
use crate::plan::PlanOp;

/// Most variants in one call: each holds a copy of the source on the CPU or its chain on
/// the device, so the count bounds memory next to `Limits`.
pub const MAX_VARIANTS: usize = 32;

/// One variant: the steps of a job and how to run them.
#[derive(Debug, Clone, Copy)]
pub struct Variant<'a> {
    /// The job's steps.
    pub steps: &'a [Step],
    /// Client hints (`w-auto`, `dpr-auto`).
    pub hints: Hints,
    /// Backend preference.
    pub pref: BackendPref,
}

/// What ran one variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantReport {
    /// Backend and fallback reason, as for a single job.
    pub run: RunReport,
    /// True when the variant ran in the shared GPU submission.
    pub batched: bool,
    /// Why a variant routed to the GPU ran as its own job instead of in the batch.
    pub unbatched: Option<String>,
}

/// A backend that records several chains of one source into one submission.
pub trait VariantBackend: Send + Sync {
    /// Why `ops` cannot join a batch (e.g. an op needing a mid-chain readback), or `None`.
    fn unbatchable(&self, ops: &[PlanOp]) -> Option<String>;
    /// Run each of `chains` on `source`, returning one frame per chain in order.
    fn run_batch(&self, source: &Frame, chains: &[Vec<PlanOp>], ctx: &RunContext<'_>) -> Result<Vec<Frame>>;
}

/// Where one variant goes.
enum Route {
    /// Into the GPU batch, with its planned ops.
    Batch(Vec<PlanOp>),
    /// As its own job; `Some` reason when it was meant for the GPU batch.
    Alone(Option<String>),
}

impl Executor {
    /// Run every variant on `source` (decoded and oriented, full size); one result per
    /// variant, in order. The first error fails the call.
    pub fn run_variants(
        &self,
        source: &Frame,
        variants: &[Variant<'_>],
        limits: &Limits,
        layers: &dyn LayerSource,
    ) -> Result<Vec<(Frame, VariantReport)>> {
        if variants.len() > MAX_VARIANTS {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!("{} variants; at most {MAX_VARIANTS} per call", variants.len()),
            ));
        }
        let ctx = RunContext { limits, layers, executor: self, depth: 0 };
        let routes = variants.iter().map(|v| self.route(source, v, limits)).collect::<Result<Vec<_>>>()?;

        let mut chains = Vec::new();
        for r in &routes {
            if let Route::Batch(ops) = r {
                chains.push(ops.clone());
            }
        }
        let batch = self.gpu.as_ref().and_then(|g| g.variants());
        let mut batched = match (batch, chains.is_empty()) {
            (Some(b), false) => b.run_batch(source, &chains, &ctx)?,
            _ => Vec::new(),
        }
        .into_iter();

        let alone: Vec<usize> =
            routes.iter().enumerate().filter(|(_, r)| matches!(r, Route::Alone(_))).map(|(i, _)| i).collect();
        let mut singles = self
            .cpu
            .par_map(alone, |i| {
                let v = &variants[i];
                self.run_steps(v.steps, source.clone(), None, v.hints, v.pref, &ctx)
            })
            .into_iter();

        let mut out = Vec::new();
        for r in routes {
            match r {
                Route::Batch(_) => {
                    let frame = batched.next().ok_or_else(|| Error::internal("GPU batch returned too few frames"))?;
                    let run = RunReport { backend: BackendKind::Gpu, fallback_reason: None };
                    out.push((frame, VariantReport { run, batched: true, unbatched: None }));
                }
                Route::Alone(unbatched) => {
                    let (frame, run) = singles.next().ok_or_else(|| Error::internal("a variant ran no job"))??;
                    out.push((frame, VariantReport { run, batched: false, unbatched }));
                }
            }
        }
        Ok(out)
    }

    /// The route of one variant: the batch when a single job would run it on the GPU and the
    /// batch can hold it.
    fn route(&self, source: &Frame, v: &Variant<'_>, limits: &Limits) -> Result<Route> {
        let Some(batch) = self.gpu.as_ref().and_then(|g| g.variants()) else {
            return Ok(Route::Alone(None));
        };
        let [step] = v.steps else {
            // Routed as its first step would be; a second step needs the first one's pixels.
            let gpu_first = match v.steps.first() {
                Some(first) => {
                    let size = (source.width, source.height);
                    let planned = plan_on(first, source, size, None, None, v.hints, limits)?;
                    self.choose(v.pref, &planned.ops, size).0.kind() == BackendKind::Gpu
                }
                None => false,
            };
            return Ok(Route::Alone(gpu_first.then(|| "multi_step".to_string())));
        };
        let size = (source.width, source.height);
        let planned = plan_on(step, source, size, None, None, v.hints, limits)?;
        let (backend, _) = self.choose(v.pref, &planned.ops, size);
        if backend.kind() != BackendKind::Gpu {
            return Ok(Route::Alone(None));
        }
        Ok(match batch.unbatchable(&planned.ops) {
            Some(why) => Route::Alone(Some(why)),
            None => Route::Batch(planned.ops),
        })
    }
}
