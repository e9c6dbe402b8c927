//! The CPU backend: every plan op on a dedicated rayon pool.
//!
//! Owns: [`CpuBackend`]. Resize goes through fast_image_resize (`resize`); every other op
//! through the reference kernels in `kernels/`, which are the CPU twins of `shaders/*.wgsl`.
//!
//! May import: `plan`, `media`, `job`, `limits`, `error`; fast_image_resize, rayon. Never
//! wgpu, tokio, tonic.

pub mod analysis;
pub mod kernels;
pub mod layer;
pub mod resize;
pub mod text;

use rayon::ThreadPool;

use crate::error::{Error, Result};
use crate::exec::{Backend, BackendKind, RunContext};
use crate::job::{Focus, LayerMode, Trim};
use crate::media::Frame;
use crate::plan::{Anchor, Corners, Fill, PlanOp};

use kernels::round_corners::Radii;

/// Runs plans on a rayon pool of its own, so pixel work never competes with the async
/// runtime's workers and its size is configurable independently.
pub struct CpuBackend {
    pool: ThreadPool,
}

impl CpuBackend {
    /// A backend with `threads` worker threads (0 = one per core).
    pub fn new(threads: usize) -> Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("xformd-cpu-{i}"))
            .build()
            .map_err(|e| Error::internal(format!("rayon pool: {e}")))?;
        Ok(CpuBackend { pool })
    }

    /// Run `f` on this backend's pool (blocking the caller until it is done).
    pub fn install<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        self.pool.install(f)
    }

    /// Run `f` on this backend's pool without waiting; the caller collects the result through
    /// a channel of its choice (the pipeline uses a tokio oneshot, so no runtime worker
    /// ever blocks on pixel work).
    pub fn spawn(&self, f: impl FnOnce() + Send + 'static) {
        self.pool.spawn(f);
    }

    /// `f` over `items` in parallel on this backend's pool, results in input order (several
    /// variants of one source, their encodes).
    pub fn par_map<T: Send, R: Send>(&self, items: Vec<T>, f: impl Fn(T) -> R + Send + Sync) -> Vec<R> {
        use rayon::iter::{IntoParallelIterator, ParallelIterator};
        // Each item runs under the caller's cancellation token (other pool threads do not
        // share the caller's thread-local scope).
        let token = crate::cancel::current();
        self.pool.install(|| items.into_par_iter().map(|item| crate::cancel::scope(&token, || f(item))).collect())
    }

    /// Number of worker threads.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }
}

/// Map ImageKit `t-true` / `t-<1..99>` to the per-channel difference counted as background
/// (see `kernels::trim::trim_threshold`).
pub fn trim_threshold(t: Trim) -> u8 {
    match t {
        Trim::Default | Trim::Off => kernels::trim::trim_threshold(None),
        Trim::Threshold(n) => kernels::trim::trim_threshold(Some(n)),
    }
}

fn resolve_fill(fill: Fill, frame: &Frame) -> [u8; 4] {
    match fill {
        Fill::Color(c) => c,
        Fill::Dominant => kernels::dominant::dominant_color(frame),
        // Blurred and gradient backgrounds are drawn whole by `run_op`; never asked for.
        Fill::Blurred { .. } | Fill::GradientDominant { .. } => [0, 0, 0, 255],
    }
}

