//! Backends that run plans on pixels, and the policy that picks one.
//!
//! Owns: [`Backend`], [`BackendKind`], [`Executor`] (per-job backend choice, fallback with a
//! recorded reason, step loop with trim measurement and layer recursion). Several variants of
//! one decoded source: `variants` (`Executor::run_variants`).
//!
//! May import: its children, `plan`, `media`, `job`, `limits`, `cancel`, `error`; tokio only at the
//! boundary. Must not import `url` or `service`. Only `exec::gpu` knows wgpu, only
//! `exec::cpu` knows rayon and fast_image_resize.

pub mod compare;
pub mod cpu;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod variants;
pub mod weights;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::Result;
use crate::job::{BackendPref, Hints, Job, Layer, Step};
use crate::limits::Limits;
use crate::media::Frame;
use crate::plan::{self, PlanOp, Rect, StepInput};

/// Which backend ran a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackendKind {
    /// SIMD CPU path.
    Cpu,
    /// wgpu compute path.
    Gpu,
}

impl BackendKind {
    /// `cpu` or `gpu`.
    pub fn as_str(self) -> &'static str {
        match self {
            BackendKind::Cpu => "cpu",
            BackendKind::Gpu => "gpu",
        }
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a backend needs from its surroundings while running ops: layer pixels.
pub trait LayerSource: Sync {
    /// Decode the image at origin `path` for an image layer.
    fn image(&self, path: &str) -> Result<Frame>;
    /// The bytes of the font file at origin `path` (`ff-<path>` of a text layer), checked
    /// against the source-size limit; the text renderer parses them.
    fn font(&self, path: &str) -> Result<Vec<u8>>;
}

/// A backend runs a list of planned ops on a frame.
pub trait Backend: Send + Sync {
    /// Which backend this is.
    fn kind(&self) -> BackendKind;
    /// Why this backend cannot run `ops` (a short reason such as `no_kernel:rotate`), or
    /// `None` when it can.
    fn unsupported(&self, ops: &[PlanOp], frame: (u32, u32)) -> Option<String>;
    /// True for a software rasteriser (Mesa llvmpipe/lavapipe): correct, but slower than the
    /// SIMD CPU path, so `auto` never picks it; an explicit `gpu` preference still does.
    fn is_software(&self) -> bool {
        false
    }
    /// Run `ops` in order. Layer ops call back into `exec` for the layer's own pixels.
    fn run(&self, ops: &[PlanOp], frame: Frame, ctx: &RunContext<'_>) -> Result<Frame>;
    /// The batched-variants entry point (several chains of one source in one submission),
    /// for backends that have one; `None` runs each variant as its own job.
    fn variants(&self) -> Option<&dyn variants::VariantBackend> {
        None
    }
}

/// Context for one job's run: limits, layer source, and the executor for nested layers.
pub struct RunContext<'a> {
    /// Limits for allocations.
    pub limits: &'a Limits,
    /// Where layer images come from.
    pub layers: &'a dyn LayerSource,
    /// The executor, to run layers' own steps.
    pub executor: &'a Executor,
    /// Layer nesting depth (the spec allows 3).
    pub depth: u32,
}

/// What ran and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunReport {
    /// The backend that ran the pixel steps (the last step's, when steps differ).
    pub backend: BackendKind,
    /// Why the preferred backend did not run, if it did not.
    pub fallback_reason: Option<String>,
}

/// Picks a backend per job and runs the step loop.
pub struct Executor {
    cpu: Arc<cpu::CpuBackend>,
    gpu: Option<Arc<dyn Backend>>,
    /// Atomic: the start-up calibration replaces it while jobs run.
    gpu_min_pixels: AtomicU64,
}

impl Executor {
    /// An executor with a CPU backend and, when available, a GPU backend. `Auto` uses the
    /// GPU for frames of at least `gpu_min_pixels` (smaller ones are faster on the CPU
    /// than the upload and readback cost).
    pub fn new(cpu: Arc<cpu::CpuBackend>, gpu: Option<Arc<dyn Backend>>, gpu_min_pixels: u64) -> Self {
        Executor { cpu, gpu, gpu_min_pixels: AtomicU64::new(gpu_min_pixels) }
    }

