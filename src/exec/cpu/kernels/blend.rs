//! Layer modes other than source-over (`lm-…`): CPU twin of `shaders/blend.wgsl`.
//!
//! Owns: [`multiply`], [`cutout`], [`cutter`], [`displace`]. Imports `media`, `limits`,
//! `error`, the sibling `composite` (clipping) and rayon.
//!
//! The arithmetic is the device's: premultiplied colour in 0..1 (`B` the base pixel, `L` the
//! layer pixel, `.a` their alphas), converted back to straight RGBA8 rounded to nearest, so
//! the two backends agree to rounding.
//!
//! ```text
//! multiply   out.rgb = L·(1 − B.a) + B·(1 − L.a) + L·B      W3C "multiply" with source-over:
//!            out.a   = L.a + B.a·(1 − L.a)                    white leaves B, black makes black
//! cutout     out     = B·(1 − L.a)                            hole punch
//! cutter     out     = B·L.a, then the frame is cut to the layer's rectangle (cookie cutter)
//! displace   out     = B sampled bilinearly at p + (X·(2·L.r − L.a), Y·(2·L.g − L.a))
//! ```
//!
//! For displace `2·L.r − L.a` is the straight red `R` mapped to −1…1 (`2R − 1`) and scaled by
//! the layer's alpha: red 255 moves the sample `X` px right (the picture moves left), 0 moves
//! it left, mid grey (128) does nothing, and a transparent map pixel does nothing. Samples
//! that fall outside the frame take its edge.

use rayon::prelude::*;

use super::composite::{covered, covered_pixels, crop};
use super::{clamp_u8, frame_ok};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::media::Frame;

/// Straight RGBA8 → premultiplied 0..1.
#[inline]
fn pm(p: [u8; 4]) -> [f32; 4] {
    let a = f32::from(p[3]) / 255.0;
    let c = |v: u8| f32::from(v) / 255.0 * a;
    [c(p[0]), c(p[1]), c(p[2]), a]
}

/// Premultiplied 0..1 → straight RGBA8, as `shaders/pack.wgsl` does it.
#[inline]
fn straight(p: [f32; 4]) -> [u8; 4] {
    let a = p[3].clamp(0.0, 1.0);
    let c = |v: f32| if a > 0.0 { clamp_u8(v.clamp(0.0, 1.0) / a * 255.0) } else { 0 };
    [c(p[0]), c(p[1]), c(p[2]), clamp_u8(a * 255.0)]
}

/// `lm-multiply`: the layer multiplies the base where it is opaque.
pub fn multiply(dst: &mut Frame, layer: &Frame, x: i64, y: i64) {
    covered_pixels(dst, layer, x, y, |d, l| {
        let (b, l) = (pm(d), pm(l));
        let c = |i: usize| l[i] * (1.0 - b[3]) + b[i] * (1.0 - l[3]) + l[i] * b[i];
        straight([c(0), c(1), c(2), l[3] + b[3] * (1.0 - l[3])])
    });
}

/// `lm-cutout`: the base becomes transparent where the layer is opaque.
pub fn cutout(dst: &mut Frame, layer: &Frame, x: i64, y: i64) {
    covered_pixels(dst, layer, x, y, |d, l| {
        let k = 1.0 - f32::from(l[3]) / 255.0;
        let b = pm(d);
        straight([b[0] * k, b[1] * k, b[2] * k, b[3] * k])
    });
}

/// `lm-cutter`: only the base under the layer's opaque area stays, and the frame becomes the
/// part of the layer's rectangle that lies on it. A layer that misses the frame entirely
/// leaves nothing to keep: an invalid-argument error naming `lm`.
pub fn cutter(limits: &Limits, mut dst: Frame, layer: &Frame, x: i64, y: i64) -> Result<Frame> {
    let Some(c) = covered((dst.width, dst.height), (layer.width, layer.height), x, y) else {
        return Err(Error::invalid("lm", "cutter", "the layer lies outside the image: nothing would be kept"));
    };
    covered_pixels(&mut dst, layer, x, y, |d, l| {
        let k = f32::from(l[3]) / 255.0;
        let b = pm(d);
        straight([b[0] * k, b[1] * k, b[2] * k, b[3] * k])
    });
    // Covered spans lie inside the frame (a u32 each), so the conversions cannot fail.
    let u = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    crop(limits, &dst, u(c.x0), u(c.y0), u(c.x1 - c.x0), u(c.y1 - c.y0))
}

