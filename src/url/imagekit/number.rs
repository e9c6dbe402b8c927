//! Numbers, lengths and text values of ImageKit parameters (spec §1.2 "Numbers", §2, §8).
//!
//! Owns: decimal syntax (`007`, `3.0`, `N40`), integer ranges, [`Dim`] values (pixels,
//! fractions, expressions, `auto`), `_`-separated lists of lengths (`pa-10_bw_div_20`), and
//! percent-decoding of text exactly once. May import `job`, `error`, percent-encoding.
//!
//! # Format
//! ```text
//! number  = digits [ "." digits ]        leading zeros allowed: w-007 = w-7
//! signed  = [ "N" ] number               N = negative (rt-N40)
//! length  = number | expression | "auto" (w only)
//! ```

use crate::error::{Error, ErrorKind, Result};
use crate::job::{BinOp, Dim, Expr};

/// True when `s` is `digits[.digits]`.
pub(super) fn is_decimal(s: &str) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// A non-negative decimal number (`12`, `007`, `0.25`).
pub(super) fn decimal(key: &str, raw: &str) -> Result<f64> {
    if !is_decimal(raw) {
        return Err(Error::invalid(key, raw, "not a number"));
    }
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(Error::invalid(key, raw, "number out of range")),
    }
}

/// A decimal with an optional `N` prefix for negatives (`N40` = −40).
pub(super) fn signed(key: &str, raw: &str) -> Result<f64> {
    match raw.strip_prefix('N') {
        Some(rest) => decimal(key, rest).map(|v| -v).map_err(|_| Error::invalid(key, raw, "not a number")),
        None => decimal(key, raw),
    }
}

/// A whole number in `min..=max`; a trailing zero fraction is allowed (`q-80.0` = 80).
pub(super) fn integer(key: &str, raw: &str, min: u32, max: u32) -> Result<u32> {
    let v = decimal(key, raw)?;
    if v.fract() != 0.0 {
        return Err(Error::invalid(key, raw, "must be a whole number"));
    }
    if v < f64::from(min) || v > f64::from(max) {
        return Err(Error::invalid(key, raw, format_args!("must be between {min} and {max}")));
    }
    to_u32(key, raw, v)
}

/// A boolean written `true` / `false`.
pub(super) fn boolean(key: &str, raw: &str) -> Result<bool> {
    match raw {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Error::invalid(key, raw, "must be true or false")),
    }
}

/// Round a non-negative finite number to the nearest `u32`.
pub(super) fn to_u32(key: &str, raw: &str, v: f64) -> Result<u32> {
    let r = v.round();
    if !(0.0..=f64::from(u32::MAX)).contains(&r) {
        return Err(Error::invalid(key, raw, "number out of range"));
    }
    #[expect(clippy::cast_possible_truncation, reason = "r is a whole number inside the u32 range")]
    Ok(r as u32)
}

/// What a length parameter accepts besides pixels and expressions.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct DimRules {
    /// A decimal in (0, 1) is a fraction of the input size (`w`, `h`).
    pub(super) fraction: bool,
    /// `auto` is allowed (`w`).
    pub(super) auto: bool,
    /// 0 is allowed (`x`, `y`, `lx`); otherwise the value must be at least 1 after rounding.
    pub(super) zero: bool,
}

/// A length: pixels (rounded to nearest), a fraction, an expression, or `auto`.
pub(super) fn dim(key: &str, raw: &str, rules: DimRules) -> Result<Dim> {
    if raw.is_empty() {
        return Err(Error::invalid(key, raw, "empty value"));
    }
    if raw == "auto" {
        return if rules.auto { Ok(Dim::Auto) } else { Err(Error::invalid(key, raw, "auto is not allowed here")) };
    }
    if is_decimal(raw) {
        let v = decimal(key, raw)?;
        if rules.fraction && v > 0.0 && v < 1.0 {
            return Ok(Dim::Fraction(v));
        }
        let px = to_u32(key, raw, v)?;
        if px == 0 && !rules.zero {
            return Err(Error::invalid(key, raw, "must be at least 1"));
        }
        return Ok(Dim::Px(px));
    }
    Ok(Dim::Expr(Expr::parse(key, raw)?))
}

