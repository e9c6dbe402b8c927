//! Planning of `e-shadow`, `e-gradient` and `e-distort`: the job's ImageKit values → the
//! concrete [`PlanOp`]s, sizes resolved against the frame they apply to.
//!
//! Owns: [`shadow`], [`gradient`], [`distort`]. May import `job` and the sibling `warp`.
//!
//! Mappings (ImageKit publishes the ranges, not the pixel maths; each is our decision, \[I\]):
//! * `e-shadow` `bl-n` ⇒ Gaussian σ = n × max(W, H) / 1000 (the `bg-blurred` scale: the
//!   default `bl-10` is σ 10 on a 1000 px image, so a shadow looks the same at any size,
//!   like its `x`/`y`, which are percentages); `st-s` ⇒ black at opacity s / 100; `x`/`y` ⇒
//!   `round(x × W / 100)` px right / `round(y × H / 100)` px down. The canvas keeps its size
//!   and the shadow is clipped, as ImageKit draws it "under" the object. On a frame known to
//!   be opaque the shadow is entirely hidden, so no op is planned (the pixels are the same).
//! * `e-gradient`: CSS `linear-gradient` geometry (`warp::GradientLine`); `sp` as a fraction
//!   is of the gradient line's length, in pixels is along it; before the stop point the
//!   colour is interpolated on premultiplied values (as CSS does), after it it is `to`. An
//!   `sp` expression sees the step's variables (`iw ih` the input, `cw ch` the frame the
//!   step starts from, `bw bh` the parent in a layer), as `b` and `lx` do; its value is read
//!   as the literal forms are: ≤ 1 a fraction, > 1 pixels rounded to whole pixels (at least
//!   2, since 1 means 100 %), ≤ 0 an error naming `e-gradient-sp`.
//! * `e-distort`: see `warp` for the exact geometry.

use super::layout::Vars;
use super::warp::GradientLine;
use super::PlanOp;
use crate::error::{Error, Result};
use crate::job::{Distort, Gradient, Shadow, StopPoint};

/// Largest shadow sigma (the blur kernels' cap).
const MAX_SIGMA: f64 = 100.0;

/// The op of `e-shadow` on a frame of `size`; `None` when the frame is known to be opaque.
pub(super) fn shadow(s: &Shadow, (w, h): (u32, u32), opaque: bool) -> Option<PlanOp> {
    if opaque {
        return None;
    }
    let sigma = (f64::from(s.blur) * f64::from(w.max(h)) / 1000.0).min(MAX_SIGMA);
    let offset = |pct: i8, side: u32| {
        let v = (f64::from(pct) * f64::from(side) / 100.0).round();
        // |pct| ≤ 100, so |v| ≤ the side, far inside i32 for any frame a plan allows.
        #[expect(clippy::cast_possible_truncation, reason = "bounded by the frame side")]
        let v = v as i32;
        v
    };
    Some(PlanOp::Shadow {
        sigma: f32s(sigma),
        opacity: f32::from(s.saturation) / 100.0,
        dx: offset(s.x, w),
        dy: offset(s.y, h),
    })
}

/// The op of `e-gradient` on a frame of `size`; an `sp` expression is evaluated with `vars`.
pub(super) fn gradient(g: &Gradient, size: (u32, u32), vars: &Vars) -> Result<PlanOp> {
    let line = GradientLine::new(size, f64::from(g.direction));
    let stop = stop_px(&g.stop, line.length, vars)?;
    Ok(PlanOp::Gradient {
        degrees: f32::from(g.direction),
        from: g.from.rgba(),
        to: g.to.rgba(),
        // At least a hundredth of a pixel, so the kernels never divide by zero.
        stop: f32s(stop.max(0.01)),
    })
}

/// The stop point in pixels along a gradient line `length` long. An expression's value gets
/// the literal forms' reading and checks; its errors name `e-gradient-sp` and the expression
/// as written.
fn stop_px(stop: &StopPoint, length: f64, vars: &Vars) -> Result<f64> {
    const KEY: &str = "e-gradient-sp";
    let e = match stop {
        StopPoint::Fraction(f) => return Ok(f * length),
        StopPoint::Px(p) => return Ok(f64::from(*p)),
        StopPoint::Expr(e) => e,
    };
    let v = e.eval(KEY, |var| vars.get(var))?;
    let bad = |why: &str| Error::invalid(KEY, e.to_string(), format_args!("resolves to {v}; {why}"));
    if v.is_nan() || v <= 0.0 {
        return Err(bad("must be a fraction in (0, 1] or pixels ≥ 2"));
    }
    if v <= 1.0 {
        return Ok(v * length);
    }
    let px = v.round();
    if px < 2.0 {
        return Err(bad("pixels must be at least 2 (1 means 100 %)"));
    }
    // The literal form's range (u32) caps it, so a huge value stays finite as f32.
    Ok(px.min(f64::from(u32::MAX)))
}

