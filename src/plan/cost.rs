//! What a job will cost, estimated from its plan and the source's size before any pixel is
//! decoded, so that a request over the budget is refused before it takes a worker.
//!
//! Owns: [`estimate`] (work and memory), [`estimate_variants`], [`check_counts`], [`Budget`]. Pure (imports `job`,
//! `limits`, `error`).
//!
//! The unit is about one multiply-add per pixel (four channels together): a separable
//! convolution with `t` taps over `n` pixels costs `n · t` per pass, a copy or a per-pixel
//! mix costs `n`. The numbers follow the CPU kernels as they are written (the Gaussian blur
//! convolves ±3σ; the resize's taps grow with the downscale factor), so they bound the time
//! on the CPU backend; the GPU is faster, never slower, per unit. Layer images are not
//! fetched for the estimate: each layer is counted as if its input were as large as the
//! frame it is drawn on, which bounds every layer a sane request uses.

use super::{plan_step, PlanOp, StepInput};
use crate::error::{Error, ErrorKind, Result};
use crate::job::{Hints, Job, Step};
use crate::limits::Limits;

/// Taps per output pixel of the resize filter at scale 1 (Lanczos3: ±3).
const RESIZE_TAPS: u64 = 6;

/// Counts of a job's steps and layers, nested layers included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Budget {
    /// Chain steps, layers' own steps included.
    pub steps: u32,
    /// Layers, nested ones included.
    pub layers: u32,
}

impl Budget {
    /// Count the steps and layers of `job`.
    pub fn of(job: &Job) -> Budget {
        let mut b = Budget::default();
        count(&job.steps, &mut b);
        b
    }
}

fn count(steps: &[Step], b: &mut Budget) {
    for step in steps {
        b.steps = b.steps.saturating_add(1);
        for layer in &step.layers {
            b.layers = b.layers.saturating_add(1);
            count(&layer.steps, b);
        }
    }
}

/// Refuse a job with more steps or layers than the limits allow (400 naming the limit). Needs
/// no source, so the daemon checks it before fetching anything.
pub fn check_counts(job: &Job, limits: &Limits) -> Result<()> {
    // Layers first: each layer brings steps of its own, and the layer count is the one to name.
    let b = Budget::of(job);
    if b.layers > limits.max_layers {
        let why = format_args!("{} layers, over the limit of {}", b.layers, limits.max_layers);
        return Err(Error::invalid("max_layers", b.layers.to_string(), why));
    }
    if b.steps > limits.max_steps {
        let why = format_args!("{} chain steps, over the limit of {}", b.steps, limits.max_steps);
        return Err(Error::invalid("max_steps", b.steps.to_string(), why));
    }
    Ok(())
}

/// The estimated work of running `job` on a source of `source` (oriented) size, refused with
/// 400 naming `max_work` when over `limits.max_work`. `frames` multiplies it for animations.
///
/// The same walk bounds memory: `limits.max_alloc` caps each buffer, and here also the bytes
/// a job holds at once (the frames an op reads and writes and its scratch planes, the
/// decoded source included), so a small PNG of a huge canvas cannot reach gigabytes over
/// its chain (413 naming `max_alloc`).
pub fn estimate(job: &Job, source: (u32, u32), frames: u32, hints: Hints, limits: &Limits) -> Result<u64> {
    let cost = chain(&job.steps, source, None, hints, limits)?;
    if cost.peak_bytes > limits.max_alloc {
        let msg = format!(
            "the render would hold about {} bytes at once, over the limit of {}",
            cost.peak_bytes, limits.max_alloc
        );
        return Err(Error::new(ErrorKind::TooLarge, msg).with_param("max_alloc", cost.peak_bytes.to_string()));
    }
    let work = cost.work.saturating_mul(u64::from(frames.max(1)));
    check_work(work, "the render", limits)?;
    Ok(work)
}

/// [`estimate`] for several variants of one source rendered by one call: each is checked on
/// its own, and their work added up stays under `limits.max_work` too (a call cannot buy 32
/// budgets by listing 32 variants).
pub fn estimate_variants(jobs: &[Job], source: (u32, u32), hints: Hints, limits: &Limits) -> Result<u64> {
    let mut total = 0u64;
    for job in jobs {
        total = total.saturating_add(estimate(job, source, 1, hints, limits)?);
    }
    check_work(total, "the variants together", limits)?;
    Ok(total)
}

