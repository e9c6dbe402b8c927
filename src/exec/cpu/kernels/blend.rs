//! Layer modes other than source-over (`lm-…`): CPU twin of `shaders/blend.wgsl`.
//!
//! Owns: [`multiply`], [`cutout`], [`cutter`], [`displace`]. Imports `media`, `limits`,
//! `error`, the sibling `composite` (clipping) and rayon.
//!
//! The arithmetic is the device's, on premultiplied colour (`B` the base pixel, `L` the layer
//! pixel, `.a` their alphas; here on the 0..=255 scale of [`premultiply_px`], on the device
//! 0..1), converted back with [`unpremultiply_px`], so the two backends agree to rounding.
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
//! that fall outside the frame take its edge: [`sample_bilinear`] at coordinates clamped to
//! the frame (the device does the same with `lib/sample_zero.wgsl`).

use rayon::prelude::*;

use super::composite::{covered, covered_pixels, crop};
use super::{frame_ok, premultiply_px, sample_bilinear, unpremultiply_px};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::media::Frame;

/// `lm-multiply`: the layer multiplies the base where it is opaque.
pub fn multiply(dst: &mut Frame, layer: &Frame, x: i64, y: i64) {
    covered_pixels(dst, layer, x, y, |d, l| {
        let (b, l) = (premultiply_px(d), premultiply_px(l));
        let (ba, la) = (b[3] / 255.0, l[3] / 255.0);
        let c = |i: usize| l[i] * (1.0 - ba) + b[i] * (1.0 - la) + l[i] * b[i] / 255.0;
        unpremultiply_px([c(0), c(1), c(2), l[3] + b[3] * (1.0 - la)])
    });
}

/// The base pixel `d` with every premultiplied channel scaled by `k`.
fn scaled(d: [u8; 4], k: f32) -> [u8; 4] {
    unpremultiply_px(premultiply_px(d).map(|v| v * k))
}

/// `lm-cutout`: the base becomes transparent where the layer is opaque.
pub fn cutout(dst: &mut Frame, layer: &Frame, x: i64, y: i64) {
    covered_pixels(dst, layer, x, y, |d, l| scaled(d, 1.0 - f32::from(l[3]) / 255.0));
}

/// The error of an `lm-cutter` layer that misses the frame (both backends).
pub fn cutter_misses() -> Error {
    Error::invalid("lm", "cutter", "the layer lies outside the image: nothing would be kept")
}

/// `lm-cutter`: only the base under the layer's opaque area stays, and the frame becomes the
/// part of the layer's rectangle that lies on it. A layer that misses the frame entirely
/// leaves nothing to keep: [`cutter_misses`].
pub fn cutter(limits: &Limits, mut dst: Frame, layer: &Frame, x: i64, y: i64) -> Result<Frame> {
    let Some(c) = covered((dst.width, dst.height), (layer.width, layer.height), x, y) else {
        return Err(cutter_misses());
    };
    covered_pixels(&mut dst, layer, x, y, |d, l| scaled(d, f32::from(l[3]) / 255.0));
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
    #[expect(clippy::cast_precision_loss, reason = "frame sides are far below 2^24")]
    let (maxx, maxy) = ((src.width - 1) as f32, (src.height - 1) as f32);
    out.data[c.y0 * stride..c.y1 * stride].par_chunks_mut(stride).enumerate().for_each(|(r, row)| {
        let py = c.y0 + r;
        for (i, px) in (c.x0..c.x1).enumerate() {
            let li = (c.ly + r) * lstride + (c.lx + i) * 4;
            let l = premultiply_px([layer.data[li], layer.data[li + 1], layer.data[li + 2], layer.data[li + 3]]);
            let sx = px as f32 + amount.0 * (2.0 * l[0] - l[3]) / 255.0;
            let sy = py as f32 + amount.1 * (2.0 * l[1] - l[3]) / 255.0;
            let sample = sample_bilinear(src, sx.clamp(0.0, maxx), sy.clamp(0.0, maxy));
            row[px * 4..px * 4 + 4].copy_from_slice(&unpremultiply_px(sample));
        }
    });
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
