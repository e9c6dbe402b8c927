//! 4×5 colour matrix: CPU twin of `shaders/color_matrix.wgsl`, for `e-grayscale`,
//! `e-contrast` (automatic contrast stretch) and `o` (opacity).
//!
//! Owns: [`ColorMatrix`] and its constructors, [`apply_in_place`], [`apply_color_matrix`],
//! the contrast-stretch analysis ([`contrast_stretch_matrix`]) and [`luma`]. Imports `media`,
//! `limits`, `error`, the parent's helpers, rayon.
//!
//! Per pixel, on straight alpha, for each output channel `c` (row `c` of the matrix):
//! `out[c] = round(m[c][0]·r + m[c][1]·g + m[c][2]·b + m[c][3]·a + m[c][4])`, clamped to
//! 0..=255. The offset column is in 0..=255 units. The shader takes the matrix as a uniform
//! with the same row-major layout (`#[repr(C)]`, 80 bytes).
//!
//! `e-contrast` needs a whole-image statistic: the histogram is computed on the CPU (or by a
//! reduction pass) and turned into a matrix, so the per-pixel step is the same shader.

use rayon::prelude::*;

use super::{clamp_u8, copy_frame, frame_ok, require_frame};
use crate::error::Result;
use crate::limits::Limits;
use crate::media::Frame;

/// Fraction of pixels ignored at each end of the luma histogram by [`contrast_stretch`]
/// (0.5 %), so that a few specks of pure black or white do not cancel the stretch.
pub const CONTRAST_CLIP: f64 = 0.005;

/// A 4×5 affine colour transform: row = output channel (r, g, b, a), columns = input r, g, b,
/// a and a constant offset in 0..=255 units.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColorMatrix {
    /// Row-major coefficients.
    pub m: [[f32; 5]; 4],
}

impl ColorMatrix {
    /// The identity: every pixel unchanged.
    pub const IDENTITY: ColorMatrix = ColorMatrix {
        m: [[1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0]],
    };

    /// `e-grayscale`: r = g = b = Rec. 709 luma (0.2126 R + 0.7152 G + 0.0722 B) of the
    /// encoded values; alpha unchanged.
    pub fn grayscale() -> ColorMatrix {
        let y = [0.2126, 0.7152, 0.0722, 0.0, 0.0];
        ColorMatrix { m: [y, y, y, [0.0, 0.0, 0.0, 1.0, 0.0]] }
    }

    /// `o-<0..100>` as `opacity(o / 100)`: alpha multiplied by `o`, clamped to 0..=1
    /// (NaN counts as 1, i.e. unchanged); colour unchanged.
    pub fn opacity(o: f32) -> ColorMatrix {
        let o = if o.is_nan() { 1.0 } else { o.clamp(0.0, 1.0) };
        let mut m = ColorMatrix::IDENTITY;
        m.m[3][3] = o;
        m
    }

    /// The same linear map `v ↦ scale·v + offset` on r, g and b; alpha unchanged.
    pub fn linear_rgb(scale: f32, offset: f32) -> ColorMatrix {
        let mut m = ColorMatrix::IDENTITY;
        for c in 0..3 {
            m.m[c][c] = scale;
            m.m[c][4] = offset;
        }
        m
    }

    /// The matrix that applies `self` and then `next` in one pass. (Intermediate clamping
    /// to 0..=255 is lost, as it would be in one fused shader dispatch.)
    pub fn then(&self, next: &ColorMatrix) -> ColorMatrix {
        let mut out = [[0.0f32; 5]; 4];
        for (i, row) in out.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                let mut s: f32 = (0..4).map(|k| next.m[i][k] * self.m[k][j]).sum();
                if j == 4 {
                    s += next.m[i][4];
                }
                *v = s;
            }
        }
        ColorMatrix { m: out }
    }

    /// One output pixel: the shader's whole body.
    #[inline]
    pub fn apply_px(&self, p: [u8; 4]) -> [u8; 4] {
        let v = [f32::from(p[0]), f32::from(p[1]), f32::from(p[2]), f32::from(p[3])];
        let ch = |r: &[f32; 5]| clamp_u8(r[0] * v[0] + r[1] * v[1] + r[2] * v[2] + r[3] * v[3] + r[4]);
        [ch(&self.m[0]), ch(&self.m[1]), ch(&self.m[2]), ch(&self.m[3])]
    }
}