/// Refuse `work` over `limits.max_work` (400 naming `max_work`); `what` names what costs it.
fn check_work(work: u64, what: &str, limits: &Limits) -> Result<()> {
    if work > limits.max_work {
        let why = format_args!(
            "{what} would cost about {work} units (≈ multiply-adds per pixel), over the limit of {}",
            limits.max_work
        );
        return Err(Error::invalid("max_work", work.to_string(), why));
    }
    Ok(())
}

/// Work and peak memory of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Cost {
    work: u64,
    peak_bytes: u64,
}

/// Cost of a chain of steps from `input`; `base` is the parent's size inside layers.
fn chain(steps: &[Step], input: (u32, u32), base: Option<(u32, u32)>, hints: Hints, limits: &Limits) -> Result<Cost> {
    let mut current = input;
    let mut work = 0u64;
    let mut peak = pixels(input).saturating_mul(4);
    for step in steps {
        let step_input = StepInput {
            input,
            current,
            base,
            trimmed: None,
            hint_width: hints.width,
            hint_dpr: hints.dpr,
            opaque: false,
        };
        let planned = plan_step(step, &step_input, limits)?;
        for op in &planned.ops {
            let (w, bytes) = op_cost(op, current, hints, limits);
            work = work.saturating_add(w);
            peak = peak.max(bytes);
            current = op.output_size(current);
        }
    }
    Ok(Cost { work, peak_bytes: peak })
}

fn pixels((w, h): (u32, u32)) -> u64 {
    u64::from(w) * u64::from(h)
}

/// Largest σ the Gaussian kernels honour (`kernels::blur::MAX_SIGMA`): a larger one costs
/// what this one costs. Not every parser bounds σ (`e-usm` takes any number).
const MAX_KERNEL_SIGMA: f32 = 100.0;

/// Taps of the CPU Gaussian: ±3σ, at least 1; σ clamped as the kernels clamp it.
fn gaussian_taps(sigma: f32) -> u64 {
    if sigma.is_nan() || sigma <= 0.0 {
        return 1;
    }
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0 < 3σ ≤ 300")]
    let r = (3.0 * sigma.min(MAX_KERNEL_SIGMA)).ceil() as u64;
    2 * r + 1
}

