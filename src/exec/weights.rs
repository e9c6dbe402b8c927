//! Resampling weights shared by the GPU resize kernels and their CPU twin.
//!
//! Owns: [`Weights`] and [`weights`]. The GPU passes (`shaders/resize_h.wgsl`,
//! `resize_v.wgsl`) and `cpu::kernels::resize` read the same tables, which is what makes
//! their outputs comparable. For down-scaling the filter is widened by the scale factor, so
//! any reduction is one pass per axis without aliasing.

use crate::plan::Filter;

/// Weights for one axis: for each output coordinate, the first source index and a run of
/// `taps` weights (zero-padded past `count`).
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// `(first source index, number of taps used)` per output coordinate.
    pub bounds: Vec<[u32; 2]>,
    /// `bounds.len() * taps` weights, row per output coordinate, each row sums to 1.
    pub weights: Vec<f32>,
    /// Row length of `weights`.
    pub taps: u32,
}

fn support(filter: Filter) -> f64 {
    match filter {
        Filter::Lanczos3 => 3.0,
        Filter::Cubic => 2.0,
        Filter::Bilinear => 1.0,
    }
}

fn kernel(filter: Filter, x: f64) -> f64 {
    let x = x.abs();
    match filter {
        Filter::Bilinear => (1.0 - x).max(0.0),
        Filter::Cubic => {
            // Catmull-Rom (B = 0, C = 0.5), the same curve fast_image_resize's CatmullRom uses.
            if x < 1.0 {
                1.5 * x * x * x - 2.5 * x * x + 1.0
            } else if x < 2.0 {
                -0.5 * x * x * x + 2.5 * x * x - 4.0 * x + 2.0
            } else {
                0.0
            }
        }
        Filter::Lanczos3 => {
            if x < 1e-9 {
                1.0
            } else if x < 3.0 {
                let px = std::f64::consts::PI * x;
                3.0 * px.sin() * (px / 3.0).sin() / (px * px)
            } else {
                0.0
            }
        }
    }
}

/// Compute weights to resample `src_len` pixels to `dst_len` along one axis.
#[expect(clippy::cast_possible_truncation, reason = "indices are clamped to src_len, which is a u32")]
pub fn weights(src_len: u32, dst_len: u32, filter: Filter) -> Weights {
    let scale = f64::from(src_len) / f64::from(dst_len.max(1));
    // Widen the filter when down-scaling so every source pixel contributes (no aliasing).
    let filter_scale = scale.max(1.0);
    let radius = support(filter) * filter_scale;
    let taps = (radius.ceil() as u32) * 2 + 1;
    let mut bounds = Vec::with_capacity(dst_len as usize);
    let mut weights = vec![0f32; dst_len as usize * taps as usize];
    for o in 0..dst_len {
        let centre = (f64::from(o) + 0.5) * scale;
        let first = ((centre - radius).floor().max(0.0)) as u32;
        let last = ((centre + radius).ceil() as u32).min(src_len);
        let count = (last - first).min(taps);
        let row = &mut weights[o as usize * taps as usize..][..taps as usize];
        let mut sum = 0.0;
        for k in 0..count {
            let s = f64::from(first + k) + 0.5;
            let w = kernel(filter, (s - centre) / filter_scale);
            row[k as usize] = w as f32;
            sum += w;
        }
        if sum.abs() > 1e-12 {
            for w in &mut row[..count as usize] {
                *w = (f64::from(*w) / sum) as f32;
            }
        }
        bounds.push([first, count]);
    }
    Weights { bounds, weights, taps }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_sum_to_one_and_stay_in_bounds() {
        for (s, d) in [(100, 30), (30, 100), (4000, 300), (7, 7), (1, 5), (5, 1)] {
            for f in [Filter::Lanczos3, Filter::Cubic, Filter::Bilinear] {
                let w = weights(s, d, f);
                assert_eq!(w.bounds.len(), d as usize);
                for (o, b) in w.bounds.iter().enumerate() {
                    assert!(b[0] + b[1] <= s, "{s}->{d} {f:?} out of bounds at {o}");
                    let row = &w.weights[o * w.taps as usize..][..b[1] as usize];
                    let sum: f32 = row.iter().sum();
                    assert!((sum - 1.0).abs() < 1e-4, "{s}->{d} {f:?} row {o} sums to {sum}");
                }
            }
        }
    }
}
