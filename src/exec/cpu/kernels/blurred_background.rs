//! Blurred background for ImageKit `bg-blurred[_<intensity>][_<brightness>]` with
//! `cm-pad_resize`: the canvas-sized backdrop the fitted image is composited onto.
//!
//! Owns: [`blurred_background`], [`background_sigma`] and a small separable tent-filter
//! resampler ([`resample`]) that is only good enough for something about to be blurred (real
//! resizing is `exec::cpu::resize`). Imports `media`, `limits`, `error`, the sibling
//! [`blur`](super::blur) kernel, the parent's helpers, rayon.
//!
//! Steps: (1) the source is scaled to *cover* the canvas (scale `max(cw/w, ch/h)`, centred,
//! overflow cut), (2) blurred with σ from [`background_sigma`], (3) brightness added to r, g,
//! b. Blurring a large σ at full resolution would cost `O(σ)` per pixel, so (1)+(2) run on a
//! working grid reduced by an integer factor `f = max(1, floor(σ / 4))` (σ on that grid is
//! 4–8 px), and the result is scaled back up bilinearly: a σ ≥ 4 Gaussian has no detail that
//! the reduction or the bilinear upscale could lose.

use rayon::prelude::*;

use super::blur::gaussian_blur;
use super::{blank_frame, clamp_i32_u8, require_frame, try_alloc_vec, unpremultiply_px};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::media::Frame;

/// The intensity used for `bg-blurred` without a number ("auto"): 5, the value the rewriter
/// gives Cloudinary's default `b_blurred` (intensity 100 / 20).
pub const AUTO_INTENSITY: u32 = 5;

/// σ in canvas pixels for an intensity 0..=100 (larger values are clamped to 100; `None` =
/// auto = [`AUTO_INTENSITY`]): `σ = max(canvas_w, canvas_h) × intensity / 200`.
///
/// The blur is relative to the canvas so that a thumbnail and a full-size banner with the
/// same URL look alike: auto gives σ = 1/40 of the longer side (20 px on an 800 px canvas, a
/// clearly out-of-focus backdrop), 100 gives half the side, which leaves little more than
/// the average colour. Intensity 0 is no blur.
pub fn background_sigma(canvas_w: u32, canvas_h: u32, intensity: Option<u32>) -> f32 {
    let i = intensity.map_or(AUTO_INTENSITY, |i| i.min(100));
    #[expect(clippy::cast_possible_truncation, reason = "σ ≤ 2^31 fits f32's range; f32 is the blur's type")]
    let sigma = (f64::from(canvas_w.max(canvas_h)) * f64::from(i) / 200.0) as f32;
    sigma
}

/// The backdrop for `bg-blurred`: `src` scaled to cover `canvas_w` × `canvas_h`, blurred by
/// [`background_sigma`]`(canvas_w, canvas_h, intensity)`, then `brightness` (clamped to
/// −255..=255) added to r, g and b. Alpha follows the source. A zero canvas side is an error.
pub fn blurred_background(
    limits: &Limits,
    src: &Frame,
    canvas_w: u32,
    canvas_h: u32,
    intensity: Option<u32>,
    brightness: i32,
) -> Result<Frame> {
    let sigma = background_sigma(canvas_w, canvas_h, intensity);
    blurred_background_sigma(limits, src, canvas_w, canvas_h, sigma, brightness)
}

/// [`blurred_background`] with the blur given directly as σ in canvas pixels (for a planner
/// that has already resolved the intensity). σ ≤ 0 or NaN is no blur; any larger σ costs the
/// same, because the working grid shrinks with it (down to 1×1: the average colour).
pub fn blurred_background_sigma(
    limits: &Limits,
    src: &Frame,
    canvas_w: u32,
    canvas_h: u32,
    sigma: f32,
    brightness: i32,
) -> Result<Frame> {
    require_frame(src)?;
    if canvas_w == 0 || canvas_h == 0 {
        return Err(Error::invalid("bg", format!("{canvas_w}x{canvas_h}"), "canvas would be empty"));
    }
    let sigma = if sigma.is_nan() { 0.0 } else { sigma.clamp(0.0, 1e9) };
    #[expect(clippy::cast_possible_truncation, reason = "floor of a positive f32, saturating cast")]
    let f = ((sigma / 4.0).floor() as u32).max(1);
    let (ww, wh) = (canvas_w.div_ceil(f), canvas_h.div_ceil(f));

    // Cover: canvas px per source px, and the source rectangle the canvas shows.
    let (sw, sh) = (f64::from(src.width), f64::from(src.height));
    let (cw, ch) = (f64::from(canvas_w), f64::from(canvas_h));
    let s = (cw / sw).max(ch / sh);
    let (win_w, win_h) = (cw / s, ch / s);
    let work = resample(
        limits,
        src,
        ww,
        wh,
        [win_w / f64::from(ww), win_h / f64::from(wh)],
        [(sw - win_w) / 2.0, (sh - win_h) / 2.0],
    )?;
    #[expect(clippy::cast_precision_loss, reason = "f is small")]
    let work = gaussian_blur(limits, &work, sigma / f as f32)?;
    let mut out = if (ww, wh) == (canvas_w, canvas_h) {
        work
    } else {
        resample(limits, &work, canvas_w, canvas_h, [f64::from(ww) / cw, f64::from(wh) / ch], [0.0, 0.0])?
    };
    let b = brightness.clamp(-255, 255);
    if b != 0 {
        let stride = out.stride();
        out.data.par_chunks_mut(stride).for_each(|row| {
            for p in row.chunks_exact_mut(4) {
                for c in &mut p[..3] {
                    *c = clamp_i32_u8(i32::from(*c) + b);
                }
            }
        });
    }
    Ok(out)
}

