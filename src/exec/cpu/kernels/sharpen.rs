//! Unsharp mask: CPU twin of `shaders/sharpen.wgsl`, for ImageKit `e-usm-…` and `e-sharpen[-n]`.
//!
//! Owns: [`unsharp_mask`], [`sharpen`] and their parameter mapping. Imports `media`,
//! `limits`, `error`, the sibling [`blur`](super::blur) kernel, rayon.
//!
//! The shader runs after the blur kernel (same weights) and combines, per pixel and per colour
//! channel, the source `s` and the blurred `b` with ImageMagick's `UnsharpMaskImage` rule:
//!
//! ```text
//! d = s − b
//! out = s                 if |2·d| < threshold · 255
//!       s + amount · d    otherwise
//! ```
//!
//! Alpha is passed through from the source: sharpening a mask would draw halos around it.

use rayon::prelude::*;

use super::blur::{gaussian_blur_with_radius, kernel_radius, MAX_RADIUS, MAX_SIGMA};
use super::{clamp_u8, copy_frame, require_frame};
use crate::error::Result;
use crate::limits::Limits;
use crate::media::Frame;

/// Largest `amount` honoured; larger values are clamped (at 100 every step of 1 in the
/// source already becomes a jump of 100 in the output).
pub const MAX_AMOUNT: f32 = 100.0;

/// `e-sharpen` without a number: strength 1, which is what the rewriter emits for
/// Cloudinary's bare `e_sharpen` (its default strength 100 divided by 100).
pub const DEFAULT_SHARPEN_STRENGTH: f32 = 1.0;

/// Sigma used by [`sharpen`]: fine detail (a 7-tap kernel).
pub const SHARPEN_SIGMA: f32 = 1.0;

/// Uniform parameters of `sharpen.wgsl` (binding 0); binding 1 is the source, 2 the
/// blurred frame, 3 the destination.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsmParams {
    /// Frame width in pixels.
    pub width: u32,
    /// Frame height in pixels.
    pub height: u32,
    /// Gain applied to `source − blurred`.
    pub amount: f32,
    /// `threshold × 255`: differences with `|2·d|` below it are left alone.
    pub threshold_255: f32,
}

/// ImageMagick `-unsharp {radius}x{sigma}+{amount}+{threshold}` (ImageKit
/// `e-usm-<radius>-<sigma>-<amount>-<threshold>`).
///
/// * `radius` 0 ⇒ derived from sigma as `ceil(3σ)` (ImageMagick convention); otherwise
///   rounded up to whole pixels and capped at [`MAX_RADIUS`].
/// * `sigma` 0 with a positive radius ⇒ `σ = radius / 2` (the same radius ≈ 2σ convention as
///   [`sigma_for_radius`](super::blur::sigma_for_radius)); capped at [`MAX_SIGMA`].
/// * `amount` is clamped to `0..=`[`MAX_AMOUNT`]; `threshold` to `0..=1` (a fraction of the
///   full range; see the module doc for ImageMagick's factor 2).
///
/// NaN, infinite or negative values count as 0 (∞ radius or sigma as the cap). When the
/// result would be the identity (amount 0, or radius and sigma both 0) a copy is returned.
pub fn unsharp_mask(
    limits: &Limits,
    src: &Frame,
    radius: f32,
    sigma: f32,
    amount: f32,
    threshold: f32,
) -> Result<Frame> {
    require_frame(src)?;
    let non_neg = |v: f32, cap: f32| if v.is_nan() { 0.0 } else { v.clamp(0.0, cap) };
    #[expect(clippy::cast_precision_loss, reason = "MAX_RADIUS is 300")]
    let radius = non_neg(radius, MAX_RADIUS as f32).ceil();
    let mut sigma = non_neg(sigma, MAX_SIGMA);
    if sigma == 0.0 {
        sigma = radius / 2.0;
    }
    let radius = if radius == 0.0 {
        kernel_radius(sigma)
    } else {
        #[expect(clippy::cast_possible_truncation, reason = "radius is a whole number in 0..=300")]
        let r = radius as u32;
        r
    };
    let amount = non_neg(amount, MAX_AMOUNT);
    let params =
        UsmParams { width: src.width, height: src.height, amount, threshold_255: non_neg(threshold, 1.0) * 255.0 };
    if amount == 0.0 || sigma == 0.0 || radius == 0 {
        return copy_frame(limits, src);
    }
    let mut out = gaussian_blur_with_radius(limits, src, sigma, radius)?;
    let stride = src.stride();
    out.data.par_chunks_mut(stride).zip(src.data.par_chunks(stride)).for_each(|(blurred, source)| {
        for (b, s) in blurred.chunks_exact_mut(4).zip(source.chunks_exact(4)) {
            let px = usm_px(&params, [s[0], s[1], s[2], s[3]], [b[0], b[1], b[2], b[3]]);
            b.copy_from_slice(&px);
        }
    });
    Ok(out)
}

/// One output pixel of the unsharp mask: source `s`, blurred `b`.
#[inline]
fn usm_px(p: &UsmParams, s: [u8; 4], b: [u8; 4]) -> [u8; 4] {
    let mut out = s;
    for c in 0..3 {
        let (sv, d) = (f32::from(s[c]), f32::from(s[c]) - f32::from(b[c]));
        if (2.0 * d).abs() >= p.threshold_255 {
            out[c] = clamp_u8(sv + p.amount * d);
        }
    }
    out
}

