//! The detector proper: summed-area tables, the cascade evaluated per window, and the
//! sliding-window scan over a pyramid of scales (OpenCV's `detectMultiScale` loop).
//!
//! Owns: [`raw_hits`], the integral images, the per-scale rectangle offsets, the bilinear
//! pyramid resize. May import the sibling `cascade`, the parent's [`Face`]; rayon.

use rayon::prelude::*;

use super::cascade::Cascade;
use super::Face;

/// Scale step between pyramid levels (OpenCV's default is 1.1).
const SCALE_FACTOR: f64 = 1.1;

/// Raw hits kept before grouping: bounds the quadratic grouping on pathological images.
const MAX_RAW_HITS: usize = 20_000;

/// Summed-area tables of a luma image (and of its squares), with a zero row and column.
struct Integral {
    stride: usize,
    sum: Vec<f64>,
    sq: Vec<f64>,
}

impl Integral {
    fn new(img: &[f32], w: usize, h: usize) -> Integral {
        let stride = w + 1;
        let mut sum = Vec::new();
        sum.resize(stride * (h + 1), 0.0);
        let mut sq = sum.clone();
        for y in 0..h {
            let (mut rs, mut rq) = (0.0f64, 0.0f64);
            for x in 0..w {
                let v = f64::from(img[y * w + x]);
                rs += v;
                rq += v * v;
                sum[(y + 1) * stride + x + 1] = sum[y * stride + x + 1] + rs;
                sq[(y + 1) * stride + x + 1] = sq[y * stride + x + 1] + rq;
            }
        }
        Integral { stride, sum, sq }
    }
}

/// A cascade's rectangles as offsets into one scale's summed-area table, so that a rectangle
/// sum is four loads relative to the window's top-left index (OpenCV does the same).
struct Scaled {
    /// Per feature: range into `offs` / `weights`.
    features: Vec<(usize, usize)>,
    /// Per rectangle: table offsets of its four corners (tl, tr, bl, br).
    offs: Vec<[usize; 4]>,
    /// Per rectangle: weight.
    weights: Vec<f64>,
    /// Offsets of the variance-normalisation rectangle (the inner window).
    norm: [usize; 4],
    /// Its area.
    norm_area: f64,
}

impl Cascade {
    fn scaled(&self, stride: usize) -> Scaled {
        let corners = |x: usize, y: usize, w: usize, h: usize| {
            [y * stride + x, y * stride + x + w, (y + h) * stride + x, (y + h) * stride + x + w]
        };
        let mut features = Vec::with_capacity(self.features.len());
        let (mut offs, mut weights) = (Vec::new(), Vec::new());
        for f in &self.features {
            let start = offs.len();
            for r in f {
                offs.push(corners(r.x, r.y, r.w, r.h));
                weights.push(r.weight);
            }
            features.push((start, offs.len()));
        }
        let (nw, nh) = (self.width - 2, self.height - 2);
        Scaled { features, offs, weights, norm: corners(1, 1, nw, nh), norm_area: (nw * nh) as f64 }
    }

    /// True when the window whose top-left table index is `base` passes every stage.
    /// Written as index loops: this is the hot path, and it stays fast in debug builds.
    fn accepts(&self, sc: &Scaled, ii: &Integral, base: usize) -> bool {
        let (t, q) = (&ii.sum[base..], &ii.sq[base..]);
        let n = &sc.norm;
        let s = t[n[3]] - t[n[1]] - t[n[2]] + t[n[0]];
        let s2 = q[n[3]] - q[n[1]] - q[n[2]] + q[n[0]];
        let nf = sc.norm_area * s2 - s * s;
        let norm = if nf > 0.0 { 1.0 / nf.sqrt() } else { 1.0 };
        for stage in &self.stages {
            let mut total = 0.0;
            for wk in &stage.weak {
                let (a, b) = sc.features[wk.feature];
                let mut value = 0.0;
                for r in a..b {
                    let o = &sc.offs[r];
                    value += sc.weights[r] * (t[o[3]] - t[o[1]] - t[o[2]] + t[o[0]]);
                }
                total += if value * norm < wk.threshold { wk.left } else { wk.right };
            }
            if total < stage.threshold {
                return false;
            }
        }
        true
    }
}

/// Bilinear resize of a luma image (pixel centres aligned, like OpenCV's INTER_LINEAR).
fn resize(src: &[f32], sw: usize, sh: usize, dw: usize, dh: usize) -> Vec<f32> {
    let mut out = Vec::new();
    out.resize(dw * dh, 0.0f32);
    let (fx, fy) = (sw as f64 / dw as f64, sh as f64 / dh as f64);
    let tap = |d: usize, f: f64, n: usize| {
        let c = ((d as f64 + 0.5) * f - 0.5).clamp(0.0, (n - 1) as f64);
        #[expect(clippy::cast_possible_truncation, reason = "clamped to the source side")]
        let i = c.floor() as usize;
        #[expect(clippy::cast_possible_truncation, reason = "a fraction in [0, 1)")]
        let t = (c - c.floor()) as f32;
        (i, (i + 1).min(n - 1), t)
    };
    for y in 0..dh {
        let (y0, y1, ty) = tap(y, fy, sh);
        for x in 0..dw {
            let (x0, x1, tx) = tap(x, fx, sw);
            let top = src[y0 * sw + x0] * (1.0 - tx) + src[y0 * sw + x1] * tx;
            let bottom = src[y1 * sw + x0] * (1.0 - tx) + src[y1 * sw + x1] * tx;
            out[y * dw + x] = top * (1.0 - ty) + bottom * ty;
        }
    }
    out
}

/// Every window of every pyramid level of `luma` (`w` × `h`) that `c` accepts, in pixels
/// of `luma`, at most [`MAX_RAW_HITS`] of them.
pub(super) fn raw_hits(c: &Cascade, luma: &[f32], w: usize, h: usize) -> Vec<Face> {
    let mut raw = Vec::new();
    let mut factor = 1.0f64;
    loop {
        #[expect(clippy::cast_possible_truncation, reason = "≤ the analysed side")]
        let (sw, sh) = ((w as f64 / factor).round() as usize, (h as f64 / factor).round() as usize);
        if sw < c.width || sh < c.height {
            break;
        }
        let img = if sw == w && sh == h { luma.to_vec() } else { resize(luma, w, h, sw, sh) };
        let ii = Integral::new(&img, sw, sh);
        let step = if factor > 2.0 { 1 } else { 2 };
        let (sx, sy) = (sw as f64 / w as f64, sh as f64 / h as f64);
        let sc = c.scaled(ii.stride);
        let rows: Vec<usize> = (0..sh - c.height + 1).step_by(step).collect();
        let hits: Vec<Face> = rows
            .into_par_iter()
            .flat_map_iter(|y| {
                let (ii, sc) = (&ii, &sc);
                (0..=(sw - c.width)).step_by(step).filter(move |&x| c.accepts(sc, ii, y * ii.stride + x)).map(
                    move |x| Face {
                        x: x as f64 / sx,
                        y: y as f64 / sy,
                        width: c.width as f64 / sx,
                        height: c.height as f64 / sy,
                        neighbors: 1,
                    },
                )
            })
            .collect();
        raw.extend(hits);
        if raw.len() > MAX_RAW_HITS {
            raw.truncate(MAX_RAW_HITS);
            break;
        }
        factor *= SCALE_FACTOR;
    }
    raw
}