/// Gather table of one axis: output `i` is `Σ_t w[i·taps + t] · in[idx[i·taps + t]]`
/// (indices already clamped to the edge, weights normalised), as a `resize_h.wgsl`-style
/// shader would take it.
struct Axis {
    taps: usize,
    idx: Vec<usize>,
    w: Vec<f32>,
}

/// Tent-filter weights for `out_len` outputs covering source `[offset, offset + out_len·scale)`
/// of an axis `src_len` long; the tent's half-width is `max(scale, 1)` source pixels
/// (bilinear when enlarging, area-like when reducing).
fn axis(limits: &Limits, src_len: u32, out_len: u32, scale: f64, offset: f64) -> Result<Axis> {
    let support = scale.max(1.0);
    #[expect(clippy::cast_possible_truncation, reason = "support ≤ source length, which fits usize")]
    let taps = (2.0 * support).ceil() as usize + 1;
    let len = out_len as usize * taps;
    let (mut idx, mut w) = (try_alloc_vec(limits, len, 0usize)?, try_alloc_vec(limits, len, 0f32)?);
    let last = i64::from(src_len) - 1;
    for i in 0..out_len as usize {
        #[expect(clippy::cast_precision_loss, reason = "indices are far below 2^52")]
        let centre = offset + (i as f64 + 0.5) * scale;
        #[expect(clippy::cast_possible_truncation, reason = "coordinates are within ±2^33")]
        let first = (centre - support - 0.5).floor() as i64 + 1;
        let (row_i, row_w) = (&mut idx[i * taps..(i + 1) * taps], &mut w[i * taps..(i + 1) * taps]);
        let mut sum = 0.0;
        for t in 0..taps {
            let j = first + i64::try_from(t).unwrap_or(0);
            #[expect(clippy::cast_precision_loss, reason = "indices are far below 2^52")]
            let d = ((j as f64 + 0.5 - centre) / support).abs();
            let wt = (1.0 - d).max(0.0);
            row_i[t] = usize::try_from(j.clamp(0, last)).unwrap_or(0);
            #[expect(clippy::cast_possible_truncation, reason = "a weight in 0..=1 for an f32 table")]
            let wt32 = wt as f32;
            row_w[t] = wt32;
            sum += wt;
        }
        if sum > 0.0 {
            #[expect(clippy::cast_possible_truncation, reason = "a normalisation factor for f32 weights")]
            let k = (1.0 / sum) as f32;
            row_w.iter_mut().for_each(|x| *x *= k);
        }
    }
    Ok(Axis { taps, idx, w })
}

