//! Focus and region placement (spec §3 `cm-extract`, §4): relative anchors, detector
//! anchors, `x y xc yc` with clamping, and the extract / pad-extract region.
//!
//! Owns: [`relative`], [`offset`], [`crop_anchor`], [`extract`]. May import `job`,
//! `limits`, `error`.
//!
//! Conventions: a relative focus is a point (ax, ay) in \[0,1\]²; a window of slack `s` (frame
//! minus window) starts at `round(s × a)`. `fo-auto` and `fo-face` become executor-resolved
//! anchors ([`Anchor::Salient`], [`Anchor::Face`]); `fo-custom` and object names centre,
//! as this engine stores no focus areas and runs no object detector.

use super::layout::{cut, dim_text, pad, resolve, Builder};
use super::{effects, Anchor};
use crate::error::{Error, Result};
use crate::job::{Crop, Dim, Focus, Step};

/// The relative point of a focus; detectors and `None` give the centre.
pub(super) fn relative(focus: Option<&Focus>) -> (f64, f64) {
    focus.and_then(Focus::anchor).unwrap_or((0.5, 0.5))
}

/// `round(slack × a)`; negative slack (a window larger than the frame) gives a negative
/// offset.
pub(super) fn offset(slack: i64, a: f64) -> i64 {
    #[expect(clippy::cast_precision_loss, reason = "slack is at most a few times u32::MAX, exact in f64")]
    let s = slack as f64;
    round_i64(s * a)
}

/// Round to the nearest integer; saturating at the `i64` range, NaN gives 0.
pub(super) fn round_i64(v: f64) -> i64 {
    #[expect(clippy::cast_possible_truncation, reason = "float-to-int casts saturate; callers clamp the result")]
    let r = v.round() as i64;
    r
}

/// Where a crop window goes, given the slack on each axis.
pub(super) fn crop_anchor(focus: Option<&Focus>, zoom: Option<f64>, slack: (u32, u32)) -> Anchor {
    match focus {
        Some(Focus::Auto) => Anchor::Salient,
        Some(Focus::Face) => Anchor::Face { zoom: zoom.unwrap_or(1.0) },
        f => {
            let (ax, ay) = relative(f);
            let at = |s: u32, a: f64| u32::try_from(offset(i64::from(s), a)).unwrap_or(0).min(s);
            Anchor::At { x: at(slack.0, ax), y: at(slack.1, ay) }
        }
    }
}

/// `cm-extract`, `cm-pad_extract`, `cm-pad_extract_no_shrink`: cut a `want` window without
/// scaling. Region by (first match per axis) `x`/`y` = top-left, clamped into the image;
/// `xc`/`yc` = centre, an error if the region leaves the image; else `fo`. A window larger
/// than the image (any of the three modes) pads the rest with `bg` instead \[I\].
/// `pad_extract_no_shrink` never cuts the image: its window grows to at least the image \[I\].
pub(super) fn extract(step: &Step, want: (u32, u32), b: &mut Builder<'_>) -> Result<()> {
    let r = &step.resize;
    let cur = b.size;
    let key = "cm";
    let want = match r.crop {
        Some(Crop::PadExtractNoShrink) => (want.0.max(cur.0), want.1.max(cur.1)),
        _ => want,
    };
    let (ax, ay) = relative(r.focus.as_ref());
    let left = origin(b, ("x", &r.x), ("xc", &r.xc), cur.0, want.0, ax, b.input.input.0)?;
    let top = origin(b, ("y", &r.y), ("yc", &r.yc), cur.1, want.1, ay, b.input.input.1)?;
    if want.0 <= cur.0 && want.1 <= cur.1 {
        let positioned = r.x.is_some() || r.y.is_some() || r.xc.is_some() || r.yc.is_some();
        let anchor = if positioned {
            Anchor::At { x: u32::try_from(left).unwrap_or(0), y: u32::try_from(top).unwrap_or(0) }
        } else {
            crop_anchor(r.focus.as_ref(), r.zoom, (cur.0 - want.0, cur.1 - want.1))
        };
        return cut(b, key, want, anchor);
    }
    pad(b, key, want, -left, -top, effects::pad_fill(step, want))
}

/// Left (or top) edge of a window of length `win` on a frame of length `len`, on one axis.
/// The result lies in `[min(0, len − win), max(0, len − win)]`: inside the frame, or, for a
/// window larger than the frame, covering all of it.
fn origin(
    b: &Builder<'_>,
    (tl_key, tl): (&str, &Option<Dim>),
    (c_key, c): (&str, &Option<Dim>),
    len: u32,
    win: u32,
    rel: f64,
    axis_input: u32,
) -> Result<i64> {
    let slack = i64::from(len) - i64::from(win);
    let clamp = |v: i64| v.clamp(slack.min(0), slack.max(0));
    let value = |key: &str, d: &Dim| -> Result<f64> {
        let v = resolve(key, d, axis_input, &b.vars, None)?.unwrap_or(0.0);
        if !v.is_finite() || v < 0.0 {
            return Err(Error::invalid(key, dim_text(d), "position must be a non-negative number"));
        }
        Ok(v)
    };
    if let Some(d) = tl {
        return Ok(clamp(round_i64(value(tl_key, d)?)));
    }
    if let Some(d) = c {
        let left = round_i64(value(c_key, d)? - f64::from(win) / 2.0);
        if slack >= 0 && (left < 0 || left > slack) {
            return Err(Error::invalid(c_key, dim_text(d), "the extract region leaves the image"));
        }
        return Ok(clamp(left));
    }
    Ok(offset(slack, rel))
}
