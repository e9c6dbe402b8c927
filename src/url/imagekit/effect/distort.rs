//! `e-distort` (ImageKit "Distort"): perspective from four corners, or an arc.
//!
//! Owns: [`distort`]. May import `job`, `error`.
//!
//! # Format
//! ```text
//! e-distort-p-x1_y1_x2_y2_x3_y3_x4_y4   corners top-left, top-right, bottom-right, bottom-left
//!                                       in pixels; N = negative (p-N10_0_…)
//! e-distort-a-<deg>                     arc; a-N<deg> bends the other way; 0 < deg ≤ 360
//! ```

use super::super::number::{rewrap, signed};
use super::options;
use crate::error::{Error, Result};
use crate::job::Distort;

/// Parse the options after `e-distort-`.
pub(in super::super) fn distort(args: Option<&str>) -> Result<Distort> {
    let opts = options("e-distort", args)?;
    let (d, raw) = match opts.as_slice() {
        [(k, v)] if *k == "p" => {
            let key = "e-distort-p";
            let parts: Vec<&str> = v.split('_').collect();
            let bad = || Error::invalid(key, v.as_str(), "expected 8 whole numbers x1_y1_x2_y2_x3_y3_x4_y4");
            if parts.len() != 8 {
                return Err(bad());
            }
            let mut c = [0i32; 8];
            for (slot, p) in c.iter_mut().zip(&parts) {
                let n = signed(key, p).map_err(|_| bad())?;
                if n.fract() != 0.0 || n.abs() > f64::from(crate::job::MAX_DISTORT_COORD) {
                    return Err(bad());
                }
                #[expect(clippy::cast_possible_truncation, reason = "a whole number within ±2^20")]
                let n = n as i32;
                *slot = n;
            }
            (Distort::Perspective(c), v)
        }
        [(k, v)] if *k == "a" => (Distort::Arc(signed("e-distort-a", v)?), v),
        _ => {
            let why = "expected p-x1_y1_x2_y2_x3_y3_x4_y4 (perspective) or a-<degrees> (arc)";
            return Err(Error::invalid("e-distort", args.unwrap_or_default(), why));
        }
    };
    // The check names the option; the value is reported as written (`N20`, not `-20`).
    d.validate().map_err(|e| {
        let key = e.key().unwrap_or("e-distort").to_owned();
        rewrap(e, &key, raw)
    })?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::super::effect as one_effect;
    use super::*;
    use crate::job::Effect;

    #[test]
    fn perspective_and_arc() {
        let d = distort(Some("p-10_10_290_10_290_190_10_190")).unwrap();
        assert_eq!(d, Distort::Perspective([10, 10, 290, 10, 290, 190, 10, 190]));
        let d = distort(Some("p-N20_0_300_N5_280_200_0_210")).unwrap();
        assert_eq!(d, Distort::Perspective([-20, 0, 300, -5, 280, 200, 0, 210]));
        assert_eq!(distort(Some("a-120")).unwrap(), Distort::Arc(120.0));
        assert_eq!(one_effect("distort-a-N90").unwrap(), Effect::Distort(Distort::Arc(-90.0)));
    }

    #[test]
    fn bad_values_name_the_option() {
        for (args, key, value) in [
            (None, "e-distort", ""),
            (Some("p-1_2_3"), "e-distort-p", "1_2_3"),
            (Some("p-0_0_10_0_10_10_0_x"), "e-distort-p", "0_0_10_0_10_10_0_x"),
            (Some("p-0_0_10_0_10_10_0_1.5"), "e-distort-p", "0_0_10_0_10_10_0_1.5"),
            (Some("p-0_0_10_10_10_0_0_10"), "e-distort-p", "0_0_10_10_10_0_0_10"),
            (Some("a-0"), "e-distort-a", "0"),
            (Some("a-361"), "e-distort-a", "361"),
            (Some("a-x"), "e-distort-a", "x"),
            (Some("a-90_p-0_0_1_0_1_1_0_1"), "e-distort", "a-90_p-0_0_1_0_1_1_0_1"),
            (Some("q-5"), "e-distort", "q-5"),
        ] {
            let e = distort(args).unwrap_err();
            assert_eq!((e.key(), e.value()), (Some(key), Some(value)), "{args:?}: {e}");
        }
    }
}
