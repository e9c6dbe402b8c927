//! CPU pixel kernels: the reference twins of the WGSL compute shaders in `shaders/`, and the
//! production CPU path for every step except resize (production resizing is
//! `exec::cpu::resize`, on fast_image_resize; [`resize`] here is only the reference twin of
//! `resize_h.wgsl` + `resize_v.wgsl`).
//!
//! Owns: one file per kernel below, plus the helpers they share: the [`Rgba`] colour type,
//! premultiply / unpremultiply of rows, rounding and clamping to `u8`, and [`try_alloc_vec`]
//! for typed scratch buffers.
//!
//! May import, in-crate: `media` (the [`Frame`]), `limits`, `error`,
//! and for the resize twin `plan::Filter` and `exec::weights`; outside: rayon. Never wgpu,
//! tokio or tonic.
//!
//! # How to read a kernel next to its shader
//!
//! Every kernel is written as "for each output pixel, a pure function of the inputs and a
//! small `#[repr(C)]` parameter struct", because that is what a compute shader invocation is.
//! Rows are distributed over the rayon pool with `par_chunks_mut(stride)`, so one rayon task
//! plays the part of one row of invocations. Where the CPU version reorders loops for speed
//! (the blur passes work on blocks of a row, tap by tap or with sums held in registers;
//! rotation walks tiles) the comment says so; the value computed for each pixel is the same
//! expression, with taps summed in the same order.
//!
//! Pixel conventions: frames are RGBA8 with straight alpha. Kernels that filter (blur,
//! rotate, resample) work on premultiplied alpha in `f32` on a 0..=255 scale, so that
//! transparent pixels do not bleed their meaningless colour into their neighbours.

use crate::error::{Error, ErrorKind, Result};
use crate::limits::{try_alloc, Limits};
use crate::media::Frame;

pub mod arc;
pub mod blend;
pub mod blur;
pub mod blurred_background;
pub mod border;
pub mod color_matrix;
pub mod composite;
pub mod dominant;
pub mod flip;
pub mod gradient;
pub mod palette_gradient;
pub mod perspective;
pub mod resize;
pub mod rotate;
pub mod round_corners;
pub mod shadow;
pub mod sharpen;
pub mod trim;

/// One straight-alpha RGBA8 colour, `[r, g, b, a]`.
pub type Rgba = [u8; 4];

/// Round and clamp a value on the 0..=255 scale to `u8`; NaN becomes 0.
#[inline]
pub fn clamp_u8(v: f32) -> u8 {
    // `as` from float to integer saturates (below 0 ⇒ 0, above 255 ⇒ 255) and maps NaN to 0,
    // which is exactly the clamp we want, in the fewest instructions.
    #[expect(clippy::cast_possible_truncation, reason = "saturating cast is the clamp")]
    let out = (v + 0.5) as u8;
    out
}

/// Round and clamp an integer to `u8`.
#[inline]
pub fn clamp_i32_u8(v: i32) -> u8 {
    u8::try_from(v.clamp(0, 255)).unwrap_or(u8::MAX)
}

/// `round(t / 255)` for `t` in 0..=65025 (255 × 255), exact (the classic
/// `(t + 128 + ((t + 128) >> 8)) >> 8` trick).
#[inline]
pub fn div255(t: u32) -> u8 {
    let t = t.min(65025) + 128;
    #[expect(clippy::cast_possible_truncation, reason = "(t + t>>8) >> 8 ≤ 255 for t ≤ 65153")]
    let out = ((t + (t >> 8)) >> 8) as u8;
    out
}

/// `round(a * b / 255)` for `a, b` in 0..=255, exact for all inputs.
#[inline]
pub fn mul_div255(a: u8, b: u8) -> u8 {
    div255(u32::from(a) * u32::from(b))
}

/// Premultiply one straight-alpha pixel into `f32` on a 0..=255 scale.
#[inline]
pub fn premultiply_px(p: [u8; 4]) -> [f32; 4] {
    let a = f32::from(p[3]);
    let k = a / 255.0;
    [f32::from(p[0]) * k, f32::from(p[1]) * k, f32::from(p[2]) * k, a]
}