/// Cost of one op on an input of `input` size: (work, bytes held while it runs). The bytes
/// follow the CPU kernels: input and output RGBA frames, plus the resize's intermediate
/// (output width × input height) and the blur's `u16` plane (twice the input).
fn op_cost(op: &PlanOp, input: (u32, u32), hints: Hints, limits: &Limits) -> (u64, u64) {
    let n = pixels(input);
    let out = pixels(op.output_size(input));
    let frames = n.saturating_add(out).saturating_mul(4);
    match op {
        PlanOp::Resize { width, height, .. } => {
            // Horizontal pass to width × h, then vertical to width × height; each tap count
            // grows with the downscale factor of its axis.
            let (w, h) = (u64::from(input.0.max(1)), u64::from(input.1.max(1)));
            let (ow, oh) = (u64::from((*width).max(1)), u64::from((*height).max(1)));
            let th = RESIZE_TAPS * w.div_ceil(ow).max(1);
            let tv = RESIZE_TAPS * h.div_ceil(oh).max(1);
            let work = (ow * h).saturating_mul(th).saturating_add((ow * oh).saturating_mul(tv));
            (work, frames.saturating_add((ow * h).saturating_mul(4)))
        }
        PlanOp::Blur { sigma } => (n.saturating_mul(2 * gaussian_taps(*sigma)), frames.saturating_add(n * 8)),
        PlanOp::Sharpen { sigma, .. } => {
            (n.saturating_mul(2 * gaussian_taps(*sigma) + 1), frames.saturating_add(n * 12))
        }
        // Bilinear resampling: four taps per output pixel, like a rotation.
        PlanOp::Rotate { .. } | PlanOp::Perspective { .. } | PlanOp::Arc { .. } => {
            (out.saturating_mul(4).max(n), frames)
        }
        // Mask (one pass), the blur's two passes, the composite; the mask frame and the
        // blur's u16 plane (8 bytes a pixel) are held with the input and output.
        PlanOp::Shadow { sigma, .. } => {
            (n.saturating_mul(2 * gaussian_taps(*sigma) + 2), frames.saturating_add(n.saturating_mul(12)))
        }
        // One blend per pixel.
        PlanOp::Gradient { .. } => (n, frames),
        PlanOp::Contrast => (n.saturating_mul(2), frames),
        PlanOp::Pad { fill: super::Fill::Blurred { sigma, .. }, .. } => {
            (out.saturating_mul(2 * gaussian_taps(*sigma)).saturating_add(n), frames.saturating_add(out * 12))
        }
        PlanOp::Layer(layer) => {
            // The layer's own chain from an input as large as this frame, then the blend.
            let own = chain(&layer.steps, input, Some(input), hints, limits)
                .unwrap_or(Cost { work: n, peak_bytes: n.saturating_mul(4) });
            // Every mode but source-over writes a new frame; displace reads four pixels each.
            let (blend, copy) = match layer.mode {
                crate::job::LayerMode::Normal => (n, 0),
                crate::job::LayerMode::Displace => (n.saturating_mul(4), n.saturating_mul(4)),
                _ => (n, n.saturating_mul(4)),
            };
            (own.work.saturating_add(blend), frames.saturating_add(own.peak_bytes).saturating_add(copy))
        }
        PlanOp::Crop { .. }
        | PlanOp::Pad { .. }
        | PlanOp::Flip { .. }
        | PlanOp::Grayscale
        | PlanOp::Opacity { .. }
        | PlanOp::RoundCorners { .. }
        | PlanOp::Border { .. }
        | PlanOp::Flatten { .. } => (n.max(out), frames),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Dim, Layer, LayerKind, Resize};

    fn blur_chain(n: usize, radius: u32) -> Job {
        let step = Step { blur: Some(radius), ..Step::default() };
        Job { source: "/a.jpg".into(), steps: vec![step; n], ..Job::default() }
    }

    #[test]
    fn counts_include_nested_layers() {
        let inner = Layer {
            kind: LayerKind::Solid,
            steps: vec![Step::default(); 2],
            position: Default::default(),
            mode: Default::default(),
        };
        let outer_step = Step { layers: vec![inner.clone(), inner], ..Step::default() };
        let outer = Layer {
            kind: LayerKind::Solid,
            steps: vec![outer_step],
            position: Default::default(),
            mode: Default::default(),
        };
        let job =
            Job { steps: vec![Step { layers: vec![outer], ..Step::default() }, Step::default()], ..Job::default() };
        assert_eq!(Budget::of(&job), Budget { steps: 2 + 1 + 4, layers: 3 });
        let tight = Limits { max_layers: 2, ..Limits::default() };
        let e = check_counts(&job, &tight).unwrap_err();
        assert_eq!(e.key(), Some("max_layers"));
        assert_eq!(e.value(), Some("3"));
        let e = check_counts(&blur_chain(21, 5), &Limits::default()).unwrap_err();
        assert_eq!((e.key(), e.value()), (Some("max_steps"), Some("21")));
        assert!(check_counts(&blur_chain(20, 5), &Limits::default()).is_ok());
    }

    #[test]
    fn chained_blurs_on_a_large_photo_are_over_budget() {
        let limits = Limits::default();
        let photo = (5472, 3648); // 20 MP
                                  // bl-100 (σ 50) is planned reduced (plan::blur), yet still passes over the whole frame.
        let one = estimate(&blur_chain(1, 100), photo, 1, Hints::default(), &limits).unwrap();
        assert!(one > 100_000_000, "one bl-100 on 20 MP is real work: {one}");
        // bl-11 (σ 5.5) is the largest exact Gaussian: 71 taps per pixel over both passes.
        let one = estimate(&blur_chain(1, 11), photo, 1, Hints::default(), &limits).unwrap();
        assert!(one > 1_000_000_000, "one bl-11 on 20 MP is real work: {one}");
        // Twenty of them (the step limit) on a 35 MP photo are over the budget.
        let e = estimate(&blur_chain(20, 11), (7000, 5000), 1, Hints::default(), &limits).unwrap_err();
        assert_eq!(e.key(), Some("max_work"));
        // The same chain after a resize to a thumbnail is cheap.
        let mut small = blur_chain(20, 11);
        small
            .steps
            .insert(0, Step { resize: Resize { width: Some(Dim::Px(200)), ..Resize::default() }, ..Step::default() });
        assert!(estimate(&small, photo, 1, Hints::default(), &limits).is_ok());
    }

    #[test]
    fn cost_grows_with_frames_and_sigma() {
        let limits = Limits::default();
        // Exact Gaussians (σ 2 and 5.5) grow with σ; a reduced one (σ 20) costs less than both.
        let a = estimate(&blur_chain(1, 4), (1000, 1000), 1, Hints::default(), &limits).unwrap();
        let b = estimate(&blur_chain(1, 11), (1000, 1000), 1, Hints::default(), &limits).unwrap();
        let reduced = estimate(&blur_chain(1, 40), (1000, 1000), 1, Hints::default(), &limits).unwrap();
        let c = estimate(&blur_chain(1, 4), (1000, 1000), 10, Hints::default(), &limits).unwrap();
        assert!(b > 2 * a, "{a} {b}");
        assert!(reduced < a, "{reduced} {a}");
        assert_eq!(c, 10 * a);
    }

    /// Found by the `plan` fuzz target: `e-usm` with σ ≈ 4·10²⁷ made `(3σ).ceil() as u64`
    /// saturate and `2·r + 1` overflow (a panic in a debug build, a wrapped and so too small
    /// estimate in a release build). The kernels clamp σ to 100, and so does the estimate now.
    #[test]
    fn attack_huge_sharpen_sigma_overflows_the_estimate() {
        let limits = Limits::default();
        let usm = |sigma| {
            let step = Step {
                effects: vec![crate::job::Effect::UnsharpMask { radius: 0.0, sigma, amount: 1.0, threshold: 0.05 }],
                ..Step::default()
            };
            Job { source: "/a.jpg".into(), steps: vec![step], ..Job::default() }
        };
        let huge = estimate(&usm(4.4e27), (1000, 1000), 1, Hints::default(), &limits).unwrap();
        let max = estimate(&usm(100.0), (1000, 1000), 1, Hints::default(), &limits).unwrap();
        assert_eq!(huge, max, "σ beyond the kernels' 100 costs what σ 100 costs");
        assert!(huge > estimate(&usm(1.0), (1000, 1000), 1, Hints::default(), &limits).unwrap());
    }

    #[test]
    fn memory_is_a_per_job_budget() {
        let limits = Limits { max_alloc: 256 << 20, ..Limits::default() };
        // A blur holds the frame, its u16 plane and the output: 4× the frame.
        assert!(estimate(&blur_chain(1, 10), (3000, 3000), 1, Hints::default(), &limits).is_ok());
        let e = estimate(&blur_chain(1, 10), (4500, 4500), 1, Hints::default(), &limits).unwrap_err();
        assert_eq!((e.kind(), e.key()), (ErrorKind::TooLarge, Some("max_alloc")));
        // Each buffer alone is under the limit: the per-buffer check would let it through.
        assert!(4500u64 * 4500 * 8 < limits.max_alloc);
        // A thumbnail first makes the same blur cheap.
        let mut small = blur_chain(1, 10);
        small
            .steps
            .insert(0, Step { resize: Resize { width: Some(Dim::Px(300)), ..Resize::default() }, ..Step::default() });
        assert!(estimate(&small, (4500, 4500), 1, Hints::default(), &limits).is_ok());
    }

    #[test]
    fn a_plain_thumbnail_of_the_largest_source_fits() {
        let limits = Limits::default();
        let job = Job {
            steps: vec![Step { resize: Resize { width: Some(Dim::Px(300)), ..Resize::default() }, ..Step::default() }],
            ..Job::default()
        };
        let w = estimate(&job, (10_000, 10_000), 1, Hints::default(), &limits).unwrap();
        assert!(w < limits.max_work / 4, "{w}");
    }
}
