//! How `bl` is planned: the exact Gaussian for small σ, and for large σ a reduce → blur →
//! expand that costs the same whatever σ is.
//!
//! Owns: [`push_blur`], [`REDUCE_FROM_SIGMA`]. May import `plan` types only.
//!
//! A separable Gaussian costs `2·(2·⌈3σ⌉+1)` taps per pixel and channel: 122 at σ 10, 602 at
//! σ 50. Past [`REDUCE_FROM_SIGMA`] the picture has no detail left at the scale of a few
//! pixels, so the frame is first reduced by an integer factor `f = ⌊σ / 3⌋` (bilinear, which
//! widens to an area filter when reducing, so nothing aliases), blurred there with
//! `σ_r = √(σ² − f²/3) / f` — the reduction's and the expansion's tents each add a variance
//! of `f²/6` output pixels, which `σ_r` leaves out so the total spread is still σ — and
//! expanded back bilinearly. `σ_r` stays ≥ 3, where bilinear interpolation of the blurred
//! grid is smooth. Against the exact Gaussian on a real photo (LadyBird at 1280×800):
//! 55.7 dB at σ 10 and 54.3 dB at σ 20, the largest differences (≤ 12 levels) in the
//! `3σ` band along the edges, where the exact kernel repeats the border pixel and the
//! resize renormalises; the exact kernel stays as the reference (`kernels::blur`) and
//! `tests/blur_plan.rs` holds the fast plan to it. Both backends run the three ops, so the
//! GPU and the CPU still agree op by op.

use super::layout::Builder;
use super::{Filter, PlanOp};
use crate::error::Result;

/// Smallest σ planned as reduce → blur → expand (the reduction factor is then 2).
pub const REDUCE_FROM_SIGMA: f32 = 6.0;

/// Smallest reduced side: below it the exact blur is cheap and the grid would be too coarse.
const MIN_REDUCED_SIDE: u32 = 8;

/// Append the ops of a Gaussian blur of `sigma` on the builder's current frame.
pub(super) fn push_blur(b: &mut Builder<'_>, key: &str, sigma: f32) -> Result<()> {
    let (w, h) = b.size;
    match reduction(sigma, (w, h)) {
        None => b.push(key, PlanOp::Blur { sigma }),
        Some((_, (rw, rh), sigma_r)) => {
            b.push(key, PlanOp::Resize { width: rw, height: rh, filter: Filter::Bilinear })?;
            b.push(key, PlanOp::Blur { sigma: sigma_r })?;
            b.push(key, PlanOp::Resize { width: w, height: h, filter: Filter::Bilinear })
        }
    }
}

/// `(factor, reduced size, reduced σ)` when `sigma` on a `size` frame is worth reducing.
fn reduction(sigma: f32, (w, h): (u32, u32)) -> Option<(u32, (u32, u32), f32)> {
    if sigma.is_nan() || sigma < REDUCE_FROM_SIGMA {
        return None;
    }
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "σ ≤ 100 ⇒ f ≤ 33")]
    let f = (sigma / 3.0).floor() as u32;
    let (rw, rh) = (w.div_ceil(f), h.div_ceil(f));
    if f < 2 || rw < MIN_REDUCED_SIDE || rh < MIN_REDUCED_SIDE {
        return None;
    }
    #[expect(clippy::cast_precision_loss, reason = "f ≤ 33")]
    let ff = f as f32;
    Some((f, (rw, rh), (sigma * sigma - ff * ff / 3.0).sqrt() / ff))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_sigma_or_small_frames_stay_exact() {
        assert_eq!(reduction(5.9, (4000, 3000)), None);
        assert_eq!(reduction(f32::NAN, (4000, 3000)), None);
        assert_eq!(reduction(10.0, (20, 3000)), None, "a 7 px reduced side is too coarse");
    }

    #[test]
    fn large_sigma_reduces_and_keeps_the_total_spread() {
        let (f, size, sr) = reduction(10.0, (2560, 1600)).unwrap();
        assert_eq!((f, size), (3, (854, 534)));
        // Total variance: (f·σr)² + 2·f²/6 = σ².
        let total = (3.0 * sr).powi(2) + 2.0 * 9.0 / 6.0;
        assert!((total - 100.0).abs() < 1e-3, "{total}");
        assert!(sr >= 3.0);
        let (f, _, sr) = reduction(50.0, (2560, 1600)).unwrap();
        assert_eq!(f, 16);
        assert!((3.0..3.2).contains(&sr), "{sr}");
    }
}