/// Turn a premultiplied `f32` pixel (0..=255 scale) back into straight RGBA8.
/// A pixel whose alpha rounds to 0 becomes `[0, 0, 0, 0]`.
#[inline]
pub fn unpremultiply_px(p: [f32; 4]) -> [u8; 4] {
    let a = clamp_u8(p[3]);
    if a == 0 {
        return [0, 0, 0, 0];
    }
    if a == 255 {
        return [clamp_u8(p[0]), clamp_u8(p[1]), clamp_u8(p[2]), 255];
    }
    // Divide by the unrounded alpha so that a constant colour survives a filter exactly.
    let k = 255.0 / p[3];
    [clamp_u8(p[0] * k), clamp_u8(p[1] * k), clamp_u8(p[2] * k), a]
}

/// Bilinear sample of `src` at (`sx`, `sy`) in texel space (texel centres at whole numbers),
/// premultiplied `f32` on a 0..=255 scale; texels outside the frame are transparent, which
/// gives resampled shapes a ~1 px anti-aliased edge. The expression of `rotate_px`, written
/// the same way in `perspective.wgsl` and `arc.wgsl` (their `texel` + `sample`); NaN or far
/// coordinates are transparent.
#[inline]
pub fn sample_bilinear(src: &Frame, sx: f32, sy: f32) -> [f32; 4] {
    let (w, h) = (i64::from(src.width), i64::from(src.height));
    let (fx0, fy0) = (sx.floor(), sy.floor());
    if !(fx0 >= -2.0 && fy0 >= -2.0) || fx0 > w as f32 + 1.0 || fy0 > h as f32 + 1.0 {
        return [0.0; 4];
    }
    let (fx, fy) = (sx - fx0, sy - fy0);
    #[expect(clippy::cast_possible_truncation, reason = "checked to lie within -2..=size+1 above")]
    let (x0, y0) = (fx0 as i64, fy0 as i64);
    let texel = |x: i64, y: i64| {
        if (0..w).contains(&x) && (0..h).contains(&y) {
            premultiply_px(src.pixel(u32::try_from(x).unwrap_or(0), u32::try_from(y).unwrap_or(0)))
        } else {
            [0.0; 4]
        }
    };
    let taps = [
        (texel(x0, y0), (1.0 - fx) * (1.0 - fy)),
        (texel(x0 + 1, y0), fx * (1.0 - fy)),
        (texel(x0, y0 + 1), (1.0 - fx) * fy),
        (texel(x0 + 1, y0 + 1), fx * fy),
    ];
    let mut acc = [0.0f32; 4];
    for (t, wt) in taps {
        for (a, v) in acc.iter_mut().zip(t) {
            *a += wt * v;
        }
    }
    acc
}

/// Premultiply a row of straight RGBA8 into `f32` (0..=255 scale); `dst.len() == src.len()`.
pub fn premultiply_row_f32(src: &[u8], dst: &mut [f32]) {
    for (s, d) in src.chunks_exact(4).zip(dst.chunks_exact_mut(4)) {
        d.copy_from_slice(&premultiply_px([s[0], s[1], s[2], s[3]]));
    }
}

/// Premultiply a row of RGBA8 in place (8-bit result, so low alphas lose colour precision:
/// prefer [`premultiply_row_f32`] before filtering).
pub fn premultiply_row(row: &mut [u8]) {
    for p in row.chunks_exact_mut(4) {
        let a = p[3];
        if a != 255 {
            p[0] = mul_div255(p[0], a);
            p[1] = mul_div255(p[1], a);
            p[2] = mul_div255(p[2], a);
        }
    }
}

/// Undo [`premultiply_row`] in place: colour channels become `round(c * 255 / a)`.
pub fn unpremultiply_row(row: &mut [u8]) {
    for p in row.chunks_exact_mut(4) {
        let a = u32::from(p[3]);
        if a == 0 {
            p[..3].fill(0);
        } else if a != 255 {
            for c in &mut p[..3] {
                let v = (u32::from(*c) * 255 + a / 2) / a;
                *c = u8::try_from(v.min(255)).unwrap_or(255);
            }
        }
    }
}

/// Allocate a `Vec<T>` of `len` copies of `fill`, checked against `limits.max_alloc` (in
/// bytes) and reporting allocation failure as an error: the typed sibling of
/// [`crate::limits::try_alloc`], for `f32` / `u16` scratch planes.
pub fn try_alloc_vec<T: Copy>(limits: &Limits, len: usize, fill: T) -> Result<Vec<T>> {
    let bytes = (len as u64).saturating_mul(std::mem::size_of::<T>() as u64);
    if bytes > limits.max_alloc {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!("scratch buffer of {bytes} bytes over the limit of {}", limits.max_alloc),
        ));
    }
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|e| Error::new(ErrorKind::TooLarge, format!("cannot allocate {bytes} bytes: {e}")))?;
    v.resize(len, fill);
    Ok(v)
}

