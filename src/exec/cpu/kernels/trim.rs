//! Border trimming for ImageKit `t-true` / `t-<1..99>`: finds the content rectangle.
//!
//! Owns: [`trim_bounds`], [`trim_threshold`]. Imports `media`, rayon. The caller crops to
//! the rectangle with [`crop`](super::composite::crop). On the GPU this is a reduction
//! (per-row flags, then min/max), so it stays on the CPU for now.
//!
//! The background colour is the top-left pixel. A pixel is background when every channel,
//! alpha included, differs from it by at most `threshold`. The content rectangle is the
//! bounding box of all the other pixels.

use rayon::prelude::*;

use super::frame_ok;
use crate::media::Frame;

/// Tolerance for `t-true`, in percent: 10, Cloudinary's `e_trim` default, which the rewriter
/// turns into `t-true`.
pub const DEFAULT_TRIM_PERCENT: u8 = 10;

/// The per-channel threshold for ImageKit's trim value: `t-<n>` (n = 1..=99, "higher trims
/// more") ⇒ `round(n × 255 / 100)`, so `t-1` ⇒ 3 and `t-99` ⇒ 252; `t-true` (`None`) ⇒
/// [`DEFAULT_TRIM_PERCENT`] ⇒ 26. Values outside 1..=99 are clamped into it.
pub fn trim_threshold(t: Option<u8>) -> u8 {
    let n = u32::from(t.unwrap_or(DEFAULT_TRIM_PERCENT).clamp(1, 99));
    u8::try_from((n * 255 + 50) / 100).unwrap_or(u8::MAX)
}

/// The content rectangle `(x, y, w, h)` left after removing the borders whose pixels are all
/// within `threshold` of the top-left pixel (per channel, alpha included); `None` when the
/// whole image is background.
pub fn trim_bounds(src: &Frame, threshold: u8) -> Option<(u32, u32, u32, u32)> {
    if !frame_ok(src) {
        return None;
    }
    let bg = src.pixel(0, 0);
    let is_bg = |p: &[u8]| p.iter().zip(bg).all(|(&v, b)| v.abs_diff(b) <= threshold);
    let stride = src.stride();
    let rows = || src.data.par_chunks(stride);
    let first_content = |row: &[u8]| row.chunks_exact(4).position(|p| !is_bg(p));
    let last_content = |row: &[u8]| row.chunks_exact(4).rposition(|p| !is_bg(p));
    let top = rows().position_first(|r| first_content(r).is_some())?;
    let bottom = rows().position_last(|r| first_content(r).is_some())?;
    let band = &src.data[top * stride..(bottom + 1) * stride];
    let left = band.par_chunks(stride).filter_map(first_content).min()?;
    let right = band.par_chunks(stride).filter_map(last_content).max()?;
    let u = |v: usize| u32::try_from(v).ok();
    Some((u(left)?, u(top)?, u(right - left + 1)?, u(bottom - top + 1)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    #[test]
    fn finds_a_known_rectangle() {
        let l = Limits::default();
        let mut f = Frame::filled(&l, 30, 20, [250, 250, 250, 255]).unwrap();
        // Near-white noise in the margin, real content at (5..=16, 3..=11).
        f.data[(19 * 30 + 29) * 4] = 240;
        for y in 3..12 {
            for x in 5..17 {
                let i = (y * 30 + x) * 4;
                f.data[i..i + 4].copy_from_slice(&[20, 40, 60, 255]);
            }
        }
        // A lone content pixel at the far end of row 7 widens the box.
        let i = (7 * 30 + 21) * 4;
        f.data[i] = 100;
        assert_eq!(trim_bounds(&f, 26), Some((5, 3, 17, 9)));
        assert_eq!(trim_bounds(&f, 0), Some((5, 3, 25, 17)), "threshold 0 keeps the 240 speck");
        assert_eq!(trim_bounds(&f, 255), None);
    }

    #[test]
    fn uniform_image_and_alpha_border() {
        let l = Limits::default();
        assert_eq!(trim_bounds(&Frame::filled(&l, 4, 4, [1, 2, 3, 4]).unwrap(), 0), None);
        let mut f = Frame::filled(&l, 5, 5, [0, 0, 0, 0]).unwrap();
        f.data[(2 * 5 + 2) * 4 + 3] = 200;
        assert_eq!(trim_bounds(&f, 10), Some((2, 2, 1, 1)), "transparent border trimmed");
    }

    #[test]
    fn threshold_mapping() {
        assert_eq!(trim_threshold(None), 26);
        assert_eq!(trim_threshold(Some(1)), 3);
        assert_eq!(trim_threshold(Some(99)), 252);
        assert_eq!(trim_threshold(Some(0)), 3);
        assert_eq!(trim_threshold(Some(200)), 252);
    }
}