/// `lm-displace`: the layer (at `x`, `y`) is a displacement map of strength `amount`
/// (pixels, signed) over `src`; pixels outside it are copied.
pub fn displace(src: &Frame, layer: &Frame, x: i64, y: i64, amount: (f32, f32)) -> Frame {
    let mut out = src.clone();
    if !frame_ok(src) || !frame_ok(layer) {
        return out;
    }
    let Some(c) = covered((src.width, src.height), (layer.width, layer.height), x, y) else {
        return out;
    };
    let (stride, lstride) = (src.stride(), layer.stride());
    out.data[c.y0 * stride..c.y1 * stride].par_chunks_mut(stride).enumerate().for_each(|(r, row)| {
        let py = c.y0 + r;
        for (i, px) in (c.x0..c.x1).enumerate() {
            let li = (c.ly + r) * lstride + (c.lx + i) * 4;
            let l = pm([layer.data[li], layer.data[li + 1], layer.data[li + 2], layer.data[li + 3]]);
            let sx = px as f32 + amount.0 * (2.0 * l[0] - l[3]);
            let sy = py as f32 + amount.1 * (2.0 * l[1] - l[3]);
            row[px * 4..px * 4 + 4].copy_from_slice(&straight(bilinear(src, sx, sy)));
        }
    });
    out
}