/// True when `f` is a usable frame: both sides non-zero and `data` exactly
/// `width × height × 4` bytes. [`Frame`]'s fields are public, so kernels check instead of
/// trusting: in-place kernels leave an unusable frame alone, the others return
/// [`require_frame`]'s error. Either way nothing panics.
pub fn frame_ok(f: &Frame) -> bool {
    let len = u64::from(f.width) * u64::from(f.height) * 4;
    f.width != 0 && f.height != 0 && f.data.len() as u64 == len
}

/// [`frame_ok`] as an internal error (a zero-sized or inconsistent frame is a bug upstream,
/// never the client's fault).
pub fn require_frame(f: &Frame) -> Result<()> {
    if frame_ok(f) {
        Ok(())
    } else {
        Err(Error::internal(format!("unusable {}x{} frame with {} bytes", f.width, f.height, f.data.len())))
    }
}

/// A copy of `src` whose buffer is allocated under `limits` (used where a kernel's
/// parameters make it the identity, e.g. a blur of sigma 0).
pub fn copy_frame(limits: &Limits, src: &Frame) -> Result<Frame> {
    let mut data = try_alloc(limits, src.data.len() as u64)?;
    data.copy_from_slice(&src.data);
    Ok(Frame { width: src.width, height: src.height, data })
}

