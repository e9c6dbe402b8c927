//! The output size and fit of a video step: `w`/`h` (pixels, fractions, expressions over
//! the display size and duration, `w-auto` from client hints), `ar`, and the crop mode as a
//! [`VideoFit`], each bounded by `max_output_dim` with a 400 naming its parameter.
//!
//! Owns: [`size`]. Pure, like its parent: imports `job`, `limits`, `error` and the `video`
//! spec types only.

use super::unsupported;
use crate::error::{Error, Result};
use crate::job::{Background, Crop, Dim, Dpr, Step, Var};
use crate::limits::Limits;
use crate::video::{CutSpec, VideoFit, VideoInfo};

/// The base a layer is drawn on: its output size and duration (`bw bh bar bdu`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Base {
    pub(super) size: (u32, u32),
    pub(super) duration: f64,
}

/// Resolve one `w`/`h` to pixels; `None` when absent (or `auto` without a hint). Inside a
/// layer, `base` gives `bw bh bar bdu`; outside, `bdu` is the source's own duration.
fn dim_px(
    key: &str,
    d: &Dim,
    axis: u32,
    info: &VideoInfo,
    hint: Option<u32>,
    base: Option<Base>,
) -> Result<Option<f64>> {
    let (iw, ih) = (f64::from(info.display_width()), f64::from(info.display_height()));
    let (bw, bh) = base.map_or((None, None), |b| (Some(f64::from(b.size.0)), Some(f64::from(b.size.1))));
    Ok(match d {
        Dim::Px(n) => Some(f64::from(*n)),
        Dim::Fraction(f) => Some(f * f64::from(axis)),
        Dim::Expr(e) => Some(e.eval(key, |v| match v {
            Var::Iw | Var::Cw => Some(iw),
            Var::Ih | Var::Ch => Some(ih),
            Var::Iar | Var::Car => Some(iw / ih),
            Var::Idu => Some(info.duration_secs),
            Var::Bdu => Some(base.map_or(info.duration_secs, |b| b.duration)),
            Var::Bw => bw,
            Var::Bh => bh,
            Var::Bar => bw.zip(bh).map(|(w, h)| w / h),
        })?),
        Dim::Auto => hint.map(f64::from),
    })
}

/// Round to whole pixels within 1..=`max_output_dim`, else a 400 naming `key`.
fn to_px(key: &str, v: f64, limits: &Limits) -> Result<u32> {
    let r = v.round();
    if r.is_nan() || r < 1.0 {
        return Err(Error::invalid(key, format!("{v}"), "resolves to less than 1 px"));
    }
    if r > f64::from(limits.max_output_dim) {
        return Err(Error::invalid(
            key,
            format!("{r}"),
            format_args!("over the limit of {} px", limits.max_output_dim),
        ));
    }
    #[expect(clippy::cast_possible_truncation, reason = "checked to lie in 1..=max_output_dim above")]
    let px = r as u32;
    Ok(px)
}

/// The size and fit of one step (of the base, or of a video layer on `base`).
pub(super) fn size(
    step: &Step,
    info: &VideoInfo,
    hint: Option<u32>,
    limits: &Limits,
    spec: &mut CutSpec,
    base: Option<Base>,
) -> Result<()> {
    let r = &step.resize;
    let (iw, ih) = (info.display_width(), info.display_height());
    let mut w = r.width.as_ref().map(|d| dim_px("w", d, iw, info, hint, base)).transpose()?.flatten();
    let mut h = r.height.as_ref().map(|d| dim_px("h", d, ih, info, None, base)).transpose()?.flatten();
    if let Some(ar) = &r.aspect {
        let ratio = match ar {
            crate::job::AspectRatio::Ratio(a, b) => a / b,
            crate::job::AspectRatio::Expr(e) => e.eval("ar", |v| match v {
                Var::Iar | Var::Car => Some(f64::from(iw) / f64::from(ih)),
                _ => None,
            })?,
        };
        if !(ratio.is_finite() && ratio > 0.0) {
            return Err(Error::invalid("ar", format!("{ratio}"), "must be a positive ratio"));
        }
        match (w, h) {
            (Some(w0), None) => h = Some(w0 / ratio),
            (None, Some(h0)) => w = Some(h0 * ratio),
            _ => {}
        }
    }
    match &r.dpr {
        None => {}
        Some(Dpr::Value(d)) => {
            w = w.map(|v| v * d);
            h = h.map(|v| v * d);
        }
        Some(Dpr::Auto | Dpr::Expr(_)) => return Err(unsupported("dpr", "", "only a number is supported")),
    }
    let w = w.map(|v| to_px("w", v, limits)).transpose()?;
    let h = h.map(|v| to_px("h", v, limits)).transpose()?;
    let crop = r.crop.unwrap_or(Crop::MaintainRatio);
    let key = if crop.is_mode() { "cm" } else { "c" };
    let background = match &step.background {
        None => [0, 0, 0],
        Some(Background::Color(c)) => c.rgb,
        Some(_) => return Err(unsupported("bg", "", "only a solid colour pads a video")),
    };
    if step.background.is_some() && crop != Crop::PadResize {
        return Err(unsupported("bg", "", "a video background needs cm-pad_resize"));
    }
    spec.fit = match crop {
        Crop::MaintainRatio => VideoFit::MaintainRatio,
        Crop::Force => VideoFit::Force,
        Crop::AtMax => VideoFit::AtMax,
        Crop::AtLeast => VideoFit::AtLeast,
        Crop::PadResize => VideoFit::PadResize { background },
        Crop::Extract | Crop::PadExtract => VideoFit::Extract,
        Crop::AtMaxEnlarge => {
            // Fit inside w×h, enlarging if need be: the exact size, then forced.
            if let (Some(bw), Some(bh)) = (w, h) {
                let s = (f64::from(bw) / f64::from(iw)).min(f64::from(bh) / f64::from(ih));
                spec.width = Some(to_px("w", f64::from(iw) * s, limits)?);
                spec.height = Some(to_px("h", f64::from(ih) * s, limits)?);
                spec.fit = VideoFit::Force;
                return Ok(());
            }
            VideoFit::Force
        }
        other => return Err(unsupported(key, other.as_str(), "this crop is not implemented for video")),
    };
    spec.width = w;
    spec.height = h;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_are_rounded_and_bounded() {
        let limits = Limits { max_output_dim: 100, ..Limits::default() };
        assert_eq!(to_px("w", 99.6, &limits).unwrap(), 100);
        assert_eq!(to_px("w", 0.4, &limits).unwrap_err().key(), Some("w"));
        assert_eq!(to_px("h", f64::NAN, &limits).unwrap_err().key(), Some("h"));
        assert_eq!(to_px("h", 100.6, &limits).unwrap_err().key(), Some("h"));
    }
}