/// Run one op on the CPU. Shared by the CPU backend and by the GPU backend for the ops it
/// hands back (analysis, layers).
pub fn run_op(op: &PlanOp, frame: Frame, ctx: &RunContext<'_>) -> Result<Frame> {
    let limits = ctx.limits;
    Ok(match op {
        PlanOp::Resize { width, height, filter } => resize::resize(limits, &frame, *width, *height, *filter)?,
        PlanOp::Crop { width, height, anchor } => {
            let (x, y) = match anchor {
                Anchor::At { x, y } => (*x, *y),
                // Saliency / face detection; no face ⇒ centred (documented in `analysis`).
                Anchor::Salient | Anchor::Face { .. } => analysis::resolve_anchor(&frame, *width, *height, *anchor),
            };
            kernels::composite::crop(limits, &frame, x, y, *width, *height)?
        }
        PlanOp::Pad { width, height, x, y, fill } => match fill {
            Fill::Blurred { sigma, brightness } => {
                let mut bg = kernels::blurred_background::blurred_background_sigma(
                    limits,
                    &frame,
                    *width,
                    *height,
                    *sigma,
                    i32::from(*brightness),
                )?;
                kernels::composite::overlay(&mut bg, &frame, *x, *y, 1.0);
                bg
            }
            Fill::GradientDominant { colors } => {
                let mut bg = kernels::palette_gradient::behind(limits, &frame, (*width, *height), *colors)?;
                kernels::composite::overlay(&mut bg, &frame, *x, *y, 1.0);
                bg
            }
            _ => {
                let bg = resolve_fill(*fill, &frame);
                kernels::composite::pad(limits, &frame, *width, *height, *x, *y, bg)?
            }
        },
        PlanOp::Rotate { degrees, fill } => kernels::rotate::rotate(limits, &frame, *degrees, *fill)?,
        PlanOp::Flip { horizontal, vertical } => {
            let mut f = frame;
            kernels::flip::flip(&mut f, *horizontal, *vertical);
            f
        }
        PlanOp::Blur { sigma } => kernels::blur::gaussian_blur(limits, &frame, *sigma)?,
        PlanOp::Sharpen { sigma, amount, threshold } => {
            kernels::sharpen::unsharp_mask(limits, &frame, 0.0, *sigma, *amount, *threshold)?
        }
        PlanOp::Grayscale => {
            let mut f = frame;
            kernels::color_matrix::apply_in_place(&mut f, &kernels::color_matrix::ColorMatrix::grayscale());
            f
        }
        PlanOp::Contrast => {
            let mut f = frame;
            kernels::color_matrix::contrast_stretch(&mut f);
            f
        }
        PlanOp::Opacity { opacity, background } => {
            let mut f = frame;
            kernels::color_matrix::apply_in_place(&mut f, &kernels::color_matrix::ColorMatrix::opacity(*opacity));
            if let Some(bg) = background {
                kernels::composite::flatten(&mut f, *bg);
            }
            f
        }
        PlanOp::RoundCorners { corners, fill } => {
            let mut f = frame;
            let radii = match corners {
                Corners::Ellipse => Radii::Max,
                Corners::Radii([tl, tr, br, bl]) => Radii::Corners { tl: *tl, tr: *tr, br: *br, bl: *bl },
            };
            kernels::round_corners::round_corners(&mut f, radii, *fill);
            f
        }
        PlanOp::Border { width, color } => kernels::border::border(limits, &frame, *width, *color)?,
        PlanOp::Flatten { background } => {
            let mut f = frame;
            kernels::composite::flatten(&mut f, *background);
            f
        }
        PlanOp::Shadow { sigma, opacity, dx, dy } => {
            kernels::shadow::drop_shadow(limits, &frame, *sigma, *opacity, *dx, *dy)?
        }
        PlanOp::Gradient { degrees, from, to, stop } => {
            let mut f = frame;
            kernels::gradient::gradient(&mut f, *degrees, *from, *to, *stop);
            f
        }
        PlanOp::Perspective { corners } => kernels::perspective::perspective(limits, &frame, corners)?,
        PlanOp::Arc { degrees } => kernels::arc::arc(limits, &frame, *degrees)?,
        PlanOp::Layer(layer) => {
            let parent = (frame.width, frame.height);
            // `lfo-face` needs pixels, so it is resolved here rather than in `place_layer`:
            // the layer's centre goes on the largest face; no face ⇒ the layer is not drawn.
            let face = match layer.position.focus {
                Some(Focus::Face) => match analysis::largest_face_centre(&frame) {
                    Some(c) => Some(c),
                    None => return Ok(frame),
                },
                _ => None,
            };
            let pixels = ctx.executor.render_layer(layer, parent, ctx)?;
            let (x, y) = match face {
                Some(centre) => analysis::centred_layer(centre, (pixels.width, pixels.height)),
                None => crate::plan::place_layer(layer, (pixels.width, pixels.height), parent)?,
            };
            let size = (pixels.width, pixels.height);
            let mut f = frame;
            match layer.mode {
                LayerMode::Normal => kernels::composite::overlay(&mut f, &pixels, x, y, 1.0),
                LayerMode::Multiply => kernels::blend::multiply(&mut f, &pixels, x, y),
                LayerMode::Cutout => kernels::blend::cutout(&mut f, &pixels, x, y),
                LayerMode::Cutter => return kernels::blend::cutter(limits, f, &pixels, x, y),
                LayerMode::Displace => {
                    let amount = crate::plan::layer_displacement(layer, size, parent)?;
                    return Ok(kernels::blend::displace(&f, &pixels, x, y, amount));
                }
            }
            f
        }
    })
}

impl Backend for CpuBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Cpu
    }

    fn unsupported(&self, _ops: &[PlanOp], _frame: (u32, u32)) -> Option<String> {
        None
    }

    fn run(&self, ops: &[PlanOp], frame: Frame, ctx: &RunContext<'_>) -> Result<Frame> {
        self.install(|| {
            ops.iter().try_fold(frame, |f, op| {
                crate::cancel::check()?;
                run_op(op, f, ctx)
            })
        })
    }
}