/// A `width` × `height` frame of zeroes (transparent black), allocated under `limits`;
/// the sizes are checked for overflow.
pub fn blank_frame(limits: &Limits, width: u32, height: u32) -> Result<Frame> {
    let len = u64::from(width) * u64::from(height) * 4;
    Ok(Frame { width, height, data: try_alloc(limits, len)? })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A deterministic, noisy opaque test image.
    pub(crate) fn noise(w: u32, h: u32, seed: u32) -> Frame {
        let mut s = seed.wrapping_mul(2_654_435_761).max(1);
        let mut data = Vec::with_capacity((w * h * 4) as usize);
        for _ in 0..w * h {
            for _ in 0..3 {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                data.push((s >> 24) as u8);
            }
            data.push(255);
        }
        Frame::from_rgba(w, h, data).unwrap()
    }

    #[test]
    fn mul_div255_is_exact_rounding() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let want = (f64::from(a) * f64::from(b) / 255.0).round();
                assert_eq!(f64::from(mul_div255(a, b)), want, "{a}*{b}");
            }
        }
    }

    #[test]
    fn premultiply_round_trip_keeps_opaque_and_zeroes_transparent() {
        let mut row = [10, 20, 30, 255, 200, 100, 50, 0, 200, 100, 50, 128];
        premultiply_row(&mut row);
        assert_eq!(&row[..8], &[10, 20, 30, 255, 0, 0, 0, 0]);
        assert_eq!(&row[8..], &[100, 50, 25, 128]);
        unpremultiply_row(&mut row);
        assert_eq!(&row[8..], &[199, 100, 50, 128]);
    }

    #[test]
    fn f32_premultiply_round_trip_is_exact() {
        for a in 1..=255u8 {
            for c in [0u8, 1, 77, 128, 254, 255] {
                let p = premultiply_px([c, c, c, a]);
                assert_eq!(unpremultiply_px(p), [c, c, c, a]);
            }
        }
        assert_eq!(clamp_u8(f32::NAN), 0);
        assert_eq!(clamp_u8(1e9), 255);
    }

    /// Every kernel once on a real photo: sizes, no panics, and the few
    /// properties that hold for any image.
    #[test]
    fn real_photo_smoke() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/media/photos/LadyBird.jpg");
        let img = image::open(path).expect("media/photos/LadyBird.jpg").to_rgba8();
        let full = Frame::from_rgba(img.width(), img.height(), img.into_raw()).unwrap();
        let l = Limits::default();
        // The middle 800×500 (the ladybird, grass, flowers): real content, and small enough
        // for the unoptimised test profile.
        let (w, h) = (800, 500);
        let src = composite::crop(&l, &full, (full.width - w) / 2, (full.height - h) / 2, w, h).unwrap();
        let mean = |f: &Frame| f.data.iter().map(|&v| f64::from(v)).sum::<f64>() / f.data.len() as f64;

        let blurred = blur::gaussian_blur(&l, &src, 5.0).unwrap();
        assert_eq!((blurred.width, blurred.height), (w, h));
        assert!((mean(&blurred) - mean(&src)).abs() < 1.0);
        let sharp = sharpen::sharpen(&l, &src, sharpen::DEFAULT_SHARPEN_STRENGTH).unwrap();
        assert!((mean(&sharp) - mean(&src)).abs() < 1.0);
        let rotated = rotate::rotate(&l, &src, 30.0, [255, 255, 255, 255]).unwrap();
        let (bw, bh) = rotate::rotated_size(w, h, 30.0);
        assert_eq!((f64::from(rotated.width), f64::from(rotated.height)), (bw, bh));
        assert_eq!(rotated.pixel(0, 0), [255, 255, 255, 255]);
        let mut gray = src.clone();
        color_matrix::apply_in_place(&mut gray, &color_matrix::ColorMatrix::grayscale());
        color_matrix::contrast_stretch(&mut gray);
        assert!(gray.data.chunks_exact(4).all(|p| p[0] == p[1] && p[1] == p[2]));
        let mut rounded = src.clone();
        round_corners::round_corners(&mut rounded, round_corners::Radii::Max, None);
        assert_eq!(rounded.pixel(0, 0)[3], 0);
        assert_eq!(rounded.pixel(w / 2, h / 2), src.pixel(w / 2, h / 2));
        let bg = blurred_background::blurred_background(&l, &src, 600, 600, None, -40).unwrap();
        assert_eq!((bg.width, bg.height), (600, 600));
        let d = dominant::dominant_color(&src);
        assert_eq!(d[3], 255);
        assert!(trim::trim_bounds(&src, trim::trim_threshold(None)).is_some());
    }

    /// Zero-sized and inconsistent frames: every kernel returns an error or does nothing.
    #[test]
    fn unusable_frames_never_panic() {
        let l = Limits::default();
        let bad = [
            Frame { width: 0, height: 0, data: vec![] },
            Frame { width: 0, height: 3, data: vec![] },
            Frame { width: 3, height: 2, data: vec![0; 7] },
        ];
        let good = Frame::filled(&l, 2, 2, [1, 2, 3, 4]).unwrap();
        for f in &bad {
            assert!(blur::gaussian_blur(&l, f, 2.0).is_err());
            assert!(sharpen::unsharp_mask(&l, f, 0.0, 1.0, 1.0, 0.0).is_err());
            assert!(sharpen::sharpen(&l, f, 0.0).is_err());
            assert!(rotate::rotate_quarter(&l, f, 1).is_err());
            assert!(rotate::rotate(&l, f, 30.0, [0; 4]).is_err());
            assert!(composite::crop(&l, f, 0, 0, 1, 1).is_err());
            assert!(composite::pad(&l, f, 4, 4, 0, 0, [0; 4]).is_ok());
            assert!(border::border(&l, f, 2, [0; 4]).is_err());
            assert!(blurred_background::blurred_background(&l, f, 4, 4, None, 0).is_err());
            assert!(color_matrix::apply_color_matrix(&l, f, &color_matrix::ColorMatrix::grayscale()).is_err());
            assert_eq!(trim::trim_bounds(f, 10), None);
            let _ = dominant::dominant_color(f);
            let _ = color_matrix::contrast_stretch_matrix(f);
            let mut m = f.clone();
            flip::flip(&mut m, true, true);
            color_matrix::apply_in_place(&mut m, &color_matrix::ColorMatrix::grayscale());
            color_matrix::contrast_stretch(&mut m);
            composite::flatten(&mut m, [0; 4]);
            round_corners::round_corners(&mut m, round_corners::Radii::Max, Some([0; 4]));
            composite::overlay(&mut m, &good, 0, 0, 1.0);
            assert_eq!(&m, f, "in-place kernels leave an unusable frame alone");
            let mut g = good.clone();
            composite::overlay(&mut g, f, 0, 0, 1.0);
            assert_eq!(g, good);
        }
    }

    #[test]
    fn scratch_alloc_respects_limits() {
        let l = Limits { max_alloc: 16, ..Limits::default() };
        assert!(try_alloc_vec(&l, 4, 0f32).is_ok());
        assert!(try_alloc_vec(&l, 5, 0f32).is_err());
    }
}