/// Premultiplied bilinear sample at (`sx`, `sy`) in pixel-index coordinates, clamped to the
/// frame's edge — the same rule as `sample` in `shaders/blend.wgsl`.
fn bilinear(f: &Frame, sx: f32, sy: f32) -> [f32; 4] {
    let (maxx, maxy) = ((f.width - 1) as f32, (f.height - 1) as f32);
    let (sx, sy) = (sx.clamp(0.0, maxx), sy.clamp(0.0, maxy));
    let (fx, fy) = (sx.floor(), sy.floor());
    let (tx, ty) = (sx - fx, sy - fy);
    // Clamped to 0..=side − 1 above, so the casts are exact and in range.
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "clamped to the frame")]
    let (x0, y0) = (fx as u32, fy as u32);
    let (x1, y1) = ((x0 + 1).min(f.width - 1), (y0 + 1).min(f.height - 1));
    let p = |x: u32, y: u32| pm(f.pixel(x, y));
    let (a, b, c, d) = (p(x0, y0), p(x1, y0), p(x0, y1), p(x1, y1));
    let mut out = [0.0; 4];
    for i in 0..4 {
        let top = a[i] + (b[i] - a[i]) * tx;
        let bottom = c[i] + (d[i] - c[i]) * tx;
        out[i] = top + (bottom - top) * ty;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::cpu::kernels::tests::noise;

    fn solid(w: u32, h: u32, c: [u8; 4]) -> Frame {
        Frame::filled(&Limits::default(), w, h, c).unwrap()
    }

    #[test]
    fn multiply_white_keeps_black_darkens_and_outside_is_untouched() {
        let base = noise(6, 4, 3);
        let mut m = base.clone();
        multiply(&mut m, &solid(3, 4, [255, 255, 255, 255]), 0, 0);
        for x in 0..3 {
            let (a, b) = (m.pixel(x, 1), base.pixel(x, 1));
            assert!(a.iter().zip(b).all(|(p, q)| p.abs_diff(q) <= 1), "white leaves the base: {a:?} {b:?}");
        }
        let mut m = solid(4, 4, [200, 100, 50, 255]);
        multiply(&mut m, &solid(2, 2, [128, 255, 0, 255]), 1, 1);
        assert_eq!(m.pixel(1, 1), [100, 100, 0, 255]);
        assert_eq!(m.pixel(0, 0), [200, 100, 50, 255], "outside the layer");
        // Half-transparent layer: halfway between the base and the product.
        let mut m = solid(1, 1, [200, 200, 200, 255]);
        multiply(&mut m, &solid(1, 1, [0, 0, 0, 128]), 0, 0);
        assert_eq!(m.pixel(0, 0), [100, 100, 100, 255]);
        // Over a transparent base the layer shows as itself.
        let mut m = solid(1, 1, [0, 0, 0, 0]);
        multiply(&mut m, &solid(1, 1, [10, 20, 30, 255]), 0, 0);
        assert_eq!(m.pixel(0, 0), [10, 20, 30, 255]);
    }

    #[test]
    fn cutout_punches_and_cutter_keeps_only_the_shape() {
        let mut layer = solid(2, 2, [0, 0, 0, 255]);
        layer.data[12..16].copy_from_slice(&[0, 0, 0, 0]); // bottom-right pixel transparent
        let mut c = solid(4, 4, [9, 8, 7, 255]);
        cutout(&mut c, &layer, 1, 1);
        assert_eq!(c.pixel(1, 1)[3], 0);
        assert_eq!(c.pixel(2, 2), [9, 8, 7, 255], "a transparent layer pixel leaves the base");
        assert_eq!(c.pixel(0, 0), [9, 8, 7, 255]);

        let l = Limits::default();
        let k = cutter(&l, solid(4, 4, [9, 8, 7, 255]), &layer, 1, 1).unwrap();
        assert_eq!((k.width, k.height), (2, 2), "cut to the layer's rectangle");
        assert_eq!(k.pixel(0, 0), [9, 8, 7, 255]);
        assert_eq!(k.pixel(1, 1)[3], 0);
        // Partly outside: cut to the part on the frame; wholly outside: an error naming lm.
        let k = cutter(&l, solid(4, 4, [9, 8, 7, 255]), &layer, 3, -1).unwrap();
        assert_eq!((k.width, k.height), (1, 1));
        assert_eq!(cutter(&l, solid(4, 4, [1; 4]), &layer, 4, 0).unwrap_err().key(), Some("lm"));
    }

    #[test]
    fn displace_moves_samples_by_the_map() {
        let base = noise(8, 6, 5);
        // Mid grey (128 ⇒ 1/255 off centre) over X = 3 moves by 0.012 px: 1.2 % of the step
        // to a neighbour, at most 3 levels even on noise.
        let grey = displace(&base, &solid(8, 6, [128, 128, 0, 255]), 0, 0, (3.0, 0.0));
        assert!(grey.data.iter().zip(&base.data).all(|(a, b)| a.abs_diff(*b) <= 3));
        // Full red with X = 2: each pixel takes the one two to its right (edge clamped).
        let red = displace(&base, &solid(8, 6, [255, 0, 0, 255]), 0, 0, (2.0, 0.0));
        // Green 0 with Y = 0 still moves nothing vertically.
        assert_eq!(red.pixel(1, 2), base.pixel(3, 2));
        assert_eq!(red.pixel(7, 2), base.pixel(7, 2), "beyond the edge samples the edge");
        // Negative strength goes the other way; a transparent map pixel does nothing.
        let left = displace(&base, &solid(8, 6, [255, 0, 0, 255]), 0, 0, (-1.0, 0.0));
        assert_eq!(left.pixel(4, 0), base.pixel(3, 0));
        let clear = displace(&base, &solid(8, 6, [255, 255, 0, 0]), 0, 0, (5.0, 5.0));
        assert_eq!(clear, base);
        // Only the covered part moves.
        let part = displace(&base, &solid(2, 2, [255, 0, 0, 255]), 4, 2, (1.0, 0.0));
        assert_eq!(part.pixel(4, 2), base.pixel(5, 2));
        assert_eq!(part.pixel(3, 2), base.pixel(3, 2));
    }
}