/// ImageKit `e-sharpen[-n]`: an unsharp mask with σ = [`SHARPEN_SIGMA`] (radius derived),
/// amount = `n` clamped to `0..=100` (the SDK's range), threshold 0. Bare `e-sharpen` is
/// [`DEFAULT_SHARPEN_STRENGTH`].
///
/// Why amount = n: the rewriter maps Cloudinary `e_sharpen:<s>` (1–2000, default 100) to
/// `e-sharpen-<s/100>`, so n = 1 must be Cloudinary's default, a moderate sharpening, which is
/// what a fine (σ = 1) unsharp mask at amount 1 gives; n grows the effect linearly.
pub fn sharpen(limits: &Limits, src: &Frame, strength: f32) -> Result<Frame> {
    let amount = if strength.is_nan() { 0.0 } else { strength.clamp(0.0, 100.0) };
    unsharp_mask(limits, src, 0.0, SHARPEN_SIGMA, amount, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::cpu::kernels::tests::noise;

    fn variance(f: &Frame) -> f64 {
        let n = f64::from(f.width * f.height);
        let m = f.data.chunks_exact(4).map(|p| f64::from(p[1])).sum::<f64>() / n;
        f.data.chunks_exact(4).map(|p| (f64::from(p[1]) - m).powi(2)).sum::<f64>() / n
    }

    #[test]
    fn constant_image_is_unchanged() {
        let l = Limits::default();
        let src = Frame::filled(&l, 17, 9, [40, 90, 200, 255]).unwrap();
        assert_eq!(unsharp_mask(&l, &src, 0.0, 2.0, 5.0, 0.0).unwrap(), src);
        assert_eq!(sharpen(&l, &src, DEFAULT_SHARPEN_STRENGTH).unwrap(), src);
    }

    #[test]
    fn edge_gets_overshoot_on_both_sides() {
        let l = Limits::default();
        let mut src = Frame::filled(&l, 20, 3, [100, 100, 100, 255]).unwrap();
        for (i, p) in src.data.chunks_exact_mut(4).enumerate() {
            if i % 20 >= 10 {
                p[..3].copy_from_slice(&[150, 150, 150]);
            }
        }
        let out = unsharp_mask(&l, &src, 0.0, 1.0, 1.0, 0.0).unwrap();
        assert!(out.pixel(9, 1)[0] < 100, "dark side darker: {:?}", out.pixel(9, 1));
        assert!(out.pixel(10, 1)[0] > 150, "bright side brighter: {:?}", out.pixel(10, 1));
        assert_eq!(out.pixel(0, 1), [100, 100, 100, 255], "far from the edge nothing changes");
        assert_eq!(out.pixel(9, 1)[3], 255);
    }

    #[test]
    fn sharpen_increases_contrast_and_threshold_suppresses_it() {
        let l = Limits::default();
        let src = noise(40, 30, 5);
        let sharp = sharpen(&l, &src, 1.0).unwrap();
        assert!(variance(&sharp) > variance(&src) * 1.2);
        // Low-contrast noise (100..=150): |d| ≤ 50, so |2·d| < 0.5 × 255 everywhere.
        let mut soft = src.clone();
        for p in soft.data.chunks_exact_mut(4) {
            for c in &mut p[..3] {
                *c = 100 + *c / 6;
            }
        }
        assert_eq!(unsharp_mask(&l, &soft, 0.0, 2.0, 3.0, 0.5).unwrap(), soft);
        assert_ne!(unsharp_mask(&l, &soft, 0.0, 2.0, 3.0, 0.05).unwrap(), soft);
        assert_eq!(unsharp_mask(&l, &src, 0.0, 2.0, 0.0, 0.0).unwrap(), src);
    }

    #[test]
    fn radius_zero_derives_from_sigma() {
        let l = Limits::default();
        let src = noise(25, 25, 9);
        let derived = unsharp_mask(&l, &src, 0.0, 2.0, 0.8, 0.024).unwrap();
        let explicit = unsharp_mask(&l, &src, 6.0, 2.0, 0.8, 0.024).unwrap();
        assert_eq!(derived, explicit);
        // sigma 0 with a radius: σ = radius / 2.
        let from_radius = unsharp_mask(&l, &src, 4.0, 0.0, 0.8, 0.0).unwrap();
        assert_eq!(from_radius, unsharp_mask(&l, &src, 4.0, 2.0, 0.8, 0.0).unwrap());
    }

    #[test]
    fn degenerate_parameters_do_not_panic() {
        let l = Limits::default();
        let src = noise(5, 4, 2);
        for v in [f32::NAN, f32::INFINITY, -3.0, 0.0, 1e30] {
            let _ = unsharp_mask(&l, &src, v, v, v, v).unwrap();
            let _ = unsharp_mask(&l, &src, 0.0, 1.0, v, 0.0).unwrap();
            let _ = sharpen(&l, &src, v).unwrap();
        }
        assert_eq!(unsharp_mask(&l, &src, 0.0, 0.0, 1.0, 0.0).unwrap(), src);
    }
}
