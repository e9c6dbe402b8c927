//! Size and position parameters: `w_ h_ ar_ dpr_ c_ x_ y_ z_` (spec §4.2 rows 1–6, 22, 23,
//! 30; §4.6) and the overlay forms of `w_`/`h_` and `x_`/`y_` (§7.1 rule 4).
//!
//! Owns: the relative-size rules D6 (`iw_mul_`), AMB-10 (decimal offsets) and AMB-19
//! (`bw_mul_` with `fl_relative`). Numbers are copied verbatim (AMB-8). Imports only
//! sibling modules.

use super::decimal::{at_least_one, is_sint, is_uint, is_unsigned, is_zero, push_signed};
use super::sink::Sink;
use super::DropReason;

/// `w_` ⇒ `w-` (row 1, D6).
pub(super) fn width(value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    dimension("w", "iw_mul_", value, sink)
}

/// `h_` ⇒ `h-` (row 2, D6).
pub(super) fn height(value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    dimension("h", "ih_mul_", value, sink)
}

/// A positive integer is pixels; a positive decimal below 1 is a fraction ImageKit reads the
/// same way; a decimal of 1 or more becomes an expression over the original size (D6).
fn dimension(key: &str, rel: &str, value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    if !is_unsigned(value) || is_zero(value) {
        return Err(DropReason::Invalid);
    }
    let out = sink.token(key);
    if !is_uint(value) && at_least_one(value) {
        out.push_str(rel);
    }
    out.push_str(value);
    Ok(())
}

/// `ar_<a>:<b>` ⇒ `ar-<a>-<b>`, `ar_<n>` ⇒ `ar-<n>-1` (row 3). Each number is a positive
/// unsigned number, copied verbatim.
pub(super) fn aspect_ratio(value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    let (a, b) = value.split_once(':').unwrap_or((value, "1"));
    if !positive(a) || !positive(b) {
        return Err(DropReason::Invalid);
    }
    let out = sink.token("ar");
    out.push_str(a);
    out.push('-');
    out.push_str(b);
    Ok(())
}

/// `dpr_<positive number>` or `dpr_auto` ⇒ `dpr-<same>` (row 22).
pub(super) fn dpr(value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    if value != "auto" && !positive(value) {
        return Err(DropReason::Invalid);
    }
    sink.put("dpr", value);
    Ok(())
}

/// `z_<positive number>` ⇒ `z-<same>` (row 30).
pub(super) fn zoom(value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    if !positive(value) {
        return Err(DropReason::Invalid);
    }
    sink.put("z", value);
    Ok(())
}

/// `c_` crop modes (row 23, §4.6); every other mode (`limit`, `thumb`, …) is invalid.
pub(super) fn crop(value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    let (key, mode) = match value {
        "crop" => ("cm", "extract"),
        "fill" => ("c", "maintain_ratio"),
        "fit" => ("c", "at_max"),
        "pad" => ("cm", "pad_resize"),
        "scale" => ("c", "force"),
        _ => return Err(DropReason::Invalid),
    };
    sink.put(key, mode);
    Ok(())
}

/// `x_`/`y_` in an ordinary component (rows 5–6, AMB-10): a signed integer is copied with
/// `N` for `-`; an unsigned decimal is a fraction of the image size (`iw_mul_`/`ih_mul_`),
/// a zero decimal gives `0`; negative decimals are dropped.
pub(super) fn offset(key: &str, rel: &str, value: &str, sink: &mut Sink) -> Result<(), DropReason> {
    if is_sint(value) {
        push_signed(sink.token(key), value);
    } else if is_unsigned(value) {
        let out = sink.token(key);
        if is_zero(value) {
            out.push('0');
        } else {
            out.push_str(rel);
            out.push_str(value);
        }
    } else {
        return Err(DropReason::Invalid);
    }
    Ok(())
}

/// A positive unsigned number.
fn positive(value: &str) -> bool {
    is_unsigned(value) && !is_zero(value)
}

/// The value of an overlay `ow-`/`oh-` token (§7.1 rule 4, AMB-19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LayerDim<'a> {
    /// Copied as written: pixels, or a fraction of the layer's own size.
    Plain(&'a str),
    /// Relative to the base image: `bw_mul_<v>` / `bh_mul_<v>`.
    Base(&'a str),
}

impl LayerDim<'_> {
    /// Appends the value; `base` is `bw_mul_` or `bh_mul_`.
    pub(super) fn push_to(&self, out: &mut String, base: &str) {
        match self {
            LayerDim::Plain(v) => out.push_str(v),
            LayerDim::Base(v) => {
                out.push_str(base);
                out.push_str(v);
            }
        }
    }
}

/// `w_`/`h_` inside an overlay group: an integer is copied; a decimal becomes relative to
/// the base when the group carries `fl_relative`, else a decimal below 1 is copied for image
/// overlays only; anything else is dropped.
pub(super) fn layer_dimension(value: &str, relative: bool, image: bool) -> Result<LayerDim<'_>, DropReason> {
    if !positive(value) {
        return Err(DropReason::Invalid);
    }
    if is_uint(value) {
        Ok(LayerDim::Plain(value))
    } else if relative {
        Ok(LayerDim::Base(value))
    } else if image && !at_least_one(value) {
        Ok(LayerDim::Plain(value))
    } else {
        Err(DropReason::Unsupported)
    }
}

