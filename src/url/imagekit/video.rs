//! Video parameters (spec §9): `so eo du` trimming and the `ac vc` codec choice.
//!
//! Owns: parsing of these keys into [`VideoParams`], the exact half-up rounding of seconds to
//! hundredths (decimal arithmetic on the digits, never binary floats: `10.555` ⇒ 1056), and
//! the `f`/`ac`/`vc` compatibility check. May import `job`, `error`.
//!
//! # Format
//! ```text
//! so-20  so-10.55  eo-10.5599(=10.56)  du-idu_div_2  ac-aac|opus|none  vc-h264|vp9|av1|none
//! ```
//! When both `eo` and `du` are given `eo` wins (spec §9.1); `du` is then dropped when the step
//! is complete, so the job holds only what takes effect.

use crate::error::{Error, Result};
use crate::job::{Expr, ExprToken, Format, Output, Step, TimeValue, Var, VideoParams};

/// Apply one video parameter. Returns `Ok(false)` when `key` is not a video key.
pub(super) fn apply(key: &str, value: &str, v: &mut VideoParams) -> Result<bool> {
    match key {
        "so" => v.start = Some(time(key, value)?),
        "eo" => v.end = Some(time(key, value)?),
        "du" => v.duration = Some(time(key, value)?),
        "ac" => match value {
            "aac" | "opus" | "none" => v.audio_codec = Some(value.to_owned()),
            _ => return Err(Error::invalid(key, value, "audio codec is aac, opus or none")),
        },
        "vc" => match value {
            "h264" | "vp9" | "av1" | "none" => v.video_codec = Some(value.to_owned()),
            _ => return Err(Error::invalid(key, value, "video codec is h264, vp9, av1 or none")),
        },
        _ => return Ok(false),
    }
    Ok(true)
}

/// True for the video keys.
pub(super) fn is_video_key(key: &str) -> bool {
    matches!(key, "so" | "eo" | "du" | "ac" | "vc")
}

/// Seconds as exact hundredths (half-up), or an expression over `idu` / `bdu`.
pub(super) fn time(key: &str, value: &str) -> Result<TimeValue> {
    if super::number::is_decimal(value) {
        return centis(value).map(TimeValue::Centis).ok_or_else(|| Error::invalid(key, value, "time out of range"));
    }
    let e = Expr::parse(key, value)?;
    let tokens = std::iter::once(e.first).chain(e.rest.iter().map(|&(_, t)| t));
    for t in tokens {
        if let ExprToken::Var(var) = t {
            if !matches!(var, Var::Idu | Var::Bdu) {
                return Err(Error::invalid(key, value, "time expressions may only use idu and bdu"));
            }
        }
    }
    Ok(TimeValue::Expr(e))
}

/// `digits[.digits]` → hundredths, rounded half-up on the third decimal digit.
fn centis(s: &str) -> Option<u64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let int = int.trim_start_matches('0');
    if int.len() > 15 {
        return None;
    }
    let whole: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let digit = |i: usize| u64::from(frac.as_bytes().get(i).map_or(0, |b| b - b'0'));
    let up = u64::from(frac.as_bytes().get(2).is_some_and(|&b| b >= b'5'));
    Some(whole * 100 + digit(0) * 10 + digit(1) + up)
}

/// Drop `du` when `eo` is present (spec §9.1: `eo` wins).
pub(super) fn finish(v: &mut VideoParams) {
    if v.end.is_some() {
        v.duration = None;
    }
}

/// The documented `f`/`ac`/`vc` triples (spec §9.2); `ac`/`vc` anywhere in the job must be
/// compatible with an explicit video format, and with each other.
pub(super) fn check_codecs(steps: &[Step], out: &Output) -> Result<()> {
    const OK: [(&str, &str, &str); 8] = [
        ("mp4", "aac", "h264"),
        ("mp4", "aac", "none"),
        ("mp4", "none", "h264"),
        ("webm", "opus", "vp9"),
        ("webm", "opus", "none"),
        ("webm", "none", "vp9"),
        ("webm", "opus", "av1"),
        ("webm", "none", "av1"),
    ];
    let ac = steps.iter().rev().find_map(|s| s.video.audio_codec.as_deref());
    let vc = steps.iter().rev().find_map(|s| s.video.video_codec.as_deref());
    if ac.is_none() && vc.is_none() {
        return Ok(());
    }
    let f = match out.format {
        Some(Format::Mp4) => Some("mp4"),
        Some(Format::Webm) => Some("webm"),
        _ => None,
    };
    let fits = OK
        .iter()
        .any(|&(tf, ta, tv)| f.is_none_or(|f| f == tf) && ac.is_none_or(|a| a == ta) && vc.is_none_or(|v| v == tv));
    if fits {
        return Ok(());
    }
    let (key, value) = match (ac, vc) {
        (Some(a), _) => ("ac", a),
        (None, Some(v)) => ("vc", v),
        (None, None) => ("ac", ""),
    };
    Err(Error::invalid(
        key,
        value,
        format_args!(
            "no valid f/ac/vc combination with f-{} ac-{} vc-{}",
            f.unwrap_or("auto"),
            ac.unwrap_or("auto"),
            vc.unwrap_or("auto")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_up_hundredths_without_floats() {
        let table: &[(&str, u64)] = &[
            ("20", 2000),
            ("10.55", 1055),
            ("10.555", 1056),
            ("10.5549", 1055),
            ("10.5599", 1056),
            ("0.005", 1),
            ("0.004999", 0),
            ("2.5", 250),
            ("007.10", 710),
            ("1.995", 200),
            ("0.125", 13),
        ];
        for &(s, want) in table {
            assert_eq!(time("so", s).unwrap(), TimeValue::Centis(want), "{s}");
        }
    }

    #[test]
    fn expressions_and_errors() {
        assert!(matches!(time("so", "idu_mul_0.1").unwrap(), TimeValue::Expr(_)));
        for v in ["iw_div_2", "N5", "", "1e3", "9999999999999999999"] {
            assert_eq!(time("so", v).unwrap_err().key(), Some("so"), "{v}");
        }
    }

    #[test]
    fn codecs() {
        let step = |ac: Option<&str>, vc: Option<&str>| Step {
            video: VideoParams {
                audio_codec: ac.map(Into::into),
                video_codec: vc.map(Into::into),
                ..VideoParams::default()
            },
            ..Step::default()
        };
        let out = |f| Output { format: Some(f), ..Output::default() };
        assert!(check_codecs(&[step(Some("aac"), Some("h264"))], &out(Format::Mp4)).is_ok());
        assert!(check_codecs(&[step(Some("opus"), None)], &out(Format::Webm)).is_ok());
        assert!(check_codecs(&[step(Some("opus"), None)], &out(Format::Mp4)).is_err());
        assert!(check_codecs(&[step(Some("none"), Some("none"))], &Output::default()).is_err());
        assert!(check_codecs(&[step(Some("aac"), Some("vp9"))], &Output::default()).is_err());
        let mut v = VideoParams::default();
        apply("ac", "none", &mut v).unwrap();
        assert!(apply("vc", "h265", &mut v).is_err());
    }

    #[test]
    fn eo_wins_over_du() {
        let mut v = VideoParams::default();
        for (k, val) in [("so", "1"), ("du", "3"), ("eo", "5")] {
            apply(k, val, &mut v).unwrap();
        }
        finish(&mut v);
        assert_eq!((v.end, v.duration), (Some(TimeValue::Centis(500)), None));
    }
}
