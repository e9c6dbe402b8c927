//! Appearance ops of a step (spec §5), after resize/crop: `rt` → `fl` → `bl`/`e-*` → `r` →
//! `b` → `bg`/`o`; and the fill used for padding.
//!
//! Owns: [`apply`], [`pad_fill`] and the parameter mappings below. May import `job`,
//! `limits`, `error`.
//!
//! Mappings (ImageKit publishes none of these numbers; each is our decision, \[I\]):
//! * `bl-n` ⇒ Gaussian σ = n / 2 (the CPU blur kernel's `sigma_for_radius`).
//! * `e-sharpen` ⇒ unsharp mask σ 1, amount 1, threshold 0; `e-sharpen-n` ⇒ σ = n (the
//!   rewriter maps Cloudinary `e_sharpen:500` to `e-sharpen-5`, as it maps
//!   `e_unsharp_mask:500` to σ 5); `e-sharpen-0` is no sharpening.
//! * `e-usm-r-s-a-t` ⇒ σ = s (or r / 2 when s is 0), amount a, threshold t; the radius is
//!   otherwise derived from σ by the kernel (ImageMagick convention).
//! * `bg-blurred[_i]` ⇒ σ = i × max(W, H) / 1000 for the output canvas W × H (`i` = 5 on
//!   800×600 ⇒ σ 4); `auto` ⇒ σ = max(W, H) / 40; capped at 100. Brightness passes through.
//! * `rt` and `r` corners are filled with the `bg` colour when one is given, else left
//!   transparent; an opaque output format flattens them onto black, the default `bg`.
//! * `e-shadow`, `e-gradient`, `e-distort`: see `fx`.
//! * `bg-dominant` is resolved by the executor only for padding; elsewhere (rotation and
//!   corner fill, flattening) it behaves as if no `bg` were given.

use super::fx;
use super::layout::{dim_text, px, resolve, Builder};
use super::{Corners, Fill, PlanOp};
use crate::error::Result;
use crate::job::{Background, Effect, Radius, Rotation, Step};

/// Largest blur sigma the kernels honour.
const MAX_SIGMA: f32 = 100.0;
const TRANSPARENT: [u8; 4] = [0, 0, 0, 0];
const BLACK: [u8; 4] = [0, 0, 0, 255];

/// The canvas fill for padding a step's image to `canvas` (`bg`, default black).
pub(super) fn pad_fill(step: &Step, canvas: (u32, u32)) -> Fill {
    match step.background {
        None => Fill::Color(BLACK),
        Some(Background::Color(c)) => Fill::Color(c.rgba()),
        Some(Background::Dominant) => Fill::Dominant,
        Some(Background::GradientDominant { colors }) => Fill::GradientDominant { colors },
        Some(Background::Blurred { intensity, brightness }) => {
            let m = f64::from(canvas.0.max(canvas.1));
            let sigma = match intensity {
                None => m / 40.0,
                Some(i) => f64::from(i) * m / 1000.0,
            };
            #[expect(clippy::cast_possible_truncation, reason = "clamped to 0..=100 first")]
            let sigma = sigma.clamp(0.0, f64::from(MAX_SIGMA)) as f32;
            Fill::Blurred { sigma, brightness }
        }
    }
}

