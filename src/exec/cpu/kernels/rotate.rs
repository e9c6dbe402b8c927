//! Rotation for ImageKit `rt-<deg>` / `rt-N<deg>`: exact quarter turns, and arbitrary angles
//! with bilinear sampling (the CPU twin of a future `rotate.wgsl`).
//!
//! Owns: [`rotate_quarter`], [`rotate`], [`rotated_size`], [`RotateParams`]. Imports `media`,
//! `limits`, `error`, the parent's helpers, rayon.
//!
//! Arbitrary angles: the output is the bounding box of the rotated source (sizes rounded to
//! whole pixels). Each output pixel centre is mapped back into the source by the inverse
//! rotation about the two centres and sampled bilinearly on premultiplied alpha, with texels
//! outside the source counted as transparent: that gives a ~1 px anti-aliased edge for free.
//! The sample is then composited over `bg` (source-over), so uncovered corners are `bg`.

use rayon::prelude::*;

use super::{blank_frame, copy_frame, premultiply_px, require_frame, unpremultiply_px, Rgba};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::media::Frame;

/// Side of the output tiles of [`rotate_quarter`] and [`rotate`], so that the source pixels
/// they read stay in cache (the CPU version of a 16×16 workgroup tile).
const BAND: usize = 16;

/// Exact rotation by `quarter_turns_clockwise × 90°` (taken modulo 4): pixels are moved,
/// never resampled. A quarter or three-quarter turn swaps width and height.
pub fn rotate_quarter(limits: &Limits, src: &Frame, quarter_turns_clockwise: u32) -> Result<Frame> {
    require_frame(src)?;
    let q = quarter_turns_clockwise % 4;
    if q == 0 {
        return copy_frame(limits, src);
    }
    let (w, h) = (src.width as usize, src.height as usize);
    let (ow, oh) = if q == 2 { (src.width, src.height) } else { (src.height, src.width) };
    let mut out = blank_frame(limits, ow, oh)?;
    let ostride = ow as usize * 4;
    // Source (x, y) of output pixel (x, y), per turn; see the tests for the orientation.
    let source = move |x: usize, y: usize| match q {
        1 => (y, h - 1 - x),
        2 => (w - 1 - x, h - 1 - y),
        _ => (w - 1 - y, x),
    };
    out.data.par_chunks_mut(ostride * BAND).enumerate().for_each(|(band, rows)| {
        let y0 = band * BAND;
        let nrows = rows.len() / ostride;
        for x in 0..ow as usize {
            for dy in 0..nrows {
                let (sx, sy) = source(x, y0 + dy);
                let si = (sy * w + sx) * 4;
                let oi = dy * ostride + x * 4;
                rows[oi..oi + 4].copy_from_slice(&src.data[si..si + 4]);
            }
        }
    });
    Ok(out)
}

/// Size of the bounding box of a `width` × `height` image rotated by `degrees`, each side
/// rounded to the nearest pixel and at least 1.
pub fn rotated_size(width: u32, height: u32, degrees: f64) -> (f64, f64) {
    let t = degrees.to_radians();
    let (w, h) = (f64::from(width), f64::from(height));
    let bw = (w * t.cos()).abs() + (h * t.sin()).abs();
    let bh = (w * t.sin()).abs() + (h * t.cos()).abs();
    (bw.round().max(1.0), bh.round().max(1.0))
}

/// Parameters of the arbitrary-angle rotation shader (binding 0).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RotateParams {
    /// Source width, height.
    pub src_size: [u32; 2],
    /// Output width, height.
    pub dst_size: [u32; 2],
    /// cos θ, sin θ of the clockwise angle.
    pub cos_sin: [f32; 2],
    /// Centre of the source, in pixels.
    pub src_centre: [f32; 2],
    /// Centre of the output, in pixels.
    pub dst_centre: [f32; 2],
    /// Background, premultiplied, 0..=255 scale.
    pub bg: [f32; 4],
}