/// Split a `_`-separated list whose items may themselves be expressions
/// (`10_20`, `bw_div_20_10`): an item is an operand followed by `(_op_operand)*`.
pub(super) fn dim_list(key: &str, raw: &str, rules: DimRules) -> Result<Vec<Dim>> {
    let parts: Vec<&str> = raw.split('_').collect();
    let mut items = Vec::new();
    let mut i = 0;
    while i < parts.len() {
        let start = i;
        i += 1;
        while i + 1 < parts.len() && BinOp::parse(parts[i]).is_some() {
            i += 2;
        }
        if i < parts.len() && BinOp::parse(parts[i]).is_some() {
            return Err(Error::invalid(key, raw, "expression ends with an operator"));
        }
        let item = parts[start..i].join("_");
        items.push(dim(key, &item, rules).map_err(|e| rewrap(e, key, raw))?);
    }
    Ok(items)
}

/// Re-attribute an error about part of a value to the whole parameter `key-value`, keeping
/// its reason (and its kind when it is not an invalid-argument error).
pub(super) fn rewrap(e: Error, key: &str, value: &str) -> Error {
    if e.kind() != ErrorKind::InvalidArgument {
        return e.with_param(key, value);
    }
    let prefix = format!("invalid value '{}' for '{}': ", e.value().unwrap_or_default(), e.key().unwrap_or_default());
    let why = e.message().strip_prefix(&prefix).unwrap_or(e.message());
    Error::invalid(key, value, why)
}

/// Percent-decode a text value exactly once; the result must be UTF-8.
pub(super) fn decode_text(key: &str, raw: &str) -> Result<String> {
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| Error::invalid(key, raw, "text is not valid UTF-8 after percent-decoding"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const WH: DimRules = DimRules { fraction: true, auto: true, zero: false };

    #[test]
    fn numbers() {
        let ok: &[(&str, f64)] = &[("007", 7.0), ("3.0", 3.0), ("0.25", 0.25), ("10", 10.0)];
        for &(raw, v) in ok {
            assert_eq!(decimal("w", raw).unwrap(), v, "{raw}");
        }
        for raw in ["", ".5", "5.", "1e3", "-1", "1.2.3", "0x10", "inf", "NaN", " 1"] {
            let e = decimal("w", raw).unwrap_err();
            assert_eq!((e.key(), e.value()), (Some("w"), Some(raw)), "{raw}");
        }
        assert_eq!(signed("rt", "N40").unwrap(), -40.0);
        assert!(signed("rt", "NN4").is_err());
        assert_eq!(integer("q", "80.0", 1, 100).unwrap(), 80);
        assert!(integer("q", "80.5", 1, 100).is_err());
        assert!(integer("q", "0", 1, 100).is_err());
        assert!(integer("q", "99999999999999999999999", 1, 100).is_err());
    }

    #[test]
    fn dims() {
        let table: &[(&str, Dim)] = &[
            ("300", Dim::Px(300)),
            ("007", Dim::Px(7)),
            ("1", Dim::Px(1)),
            ("1.5", Dim::Px(2)),
            ("0.4", Dim::Fraction(0.4)),
            ("auto", Dim::Auto),
            ("iw_div_2", Dim::Expr(Expr::parse("w", "iw_div_2").unwrap())),
        ];
        for (raw, want) in table {
            assert_eq!(&dim("w", raw, WH).unwrap(), want, "{raw}");
        }
        for raw in ["0", "0.0", "", "abc", "N5", "iw_div", "99999999999"] {
            assert!(dim("w", raw, WH).is_err(), "{raw}");
        }
        assert_eq!(dim("x", "0", DimRules { zero: true, ..DimRules::default() }).unwrap(), Dim::Px(0));
        assert!(dim("x", "auto", DimRules::default()).is_err());
    }

    #[test]
    fn lists() {
        let r = DimRules::default();
        assert_eq!(dim_list("pa", "10_20", r).unwrap(), vec![Dim::Px(10), Dim::Px(20)]);
        let l = dim_list("pa", "bw_div_20_10", r).unwrap();
        assert_eq!(l, vec![Dim::Expr(Expr::parse("pa", "bw_div_20").unwrap()), Dim::Px(10)]);
        assert!(dim_list("pa", "10_div", r).is_err());
        assert!(dim_list("pa", "10__20", r).is_err());
    }

    #[test]
    fn text_is_decoded_once() {
        assert_eq!(decode_text("i", "10%3A30").unwrap(), "10:30");
        assert_eq!(decode_text("i", "a%252C").unwrap(), "a%2C");
        assert!(decode_text("i", "%FF").is_err());
    }
}