/// Apply `m` to every pixel of `frame`, rows in parallel. The identity is skipped.
pub fn apply_in_place(frame: &mut Frame, m: &ColorMatrix) {
    if *m == ColorMatrix::IDENTITY || !frame_ok(frame) {
        return;
    }
    let stride = frame.stride();
    frame.data.par_chunks_mut(stride).for_each(|row| {
        for p in row.chunks_exact_mut(4) {
            let out = m.apply_px([p[0], p[1], p[2], p[3]]);
            p.copy_from_slice(&out);
        }
    });
}

/// Apply `m` to a copy of `src` allocated under `limits`.
pub fn apply_color_matrix(limits: &Limits, src: &Frame, m: &ColorMatrix) -> Result<Frame> {
    require_frame(src)?;
    let mut out = copy_frame(limits, src)?;
    apply_in_place(&mut out, m);
    Ok(out)
}

/// Integer Rec. 709 luma of encoded RGB: `(54 R + 183 G + 19 B + 128) >> 8` (the weights
/// 0.2126, 0.7152, 0.0722 in 1/256 steps, summing to 256, so white stays 255).
#[inline]
pub fn luma(r: u8, g: u8, b: u8) -> u8 {
    let y = (54 * u32::from(r) + 183 * u32::from(g) + 19 * u32::from(b) + 128) >> 8;
    u8::try_from(y).unwrap_or(255)
}

/// Histogram of [`luma`] over the pixels that are not fully transparent.
pub fn luma_histogram(src: &Frame) -> [u64; 256] {
    let chunk = src.stride() * 64;
    src.data
        .par_chunks(chunk.max(4))
        .fold(
            || [0u64; 256],
            |mut h, rows| {
                for p in rows.chunks_exact(4).filter(|p| p[3] != 0) {
                    h[usize::from(luma(p[0], p[1], p[2]))] += 1;
                }
                h
            },
        )
        .reduce(
            || [0u64; 256],
            |mut a, b| {
                a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                a
            },
        )
}

/// ImageKit `e-contrast`: the matrix of an automatic contrast stretch.
///
/// From the luma histogram of the N non-transparent pixels, `low` is the first level (from
/// black) where the cumulative count exceeds `floor(N ×` [`CONTRAST_CLIP`]`)`, and `high`
/// the same counted from white. r, g and b are then mapped
/// linearly (one map for all three, so hues do not shift) with `low ↦ 0`, `high ↦ 255`.
/// An image with `high ≤ low` (flat, or empty) gives the identity.
pub fn contrast_stretch_matrix(src: &Frame) -> ColorMatrix {
    let hist = luma_histogram(src);
    let total: u64 = hist.iter().sum();
    #[expect(clippy::cast_possible_truncation, reason = "floor of a non-negative product below total")]
    #[expect(clippy::cast_precision_loss, reason = "pixel counts are far below 2^52")]
    let cut = (total as f64 * CONTRAST_CLIP).floor() as u64;
    let (Some(low), Some(high)) = (clip_level(&hist, cut, 0..256), clip_level(&hist, cut, (0..256).rev())) else {
        return ColorMatrix::IDENTITY;
    };
    if high <= low {
        return ColorMatrix::IDENTITY;
    }
    let (low, high) = (u8::try_from(low).unwrap_or(0), u8::try_from(high).unwrap_or(255));
    let scale = 255.0 / f32::from(high - low);
    ColorMatrix::linear_rgb(scale, -f32::from(low) * scale)
}

/// The first level, walking `levels` in order, where the running count exceeds `cut`.
fn clip_level(hist: &[u64; 256], cut: u64, levels: impl Iterator<Item = usize>) -> Option<usize> {
    let mut acc = 0;
    for i in levels {
        acc += hist[i];
        if acc > cut {
            return Some(i);
        }
    }
    None
}