/// Rotate clockwise by `degrees_clockwise` (ImageKit `rt-N<d>` is `-d`). Multiples of 90°
/// go to [`rotate_quarter`] and are exact; other angles are resampled as described in the
/// module doc, the uncovered area filled with `bg`. A non-finite angle is an
/// invalid-argument error naming `rt`.
pub fn rotate(limits: &Limits, src: &Frame, degrees_clockwise: f64, bg: Rgba) -> Result<Frame> {
    require_frame(src)?;
    if !degrees_clockwise.is_finite() {
        return Err(Error::invalid("rt", degrees_clockwise.to_string(), "angle must be a finite number"));
    }
    let d = degrees_clockwise.rem_euclid(360.0);
    if d % 90.0 == 0.0 {
        #[expect(clippy::cast_possible_truncation, reason = "d / 90 is a whole number in 0..=4")]
        let q = (d / 90.0) as u32;
        return rotate_quarter(limits, src, q);
    }
    let (bw, bh) = rotated_size(src.width, src.height, d);
    let too_big = || Error::invalid("rt", degrees_clockwise.to_string(), "rotated image too large");
    #[expect(clippy::cast_possible_truncation, reason = "checked against u32::MAX first")]
    let (ow, oh) = if bw > f64::from(u32::MAX) || bh > f64::from(u32::MAX) {
        return Err(too_big());
    } else {
        (bw as u32, bh as u32)
    };
    let mut out = blank_frame(limits, ow, oh)?;
    let t = d.to_radians();
    #[expect(clippy::cast_possible_truncation, reason = "f32 is the shader's precision")]
    let p = RotateParams {
        src_size: [src.width, src.height],
        dst_size: [ow, oh],
        cos_sin: [t.cos() as f32, t.sin() as f32],
        src_centre: [(f64::from(src.width) / 2.0) as f32, (f64::from(src.height) / 2.0) as f32],
        dst_centre: [(bw / 2.0) as f32, (bh / 2.0) as f32],
        bg: premultiply_px(bg),
    };
    // Bands of BAND rows, walked in BAND-wide column tiles: consecutive output pixels of a
    // tilted row cross source rows, so tiles keep the source footprint in cache.
    let ostride = ow as usize * 4;
    out.data.par_chunks_mut(ostride * BAND).enumerate().for_each(|(band, rows)| {
        for x0 in (0..ow as usize).step_by(BAND) {
            for (dy, row) in rows.chunks_exact_mut(ostride).enumerate() {
                let x1 = (x0 + BAND).min(ow as usize);
                for (x, o) in (x0..x1).zip(row[x0 * 4..x1 * 4].chunks_exact_mut(4)) {
                    o.copy_from_slice(&rotate_px(&p, src, x, band * BAND + dy));
                }
            }
        }
    });
    Ok(out)
}

/// One output pixel of the arbitrary rotation.
#[inline]
fn rotate_px(p: &RotateParams, src: &Frame, x: usize, y: usize) -> [u8; 4] {
    let [c, s] = p.cos_sin;
    #[expect(clippy::cast_precision_loss, reason = "pixel indices are below 2^24 in practice")]
    let (dx, dy) = (x as f32 + 0.5 - p.dst_centre[0], y as f32 + 0.5 - p.dst_centre[1]);
    // Inverse of the clockwise (y-down) rotation, then back to texel-centre coordinates.
    let sx = dx * c + dy * s + p.src_centre[0] - 0.5;
    let sy = -dx * s + dy * c + p.src_centre[1] - 0.5;
    let (x0, y0) = (floor_i64(sx), floor_i64(sy));
    #[expect(clippy::cast_precision_loss, reason = "x0, y0 are pixel coordinates, far below 2^24")]
    let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
    let (w, h) = (i64::from(src.width), i64::from(src.height));
    // The four texels, transparent outside the frame. Inside (the common case) they are two
    // 8-byte runs on consecutive rows.
    let mut t = [[0u8; 4]; 4];
    if x0 >= 0 && y0 >= 0 && x0 + 1 < w && y0 + 1 < h {
        let i = usize::try_from((y0 * w + x0) * 4).unwrap_or(0);
        let j = i + src.stride();
        for (k, q) in [&src.data[i..i + 8], &src.data[j..j + 8]].into_iter().enumerate() {
            t[2 * k] = [q[0], q[1], q[2], q[3]];
            t[2 * k + 1] = [q[4], q[5], q[6], q[7]];
        }
    } else {
        for (k, (tx, ty)) in [(x0, y0), (x0 + 1, y0), (x0, y0 + 1), (x0 + 1, y0 + 1)].into_iter().enumerate() {
            if (0..w).contains(&tx) && (0..h).contains(&ty) {
                t[k] = src.pixel(u32::try_from(tx).unwrap_or(0), u32::try_from(ty).unwrap_or(0));
            }
        }
    }
    let wts = [(1.0 - fx) * (1.0 - fy), fx * (1.0 - fy), (1.0 - fx) * fy, fx * fy];
    let mut acc = [0.0f32; 4];
    for (texel, wt) in t.into_iter().zip(wts) {
        // Opaque texels need no premultiplication (skipping it saves a division).
        let v = if texel[3] == 255 {
            [f32::from(texel[0]), f32::from(texel[1]), f32::from(texel[2]), 255.0]
        } else {
            premultiply_px(texel)
        };
        for (a, v) in acc.iter_mut().zip(v) {
            *a += wt * v;
        }
    }
    let keep = 1.0 - acc[3] / 255.0;
    let mut out = [0.0f32; 4];
    for i in 0..4 {
        out[i] = acc[i] + p.bg[i] * keep;
    }
    unpremultiply_px(out)
}

