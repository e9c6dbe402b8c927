//! Rounded corners for ImageKit `r-<n>`, `r-<tl>_<tr>_<br>_<bl>` and `r-max`.
//!
//! Owns: [`Radii`], [`CornerParams`], [`round_corners`] and the per-pixel [`coverage`].
//! Imports `media`, the parent's helpers, rayon.
//!
//! Each corner is a quarter ellipse with semi-axes (rx, ry) (a circle unless `r-max` on a
//! non-square image). A pixel's coverage comes from the signed distance `d` of its centre to
//! the curve (first-order estimate `f / |∇f|` of the implicit ellipse), `coverage =
//! clamp(0.5 − d, 0, 1)`: a 1 px anti-aliasing ramp centred on the curve. Pixels with
//! coverage 1 are not touched; the others fade to `fill`, or to transparent without one.

use rayon::prelude::*;

use super::{clamp_u8, frame_ok, premultiply_px, unpremultiply_px, Rgba};
use crate::media::Frame;

/// Corner radii in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Radii {
    /// The same radius at all four corners (`r-<n>`).
    Uniform(f32),
    /// One radius per corner (`r-<tl>_<tr>_<br>_<bl>`).
    Corners {
        /// Top-left.
        tl: f32,
        /// Top-right.
        tr: f32,
        /// Bottom-right.
        br: f32,
        /// Bottom-left.
        bl: f32,
    },
    /// `r-max`: the ellipse that touches all four edges (a circle on a square image).
    Max,
}

/// Parameters of the rounded-corners shader: the frame size and the (rx, ry) of each corner
/// in the order top-left, top-right, bottom-right, bottom-left.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CornerParams {
    /// Width, height in pixels.
    pub size: [f32; 2],
    /// (rx, ry) per corner: tl, tr, br, bl.
    pub radii: [[f32; 2]; 4],
}

impl CornerParams {
    /// Resolve `radii` for a `width` × `height` frame. Each radius is clamped to half the
    /// shorter side (so corners never overlap and circles stay circles); NaN and negative
    /// radii count as 0 (a square corner).
    pub fn new(radii: Radii, width: u32, height: u32) -> CornerParams {
        #[expect(clippy::cast_precision_loss, reason = "frame sides are below 2^24 in practice")]
        let (w, h) = (width as f32, height as f32);
        let limit = w.min(h) / 2.0;
        let r = |v: f32| if v.is_nan() { 0.0 } else { v.clamp(0.0, limit) };
        let radii = match radii {
            Radii::Uniform(v) => [[r(v); 2]; 4],
            Radii::Corners { tl, tr, br, bl } => [[r(tl); 2], [r(tr); 2], [r(br); 2], [r(bl); 2]],
            Radii::Max => [[w / 2.0, h / 2.0]; 4],
        };
        CornerParams { size: [w, h], radii }
    }

    /// Rows `0..top` and `bottom..height` are the only ones a corner can reach.
    fn bands(&self) -> (f32, f32) {
        let top = self.radii[0][1].max(self.radii[1][1]);
        let bottom = self.size[1] - self.radii[2][1].max(self.radii[3][1]);
        (top, bottom)
    }
}

/// Coverage in 0..=1 of pixel (`x`, `y`) by the rounded rectangle.
#[inline]
pub fn coverage(p: &CornerParams, x: u32, y: u32) -> f32 {
    #[expect(clippy::cast_precision_loss, reason = "pixel indices are below 2^24 in practice")]
    let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
    let [w, h] = p.size;
    let (left, top) = (px < w / 2.0, py < h / 2.0);
    let corner = match (top, left) {
        (true, true) => 0,
        (true, false) => 1,
        (false, false) => 2,
        (false, true) => 3,
    };
    let [rx, ry] = p.radii[corner];
    if rx <= 0.0 || ry <= 0.0 {
        return 1.0;
    }
    // Distances beyond the ellipse centre, towards the corner (positive = in the corner box).
    let dx = if left { rx - px } else { px - (w - rx) };
    let dy = if top { ry - py } else { py - (h - ry) };
    if dx <= 0.0 || dy <= 0.0 {
        return 1.0;
    }
    let f = (dx / rx).powi(2) + (dy / ry).powi(2) - 1.0;
    let grad = 2.0 * ((dx / (rx * rx)).powi(2) + (dy / (ry * ry)).powi(2)).sqrt();
    (0.5 - f / grad).clamp(0.0, 1.0)
}

