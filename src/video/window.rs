//! The trim window of the spec §9.1: which `[start, end)` interval of the source a cut keeps,
//! from `so`, `eo` and `du`, with the 2-decimal rounding rule.
//!
//! Owns: [`resolve_window`]. Pure: imports only `error` and the parent's [`CutSpec`].

use super::CutSpec;
use crate::error::{Error, ErrorKind, Result};

/// Resolve `so`/`eo`/`du` of `spec` against a source of `duration` seconds into
/// `(start, end)` seconds, `0 ≤ start < end ≤ duration`.
///
/// Combination rules (§9.1): `so` alone ⇒ `[so, duration]`; `so`+`du` ⇒ `[so, so+du]`;
/// `so`+`eo` ⇒ `[so, eo]`; `eo` alone ⇒ `[0, eo]`; `du` alone ⇒ `[0, du]`; `eo` and `du`
/// together ⇒ `eo` wins and `du` is ignored; nothing ⇒ the whole source. Values are first
/// rounded half-up to 2 decimals, on their shortest decimal text, so `10.555` ⇒ `10.56` even
/// though the nearest binary float is below it.
///
/// A window running past the end only because of `du` (`so`+`du` > duration) is clamped to
/// the end [our decision: `du` alone must still be ≤ duration, as the spec says].
///
/// # Errors
/// [`ErrorKind::InvalidArgument`] naming `so`, `eo` or `du` when a value is negative, not a
/// finite number, `so` ≥ duration, `eo` > duration, `du` > duration, `du` = 0, or `eo` ≤
/// start; [`ErrorKind::Undecodable`] when the source has no usable duration.
pub fn resolve_window(spec: &CutSpec, duration: f64) -> Result<(f64, f64)> {
    if !duration.is_finite() || duration <= 0.0 {
        return Err(Error::new(ErrorKind::Undecodable, "source has no usable duration"));
    }
    let so = checked("so", spec.start)?;
    let eo = checked("eo", spec.end)?;
    let du = checked("du", spec.duration)?;
    let start = so.unwrap_or(0.0);
    if start >= duration {
        let why = format!("must be less than the video duration of {duration} s");
        return Err(Error::invalid("so", show(start), why));
    }
    let end = match (eo, du) {
        (Some(eo), _) => {
            if eo > duration {
                let why = format!("must not exceed the video duration of {duration} s");
                return Err(Error::invalid("eo", show(eo), why));
            }
            if eo <= start {
                let why = format!("must be greater than the start offset {}", show(start));
                return Err(Error::invalid("eo", show(eo), why));
            }
            eo
        }
        (None, Some(du)) => {
            if du <= 0.0 {
                return Err(Error::invalid("du", show(du), "must be greater than 0"));
            }
            if du > duration {
                let why = format!("must not exceed the video duration of {duration} s");
                return Err(Error::invalid("du", show(du), why));
            }
            round2(start + du).min(duration)
        }
        (None, None) => duration,
    };
    Ok((start, end))
}

/// The checks of [`resolve_window`] that need no source: each of `so`, `eo`, `du` is finite
/// and not negative. Run before a spec leaves the process (JSON has no NaN).
///
/// # Errors
/// [`ErrorKind::InvalidArgument`] naming the key.
pub fn check_offsets(spec: &CutSpec) -> Result<()> {
    checked("so", spec.start)?;
    checked("eo", spec.end)?;
    checked("du", spec.duration)?;
    Ok(())
}

/// A thumbnail's time (`so`, seconds) is a finite number, not negative. Both the daemon
/// (before it becomes JSON) and the helper check it.
///
/// # Errors
/// [`ErrorKind::InvalidArgument`] naming `so`.
pub fn check_thumbnail_time(at_secs: f64) -> Result<()> {
    if !at_secs.is_finite() || at_secs < 0.0 {
        return Err(Error::invalid("so", format!("{at_secs}"), "must be a non-negative number"));
    }
    Ok(())
}

/// Reject negative and non-finite values, naming `key`, and round the rest to 2 decimals.
fn checked(key: &'static str, value: Option<f64>) -> Result<Option<f64>> {
    match value {
        None => Ok(None),
        Some(v) if !v.is_finite() => Err(Error::invalid(key, show(v), "not a number")),
        Some(v) if v < 0.0 => Err(Error::invalid(key, show(v), "must not be negative")),
        Some(v) => Ok(Some(round2(v))),
    }
}

fn show(v: f64) -> String {
    format!("{v}")
}