/// Append the appearance ops of `step`.
pub(super) fn apply(step: &Step, b: &mut Builder<'_>) -> Result<()> {
    let bg = match step.background {
        Some(Background::Color(c)) => Some(c.rgba()),
        _ => None,
    };
    if let Some(Rotation::Degrees(d)) = step.rotate {
        b.push("rt", PlanOp::Rotate { degrees: d, fill: bg.unwrap_or(TRANSPARENT) })?;
    }
    if let Some(f) = step.flip {
        b.push("fl", PlanOp::Flip { horizontal: f.horizontal, vertical: f.vertical })?;
    }
    if let Some(n) = step.blur {
        super::blur::push_blur(b, "bl", blur_sigma(n))?;
    }
    for e in &step.effects {
        let (key, op) = match *e {
            Effect::Grayscale => ("e-grayscale", PlanOp::Grayscale),
            Effect::Contrast => ("e-contrast", PlanOp::Contrast),
            Effect::Sharpen(None) => ("e-sharpen", PlanOp::Sharpen { sigma: 1.0, amount: 1.0, threshold: 0.0 }),
            Effect::Sharpen(Some(n)) if n <= 0.0 => continue,
            Effect::Sharpen(Some(n)) => ("e-sharpen", PlanOp::Sharpen { sigma: f32s(n), amount: 1.0, threshold: 0.0 }),
            Effect::UnsharpMask { radius, sigma, amount, threshold } => {
                let sigma = if sigma > 0.0 { sigma } else { radius / 2.0 };
                ("e-usm", PlanOp::Sharpen { sigma: f32s(sigma), amount: f32s(amount), threshold: f32s(threshold) })
            }
            Effect::Shadow(ref s) => match fx::shadow(s, b.size, b.opaque) {
                Some(op) => ("e-shadow", op),
                None => continue,
            },
            Effect::Gradient(ref g) => ("e-gradient", fx::gradient(g, b.size, &b.vars)?),
            Effect::Distort(ref d) => ("e-distort", fx::distort(d)),
        };
        b.push(key, op)?;
    }
    if let Some(r) = step.radius {
        let half = f64::from(b.size.0.min(b.size.1)) / 2.0;
        let c = |v: u32| f32s(f64::from(v).min(half));
        let corners = match r {
            Radius::Max => Corners::Ellipse,
            Radius::Uniform(v) => Corners::Radii([c(v); 4]),
            Radius::Corners([a, b, cc, d]) => Corners::Radii([c(a), c(b), c(cc), c(d)]),
        };
        b.push("r", PlanOp::RoundCorners { corners, fill: bg })?;
    }
    if let Some(border) = &step.border {
        let raw = dim_text(&border.width);
        let v = resolve("b", &border.width, b.input.input.0, &b.vars, None)?.unwrap_or(0.0);
        if v.round() >= 1.0 {
            let width = px("b", &raw, v, b.limits)?;
            b.push("b", PlanOp::Border { width, color: border.color.rgba() })?;
        }
    }
    match (step.opacity, bg) {
        (Some(o), bg) => {
            // With `bg` the colour is blended in and the result is opaque: its alpha is ignored.
            let background = bg.map(|[r, g, b, _]| [r, g, b, 255]);
            b.push("o", PlanOp::Opacity { opacity: f32::from(o) / 100.0, background })?;
        }
        (None, Some(bg)) if !b.opaque => b.push("bg", PlanOp::Flatten { background: bg })?,
        (None, _) => {}
    }
    Ok(())
}

/// `bl-n` ⇒ σ = n / 2 (see the module doc).
fn blur_sigma(n: u32) -> f32 {
    f32s(f64::from(n) / 2.0).min(MAX_SIGMA)
}

