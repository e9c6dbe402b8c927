//! Appearance parameters (spec §5): `bl e-* t r rt fl o`.
//!
//! Owns: parsing of these keys into a [`Step`], and the radius grammar (also used by text
//! layers' `r` and legacy `or`). May import `job`, `error`.
//!
//! # Format
//! ```text
//! bl-10        e-grayscale  e-contrast  e-sharpen  e-sharpen-10  e-usm-2-2-0.8-0.024
//! t-true  t-20  t-false     r-20  r-max  r-10_20_30_40  r-10_max_20_30  rt-90  rt-N40  rt-auto
//! fl-h  fl-v  fl-h_v        o-50
//! e-shadow-bl-15_st-40_x-10_y-N5   e-gradient-ld-top_from-00000000_to-000000_sp-0.8
//! e-distort-p-10_10_290_10_290_190_10_190   e-distort-a-N90
//! ```
//! `r-10_max_20_30`: `max` for any corner. The options of `e-shadow`, `e-gradient` and
//! `e-distort` are parsed by one child file each (the `_`-joined `key-value` list is split
//! by [`options`]); the generative effects (`generative`) are refused as needing a model.

mod distort;
mod gradient;
mod shadow;

use super::number::{decimal, integer, signed};
use crate::error::{Error, Result};
use crate::job::{Effect, Flip, Radius, Rotation, Step, Trim};

/// Apply one appearance parameter to `step`. Returns `Ok(false)` when `key` is not one.
pub(super) fn apply(key: &str, value: &str, step: &mut Step) -> Result<bool> {
    match key {
        "bl" => step.blur = Some(integer(key, value, 1, 100)?),
        "e" => step.effects.push(effect(value)?),
        "t" => step.trim = Some(trim(key, value)?),
        "r" => step.radius = Some(radius(key, value)?),
        "rt" => step.rotate = rotation(key, value)?,
        "fl" => step.flip = Some(flip(key, value)?),
        "o" => step.opacity = Some(u8::try_from(integer(key, value, 0, 100)?).unwrap_or(100)),
        _ => return Ok(false),
    }
    Ok(true)
}

/// `e-<name>[-<args>]`; the error key is `e-<name>`.
fn effect(value: &str) -> Result<Effect> {
    let (name, args) = match value.split_once('-') {
        Some((n, a)) => (n, Some(a)),
        None => (value, None),
    };
    let key = format!("e-{name}");
    match (name, args) {
        ("grayscale", None) => Ok(Effect::Grayscale),
        ("contrast", None) => Ok(Effect::Contrast),
        ("sharpen", None) => Ok(Effect::Sharpen(None)),
        ("sharpen", Some(a)) => {
            let v = decimal(&key, a)?;
            if v > 100.0 {
                return Err(Error::invalid(key, a, "sharpen strength must be between 0 and 100"));
            }
            Ok(Effect::Sharpen(Some(v)))
        }
        ("usm", Some(a)) => {
            let parts: Vec<&str> = a.split('-').collect();
            let bad = || Error::invalid(&key, a, "expected radius-sigma-amount-threshold, four non-negative numbers");
            let [r, s, am, t] = parts.as_slice() else { return Err(bad()) };
            let n = |p: &str| decimal(&key, p).map_err(|_| bad());
            let (radius, sigma, amount, threshold) = (n(r)?, n(s)?, n(am)?, n(t)?);
            if sigma <= 0.0 && radius <= 0.0 {
                return Err(Error::invalid(&key, a, "radius and sigma cannot both be 0"));
            }
            Ok(Effect::UnsharpMask { radius, sigma, amount, threshold })
        }
        (g, _) if super::generative::GENERATIVE_EFFECTS.contains(&g) => Err(super::generative::refuse(&key, value)),
        ("shadow", a) => shadow::shadow(a).map(Effect::Shadow),
        ("gradient", a) => gradient::gradient(a).map(Effect::Gradient),
        ("distort", a) => distort::distort(a).map(Effect::Distort),
        ("grayscale" | "contrast", Some(a)) => Err(Error::invalid(key, a, "this effect takes no value")),
        ("usm", None) => Err(Error::invalid(key, "", "expected radius-sigma-amount-threshold")),
        _ => Err(Error::invalid("e", value, "unknown effect")),
    }
}

