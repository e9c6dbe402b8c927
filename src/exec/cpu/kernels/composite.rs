//! Cropping, padding and alpha compositing: CPU twin of `shaders/composite.wgsl`.
//!
//! Owns: [`crop`], [`pad`], [`overlay`] (Porter-Duff source-over with clipping and a global
//! opacity), [`flatten`] (over an opaque colour), the per-pixel rule [`over_px`], and the
//! clipping every layer mode shares ([`covered`], [`covered_pixels`]).
//! Imports `media`, `limits`, `error`, the parent's helpers, rayon.
//!
//! Source-over on straight alpha, per pixel, with `sa = layer.a/255 · opacity` and
//! `da = dst.a/255`:
//!
//! ```text
//! out.a = sa + da·(1 − sa)
//! out.c = (layer.c·sa + dst.c·da·(1 − sa)) / out.a        (0 when out.a = 0)
//! ```
//!
//! which is the premultiplied `L + D·(1 − sa)` written out, so it is right for transparent
//! destinations too (a layer over a transparent pixel keeps its own colour).

use rayon::prelude::*;

use super::{blank_frame, clamp_u8, div255, frame_ok, require_frame, Rgba};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::media::Frame;

/// The `w` × `h` rectangle of `src` whose top-left corner is (`x`, `y`). The rectangle must
/// be non-empty and inside the image; otherwise an invalid-argument error naming `crop`.
pub fn crop(limits: &Limits, src: &Frame, x: u32, y: u32, w: u32, h: u32) -> Result<Frame> {
    require_frame(src)?;
    let fits = |o: u32, len: u32, max: u32| len > 0 && u64::from(o) + u64::from(len) <= u64::from(max);
    if !fits(x, w, src.width) || !fits(y, h, src.height) {
        return Err(Error::invalid(
            "crop",
            format!("{w}x{h}+{x}+{y}"),
            format_args!("rectangle is empty or leaves the {}x{} image", src.width, src.height),
        ));
    }
    let mut out = blank_frame(limits, w, h)?;
    let (x, y, stride) = (x as usize * 4, y as usize, src.stride());
    let ostride = out.stride();
    out.data.par_chunks_mut(ostride).enumerate().for_each(|(r, row)| {
        let from = (y + r) * stride + x;
        row.copy_from_slice(&src.data[from..from + ostride]);
    });
    Ok(out)
}

/// A `canvas_w` × `canvas_h` canvas filled with `bg`, with `src` composited onto it
/// (source-over, so transparent parts of `src` show `bg`) with its top-left corner at
/// (`x`, `y`); parts outside the canvas are clipped. A zero canvas side is an error.
pub fn pad(limits: &Limits, src: &Frame, canvas_w: u32, canvas_h: u32, x: i64, y: i64, bg: Rgba) -> Result<Frame> {
    if canvas_w == 0 || canvas_h == 0 {
        return Err(Error::invalid("pad", format!("{canvas_w}x{canvas_h}"), "canvas would be empty"));
    }
    let mut out = Frame::filled(limits, canvas_w, canvas_h, bg)?;
    overlay(&mut out, src, x, y, 1.0);
    Ok(out)
}

/// One source-over pixel: `layer` over `dst`, the layer's alpha scaled by `opacity` (0..=1).
#[inline]
pub fn over_px(layer: [u8; 4], dst: [u8; 4], opacity: f32) -> [u8; 4] {
    let sa = f32::from(layer[3]) / 255.0 * opacity;
    if sa <= 0.0 {
        return dst;
    }
    if sa >= 1.0 {
        return layer;
    }
    let da = f32::from(dst[3]) / 255.0 * (1.0 - sa);
    let oa = sa + da;
    let c = |i: usize| clamp_u8((f32::from(layer[i]) * sa + f32::from(dst[i]) * da) / oa);
    [c(0), c(1), c(2), clamp_u8(oa * 255.0)]
}

/// Composite `layer` over `dst` in place with its top-left corner at (`x`, `y`) and a global
/// `opacity` (clamped to 0..=1; NaN counts as 1). Parts outside `dst` are clipped; a layer
/// entirely outside changes nothing.
pub fn overlay(dst: &mut Frame, layer: &Frame, x: i64, y: i64, opacity: f32) {
    if !frame_ok(dst) || !frame_ok(layer) {
        return;
    }
    let opacity = if opacity.is_nan() { 1.0 } else { opacity.clamp(0.0, 1.0) };
    if opacity == 0.0 {
        return;
    }
    covered_pixels(dst, layer, x, y, |d, l| over_px(l, d, opacity));
}

