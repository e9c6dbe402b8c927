//! Face detection for `fo-face` (with `z`) and `lfo-face`: a Viola–Jones evaluator over
//! OpenCV's frontal-face Haar cascade.
//!
//! Owns: [`Face`], [`detect()`], [`window_centre`], [`ANALYSIS_SIDE`]; the cascade parser
//! (`cascade`), the evaluator and pyramid scan (`detect`) and hit grouping (`group`) live in
//! the submodules. May import the parent's [`Small`], `media`; rayon.
//!
//! The cascade (`media/models/haarcascade_frontalface_default.xml`, Rainer Lienhart, Intel
//! License Agreement — BSD-3-Clause style, header kept in the file; see `media/SOURCES.md`)
//! is embedded in the binary and parsed once, on first use, by a small hand-written reader
//! of the cascade's `<stages>` / `<features>` structure (no XML crate): nothing is
//! downloaded or read from disk at run time.
//!
//! Detection follows OpenCV's `detectMultiScale` for this (stump-based, untilted) cascade:
//! * luma of a copy downscaled to at most [`ANALYSIS_SIDE`] px (area average);
//! * for scale factors 1, 1.1, 1.1², … the luma is bilinearly resized by 1/factor and a
//!   summed-area table and a squared one are built; the 24×24 window slides in steps of
//!   2 px (1 px once the factor exceeds 2), as OpenCV does;
//! * each window is normalised by its standard deviation (inner 22×22 area), every weak
//!   classifier compares its weighted rectangle sum against its threshold, a stage rejects
//!   the window when its leaf total is under the stage threshold;
//! * hits are grouped like `groupRectangles(minNeighbors = 3, eps = 0.2)`: clusters of
//!   similar boxes are averaged, clusters of 3 or fewer boxes are dropped (this is what
//!   filters stray false positives), and boxes inside a stronger one are removed.

mod cascade;
mod detect;
mod group;

use self::cascade::cascade;
use self::group::group;
use super::Small;
use crate::media::Frame;

/// Longest side of the analysed copy: faces smaller than 24 px at this size are missed.
pub const ANALYSIS_SIDE: u32 = 640;

/// A detected face, in pixels of the analysed frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Face {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
    /// Raw hits in its cluster (a confidence).
    pub neighbors: usize,
}

impl Face {
    /// Centre point.
    pub fn centre(&self) -> (f64, f64) {
        (self.x + self.width / 2.0, self.y + self.height / 2.0)
    }

    fn area(&self) -> f64 {
        self.width * self.height
    }
}

/// Faces in `frame`, largest first (ties: more neighbours, then top-left first), in frame
/// pixels. Empty when there are none or the frame cannot be analysed.
pub fn detect(frame: &Frame) -> Vec<Face> {
    let (Some(c), Some(small)) = (cascade(), Small::new(frame, ANALYSIS_SIDE)) else { return Vec::new() };
    let luma = small.luma();
    let raw = detect::raw_hits(c, &luma, small.width, small.height);
    let mut faces = group(&raw);
    for f in &mut faces {
        (f.x, f.y, f.width, f.height) =
            (f.x * small.scale, f.y * small.scale, f.width * small.scale, f.height * small.scale);
    }
    faces.sort_by(|a, b| {
        b.area()
            .total_cmp(&a.area())
            .then(b.neighbors.cmp(&a.neighbors))
            .then(a.y.total_cmp(&b.y))
            .then(a.x.total_cmp(&b.x))
    });
    faces
}

/// Where a `window`-sized `fo-face` crop is centred. Each face box is scaled around its
/// centre by `1 / zoom` (`z > 1` zooms in: the region that must show shrinks). When the
/// union of all scaled boxes fits in the window it is centred on that union (group shots
/// stay together); otherwise on the largest face. `None` when there is no face.
pub fn window_centre(faces: &[Face], zoom: f64, window: (u32, u32)) -> Option<(f64, f64)> {
    let largest = faces.first()?;
    let z = if zoom.is_finite() && zoom > 0.0 { zoom } else { 1.0 };
    let scaled = |f: &Face| {
        let (cx, cy) = f.centre();
        let (hw, hh) = (f.width / z / 2.0, f.height / z / 2.0);
        (cx - hw, cy - hh, cx + hw, cy + hh)
    };
    let (x0, y0, x1, y1) =
        faces.iter().map(scaled).fold(scaled(largest), |a, b| (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)));
    if x1 - x0 <= f64::from(window.0) && y1 - y0 <= f64::from(window.1) {
        Some(((x0 + x1) / 2.0, (y0 + y1) / 2.0))
    } else {
        Some(largest.centre())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_and_tiny_frames_have_no_faces() {
        let l = crate::limits::Limits::default();
        assert!(detect(&Frame::filled(&l, 200, 150, [128, 128, 128, 255]).unwrap()).is_empty());
        assert!(detect(&Frame::filled(&l, 10, 10, [200, 150, 120, 255]).unwrap()).is_empty());
    }

    #[test]
    fn window_centre_rules() {
        let a = Face { x: 0.0, y: 0.0, width: 20.0, height: 20.0, neighbors: 5 };
        let b = Face { x: 100.0, y: 0.0, width: 10.0, height: 10.0, neighbors: 5 };
        assert_eq!(window_centre(&[], 1.0, (50, 50)), None);
        assert_eq!(window_centre(&[a, b], 1.0, (200, 50)), Some((55.0, 10.0)), "union fits");
        assert_eq!(window_centre(&[a, b], 1.0, (50, 50)), Some((10.0, 10.0)), "largest face");
    }
}