/// `x_`/`y_` as overlay placement: signed integers only, legacy `ox`/`oy` take pixels.
pub(super) fn placement_offset(value: &str) -> Result<&str, DropReason> {
    if is_sint(value) {
        Ok(value)
    } else if is_unsigned(value) {
        Err(DropReason::Unsupported)
    } else {
        Err(DropReason::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Family = fn(&str, &mut Sink) -> Result<(), DropReason>;

    fn run(f: Family, v: &str) -> Result<String, DropReason> {
        let mut s = Sink::new();
        f(v, &mut s)?;
        Ok(s.finish().0)
    }

    fn x(v: &str, s: &mut Sink) -> Result<(), DropReason> {
        offset("x", "iw_mul_", v, s)
    }

    #[test]
    fn width_and_height() {
        assert_eq!(run(width, "100").as_deref(), Ok("w-100"));
        assert_eq!(run(width, "007").as_deref(), Ok("w-007"));
        assert_eq!(run(width, "0.5").as_deref(), Ok("w-0.5"));
        assert_eq!(run(width, "1.0").as_deref(), Ok("w-iw_mul_1.0"));
        assert_eq!(run(width, "1.5").as_deref(), Ok("w-iw_mul_1.5"));
        assert_eq!(run(height, "2.0").as_deref(), Ok("h-ih_mul_2.0"));
        assert_eq!(run(height, "0.25").as_deref(), Ok("h-0.25"));
        for bad in ["0", "0.0", "", "abc", ".5", "-100", "auto", "iw", "$w", "1e3", "5."] {
            assert_eq!(run(width, bad), Err(DropReason::Invalid), "{bad}");
        }
    }

    #[test]
    fn aspect_ratio_forms() {
        assert_eq!(run(aspect_ratio, "2.5").as_deref(), Ok("ar-2.5-1"));
        assert_eq!(run(aspect_ratio, "3").as_deref(), Ok("ar-3-1"));
        assert_eq!(run(aspect_ratio, "4:3").as_deref(), Ok("ar-4-3"));
        assert_eq!(run(aspect_ratio, "16:9.5").as_deref(), Ok("ar-16-9.5"));
        for bad in ["4:", ":3", "4:3:2", "0", "0:1", "a", "-1", ""] {
            assert_eq!(run(aspect_ratio, bad), Err(DropReason::Invalid), "{bad}");
        }
    }

    #[test]
    fn dpr_zoom_crop() {
        assert_eq!(run(dpr, "3.0").as_deref(), Ok("dpr-3.0"));
        assert_eq!(run(dpr, "auto").as_deref(), Ok("dpr-auto"));
        assert_eq!(run(dpr, "0"), Err(DropReason::Invalid));
        assert_eq!(run(zoom, "2.0").as_deref(), Ok("z-2.0"));
        assert_eq!(run(zoom, "0.5").as_deref(), Ok("z-0.5"));
        assert_eq!(run(zoom, "-1"), Err(DropReason::Invalid));
        assert_eq!(run(crop, "crop").as_deref(), Ok("cm-extract"));
        assert_eq!(run(crop, "fill").as_deref(), Ok("c-maintain_ratio"));
        assert_eq!(run(crop, "fit").as_deref(), Ok("c-at_max"));
        assert_eq!(run(crop, "pad").as_deref(), Ok("cm-pad_resize"));
        assert_eq!(run(crop, "scale").as_deref(), Ok("c-force"));
        for bad in ["limit", "lfill", "lpad", "mfit", "mpad", "thumb", "fill_pad", "auto", "FILL"] {
            assert_eq!(run(crop, bad), Err(DropReason::Invalid), "{bad}");
        }
    }

    #[test]
    fn offsets() {
        assert_eq!(run(x, "100").as_deref(), Ok("x-100"));
        assert_eq!(run(x, "-10").as_deref(), Ok("x-N10"));
        assert_eq!(run(x, "0.25").as_deref(), Ok("x-iw_mul_0.25"));
        assert_eq!(run(x, "0.0").as_deref(), Ok("x-0"));
        assert_eq!(run(x, "0").as_deref(), Ok("x-0"));
        for bad in ["-0.5", "+5", "", "a", "1.", "--1"] {
            assert_eq!(run(x, bad), Err(DropReason::Invalid), "{bad}");
        }
    }

    #[test]
    fn overlay_forms() {
        assert_eq!(layer_dimension("60", false, true), Ok(LayerDim::Plain("60")));
        assert_eq!(layer_dimension("60", true, false), Ok(LayerDim::Plain("60")));
        assert_eq!(layer_dimension("0.25", true, true), Ok(LayerDim::Base("0.25")));
        assert_eq!(layer_dimension("1.5", true, false), Ok(LayerDim::Base("1.5")));
        assert_eq!(layer_dimension("0.5", false, true), Ok(LayerDim::Plain("0.5")));
        assert_eq!(layer_dimension("0.5", false, false), Err(DropReason::Unsupported));
        assert_eq!(layer_dimension("1.5", false, true), Err(DropReason::Unsupported));
        assert_eq!(layer_dimension("0", true, true), Err(DropReason::Invalid));
        assert_eq!(placement_offset("-10"), Ok("-10"));
        assert_eq!(placement_offset("0.1"), Err(DropReason::Unsupported));
        assert_eq!(placement_offset("x"), Err(DropReason::Invalid));
        let mut s = String::new();
        LayerDim::Base("0.9").push_to(&mut s, "bh_mul_");
        assert_eq!(s, "bh_mul_0.9");
    }
}
