//! `e-gradient` options (ImageKit "Gradient"): `ld` direction, `from` / `to` colours, `sp`
//! stop point, joined by `_` in any order.
//!
//! Owns: [`gradient`]. May import `job`, `error`.
//!
//! # Format
//! ```text
//! e-gradient                                   defaults: ld-bottom, from-FFFFFF, to-00000000, sp-1
//! e-gradient-ld-top_right_from-FF000040_to-00FF0040_sp-0.9
//! ld = top | top_right | right | bottom_right | bottom | bottom_left | left | top_left | 0…359
//! sp = 0.01…1 (fraction of the gradient line) | integer ≥ 2 (pixels) | expression
//! e-gradient-sp-ih_div_2                       an expression over iw ih iar cw ch car (bw bh bar in layers)
//! ```
//! An expression is kept as written; the planner resolves it and reads the value as the
//! literal forms are read (≤ 1 a fraction, > 1 pixels).

use super::super::color::color;
use super::super::number::{decimal, integer, is_decimal};
use super::options;
use crate::error::{Error, Result};
use crate::job::{Expr, Gradient, StopPoint};

/// `ld` names and their angles (CSS convention: 0 = towards the top, clockwise).
const DIRECTIONS: [(&str, u16); 8] = [
    ("top", 0),
    ("top_right", 45),
    ("right", 90),
    ("bottom_right", 135),
    ("bottom", 180),
    ("bottom_left", 225),
    ("left", 270),
    ("top_left", 315),
];

/// Parse the options after `e-gradient-` (`None` for a bare `e-gradient`).
pub(in super::super) fn gradient(args: Option<&str>) -> Result<Gradient> {
    let mut g = Gradient::default();
    for (k, v) in options("e-gradient", args)? {
        let key = format!("e-gradient-{k}");
        match k {
            "ld" => g.direction = direction(&key, &v)?,
            "from" => g.from = color(&key, &v)?,
            "to" => g.to = color(&key, &v)?,
            "sp" => g.stop = stop(&key, &v)?,
            _ => {
                let why = format_args!("unknown gradient option '{k}'; the options are ld, from, to and sp");
                return Err(Error::invalid("e-gradient", args.unwrap_or_default(), why));
            }
        }
    }
    g.validate()?;
    Ok(g)
}

fn direction(key: &str, raw: &str) -> Result<u16> {
    if let Some((_, deg)) = DIRECTIONS.iter().find(|(n, _)| *n == raw) {
        return Ok(*deg);
    }
    if !is_decimal(raw) {
        return Err(Error::invalid(
            key,
            raw,
            "use top, top_right, right, bottom_right, bottom, bottom_left, left, top_left or 0-359",
        ));
    }
    Ok(u16::try_from(integer(key, raw, 0, 359)?).unwrap_or(0))
}

/// `sp`: ≤ 1 is a fraction, > 1 a whole number of pixels; a value that starts with a letter
/// (a variable: `ih_div_2`) is an expression.
fn stop(key: &str, raw: &str) -> Result<StopPoint> {
    if !is_decimal(raw) && raw.bytes().next().is_some_and(|b| b.is_ascii_alphabetic()) {
        return Ok(StopPoint::Expr(Expr::parse(key, raw)?));
    }
    let v = decimal(key, raw)?;
    if v <= 0.0 {
        return Err(Error::invalid(key, raw, "must be a fraction in (0, 1] or whole pixels ≥ 2"));
    }
    if v <= 1.0 {
        return Ok(StopPoint::Fraction(v));
    }
    if v.fract() != 0.0 {
        return Err(Error::invalid(key, raw, "above 1 the stop point is in whole pixels"));
    }
    Ok(StopPoint::Px(integer(key, raw, 2, u32::MAX)?))
}

#[cfg(test)]
mod tests {
    use super::super::effect as one_effect;
    use super::*;
    use crate::job::{Color, Effect};

    #[test]
    fn parses_defaults_names_angles_colours_and_stops() {
        assert_eq!(gradient(None).unwrap(), Gradient::default());
        let g = gradient(Some("ld-top_right_from-FF000040_to-00FF0040_sp-0.9")).unwrap();
        assert_eq!(g.direction, 45);
        assert_eq!(g.from, Color { rgb: [255, 0, 0], opacity_pct: Some(40) });
        assert_eq!(g.to, Color { rgb: [0, 255, 0], opacity_pct: Some(40) });
        assert_eq!(g.stop, StopPoint::Fraction(0.9));
        let g = gradient(Some("sp-120_to-red_ld-top_left")).unwrap();
        assert_eq!((g.direction, g.stop, g.to.rgb), (315, StopPoint::Px(120), [255, 0, 0]));
        assert_eq!(gradient(Some("ld-45_sp-1")).unwrap().stop, StopPoint::Fraction(1.0));
        let g = one_effect("gradient-ld-top_from-00000000_to-000000_sp-0.8").unwrap();
        let Effect::Gradient(g) = g else { panic!("{g:?}") };
        assert_eq!((g.direction, g.from.opacity_pct, g.to.opacity_pct), (0, Some(0), None));
    }

    #[test]
    fn bad_values_name_the_option() {
        for (args, key, value) in [
            ("ld-360", "e-gradient-ld", "360"),
            ("ld-up", "e-gradient-ld", "up"),
            ("ld-top_middle", "e-gradient-ld", "top_middle"),
            ("from-nothex", "e-gradient-from", "nothex"),
            ("to-FF0000AA", "e-gradient-to", "FF0000AA"),
            ("sp-0", "e-gradient-sp", "0"),
            ("sp-1.5", "e-gradient-sp", "1.5"),
            ("sp-N3", "e-gradient-sp", "N3"),
            ("angle-3", "e-gradient", "angle-3"),
        ] {
            let e = gradient(Some(args)).unwrap_err();
            assert_eq!((e.key(), e.value()), (Some(key), Some(value)), "{args}: {e}");
        }
        for args in ["sp-ih_div", "sp-zz_div_2", "sp-ih_xor_2"] {
            let e = gradient(Some(args)).unwrap_err();
            assert_eq!(e.key(), Some("e-gradient-sp"), "{args}: {e}");
        }
    }

    #[test]
    fn stop_point_expressions() {
        let g = gradient(Some("sp-ih_div_2")).unwrap();
        assert_eq!(g.stop, StopPoint::Expr(Expr::parse("e-gradient-sp", "ih_div_2").unwrap()));
        // Among other options, in any order; the `_` inside the expression stays with `sp`.
        let g = gradient(Some("ld-right_sp-cw_mul_0.25_add_10_to-red")).unwrap();
        assert_eq!((g.direction, g.to.rgb), (90, [255, 0, 0]));
        assert_eq!(g.stop, StopPoint::Expr(Expr::parse("sp", "cw_mul_0.25_add_10").unwrap()));
    }
}
