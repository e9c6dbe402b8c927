//! Canonical text of `e-…` effects: one spelling per meaning, read back to the same
//! [`Effect`] by the ImageKit parser.
//!
//! Options equal to their default are left out (`e-shadow` is all defaults), the others
//! follow in the documented order (`bl st x y`, `ld from to sp`); negatives take ImageKit's
//! `N` prefix; `ld` is always degrees (`ld-top` ⇒ `ld-0`); colours are the canonical hex.

use super::color;
use crate::job::{Distort, Effect, Gradient, Shadow, StopPoint};

/// `e-` value of one effect.
pub(super) fn effect(e: &Effect) -> String {
    match e {
        Effect::Grayscale => "grayscale".into(),
        Effect::Contrast => "contrast".into(),
        Effect::Sharpen(None) => "sharpen".into(),
        Effect::Sharpen(Some(n)) => format!("sharpen-{n}"),
        Effect::UnsharpMask { radius, sigma, amount, threshold } => {
            format!("usm-{radius}-{sigma}-{amount}-{threshold}")
        }
        Effect::Shadow(s) => with_options("shadow", shadow(s)),
        Effect::Gradient(g) => with_options("gradient", gradient(g)),
        Effect::Distort(Distort::Perspective(c)) => format!("distort-p-{}", c.map(signed).join("_")),
        Effect::Distort(Distort::Arc(d)) => format!("distort-a-{}", signed(*d)),
    }
}

fn with_options(name: &str, options: Vec<String>) -> String {
    if options.is_empty() {
        name.to_owned()
    } else {
        format!("{name}-{}", options.join("_"))
    }
}

/// A number with ImageKit's `N` for negatives, shortest form (`-5` ⇒ `N5`, `2.0` ⇒ `2`).
fn signed<T: Into<f64>>(v: T) -> String {
    let v: f64 = v.into();
    if v < 0.0 {
        format!("N{}", -v)
    } else {
        v.to_string()
    }
}

fn shadow(s: &Shadow) -> Vec<String> {
    let d = Shadow::default();
    let mut o = Vec::new();
    if s.blur != d.blur {
        o.push(format!("bl-{}", s.blur));
    }
    if s.saturation != d.saturation {
        o.push(format!("st-{}", s.saturation));
    }
    if s.x != d.x {
        o.push(format!("x-{}", signed(s.x)));
    }
    if s.y != d.y {
        o.push(format!("y-{}", signed(s.y)));
    }
    o
}

fn gradient(g: &Gradient) -> Vec<String> {
    let d = Gradient::default();
    let mut o = Vec::new();
    if g.direction != d.direction {
        o.push(format!("ld-{}", g.direction));
    }
    if g.from != d.from {
        o.push(format!("from-{}", color(g.from)));
    }
    if g.to != d.to {
        o.push(format!("to-{}", color(g.to)));
    }
    if g.stop != d.stop {
        o.push(match &g.stop {
            StopPoint::Fraction(f) => format!("sp-{f}"),
            StopPoint::Px(p) => format!("sp-{p}"),
            StopPoint::Expr(e) => format!("sp-{e}"),
        });
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::Color;

    #[test]
    fn defaults_are_left_out_and_negatives_use_n() {
        assert_eq!(effect(&Effect::Shadow(Shadow::default())), "shadow");
        let s = Shadow { blur: 15, saturation: 40, x: 10, y: -5 };
        assert_eq!(effect(&Effect::Shadow(s)), "shadow-bl-15_st-40_x-10_y-N5");
        assert_eq!(effect(&Effect::Gradient(Gradient::default())), "gradient");
        let g = Gradient {
            direction: 0,
            from: Color { rgb: [0, 0, 0], opacity_pct: Some(0) },
            to: Color::BLACK,
            stop: StopPoint::Fraction(0.8),
        };
        assert_eq!(effect(&Effect::Gradient(g)), "gradient-ld-0_from-00000000_to-000000_sp-0.8");
        let e = crate::job::Expr::parse("sp", "ih_div_2").unwrap();
        let g = Gradient { stop: StopPoint::Expr(e), ..Gradient::default() };
        assert_eq!(effect(&Effect::Gradient(g)), "gradient-sp-ih_div_2");
        let p = Distort::Perspective([-20, 0, 300, -5, 280, 200, 0, 210]);
        assert_eq!(effect(&Effect::Distort(p)), "distort-p-N20_0_300_N5_280_200_0_210");
        assert_eq!(effect(&Effect::Distort(Distort::Arc(-90.5))), "distort-a-N90.5");
    }
}