/// Resample `src` to `out_w` × `out_h` with a separable tent filter on premultiplied alpha;
/// output pixel (x, y) is centred on source point `offset + (x + ½, y + ½) · scale`.
pub fn resample(
    limits: &Limits,
    src: &Frame,
    out_w: u32,
    out_h: u32,
    scale: [f64; 2],
    offset: [f64; 2],
) -> Result<Frame> {
    require_frame(src)?;
    // The output first: an over-limit canvas fails before any work is done.
    let mut out = blank_frame(limits, out_w, out_h)?;
    let ax = axis(limits, src.width, out_w, scale[0], offset[0])?;
    let ay = axis(limits, src.height, out_h, scale[1], offset[1])?;
    // Horizontal pass only over the source rows the vertical pass reads.
    let (r0, r1) = (ay.idx.iter().copied().min().unwrap_or(0), ay.idx.iter().copied().max().unwrap_or(0));
    let mstride = out_w as usize * 4;
    let mut mid = try_alloc_vec(limits, mstride * (r1 - r0 + 1), 0f32)?;
    let stride = src.stride();
    mid.par_chunks_mut(mstride).zip(src.data[r0 * stride..(r1 + 1) * stride].par_chunks(stride)).for_each(
        |(m, row)| {
            for (x, o) in m.chunks_exact_mut(4).enumerate() {
                for t in 0..ax.taps {
                    let (j, wt) = (ax.idx[x * ax.taps + t], ax.w[x * ax.taps + t]);
                    let p = super::premultiply_px([row[j * 4], row[j * 4 + 1], row[j * 4 + 2], row[j * 4 + 3]]);
                    for c in 0..4 {
                        o[c] += wt * p[c];
                    }
                }
            }
        },
    );
    out.data.par_chunks_mut(mstride).enumerate().for_each_init(Vec::new, |acc: &mut Vec<f32>, (y, row)| {
        acc.clear();
        acc.resize(mstride, 0.0);
        for t in 0..ay.taps {
            let (j, wt) = (ay.idx[y * ay.taps + t] - r0, ay.w[y * ay.taps + t]);
            for (a, m) in acc.iter_mut().zip(&mid[j * mstride..(j + 1) * mstride]) {
                *a += wt * m;
            }
        }
        for (o, a) in row.chunks_exact_mut(4).zip(acc.chunks_exact(4)) {
            o.copy_from_slice(&unpremultiply_px([a[0], a[1], a[2], a[3]]));
        }
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::cpu::kernels::tests::noise;

    fn variance(f: &Frame) -> f64 {
        let n = f64::from(f.width * f.height);
        let m = f.data.chunks_exact(4).map(|p| f64::from(p[0])).sum::<f64>() / n;
        f.data.chunks_exact(4).map(|p| (f64::from(p[0]) - m).powi(2)).sum::<f64>() / n
    }

    #[test]
    fn covers_the_canvas_centred() {
        let l = Limits::default();
        // 300×100: red | green | blue thirds; a square canvas shows only the green middle.
        let mut src = Frame::filled(&l, 300, 100, [0, 255, 0, 255]).unwrap();
        for (i, p) in src.data.chunks_exact_mut(4).enumerate() {
            match i % 300 {
                0..100 => p.copy_from_slice(&[255, 0, 0, 255]),
                200.. => p.copy_from_slice(&[0, 0, 255, 255]),
                _ => {}
            }
        }
        let out = blurred_background(&l, &src, 50, 50, Some(0), 0).unwrap();
        assert_eq!((out.width, out.height), (50, 50));
        // The tent filter reaches one output pixel beyond the window, so the outermost
        // columns see a little red / blue; everything inside is pure green.
        for x in 0..50 {
            let p = out.pixel(x, 25);
            assert!(if (1..49).contains(&x) { p == [0, 255, 0, 255] } else { p[1] > 200 }, "{x}: {p:?}");
        }
        let wide = blurred_background(&l, &src, 600, 100, Some(0), 0).unwrap();
        assert_eq!(wide.pixel(10, 50), [255, 0, 0, 255]);
        assert_eq!(wide.pixel(590, 50), [0, 0, 255, 255]);
    }

    #[test]
    fn constant_stays_constant_and_brightness_shifts() {
        let l = Limits::default();
        let src = Frame::filled(&l, 37, 91, [100, 150, 200, 255]).unwrap();
        for intensity in [None, Some(0), Some(30), Some(1000)] {
            let out = blurred_background(&l, &src, 203, 77, intensity, 0).unwrap();
            assert_eq!((out.width, out.height), (203, 77));
            assert!(out.data.chunks_exact(4).all(|p| p == [100, 150, 200, 255]), "{intensity:?}");
        }
        let dark = blurred_background(&l, &src, 20, 20, None, -120).unwrap();
        assert_eq!(dark.pixel(5, 5), [0, 30, 80, 255]);
        let bright = blurred_background(&l, &src, 20, 20, None, i32::MAX).unwrap();
        assert_eq!(bright.pixel(5, 5), [255, 255, 255, 255]);
    }

    #[test]
    fn blur_grows_with_intensity() {
        let l = Limits::default();
        let src = noise(120, 80, 3);
        let v = |i| variance(&blurred_background(&l, &src, 240, 160, Some(i), 0).unwrap());
        let (v0, v2, v10) = (v(0), v(2), v(10));
        assert!(v0 > v2 * 4.0 && v2 > v10, "{v0} {v2} {v10}");
        assert_eq!(background_sigma(800, 600, None), 20.0);
        assert_eq!(background_sigma(800, 600, Some(100)), 400.0);
    }

    #[test]
    fn degenerate_sizes() {
        let l = Limits::default();
        let src = noise(1, 1, 1);
        let out = blurred_background(&l, &src, 64, 3, Some(100), 0).unwrap();
        assert!(out.data.chunks_exact(4).all(|p| p == src.pixel(0, 0)));
        assert!(blurred_background(&l, &src, 0, 3, None, 0).is_err());
        assert!(blurred_background(&l, &src, 100_000, 100_000, None, 0).is_err());
        let big = noise(64, 64, 2);
        assert_eq!(blurred_background(&l, &big, 1, 1, Some(0), 0).unwrap().width, 1);
    }
}