/// `e-contrast` in place: [`contrast_stretch_matrix`] then [`apply_in_place`].
pub fn contrast_stretch(frame: &mut Frame) {
    let m = contrast_stretch_matrix(frame);
    apply_in_place(frame, &m);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::cpu::kernels::tests::noise;

    #[test]
    fn grayscale_has_equal_channels_and_keeps_alpha() {
        let l = Limits::default();
        let mut f = noise(31, 7, 4);
        f.data[3] = 17;
        apply_in_place(&mut f, &ColorMatrix::grayscale());
        for p in f.data.chunks_exact(4) {
            assert!(p[0] == p[1] && p[1] == p[2], "{p:?}");
        }
        assert_eq!(f.data[3], 17);
        let g = apply_color_matrix(&l, &Frame::filled(&l, 1, 1, [0, 255, 0, 255]).unwrap(), &ColorMatrix::grayscale());
        assert_eq!(g.unwrap().pixel(0, 0), [182, 182, 182, 255], "0.7152 × 255 = 182.4");
    }

    #[test]
    fn identity_and_opacity() {
        let src = noise(9, 9, 2);
        let mut f = src.clone();
        apply_in_place(&mut f, &ColorMatrix::linear_rgb(1.0, 0.0));
        assert_eq!(f, src);
        apply_in_place(&mut f, &ColorMatrix::opacity(0.5));
        assert_eq!(f.pixel(3, 3), [src.pixel(3, 3)[0], src.pixel(3, 3)[1], src.pixel(3, 3)[2], 128]);
        assert_eq!(ColorMatrix::opacity(f32::NAN), ColorMatrix::IDENTITY);
        assert_eq!(ColorMatrix::opacity(7.0), ColorMatrix::IDENTITY);
    }

    #[test]
    fn composition_matches_sequential_application() {
        let a = ColorMatrix::linear_rgb(0.5, 20.0);
        let b = ColorMatrix::grayscale().then(&ColorMatrix::opacity(0.25));
        let both = a.then(&b);
        for p in [[0, 0, 0, 255], [200, 100, 50, 200], [255, 255, 255, 4]] {
            let seq = b.apply_px(a.apply_px(p));
            let fused = both.apply_px(p);
            for c in 0..4 {
                assert!(seq[c].abs_diff(fused[c]) <= 1, "{p:?}: {seq:?} vs {fused:?}");
            }
        }
    }

    #[test]
    fn contrast_stretch_of_a_ramp_reaches_full_range() {
        let l = Limits::default();
        let mut f = Frame::filled(&l, 151, 10, [0, 0, 0, 255]).unwrap();
        for (i, p) in f.data.chunks_exact_mut(4).enumerate() {
            let v = 50 + u8::try_from(i % 151).unwrap();
            p[..3].copy_from_slice(&[v, v, v]);
        }
        contrast_stretch(&mut f);
        let min = f.data.chunks_exact(4).map(|p| p[0]).min().unwrap();
        let max = f.data.chunks_exact(4).map(|p| p[0]).max().unwrap();
        assert!(min <= 2 && max >= 253, "{min}..{max}");
        let mid = f.pixel(75, 0)[0];
        assert!((127..=128).contains(&mid), "the midpoint 125 maps to the middle, got {mid}");
    }

    #[test]
    fn contrast_clips_outliers_and_leaves_flat_images() {
        let l = Limits::default();
        let mut f = Frame::filled(&l, 100, 100, [100, 100, 100, 255]).unwrap();
        f.data[..4].copy_from_slice(&[0, 0, 0, 255]);
        f.data[4..8].copy_from_slice(&[255, 255, 255, 255]);
        assert_eq!(contrast_stretch_matrix(&f), ColorMatrix::IDENTITY, "two outliers are ignored");
        let empty = Frame::filled(&l, 3, 3, [0, 0, 0, 0]).unwrap();
        assert_eq!(contrast_stretch_matrix(&empty), ColorMatrix::IDENTITY);
    }
}