/// The part of `dst` that a `layer` placed at (`x`, `y`) covers: destination columns
/// `x0..x1`, rows `y0..y1`, and the layer pixel (`lx`, `ly`) over (`x0`, `y0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Covered {
    /// First destination column.
    pub x0: usize,
    /// One past the last destination column.
    pub x1: usize,
    /// First destination row.
    pub y0: usize,
    /// One past the last destination row.
    pub y1: usize,
    /// Layer column over `x0`.
    pub lx: usize,
    /// Layer row over `y0`.
    pub ly: usize,
}

/// Where a `layer_size` layer at (`x`, `y`) meets a `dst_size` frame; `None` when it misses.
pub fn covered(dst_size: (u32, u32), layer_size: (u32, u32), x: i64, y: i64) -> Option<Covered> {
    let span = |o: i64, len: u32, max: u32| {
        let start = o.clamp(0, i64::from(max));
        let end = o.saturating_add(i64::from(len)).clamp(0, i64::from(max));
        // Both are in 0..=max (a u32), so the conversions cannot fail.
        let as_usize = |v: i64| usize::try_from(v).unwrap_or(0);
        (as_usize(start), as_usize(end), as_usize(start.saturating_sub(o.min(start))))
    };
    let (x0, x1, lx) = span(x, layer_size.0, dst_size.0);
    let (y0, y1, ly) = span(y, layer_size.1, dst_size.1);
    (x0 < x1 && y0 < y1).then_some(Covered { x0, x1, y0, y1, lx, ly })
}

/// Replace every pixel of `dst` under `layer` (at `x`, `y`, clipped) by `f(dst, layer)`,
/// rows in parallel. The per-pixel rule of every layer mode goes through here.
pub fn covered_pixels(dst: &mut Frame, layer: &Frame, x: i64, y: i64, f: impl Fn([u8; 4], [u8; 4]) -> [u8; 4] + Sync) {
    if !frame_ok(dst) || !frame_ok(layer) {
        return;
    }
    let Some(Covered { x0, x1, y0, y1, lx, ly }) = covered((dst.width, dst.height), (layer.width, layer.height), x, y)
    else {
        return;
    };
    let (dstride, lstride, n) = (dst.stride(), layer.stride(), (x1 - x0) * 4);
    dst.data[y0 * dstride..y1 * dstride].par_chunks_mut(dstride).enumerate().for_each(|(r, row)| {
        let from = (ly + r) * lstride + lx * 4;
        let src = &layer.data[from..from + n];
        for (d, l) in row[x0 * 4..x0 * 4 + n].chunks_exact_mut(4).zip(src.chunks_exact(4)) {
            let out = f([d[0], d[1], d[2], d[3]], [l[0], l[1], l[2], l[3]]);
            d.copy_from_slice(&out);
        }
    });
}