/// The `_`-joined `key-value` options of an effect (`bl-15_st-40`), in order. A part
/// without `-` continues the previous value, so values may contain `_` (`ld-top_right`,
/// `p-10_20_…`). An empty list for `None`. A part before any key, an empty key or value, or
/// a key given twice is an error naming `effect` (or `effect-key` for the repeat).
fn options<'a>(effect: &str, args: Option<&'a str>) -> Result<Vec<(&'a str, String)>> {
    let Some(args) = args else { return Ok(Vec::new()) };
    let mut out: Vec<(&'a str, String)> = Vec::new();
    for part in args.split('_') {
        match (part.split_once('-'), out.last_mut()) {
            (Some((k, v)), _) if !k.is_empty() && !v.is_empty() => {
                if out.iter().any(|(seen, _)| *seen == k) {
                    return Err(Error::invalid(format!("{effect}-{k}"), v, "given twice"));
                }
                out.push((k, v.to_owned()));
            }
            (None, Some((_, v))) if !part.is_empty() => {
                v.push('_');
                v.push_str(part);
            }
            _ => return Err(Error::invalid(effect, args, "expected key-value options joined by _")),
        }
    }
    Ok(out)
}

/// `t-true`, `t-false`, `t-<1..99>`.
pub(super) fn trim(key: &str, value: &str) -> Result<Trim> {
    match value {
        "true" => Ok(Trim::Default),
        "false" => Ok(Trim::Off),
        _ => Ok(Trim::Threshold(u8::try_from(integer(key, value, 1, 99)?).unwrap_or(99))),
    }
}

/// `r-<n>`, `r-max`, `r-tl_tr_br_bl`. Four equal corners are stored as one radius.
pub(super) fn radius(key: &str, value: &str) -> Result<Radius> {
    if value == "max" {
        return Ok(Radius::Max);
    }
    let parts: Vec<&str> = value.split('_').collect();
    match parts.as_slice() {
        [one] => Ok(Radius::Uniform(integer(key, one, 1, u32::MAX)?)),
        [a, b, c, d] => {
            // Each corner is a number or `max` (the largest circle that corner takes).
            let n = |p: &str| {
                if p == "max" {
                    return Ok(Radius::MAX_CORNER);
                }
                integer(key, p, 0, u32::MAX - 1).map_err(|_| Error::invalid(key, value, "not a number or max"))
            };
            let corners = [n(a)?, n(b)?, n(c)?, n(d)?];
            if corners.iter().all(|&c| c == corners[0]) {
                return if corners[0] == Radius::MAX_CORNER {
                    Ok(Radius::Max)
                } else if corners[0] == 0 {
                    Err(Error::invalid(key, value, "radius must be positive"))
                } else {
                    Ok(Radius::Uniform(corners[0]))
                };
            }
            Ok(Radius::Corners(corners))
        }
        _ => Err(Error::invalid(key, value, "radius is a number, max, or four _-separated numbers or max")),
    }
}

/// `rt-<deg>` clockwise, `rt-N<deg>` counter-clockwise, `rt-auto`. Angles are normalised to
/// `[0, 360)`; a full turn is no rotation (`None`).
fn rotation(key: &str, value: &str) -> Result<Option<Rotation>> {
    if value == "auto" {
        return Ok(Some(Rotation::Auto));
    }
    let d = signed(key, value)?.rem_euclid(360.0);
    // rem_euclid can return 360 for tiny negative inputs.
    Ok((d != 0.0 && d < 360.0).then_some(Rotation::Degrees(d)))
}

/// `fl-h`, `fl-v`, `fl-h_v`, `fl-v_h`.
fn flip(key: &str, value: &str) -> Result<Flip> {
    match value {
        "h" => Ok(Flip { horizontal: true, vertical: false }),
        "v" => Ok(Flip { horizontal: false, vertical: true }),
        "h_v" | "v_h" => Ok(Flip { horizontal: true, vertical: true }),
        _ => Err(Error::invalid(key, value, "flip is h, v or h_v")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(key: &str, value: &str) -> Result<Step> {
        let mut s = Step::default();
        assert!(apply(key, value, &mut s)?);
        Ok(s)
    }

    #[test]
    fn table() {
        let d = Step::default;
        let cases: Vec<(&str, &str, Step)> = vec![
            ("bl", "10", Step { blur: Some(10), ..d() }),
            ("e", "grayscale", Step { effects: vec![Effect::Grayscale], ..d() }),
            ("e", "contrast", Step { effects: vec![Effect::Contrast], ..d() }),
            ("e", "sharpen", Step { effects: vec![Effect::Sharpen(None)], ..d() }),
            ("e", "sharpen-5", Step { effects: vec![Effect::Sharpen(Some(5.0))], ..d() }),
            (
                "e",
                "usm-0-2.5-1-0.05",
                Step {
                    effects: vec![Effect::UnsharpMask { radius: 0.0, sigma: 2.5, amount: 1.0, threshold: 0.05 }],
                    ..d()
                },
            ),
            ("t", "true", Step { trim: Some(Trim::Default), ..d() }),
            ("t", "20", Step { trim: Some(Trim::Threshold(20)), ..d() }),
            ("r", "max", Step { radius: Some(Radius::Max), ..d() }),
            ("r", "15", Step { radius: Some(Radius::Uniform(15)), ..d() }),
            ("r", "5_5_5_5", Step { radius: Some(Radius::Uniform(5)), ..d() }),
            ("r", "1_2_0_4", Step { radius: Some(Radius::Corners([1, 2, 0, 4])), ..d() }),
            ("r", "10_max_20_30", Step { radius: Some(Radius::Corners([10, Radius::MAX_CORNER, 20, 30])), ..d() }),
            ("r", "max_max_max_max", Step { radius: Some(Radius::Max), ..d() }),
            ("rt", "90", Step { rotate: Some(Rotation::Degrees(90.0)), ..d() }),
            ("rt", "N67", Step { rotate: Some(Rotation::Degrees(293.0)), ..d() }),
            ("rt", "360", d()),
            ("rt", "auto", Step { rotate: Some(Rotation::Auto), ..d() }),
            ("fl", "v_h", Step { flip: Some(Flip { horizontal: true, vertical: true }), ..d() }),
            ("o", "0", Step { opacity: Some(0), ..d() }),
        ];
        for (k, v, want) in cases {
            assert_eq!(one(k, v).unwrap(), want, "{k}-{v}");
        }
    }

    #[test]
    fn errors() {
        let bad: &[(&str, &str, &str)] = &[
            ("bl", "0", "bl"),
            ("bl", "101", "bl"),
            ("e", "blur", "e"),
            ("e", "grayscale-2", "e-grayscale"),
            ("e", "sharpen-101", "e-sharpen"),
            ("e", "usm-1-2-3", "e-usm"),
            ("e", "usm-0-0-1-0", "e-usm"),
            ("e", "shadow-bl-16", "e-shadow-bl"),
            ("e", "gradient-ld-400", "e-gradient-ld"),
            ("e", "distort", "e-distort"),
            ("t", "100", "t"),
            ("t", "0", "t"),
            ("r", "0", "r"),
            ("r", "1_2", "r"),
            ("rt", "abc", "rt"),
            ("fl", "x", "fl"),
            ("o", "101", "o"),
        ];
        for &(k, v, key) in bad {
            let e = one(k, v).unwrap_err();
            assert_eq!(e.key(), Some(key), "{k}-{v}");
        }
    }
}
