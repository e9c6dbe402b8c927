//! The concrete pixel operations of a plan and the size and opacity each one yields.
//!
//! Owns: [`PlanOp`], [`PlanOp::output_size`], [`PlanOp::opaque_after`]. Pure; the geometry of
//! the distortions comes from [`super::warp`]. May import `job`.

use super::layout::saturate;
use super::{warp, Anchor, Corners, Fill, Filter};
use crate::job::Layer;

/// One concrete pixel operation. Each op's output size is a function of its input size and
/// its parameters only (see [`PlanOp::output_size`]).
#[derive(Debug, Clone, PartialEq)]
pub enum PlanOp {
    /// Scale the whole frame to exactly `width` × `height`.
    Resize {
        /// Output width.
        width: u32,
        /// Output height.
        height: u32,
        /// Filter.
        filter: Filter,
    },
    /// Cut a window of `width` × `height` placed by `anchor`; the window lies inside the frame.
    Crop {
        /// Output width.
        width: u32,
        /// Output height.
        height: u32,
        /// Window placement.
        anchor: Anchor,
    },
    /// Place the frame at (`x`, `y`) on a `width` × `height` canvas filled with `fill`;
    /// parts outside the canvas are clipped.
    Pad {
        /// Canvas width.
        width: u32,
        /// Canvas height.
        height: u32,
        /// Left edge of the frame on the canvas (may be negative).
        x: i64,
        /// Top edge of the frame on the canvas (may be negative).
        y: i64,
        /// Canvas fill.
        fill: Fill,
    },
    /// Rotate clockwise; multiples of 90 are exact pixel moves, others expand to the rotated
    /// bounding box filled with `fill`.
    Rotate {
        /// Clockwise degrees.
        degrees: f64,
        /// Fill for uncovered corners.
        fill: [u8; 4],
    },
    /// Mirror.
    Flip {
        /// Left–right.
        horizontal: bool,
        /// Top–bottom.
        vertical: bool,
    },
    /// Gaussian blur.
    Blur {
        /// Sigma in pixels.
        sigma: f32,
    },
    /// Unsharp mask (also used for `e-sharpen`).
    Sharpen {
        /// Gaussian sigma.
        sigma: f32,
        /// Amount (1 = 100 %).
        amount: f32,
        /// Threshold as a fraction of the full range.
        threshold: f32,
    },
    /// Convert to grayscale (Rec. 709 luma).
    Grayscale,
    /// Automatic contrast stretch.
    Contrast,
    /// Multiply alpha by `opacity` (0–1); with `background`, flatten onto it (opaque result).
    Opacity {
        /// 0 = transparent, 1 = unchanged.
        opacity: f32,
        /// Flatten onto this colour afterwards.
        background: Option<[u8; 4]>,
    },
    /// Round the corners; outside pixels become `fill` or transparent.
    RoundCorners {
        /// Radii or ellipse.
        corners: Corners,
        /// Fill outside the corners; `None` = transparent.
        fill: Option<[u8; 4]>,
    },
    /// Add a solid border of `width` px on every side.
    Border {
        /// Border width.
        width: u32,
        /// Colour.
        color: [u8; 4],
    },
    /// Flatten transparency onto a background colour.
    Flatten {
        /// Background.
        background: [u8; 4],
    },
    /// `e-shadow`: a black shadow made from the frame's alpha, moved by (`dx`, `dy`),
    /// blurred, scaled by `opacity`, drawn under the frame (canvas unchanged, shadow clipped).
    Shadow {
        /// Gaussian sigma of the shadow's blur in pixels (0 = hard edge).
        sigma: f32,
        /// Shadow opacity 0–1.
        opacity: f32,
        /// Shadow offset to the right in pixels (negative = left).
        dx: i32,
        /// Shadow offset down in pixels (negative = up).
        dy: i32,
    },
    /// `e-gradient`: a two-colour linear gradient drawn over the frame (source-over), with
    /// the geometry of `plan::warp::gradient_line`.
    Gradient {
        /// Direction in degrees, CSS convention (0 = towards the top, clockwise).
        degrees: f32,
        /// Straight RGBA at the start of the gradient line.
        from: [u8; 4],
        /// Straight RGBA from `stop` on.
        to: [u8; 4],
        /// Distance along the gradient line, in pixels (> 0), where `to` is reached.
        stop: f32,
    },
    /// `e-distort-p`: perspective mapping the frame's corners (top-left, top-right,
    /// bottom-right, bottom-left) onto `corners`; the output is their bounding box
    /// (`plan::warp::perspective_box`), transparent outside the quadrilateral.
    Perspective {
        /// `[x1, y1, …, x4, y4]` in pixels of the input frame's coordinate space.
        corners: [i32; 8],
    },
    /// `e-distort-a`: bend the frame over an arc (`plan::warp::ArcGeometry`), transparent
    /// outside it.
    Arc {
        /// 0 < |degrees| ≤ 360; positive = frown, negative = smile.
        degrees: f64,
    },
    /// Draw a layer on the current frame. The executor obtains the layer's pixels (fetch an
    /// image, render text, make a solid block), plans the layer's own steps with
    /// [`plan_step`] using this frame's size as base (`bw`, `bh`), and places it with
    /// [`place_layer`].
    Layer(Box<Layer>),
}