/// Composite `src` in place over the opaque colour `bg` (its alpha is ignored): every pixel
/// becomes opaque. Used before JPEG output and for `o` together with `bg`.
pub fn flatten(src: &mut Frame, bg: Rgba) {
    if !frame_ok(src) {
        return;
    }
    let stride = src.stride();
    src.data.par_chunks_mut(stride).for_each(|row| {
        for p in row.chunks_exact_mut(4) {
            let a = u32::from(p[3]);
            if a != 255 {
                for c in 0..3 {
                    p[c] = div255(u32::from(p[c]) * a + u32::from(bg[c]) * (255 - a));
                }
                p[3] = 255;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::cpu::kernels::tests::noise;

    #[test]
    fn crop_takes_the_rectangle_and_refuses_outside() {
        let l = Limits::default();
        let src = noise(10, 8, 2);
        let c = crop(&l, &src, 3, 2, 4, 5).unwrap();
        assert_eq!((c.width, c.height), (4, 5));
        assert_eq!(c.pixel(0, 0), src.pixel(3, 2));
        assert_eq!(c.pixel(3, 4), src.pixel(6, 6));
        assert_eq!(crop(&l, &src, 0, 0, 10, 8).unwrap(), src);
        for (x, y, w, h) in [(7, 0, 4, 1), (0, 0, 0, 1), (0, 8, 1, 1), (u32::MAX, 0, 2, 1)] {
            assert_eq!(crop(&l, &src, x, y, w, h).unwrap_err().key(), Some("crop"));
        }
    }

    #[test]
    fn pad_places_pixels_at_x_y_and_clips() {
        let l = Limits::default();
        let src = noise(4, 3, 1);
        let bg = [9, 8, 7, 255];
        let p = pad(&l, &src, 10, 6, 5, 2, bg).unwrap();
        assert_eq!(p.pixel(5, 2), src.pixel(0, 0));
        assert_eq!(p.pixel(8, 4), src.pixel(3, 2));
        assert_eq!(p.pixel(4, 2), bg);
        assert_eq!(p.pixel(5, 5), bg);
        let clipped = pad(&l, &src, 3, 3, -2, -1, bg).unwrap();
        assert_eq!(clipped.pixel(0, 0), src.pixel(2, 1));
        assert_eq!(clipped.pixel(2, 2), bg);
        assert_eq!(pad(&l, &src, 2, 2, i64::MIN, i64::MAX, bg).unwrap().pixel(1, 1), bg);
        assert!(pad(&l, &src, 0, 5, 0, 0, bg).is_err());
    }

    #[test]
    fn half_red_over_white() {
        let l = Limits::default();
        let mut white = Frame::filled(&l, 3, 3, [255, 255, 255, 255]).unwrap();
        let red = Frame::filled(&l, 1, 1, [255, 0, 0, 255]).unwrap();
        overlay(&mut white, &red, 1, 1, 0.5);
        assert_eq!(white.pixel(1, 1), [255, 128, 128, 255]);
        assert_eq!(white.pixel(0, 1), [255, 255, 255, 255]);
        let half = Frame::filled(&l, 1, 1, [255, 0, 0, 128]).unwrap();
        overlay(&mut white, &half, 0, 0, 1.0);
        assert_eq!(white.pixel(0, 0), [255, 127, 127, 255], "alpha 128/255 leaves 127/255 of white");
    }

    #[test]
    fn overlay_on_transparent_keeps_layer_colour() {
        let l = Limits::default();
        let mut clear = Frame::filled(&l, 2, 1, [0, 0, 0, 0]).unwrap();
        let layer = Frame::filled(&l, 2, 1, [10, 20, 30, 100]).unwrap();
        overlay(&mut clear, &layer, 0, 0, 1.0);
        assert_eq!(clear.pixel(0, 0), [10, 20, 30, 100]);
        // Two 50 % layers give 75 % coverage.
        let half = Frame::filled(&l, 1, 1, [0, 0, 255, 255]).unwrap();
        let mut d = Frame::filled(&l, 1, 1, [0, 0, 0, 0]).unwrap();
        overlay(&mut d, &half, 0, 0, 0.5);
        overlay(&mut d, &half, 0, 0, 0.5);
        let once = d.pixel(0, 0);
        assert_eq!(&once[..3], &[0, 0, 255]);
        assert!((191..=192).contains(&once[3]), "{once:?}");
        overlay(&mut d, &half, 5, 0, f32::NAN);
        overlay(&mut d, &half, i64::MAX, i64::MIN, 1.0);
        overlay(&mut d, &half, i64::MIN, 0, 1.0);
        assert_eq!(d.pixel(0, 0), once, "layers outside change nothing");
    }

    #[test]
    fn flatten_makes_opaque() {
        let l = Limits::default();
        let mut f = Frame::filled(&l, 2, 2, [255, 0, 0, 0]).unwrap();
        f.data[4..8].copy_from_slice(&[255, 0, 0, 128]);
        f.data[8..12].copy_from_slice(&[1, 2, 3, 255]);
        flatten(&mut f, [0, 0, 255, 10]);
        assert_eq!(f.pixel(0, 0), [0, 0, 255, 255]);
        assert_eq!(f.pixel(1, 0), [128, 0, 127, 255]);
        assert_eq!(f.pixel(0, 1), [1, 2, 3, 255]);
        assert!(!f.has_alpha());
    }
}
