//! The pure planner: a job step plus known sizes → concrete pixel operations.
//!
//! Owns: [`PlanOp`] and the types around it, [`plan_step`] and [`plan`]. `Job` says what the
//! user asked for; a plan says exactly which pixels move, with every size resolved, so a
//! backend never does geometry. Data-dependent choices that need pixels (salient region,
//! faces, dominant colour) are left as typed placeholders ([`Anchor`], [`Fill::Dominant`])
//! that the executor resolves with an analysis kernel; their output sizes are still known
//! here. Trim is the one size-changing analysis: the executor measures it first and passes
//! the rectangle in [`StepInput::trimmed`].
//!
//! May import: `job`, `limits`, `error`. Must not import `url`, `exec`, `media`, any async or
//! GPU crate.

// The work a job will cost, estimated before decoding (limits.max_work).
pub mod cost;
// bl: exact for small σ, reduce → blur → expand for large σ.
pub mod blur;
mod effects;
mod fx;
mod gravity;
mod layer;
mod layout;
mod op;
// Pure geometry of gradients and distortions, shared by the planner and both backends.
pub mod warp;

pub use op::PlanOp;

use crate::error::{Error, Result};
use crate::job::{Job, Layer, LayerMode, LayerPosition, Step, Trim};
use crate::limits::Limits;

/// An axis-aligned rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width (≥ 1).
    pub width: u32,
    /// Height (≥ 1).
    pub height: u32,
}

/// Resampling filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    /// Lanczos, 3 lobes (default for photos).
    #[default]
    Lanczos3,
    /// Catmull-Rom cubic.
    Cubic,
    /// Bilinear.
    Bilinear,
}

/// How the area around or under an image is filled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fill {
    /// A solid RGBA colour (straight alpha).
    Color([u8; 4]),
    /// The dominant colour of the step's input (resolved by the executor).
    Dominant,
    /// The step's input scaled to cover the canvas and blurred (`bg-blurred`).
    Blurred {
        /// Gaussian sigma in output pixels.
        sigma: f32,
        /// Added brightness −255…255.
        brightness: i16,
    },
    /// A gradient between the step input's dominant colours (`bg-gradient_dominant`),
    /// resolved by the executor (`kernels::palette_gradient`).
    GradientDominant {
        /// Palette size, 2 or 4.
        colors: u8,
    },
}

/// Where a fixed-size crop window goes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Anchor {
    /// Top-left corner in pixels of the frame being cropped.
    At {
        /// Left edge.
        x: u32,
        /// Top edge.
        y: u32,
    },
    /// Centre the window on the most salient region (`fo-auto`).
    Salient,
    /// Centre on the detected face(s), box scaled by `zoom` (`fo-face`, `z`); centre crop
    /// when no face is found.
    Face {
        /// Zoom factor, 1 = the face box as detected.
        zoom: f64,
    },
}

/// Corner radii in pixels after resizing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Corners {
    /// top-left, top-right, bottom-right, bottom-left.
    Radii([f32; 4]),
    /// An ellipse touching all four edges.
    Ellipse,
}

/// Sizes and hints a step is planned against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepInput {
    /// Original input size of the asset (or of the layer's own input) — `iw`, `ih`.
    pub input: (u32, u32),
    /// Current size: the output of the previous step — `cw`, `ch`.
    pub current: (u32, u32),
    /// Base (parent) size for layers — `bw`, `bh`; `None` outside layers.
    pub base: Option<(u32, u32)>,
    /// Content rectangle measured by trim, when the step has `t`. `None` with `t` set means
    /// the whole frame is background: nothing is trimmed.
    pub trimmed: Option<Rect>,
    /// `Sec-CH-Width` client hint for `w-auto`.
    pub hint_width: Option<u32>,
    /// `Sec-CH-DPR` client hint for `dpr-auto`.
    pub hint_dpr: Option<f64>,
    /// True when the input is fully opaque. A `bg` colour then needs no flattening pass of its
    /// own; it still fills padding, rotation corners and rounded corners. Without `bg`,
    /// rounded and rotated corners are transparent, and the encoder of an opaque format
    /// flattens them onto black, the documented default background.
    pub opaque: bool,
}

impl StepInput {
    /// The input of a job's first step: a source of `size`, no hints, no trim measurement.
    pub fn source(size: (u32, u32), opaque: bool) -> StepInput {
        StepInput { input: size, current: size, base: None, trimmed: None, hint_width: None, hint_dpr: None, opaque }
    }
}