impl PlanOp {
    /// Output size of this op for an input of `input` size (saturating; limits are checked by
    /// the planner). Rotation by a non-right angle gives the rotated bounding box, each side
    /// rounded to the nearest pixel and at least 1 — the formula of the rotate kernel.
    pub fn output_size(&self, input: (u32, u32)) -> (u32, u32) {
        match self {
            PlanOp::Resize { width, height, .. }
            | PlanOp::Crop { width, height, .. }
            | PlanOp::Pad { width, height, .. } => (*width, *height),
            PlanOp::Rotate { degrees, .. } => rotated_size(input, *degrees),
            PlanOp::Perspective { corners } => warp::perspective_box(corners).1,
            PlanOp::Arc { degrees } => warp::ArcGeometry::new(input, *degrees).size,
            PlanOp::Border { width, .. } => {
                let grow = |v: u32| v.saturating_add(width.saturating_mul(2));
                (grow(input.0), grow(input.1))
            }
            PlanOp::Flip { .. }
            | PlanOp::Blur { .. }
            | PlanOp::Sharpen { .. }
            | PlanOp::Grayscale
            | PlanOp::Contrast
            | PlanOp::Opacity { .. }
            | PlanOp::RoundCorners { .. }
            | PlanOp::Flatten { .. }
            | PlanOp::Shadow { .. }
            | PlanOp::Gradient { .. }
            | PlanOp::Layer(_) => input,
        }
    }

    /// Whether the frame is fully opaque after this op, given whether it was before.
    pub fn opaque_after(&self, before: bool) -> bool {
        let solid = |c: &[u8; 4]| c[3] == 255;
        match self {
            PlanOp::Pad { fill: Fill::Color(c), .. } => before && solid(c),
            PlanOp::Rotate { degrees, fill } => before && (degrees.rem_euclid(90.0) == 0.0 || solid(fill)),
            PlanOp::RoundCorners { fill, .. } => before && fill.as_ref().is_some_and(solid),
            PlanOp::Opacity { opacity, background } => match background {
                Some(bg) => solid(bg),
                None => before && *opacity >= 1.0,
            },
            PlanOp::Border { color, .. } => before && solid(color),
            PlanOp::Flatten { background } => solid(background) || before,
            // Transparent outside the distorted shape.
            PlanOp::Perspective { .. } | PlanOp::Arc { .. } => false,
            _ => before,
        }
    }
}

/// Bounding box of a `w` × `h` frame rotated by `degrees`: exact for right angles.
fn rotated_size((w, h): (u32, u32), degrees: f64) -> (u32, u32) {
    let d = degrees.rem_euclid(360.0);
    if d % 90.0 == 0.0 {
        return if d == 90.0 || d == 270.0 { (h, w) } else { (w, h) };
    }
    let t = d.to_radians();
    let (fw, fh) = (f64::from(w), f64::from(h));
    let bw = (fw * t.cos()).abs() + (fh * t.sin()).abs();
    let bh = (fw * t.sin()).abs() + (fh * t.cos()).abs();
    (saturate(bw.round().max(1.0)), saturate(bh.round().max(1.0)))
}
