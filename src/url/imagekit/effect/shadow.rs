//! `e-shadow` options (ImageKit "Shadow"): `bl` 0–15, `st` 0–100, `x`/`y` percent with `N`
//! for negative, joined by `_` in any order.
//!
//! Owns: [`shadow`]. May import `job`, `error`.
//!
//! # Format
//! ```text
//! e-shadow                         defaults: bl-10, st-30, x-2, y-2
//! e-shadow-bl-15_st-40_x-10_y-N5
//! ```

use super::super::number::{integer, signed};
use super::options;
use crate::error::{Error, Result};
use crate::job::Shadow;

/// Parse the options after `e-shadow-` (`None` for a bare `e-shadow`).
pub(in super::super) fn shadow(args: Option<&str>) -> Result<Shadow> {
    let mut s = Shadow::default();
    for (k, v) in options("e-shadow", args)? {
        let key = format!("e-shadow-{k}");
        match k {
            "bl" => s.blur = u8::try_from(integer(&key, &v, 0, 15)?).unwrap_or(u8::MAX),
            "st" => s.saturation = u8::try_from(integer(&key, &v, 0, 100)?).unwrap_or(u8::MAX),
            "x" => s.x = percent(&key, &v)?,
            "y" => s.y = percent(&key, &v)?,
            _ => {
                let why = format_args!("unknown shadow option '{k}'; the options are bl, st, x and y");
                return Err(Error::invalid("e-shadow", args.unwrap_or_default(), why));
            }
        }
    }
    s.validate()?;
    Ok(s)
}

/// A whole percentage in −100…100, `N` = negative.
fn percent(key: &str, raw: &str) -> Result<i8> {
    let v = signed(key, raw)?;
    if v.fract() != 0.0 || !(-100.0..=100.0).contains(&v) {
        return Err(Error::invalid(key, raw, "must be a whole number from N100 to 100 (percent)"));
    }
    #[expect(clippy::cast_possible_truncation, reason = "a whole number in -100..=100")]
    Ok(v as i8)
}

#[cfg(test)]
mod tests {
    use super::super::effect as one_effect;
    use super::*;
    use crate::job::Effect;

    #[test]
    fn parses_defaults_and_options_in_any_order() {
        assert_eq!(shadow(None).unwrap(), Shadow::default());
        let want = Shadow { blur: 15, saturation: 40, x: 10, y: -5 };
        assert_eq!(shadow(Some("bl-15_st-40_x-10_y-N5")).unwrap(), want);
        assert_eq!(shadow(Some("y-N5_x-10_st-40_bl-15")).unwrap(), want);
        assert_eq!(shadow(Some("st-0_bl-0")).unwrap(), Shadow { blur: 0, saturation: 0, ..Shadow::default() });
        assert_eq!(one_effect("shadow-x-N100").unwrap(), Effect::Shadow(Shadow { x: -100, ..Shadow::default() }));
    }

    #[test]
    fn bad_values_name_the_option() {
        for (args, key, value) in [
            ("bl-16", "e-shadow-bl", "16"),
            ("st-101", "e-shadow-st", "101"),
            ("x-101", "e-shadow-x", "101"),
            ("y-N101", "e-shadow-y", "N101"),
            ("x-2.5", "e-shadow-x", "2.5"),
            ("bl-abc", "e-shadow-bl", "abc"),
            ("bl-1_bl-2", "e-shadow-bl", "2"),
            ("zz-3", "e-shadow", "zz-3"),
            ("15", "e-shadow", "15"),
        ] {
            let e = shadow(Some(args)).unwrap_err();
            assert_eq!((e.key(), e.value()), (Some(key), Some(value)), "{args}: {e}");
        }
    }
}