/// A parameter value as `f32` (values are small; out-of-range saturates).
fn f32s(v: f64) -> f32 {
    #[expect(clippy::cast_possible_truncation, reason = "parameter values are far inside the f32 range")]
    let f = v as f32;
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Border, Color, Dim, Expr, Flip};
    use crate::limits::Limits;
    use crate::plan::{plan_step, StepInput};

    fn ops(step: &Step, opaque: bool) -> Vec<PlanOp> {
        plan_step(step, &StepInput::source((400, 300), opaque), &Limits::default()).unwrap().ops
    }

    const RED: Color = Color { rgb: [255, 0, 0], opacity_pct: None };

    #[test]
    fn engine_order_and_mappings() {
        let step = Step {
            rotate: Some(Rotation::Degrees(90.0)),
            flip: Some(Flip { horizontal: true, vertical: false }),
            blur: Some(10),
            effects: vec![
                Effect::Grayscale,
                Effect::Sharpen(None),
                Effect::Sharpen(Some(5.0)),
                Effect::Sharpen(Some(0.0)),
                Effect::UnsharpMask { radius: 0.0, sigma: 2.5, amount: 1.0, threshold: 0.05 },
                Effect::UnsharpMask { radius: 4.0, sigma: 0.0, amount: 0.8, threshold: 0.0 },
                Effect::Contrast,
            ],
            radius: Some(Radius::Uniform(500)),
            border: Some(Border { width: Dim::Expr(Expr::parse("b", "ih_div_100").unwrap()), color: RED }),
            ..Step::default()
        };
        let want = vec![
            PlanOp::Rotate { degrees: 90.0, fill: TRANSPARENT },
            PlanOp::Flip { horizontal: true, vertical: false },
            PlanOp::Blur { sigma: 5.0 },
            PlanOp::Grayscale,
            PlanOp::Sharpen { sigma: 1.0, amount: 1.0, threshold: 0.0 },
            PlanOp::Sharpen { sigma: 5.0, amount: 1.0, threshold: 0.0 },
            PlanOp::Sharpen { sigma: 2.5, amount: 1.0, threshold: 0.05 },
            PlanOp::Sharpen { sigma: 2.0, amount: 0.8, threshold: 0.0 },
            PlanOp::Contrast,
            PlanOp::RoundCorners { corners: Corners::Radii([150.0; 4]), fill: None },
            PlanOp::Border { width: 3, color: [255, 0, 0, 255] },
        ];
        assert_eq!(ops(&step, true), want);
        let p = plan_step(&step, &StepInput::source((400, 300), true), &Limits::default()).unwrap();
        assert_eq!((p.output, p.opaque), ((306, 406), false), "rotated, bordered; corners transparent");
    }

    #[test]
    fn background_and_opacity() {
        let bg = |c: Color| Some(Background::Color(c));
        let s = Step { radius: Some(Radius::Max), background: bg(RED), ..Step::default() };
        let corners = PlanOp::RoundCorners { corners: Corners::Ellipse, fill: Some([255, 0, 0, 255]) };
        assert_eq!(ops(&s, true), vec![corners.clone()], "opaque input: no flatten pass");
        assert_eq!(ops(&s, false), vec![corners, PlanOp::Flatten { background: [255, 0, 0, 255] }]);
        let s = Step { opacity: Some(50), ..Step::default() };
        assert_eq!(ops(&s, true), vec![PlanOp::Opacity { opacity: 0.5, background: None }]);
        let half = Color { opacity_pct: Some(50), ..RED };
        let s = Step { opacity: Some(50), background: bg(half), ..Step::default() };
        assert_eq!(ops(&s, false), vec![PlanOp::Opacity { opacity: 0.5, background: Some([255, 0, 0, 255]) }]);
        let s = Step { rotate: Some(Rotation::Degrees(30.0)), background: bg(RED), ..Step::default() };
        assert_eq!(ops(&s, true), vec![PlanOp::Rotate { degrees: 30.0, fill: [255, 0, 0, 255] }]);
        assert!(
            ops(&Step { rotate: Some(Rotation::Auto), ..Step::default() }, true).is_empty(),
            "EXIF is applied at decode"
        );
        let s = Step { radius: Some(Radius::Max), background: Some(Background::Dominant), ..Step::default() };
        assert_eq!(ops(&s, true), vec![PlanOp::RoundCorners { corners: Corners::Ellipse, fill: None }]);
    }

    #[test]
    fn a_corner_written_max_is_half_the_shorter_side() {
        let s = Step { radius: Some(Radius::Corners([10, Radius::MAX_CORNER, 20, 30])), ..Step::default() };
        let p = plan_step(&s, &StepInput::source((400, 300), true), &Limits::default()).unwrap();
        let want = PlanOp::RoundCorners { corners: Corners::Radii([10.0, 150.0, 20.0, 30.0]), fill: None };
        assert!(p.ops.contains(&want), "{:?}", p.ops);
    }

    #[test]
    fn blurred_fill_sigma() {
        let s = |i| Step { background: Some(Background::Blurred { intensity: i, brightness: 9 }), ..Step::default() };
        assert_eq!(pad_fill(&s(Some(5)), (800, 600)), Fill::Blurred { sigma: 4.0, brightness: 9 });
        assert_eq!(pad_fill(&s(None), (800, 600)), Fill::Blurred { sigma: 20.0, brightness: 9 });
        assert_eq!(pad_fill(&s(Some(100)), (8000, 600)), Fill::Blurred { sigma: 100.0, brightness: 9 });
        assert_eq!(pad_fill(&Step::default(), (1, 1)), Fill::Color(BLACK));
    }
}