/// Round the corners of `src` in place. Pixels outside the curve become `fill` when it is
/// `Some` (partly covered ones a premultiplied mix of pixel and fill), otherwise transparent
/// (alpha multiplied by coverage, colour kept).
pub fn round_corners(src: &mut Frame, radii: Radii, fill: Option<Rgba>) {
    if !frame_ok(src) {
        return;
    }
    let p = CornerParams::new(radii, src.width, src.height);
    let (top, bottom) = p.bands();
    let fill = fill.map(premultiply_px);
    let stride = src.stride();
    src.data.par_chunks_mut(stride).enumerate().for_each(|(y, row)| {
        let y = u32::try_from(y).unwrap_or(u32::MAX);
        #[expect(clippy::cast_precision_loss, reason = "row indices are below 2^24 in practice")]
        let yc = y as f32 + 0.5;
        if yc >= top && yc <= bottom {
            return;
        }
        for (x, px) in (0u32..).zip(row.chunks_exact_mut(4)) {
            let cov = coverage(&p, x, y);
            if cov >= 1.0 {
                continue;
            }
            let out = match fill {
                Some(f) => {
                    let s = premultiply_px([px[0], px[1], px[2], px[3]]);
                    let mut m = [0.0f32; 4];
                    for i in 0..4 {
                        m[i] = s[i] * cov + f[i] * (1.0 - cov);
                    }
                    unpremultiply_px(m)
                }
                None => [px[0], px[1], px[2], clamp_u8(f32::from(px[3]) * cov)],
            };
            px.copy_from_slice(&out);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    fn opaque(w: u32, h: u32) -> Frame {
        Frame::filled(&Limits::default(), w, h, [200, 100, 50, 255]).unwrap()
    }

    #[test]
    fn corner_pixel_transparent_centre_untouched() {
        let mut f = opaque(40, 30);
        round_corners(&mut f, Radii::Uniform(10.0), None);
        for (x, y) in [(0, 0), (39, 0), (39, 29), (0, 29)] {
            assert_eq!(f.pixel(x, y)[3], 0, "corner ({x},{y})");
        }
        assert_eq!(f.pixel(20, 15), [200, 100, 50, 255]);
        assert_eq!(f.pixel(20, 0), [200, 100, 50, 255], "straight edge untouched");
        assert_eq!(f.pixel(10, 10), [200, 100, 50, 255], "circle centre untouched");
        // Anti-aliased: somewhere along the top-left arc alpha is strictly between 0 and 255.
        let partial = (0..10).flat_map(|y| (0..10).map(move |x| (x, y))).filter(|&(x, y)| {
            let a = f.pixel(x, y)[3];
            a > 0 && a < 255
        });
        assert!(partial.count() >= 5);
    }

    #[test]
    fn fill_colour_replaces_outside() {
        let mut f = opaque(20, 20);
        round_corners(&mut f, Radii::Uniform(8.0), Some([0, 0, 255, 255]));
        assert_eq!(f.pixel(0, 0), [0, 0, 255, 255]);
        assert_eq!(f.pixel(10, 10), [200, 100, 50, 255]);
        assert!(!f.has_alpha());
    }

    #[test]
    fn per_corner_radii_and_max() {
        let mut f = opaque(30, 30);
        round_corners(&mut f, Radii::Corners { tl: 10.0, tr: 0.0, br: f32::NAN, bl: 1e9 }, None);
        assert_eq!(f.pixel(0, 0)[3], 0);
        assert_eq!(f.pixel(29, 0)[3], 255, "radius 0 keeps a square corner");
        assert_eq!(f.pixel(29, 29)[3], 255, "NaN counts as 0");
        assert_eq!(f.pixel(3, 26)[3], 0, "huge radius is clamped to a half-side circle");

        let mut e = opaque(60, 20);
        round_corners(&mut e, Radii::Max, None);
        assert_eq!(e.pixel(30, 10)[3], 255);
        assert_eq!(e.pixel(30, 0)[3], 255, "ellipse touches the top edge");
        assert_eq!(e.pixel(1, 10)[3], 255, "…and the left edge");
        assert_eq!(e.pixel(5, 2)[3], 0);
        let one = &mut opaque(1, 1);
        round_corners(one, Radii::Max, None);
    }
}
