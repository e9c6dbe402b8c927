//! Border (`b`, spec §5): `b-<width>_<colour>` or `b-<width>-<colour>`.
//!
//! Owns: parsing of `b` values into [`Border`]. May import `job`, `error`.
//!
//! # Format
//! ```text
//! b-5_FFF000   b-5-red   b-ih_div_20_red   b-5-AAAA5466
//! ```
//! The colour is the text after the last `_`, or, when there is none, after the last `-`
//! (spec §5 \[X\]); the width is an integer or an expression.

use super::color::color;
use super::number::{dim, rewrap, DimRules};
use crate::error::{Error, Result};
use crate::job::Border;

/// Parse a `b` value of parameter `key`.
pub(super) fn border(key: &str, value: &str) -> Result<Border> {
    let (width, colour) = value
        .rsplit_once('_')
        .or_else(|| value.rsplit_once('-'))
        .ok_or_else(|| Error::invalid(key, value, "expected <width>_<colour>"))?;
    let rules = DimRules { fraction: false, auto: false, zero: false };
    let width = dim(key, width, rules).map_err(|e| rewrap(e, key, value))?;
    let color = color(key, colour).map_err(|e| rewrap(e, key, value))?;
    Ok(Border { width, color })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Color, Dim, Expr};

    #[test]
    fn table() {
        let red = Color { rgb: [255, 0, 0], opacity_pct: None };
        let cases: Vec<(&str, Border)> = vec![
            ("5_FF0000", Border { width: Dim::Px(5), color: red }),
            ("5-red", Border { width: Dim::Px(5), color: red }),
            (
                "3-darkslategray",
                Border { width: Dim::Px(3), color: Color { rgb: [0x2F, 0x4F, 0x4F], opacity_pct: None } },
            ),
            (
                "5-AAAA5466",
                Border { width: Dim::Px(5), color: Color { rgb: [0xAA, 0xAA, 0x54], opacity_pct: Some(66) } },
            ),
            ("ih_div_20_red", Border { width: Dim::Expr(Expr::parse("b", "ih_div_20").unwrap()), color: red }),
        ];
        for (v, want) in cases {
            assert_eq!(border("b", v).unwrap(), want, "{v}");
        }
    }

    #[test]
    fn errors() {
        for v in ["5", "0_red", "5_nope", "_red", "x-red", "5_", "N5-red"] {
            let e = border("b", v).unwrap_err();
            assert_eq!((e.key(), e.value()), (Some("b"), Some(v)), "{v}");
        }
    }
}