/// A planned step: ops in order and the resulting size.
#[derive(Debug, Clone, PartialEq)]
pub struct StepPlan {
    /// Operations in execution order.
    pub ops: Vec<PlanOp>,
    /// Size after the last op.
    pub output: (u32, u32),
    /// True when the output is known to be fully opaque (see [`PlanOp::opaque_after`]).
    pub opaque: bool,
}

/// Plan one step. Sizes are resolved, checked against `limits` (0 or over the limit ⇒
/// InvalidArgument naming the parameter), and every op's output size is known.
///
/// Engine order (spec §1.3): trim → resize/crop → `rt` → `fl` → `bl`/`e-*` → `r` → `b` →
/// `bg`/`o` → layers. A step with `t` is cropped to `input.trimmed`, which the executor
/// measured on `input.current` (when `None`, nothing is trimmed).
pub fn plan_step(step: &Step, input: &StepInput, limits: &Limits) -> Result<StepPlan> {
    let mut b = layout::Builder::new(input, limits);
    if matches!(step.trim, Some(Trim::Default | Trim::Threshold(_))) {
        if let Some(r) = input.trimmed {
            let (cw, ch) = b.size;
            let inside = r.width >= 1
                && r.height >= 1
                && r.x.checked_add(r.width).is_some_and(|e| e <= cw)
                && r.y.checked_add(r.height).is_some_and(|e| e <= ch);
            if !inside {
                return Err(Error::internal(format!("trim rectangle {r:?} lies outside the {cw}x{ch} frame")));
            }
            if (r.width, r.height) != b.size {
                b.push("t", PlanOp::Crop { width: r.width, height: r.height, anchor: Anchor::At { x: r.x, y: r.y } })?;
            }
        }
    }
    layout::resize(step, &mut b)?;
    effects::apply(step, &mut b)?;
    for l in &step.layers {
        b.push("l", PlanOp::Layer(Box::new(l.clone())))?;
    }
    Ok(b.finish())
}

/// Plan a whole job whose steps need no trim measurement, against a source of
/// `source` size that may have alpha, without client hints. Used by backends that keep a
/// chain on the device.
pub fn plan(job: &Job, source: (u32, u32), limits: &Limits) -> Result<Vec<StepPlan>> {
    plan_from(job, &StepInput::source(source, false), limits)
}

/// [`plan`] with an explicit first-step input (hints, opacity). Every later step's input
/// is the previous step's output; `input` and `base` stay as given. A step with `t` is an
/// error here: the executor must measure it and call [`plan_step`].
pub fn plan_from(job: &Job, first: &StepInput, limits: &Limits) -> Result<Vec<StepPlan>> {
    let mut input = *first;
    let mut plans = Vec::with_capacity(job.steps.len().min(64));
    for (i, step) in job.steps.iter().enumerate() {
        if matches!(step.trim, Some(Trim::Default | Trim::Threshold(_))) {
            return Err(Error::internal(format!("step {i} trims: measure it and plan it with plan_step")));
        }
        let p = plan_step(step, &input, limits)?;
        (input.current, input.opaque, input.trimmed) = (p.output, p.opaque, None);
        plans.push(p);
    }
    Ok(plans)
}

/// Top-left position of a layer of `size` (after its own steps) on a parent of `parent`
/// size (spec §7.2). A layer with `lfo-face` is centred here; the executor must instead
/// centre it on the largest face it detects in the parent, and skip the layer when none.
pub fn place_layer(layer: &Layer, size: (u32, u32), parent: (u32, u32)) -> Result<(i64, i64)> {
    if layer.mode == LayerMode::Displace {
        // `lx`/`ly` of a displacement map are its strength (see [`layer_displacement`]).
        let p = LayerPosition { x: None, y: None, ..layer.position.clone() };
        return layer::place(&p, size, parent);
    }
    layer::place(&layer.position, size, parent)
}

/// The largest displacement (x, y) in pixels of an `lm-displace` layer of `size` on a
/// `parent`: its `lx`/`ly`, expressions resolved as for a position, `N` negative.
pub fn layer_displacement(layer: &Layer, size: (u32, u32), parent: (u32, u32)) -> Result<(f32, f32)> {
    layer::displacement(&layer.position, size, parent)
}

#[cfg(test)]
mod tests;