    /// The smallest frame, in pixels, that `auto` sends to the GPU (`u64::MAX`: never).
    pub fn gpu_min_pixels(&self) -> u64 {
        self.gpu_min_pixels.load(Ordering::Relaxed)
    }

    /// Replace the `auto` threshold (the start-up calibration's result).
    pub fn set_gpu_min_pixels(&self, pixels: u64) {
        self.gpu_min_pixels.store(pixels, Ordering::Relaxed);
    }

    /// True when a GPU backend is present.
    pub fn has_gpu(&self) -> bool {
        self.gpu.is_some()
    }

    /// The CPU backend.
    pub fn cpu(&self) -> &cpu::CpuBackend {
        &self.cpu
    }

    fn choose(&self, pref: BackendPref, ops: &[PlanOp], size: (u32, u32)) -> (&dyn Backend, Option<String>) {
        let want_gpu = match pref {
            BackendPref::Cpu => false,
            BackendPref::Gpu => true,
            BackendPref::Auto => {
                u64::from(size.0) * u64::from(size.1) >= self.gpu_min_pixels()
                    && self.gpu.as_ref().is_none_or(|g| !g.is_software())
            }
        };
        if !want_gpu {
            return (self.cpu.as_ref(), None);
        }
        match &self.gpu {
            None => (self.cpu.as_ref(), Some("no_adapter".to_string())),
            Some(gpu) => match gpu.unsupported(ops, size) {
                None => (gpu.as_ref(), None),
                Some(reason) => (self.cpu.as_ref(), Some(reason)),
            },
        }
    }

    /// Run every step of `job` on `frame` (already decoded and oriented).
    pub fn run_job(
        &self,
        job: &Job,
        frame: Frame,
        hints: Hints,
        pref: BackendPref,
        limits: &Limits,
        layers: &dyn LayerSource,
    ) -> Result<(Frame, RunReport)> {
        self.run_job_from(job, frame, None, hints, pref, limits, layers)
    }

    /// [`run_job`](Self::run_job) on a frame that was shrunk on load: `planned_from` is the
    /// full oriented source size. The first step is planned against it (so `iw`/`ih` and
    /// relative sizes mean the source), which is sound only when that step starts with a
    /// `Resize` to an absolute size — the caller shrinks only then, and this checks it.
    #[expect(clippy::too_many_arguments, reason = "run_job's arguments plus the source size")]
    pub fn run_job_from(
        &self,
        job: &Job,
        frame: Frame,
        planned_from: Option<(u32, u32)>,
        hints: Hints,
        pref: BackendPref,
        limits: &Limits,
        layers: &dyn LayerSource,
    ) -> Result<(Frame, RunReport)> {
        let ctx = RunContext { limits, layers, executor: self, depth: 0 };
        self.run_steps_from(&job.steps, frame, None, planned_from, hints, pref, &ctx)
    }

    /// Run a chain of steps; `base` is the parent's size inside layers.
    pub fn run_steps(
        &self,
        steps: &[Step],
        frame: Frame,
        base: Option<(u32, u32)>,
        hints: Hints,
        pref: BackendPref,
        ctx: &RunContext<'_>,
    ) -> Result<(Frame, RunReport)> {
        self.run_steps_from(steps, frame, base, None, hints, pref, ctx)
    }