/// Round a finite non-negative `v` half-up to 2 decimals, working on its shortest decimal
/// text (what the client wrote) rather than on the binary float, so `10.555` ⇒ `10.56`.
fn round2(v: f64) -> f64 {
    // `Display` for f64 prints the shortest text that reads back as `v`, never in exponent
    // form, so the digits here are the client's digits.
    let text = format!("{v}");
    let (int, frac) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let digit = |i: usize| u128::from(frac.as_bytes().get(i).map_or(0, |b| b - b'0'));
    let Ok(int) = int.parse::<u128>() else {
        // Integer part beyond 38 digits: far past any duration; checks reject it anyway.
        return v;
    };
    let mut hundredths = int.saturating_mul(100) + digit(0) * 10 + digit(1);
    if digit(2) >= 5 {
        hundredths += 1;
    }
    format!("{}.{:02}", hundredths / 100, hundredths % 100).parse().unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(so: Option<f64>, eo: Option<f64>, du: Option<f64>) -> CutSpec {
        CutSpec { start: so, end: eo, duration: du, ..CutSpec::default() }
    }

    fn key_of(r: Result<(f64, f64)>) -> String {
        r.unwrap_err().key().unwrap_or("none").to_owned()
    }

    #[test]
    fn combination_rules() {
        let d = 10.0;
        assert_eq!(resolve_window(&spec(None, None, None), d).unwrap(), (0.0, 10.0));
        assert_eq!(resolve_window(&spec(Some(2.0), None, None), d).unwrap(), (2.0, 10.0));
        assert_eq!(resolve_window(&spec(Some(2.0), None, Some(3.0)), d).unwrap(), (2.0, 5.0));
        assert_eq!(resolve_window(&spec(Some(2.0), Some(4.5), None), d).unwrap(), (2.0, 4.5));
        assert_eq!(resolve_window(&spec(None, Some(4.0), None), d).unwrap(), (0.0, 4.0));
        assert_eq!(resolve_window(&spec(None, None, Some(4.0)), d).unwrap(), (0.0, 4.0));
        // eo wins over du.
        assert_eq!(resolve_window(&spec(Some(1.0), Some(3.0), Some(8.0)), d).unwrap(), (1.0, 3.0));
        // so+du past the end is clamped.
        assert_eq!(resolve_window(&spec(Some(8.0), None, Some(5.0)), d).unwrap(), (8.0, 10.0));
        // eo exactly at the end is allowed.
        assert_eq!(resolve_window(&spec(None, Some(10.0), None), d).unwrap(), (0.0, 10.0));
    }

    #[test]
    fn violations_name_the_parameter() {
        let d = 10.0;
        assert_eq!(key_of(resolve_window(&spec(Some(10.0), None, None), d)), "so");
        assert_eq!(key_of(resolve_window(&spec(Some(12.0), None, None), d)), "so");
        assert_eq!(key_of(resolve_window(&spec(Some(-1.0), None, None), d)), "so");
        assert_eq!(key_of(resolve_window(&spec(Some(f64::NAN), None, None), d)), "so");
        assert_eq!(key_of(resolve_window(&spec(Some(3.0), Some(3.0), None), d)), "eo");
        assert_eq!(key_of(resolve_window(&spec(Some(3.0), Some(2.0), None), d)), "eo");
        assert_eq!(key_of(resolve_window(&spec(None, Some(10.5), None), d)), "eo");
        assert_eq!(key_of(resolve_window(&spec(None, Some(0.0), None), d)), "eo");
        assert_eq!(key_of(resolve_window(&spec(None, None, Some(0.0)), d)), "du");
        assert_eq!(key_of(resolve_window(&spec(None, None, Some(11.0)), d)), "du");
        assert_eq!(key_of(resolve_window(&spec(None, None, Some(f64::INFINITY)), d)), "du");
        let e = resolve_window(&spec(None, None, None), 0.0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Undecodable);
    }

    #[test]
    fn rounds_half_up_on_decimal_text() {
        assert_eq!(round2(10.555), 10.56);
        assert_eq!(round2(10.5599), 10.56);
        assert_eq!(round2(10.554), 10.55);
        assert_eq!(round2(0.005), 0.01);
        assert_eq!(round2(9.995), 10.0);
        assert_eq!(round2(3.0), 3.0);
        assert_eq!(round2(1e-7), 0.0);
        let (s, e) = resolve_window(&spec(Some(0.1), None, Some(0.2)), 5.0).unwrap();
        assert_eq!((s, e), (0.1, 0.3));
    }
}