/// `floor(v)` as an integer without a libm call (x86-64 baseline has no SSE4.1 `roundps`);
/// saturates for values out of `i32` range, which are outside any frame anyway.
#[inline]
fn floor_i64(v: f32) -> i64 {
    #[expect(clippy::cast_possible_truncation, reason = "saturating cast; far values are off-frame")]
    let t = v as i32;
    #[expect(clippy::cast_precision_loss, reason = "only compares t with v")]
    let above = t as f32 > v;
    i64::from(t) - i64::from(above)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::cpu::kernels::tests::noise;

    #[test]
    fn quarter_turns_move_corners_clockwise() {
        let l = Limits::default();
        // 3×2: top-left is marked.
        let mut src = Frame::filled(&l, 3, 2, [0, 0, 0, 255]).unwrap();
        src.data[..4].copy_from_slice(&[255, 0, 0, 255]);
        let r1 = rotate_quarter(&l, &src, 1).unwrap();
        assert_eq!((r1.width, r1.height), (2, 3));
        assert_eq!(r1.pixel(1, 0), [255, 0, 0, 255], "top-left goes to top-right");
        let r2 = rotate_quarter(&l, &src, 2).unwrap();
        assert_eq!(r2.pixel(2, 1), [255, 0, 0, 255], "…then to bottom-right");
        let r3 = rotate_quarter(&l, &src, 3).unwrap();
        assert_eq!(r3.pixel(0, 2), [255, 0, 0, 255], "…then to bottom-left");
    }

    #[test]
    fn four_quarter_turns_are_the_identity() {
        let l = Limits::default();
        let src = noise(37, 19, 3);
        let mut f = src.clone();
        for _ in 0..4 {
            f = rotate_quarter(&l, &f, 1).unwrap();
        }
        assert_eq!(f, src);
        assert_eq!(rotate_quarter(&l, &rotate_quarter(&l, &src, 2).unwrap(), 6).unwrap(), src);
    }

    #[test]
    fn multiples_of_ninety_are_exact() {
        let l = Limits::default();
        let src = noise(20, 33, 5);
        assert_eq!(rotate(&l, &src, 90.0, [0; 4]).unwrap(), rotate_quarter(&l, &src, 1).unwrap());
        assert_eq!(rotate(&l, &src, -90.0, [0; 4]).unwrap(), rotate_quarter(&l, &src, 3).unwrap());
        assert_eq!(rotate(&l, &src, 540.0, [0; 4]).unwrap(), rotate_quarter(&l, &src, 2).unwrap());
        assert_eq!(rotate(&l, &src, 360.0, [0; 4]).unwrap(), src);
    }

    #[test]
    fn forty_five_degrees_gives_the_bounding_box() {
        let l = Limits::default();
        let src = Frame::filled(&l, 100, 50, [255, 0, 0, 255]).unwrap();
        let out = rotate(&l, &src, 45.0, [0, 0, 255, 255]).unwrap();
        assert_eq!((out.width, out.height), (106, 106), "150 / √2 = 106.07");
        assert_eq!(out.pixel(53, 53), [255, 0, 0, 255], "centre is source");
        assert_eq!(out.pixel(0, 0), [0, 0, 255, 255], "corner is background");
        // Along the diagonal from the corner to the centre the colour ramps from bg to red,
        // with at least one blended pixel (anti-aliasing).
        let blended = (0..53).map(|i| out.pixel(i, i)).filter(|p| p[0] > 0 && p[2] > 0).count();
        assert!((1..=3).contains(&blended), "{blended} blended pixels");
    }

    #[test]
    fn transparent_bg_and_counter_clockwise() {
        let l = Limits::default();
        let src = Frame::filled(&l, 40, 40, [10, 200, 30, 255]).unwrap();
        let out = rotate(&l, &src, -30.0, [0, 0, 0, 0]).unwrap();
        assert_eq!(out.pixel(0, 0)[3], 0);
        let c = out.pixel(out.width / 2, out.height / 2);
        assert_eq!(c, [10, 200, 30, 255]);
        // Colour is not darkened at the anti-aliased edge (premultiplied sampling).
        for p in out.data.chunks_exact(4).filter(|p| p[3] > 8) {
            assert!(p[1].abs_diff(200) <= 2, "{p:?}");
        }
    }

    #[test]
    fn floor_matches_std() {
        for (v, want) in
            [(-2.5f32, -3), (-1.0, -1), (-0.25, -1), (0.0, 0), (0.75, 0), (1.0, 1), (3.999, 3), (8191.5, 8191)]
        {
            assert_eq!(floor_i64(v), want, "{v}");
        }
        assert!(floor_i64(1e12) >= i64::from(i32::MAX) - 1);
        assert!(floor_i64(-1e12) <= i64::from(i32::MIN));
        assert_eq!(floor_i64(f32::NAN), 0);
    }

    #[test]
    fn bad_angles_are_errors_not_panics() {
        let l = Limits::default();
        let src = noise(2, 2, 1);
        assert_eq!(rotate(&l, &src, f64::NAN, [0; 4]).unwrap_err().key(), Some("rt"));
        assert!(rotate(&l, &src, f64::INFINITY, [0; 4]).is_err());
        let tiny = rotate(&l, &noise(1, 1, 1), 33.0, [0; 4]).unwrap();
        assert!(tiny.width >= 1 && tiny.height >= 1);
        let out = rotate(&l, &src, 1e-9, [0; 4]).unwrap();
        assert_eq!((out.width, out.height), (2, 2));
    }
}