/// The op of `e-distort`.
pub(super) fn distort(d: &Distort) -> PlanOp {
    match *d {
        Distort::Perspective(corners) => PlanOp::Perspective { corners },
        Distort::Arc(degrees) => PlanOp::Arc { degrees },
    }
}

fn f32s(v: f64) -> f32 {
    #[expect(clippy::cast_possible_truncation, reason = "bounded parameter values")]
    let f = v as f32;
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Color, Effect, Expr, Step};
    use crate::limits::Limits;
    use crate::plan::{plan_step, StepInput};

    fn plan(e: Effect, size: (u32, u32), opaque: bool) -> (Vec<PlanOp>, (u32, u32)) {
        let step = Step { effects: vec![e], ..Step::default() };
        let p = plan_step(&step, &StepInput::source(size, opaque), &Limits::default()).unwrap();
        (p.ops, p.output)
    }

    #[test]
    fn shadow_mapping() {
        let s = Shadow { blur: 15, saturation: 40, x: 10, y: -5 };
        let (ops, out) = plan(Effect::Shadow(s), (800, 600), false);
        assert_eq!(ops, vec![PlanOp::Shadow { sigma: 12.0, opacity: 0.4, dx: 80, dy: -30 }]);
        assert_eq!(out, (800, 600));
        assert!(plan(Effect::Shadow(s), (800, 600), true).0.is_empty(), "hidden under an opaque frame");
    }

    #[test]
    fn gradient_stop_resolves_against_the_line() {
        let g = Gradient { direction: 90, stop: StopPoint::Fraction(0.5), ..Gradient::default() };
        let (ops, _) = plan(Effect::Gradient(g), (400, 300), true);
        let want = PlanOp::Gradient { degrees: 90.0, from: [255, 255, 255, 255], to: [0, 0, 0, 0], stop: 200.0 };
        assert_eq!(ops, vec![want]);
        let g = Gradient { stop: StopPoint::Px(30), to: Color::BLACK, ..Gradient::default() };
        let (ops, _) = plan(Effect::Gradient(g), (400, 300), true);
        assert!(matches!(ops[0], PlanOp::Gradient { stop, to: [0, 0, 0, 255], .. } if stop == 30.0));
    }

    #[test]
    fn gradient_stop_expressions_resolve_like_the_literals() {
        let g = |e: &str| Gradient { stop: StopPoint::Expr(Expr::parse("sp", e).unwrap()), ..Gradient::default() };
        let stop = |e: &str, size| match plan(Effect::Gradient(g(e)), size, true).0[..] {
            [PlanOp::Gradient { stop, .. }] => stop,
            ref ops => panic!("{ops:?}"),
        };
        // > 1 ⇒ pixels: ih/2 of a 400×301 frame is 150.5, rounded to 151 px.
        assert_eq!(stop("ih_div_2", (400, 301)), 151.0);
        assert_eq!(stop("cw_sub_iw_add_30", (400, 300)), 30.0);
        // ≤ 1 ⇒ a fraction of the gradient line (default ld-bottom: the line is the height).
        assert_eq!(stop("iw_div_iw_mul_0.5", (400, 300)), 150.0);
        assert_eq!(stop("1_div_ih", (400, 300)), 1.0);
        // The literal forms' checks, naming e-gradient-sp and the expression.
        let step = |e: &str| Step { effects: vec![Effect::Gradient(g(e))], ..Step::default() };
        for e in ["iw_sub_iw", "ih_div_0", "bw_div_2", "iw_div_iw_add_0.2"] {
            let err = plan_step(&step(e), &StepInput::source((400, 300), true), &Limits::default()).unwrap_err();
            assert_eq!((err.key(), err.value()), (Some("e-gradient-sp"), Some(e)), "{e}: {err}");
        }
    }

    #[test]
    fn distort_output_sizes() {
        let p = Distort::Perspective([10, 20, 290, -5, 250, 190, -40, 170]);
        assert_eq!(plan(Effect::Distort(p), (300, 200), true).1, (330, 195));
        let (ops, out) = plan(Effect::Distort(Distort::Arc(180.0)), (314, 50), true);
        assert_eq!(ops, vec![PlanOp::Arc { degrees: 180.0 }]);
        assert_eq!(out, crate::plan::warp::ArcGeometry::new((314, 50), 180.0).size);
        // Over the output limit ⇒ 400 naming the effect.
        let huge = Distort::Perspective([0, 0, 1 << 20, 0, 1 << 20, 10, 0, 10]);
        let step = Step { effects: vec![Effect::Distort(huge)], ..Step::default() };
        let e = plan_step(&step, &StepInput::source((10, 10), true), &Limits::default()).unwrap_err();
        assert_eq!(e.key(), Some("e-distort"));
    }
}