    #[expect(clippy::too_many_arguments, reason = "run_steps' arguments plus the source size")]
    fn run_steps_from(
        &self,
        steps: &[Step],
        mut frame: Frame,
        base: Option<(u32, u32)>,
        planned_from: Option<(u32, u32)>,
        hints: Hints,
        pref: BackendPref,
        ctx: &RunContext<'_>,
    ) -> Result<(Frame, RunReport)> {
        let input = planned_from.unwrap_or((frame.width, frame.height));
        let mut first = planned_from;
        let mut report = RunReport { backend: BackendKind::Cpu, fallback_reason: None };
        if matches!(pref, BackendPref::Gpu) && self.gpu.is_none() {
            report.fallback_reason = Some("no_adapter".into());
        }
        for step in steps {
            // The request may have gone away while the previous step ran.
            crate::cancel::check()?;
            let shrunk = first.take();
            let planned = plan_on(step, &frame, input, shrunk, base, hints, ctx.limits)?;
            if shrunk.is_some() && !matches!(planned.ops.first(), Some(PlanOp::Resize { .. })) {
                return Err(crate::error::Error::internal("shrink-on-load without a leading resize"));
            }
            let (backend, reason) = self.choose(pref, &planned.ops, (frame.width, frame.height));
            frame = backend.run(&planned.ops, frame, ctx)?;
            report.backend = backend.kind();
            if reason.is_some() {
                report.fallback_reason = reason;
            }
        }
        Ok((frame, report))
    }

    /// Render a layer's pixels and its own steps (CPU; layers are small).
    pub fn render_layer(&self, layer: &Layer, parent: (u32, u32), ctx: &RunContext<'_>) -> Result<Frame> {
        cpu::layer::render(layer, parent, ctx)
    }
}

/// Plan `step` on `frame` (trim measured on its pixels, opacity read from them); `input` is
/// the job's input size, `shrunk` the planned-from size of a shrunk-on-load first step.
fn plan_on(
    step: &Step,
    frame: &Frame,
    input: (u32, u32),
    shrunk: Option<(u32, u32)>,
    base: Option<(u32, u32)>,
    hints: Hints,
    limits: &Limits,
) -> Result<plan::StepPlan> {
    let trimmed = match step.trim {
        Some(t) if t != crate::job::Trim::Off => cpu::kernels::trim::trim_bounds(frame, cpu::trim_threshold(t))
            .map(|(x, y, width, height)| Rect { x, y, width, height }),
        _ => None,
    };
    let step_input = StepInput {
        input,
        current: shrunk.unwrap_or((frame.width, frame.height)),
        base,
        trimmed,
        hint_width: hints.width,
        hint_dpr: hints.dpr,
        opaque: !frame.has_alpha(),
    };
    plan::plan_step(step, &step_input, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stands in for a hardware GPU in the chooser test only: `choose` never runs it.
    struct HardwareStandIn;
    impl Backend for HardwareStandIn {
        fn kind(&self) -> BackendKind {
            BackendKind::Gpu
        }
        fn unsupported(&self, _ops: &[PlanOp], _frame: (u32, u32)) -> Option<String> {
            None
        }
        fn run(&self, _ops: &[PlanOp], _frame: Frame, _ctx: &RunContext<'_>) -> Result<Frame> {
            unreachable!("the chooser test runs nothing")
        }
    }

    /// `auto` follows the threshold the start-up calibration sets, from the next job on;
    /// `u64::MAX` (the calibration's "never") keeps every frame on the CPU.
    #[test]
    fn auto_follows_the_calibrated_threshold() {
        let cpu = Arc::new(cpu::CpuBackend::new(1).unwrap());
        let exec = Executor::new(cpu, Some(Arc::new(HardwareStandIn)), 512 * 512);
        let kind = |size| exec.choose(BackendPref::Auto, &[], size).0.kind();
        assert_eq!(kind((1000, 1000)), BackendKind::Gpu);
        assert_eq!(kind((100, 100)), BackendKind::Cpu);
        exec.set_gpu_min_pixels(100 * 100);
        assert_eq!(kind((100, 100)), BackendKind::Gpu);
        exec.set_gpu_min_pixels(u64::MAX);
        assert_eq!(kind((8000, 8000)), BackendKind::Cpu);
        assert_eq!(exec.choose(BackendPref::Gpu, &[], (10, 10)).0.kind(), BackendKind::Gpu);
    }
}
