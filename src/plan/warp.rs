//! Geometry of `e-gradient` and `e-distort`, computed once in `f64` and shared by the planner
//! (output sizes, stop points) and by both backends' kernels (their parameters), so the CPU
//! and GPU never disagree about where a pixel goes.
//!
//! Owns: [`GradientLine`], [`perspective_box`], [`perspective_matrix`], [`ArcGeometry`]. Pure;
//! imports nothing in-crate.
//!
//! Coordinates are continuous pixel coordinates: (0, 0) is the outer corner of the top-left
//! pixel, pixel (x, y) covers [x, x+1) × [y, y+1) and its centre is (x + 0.5, y + 0.5), y down.
//! This is ImageMagick's "image coordinates" convention, so a corner written `p-0_0_…`
//! is the outer corner of the image, not the centre of its first pixel.

use std::f64::consts::PI;

/// The gradient line of CSS `linear-gradient(<angle>)` for a `w` × `h` box: it passes through
/// the centre in direction `dir` and is just long enough that the perpendicular lines
/// through its ends touch the box's corners, so 0 and `length` are the two extreme corners.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradientLine {
    /// Point where the line starts (position 0).
    pub start: [f64; 2],
    /// Unit direction (0° = towards the top = (0, −1), clockwise).
    pub dir: [f64; 2],
    /// Length in pixels: `|w sin θ| + |h cos θ|` (> 0 for a non-empty box).
    pub length: f64,
}

impl GradientLine {
    /// The line for a box of `size` and a direction of `degrees` (CSS convention).
    pub fn new((w, h): (u32, u32), degrees: f64) -> Self {
        let t = degrees.to_radians();
        let (s, c) = t.sin_cos();
        let (w, h) = (f64::from(w), f64::from(h));
        let length = (w * s).abs() + (h * c).abs();
        let dir = [s, -c];
        let start = [w / 2.0 - dir[0] * length / 2.0, h / 2.0 - dir[1] * length / 2.0];
        GradientLine { start, dir, length }
    }

    /// Position of point `p` along the line, in pixels from the start.
    pub fn position(&self, p: [f64; 2]) -> f64 {
        (p[0] - self.start[0]) * self.dir[0] + (p[1] - self.start[1]) * self.dir[1]
    }
}

/// The output box of a perspective: the top-left corner of the four points' bounding box
/// (added to output coordinates to get the corners' coordinates) and its size, each side at
/// least 1. Corners are checked to be convex at parse time; the box is exact because they
/// are whole pixels.
pub fn perspective_box(c: &[i32; 8]) -> ([f64; 2], (u32, u32)) {
    let xs = [c[0], c[2], c[4], c[6]].map(i64::from);
    let ys = [c[1], c[3], c[5], c[7]].map(i64::from);
    let (x0, x1) = (xs.iter().copied().min().unwrap_or(0), xs.iter().copied().max().unwrap_or(0));
    let (y0, y1) = (ys.iter().copied().min().unwrap_or(0), ys.iter().copied().max().unwrap_or(0));
    let side = |a: i64, b: i64| u32::try_from((b - a).max(1)).unwrap_or(u32::MAX);
    #[expect(clippy::cast_precision_loss, reason = "corners are within ±2^20")]
    let origin = [x0 as f64, y0 as f64];
    (origin, (side(x0, x1), side(y0, y1)))
}

/// Row-major 3×3 matrix `M` taking an output position `(X, Y)` (output pixel coordinates,
/// the bounding box's corner at 0) to homogeneous source coordinates: `(u', v', w') =
/// M · (X, Y, 1)`, source point `(u'/w', v'/w')`, and `w' > 0` inside the quadrilateral.
///
/// Built as Heckbert's closed-form unit-square → quad projection `F` ("Fundamentals of
/// Texture Mapping", 1989, §2.2.3), inverted by its adjugate, pre-scaled by the source size
/// and post-translated by the box origin, then normalised so that `w' = 1` at the corners'
/// centroid. Identity corners give exactly the identity matrix (no division by the size
/// happens before the normalisation), so `p-0_0_w_0_w_h_0_h` reproduces the input.
pub fn perspective_matrix((w, h): (u32, u32), c: &[i32; 8]) -> [f64; 9] {
    let (origin, _) = perspective_box(c);
    let p = |i: usize| (f64::from(c[2 * i]), f64::from(c[2 * i + 1]));
    let ((x0, y0), (x1, y1), (x2, y2), (x3, y3)) = (p(0), p(1), p(2), p(3));
    let (sx, sy) = (x0 - x1 + x2 - x3, y0 - y1 + y2 - y3);
    // F maps (u, v, 1) on the unit square (u right, v down) to homogeneous quad points.
    let f = if sx == 0.0 && sy == 0.0 {
        [x1 - x0, x2 - x1, x0, y1 - y0, y2 - y1, y0, 0.0, 0.0, 1.0]
    } else {
        let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
        let den = dx1 * dy2 - dx2 * dy1;
        let g = (sx * dy2 - dx2 * sy) / den;
        let hh = (dx1 * sy - sx * dy1) / den;
        [x1 - x0 + g * x1, x3 - x0 + hh * x3, x0, y1 - y0 + g * y1, y3 - y0 + hh * y3, y0, g, hh, 1.0]
    };
    let adj = adjugate(&f);
    let (sw, sh) = (f64::from(w), f64::from(h));
    // Source = diag(w, h, 1) · adj(F) · T(origin).
    let mut m = [0.0; 9];
    for r in 0..3 {
        let k = [sw, sh, 1.0][r];
        let (a, b, cc) = (adj[3 * r] * k, adj[3 * r + 1] * k, adj[3 * r + 2] * k);
        m[3 * r] = a;
        m[3 * r + 1] = b;
        m[3 * r + 2] = a * origin[0] + b * origin[1] + cc;
    }
    let (cx, cy) = ((x0 + x1 + x2 + x3) / 4.0 - origin[0], (y0 + y1 + y2 + y3) / 4.0 - origin[1]);
    let wc = m[6] * cx + m[7] * cy + m[8];
    if wc != 0.0 && wc.is_finite() {
        for v in &mut m {
            *v /= wc;
        }
    }
    m
}

fn adjugate(m: &[f64; 9]) -> [f64; 9] {
    let [a, b, c, d, e, f, g, h, i] = *m;
    [
        e * i - f * h,
        c * h - b * i,
        b * f - c * e,
        f * g - d * i,
        a * i - c * g,
        c * d - a * f,
        d * h - e * g,
        b * g - a * h,
        a * e - b * d,
    ]
}

/// Where `(X, Y)` in output coordinates lands in the source under `m`; `None` behind the
/// horizon (`w' ≤ 0`).
pub fn apply(m: &[f64; 9], x: f64, y: f64) -> Option<[f64; 2]> {
    let wp = m[6] * x + m[7] * y + m[8];
    (wp > 0.0).then(|| [(m[0] * x + m[1] * y + m[2]) / wp, (m[3] * x + m[4] * y + m[5]) / wp])
}

/// Arc distortion, ImageMagick's `-distort Arc <a>` with its defaults: the source's
/// horizontal centre line is bent, unscaled, onto a circular arc of `|a|` degrees, so its
/// radius is `w / a` (radians); the top edge lies at `w/a + h/2`, the bottom edge at
/// `w/a − h/2` (rows that would fall past the centre are not drawn), and columns map
/// linearly to angle, the middle column straight up. A positive angle arcs like a frown
/// (circle centre below, top edge outermost); a negative one is the vertical mirror, a smile
/// (centre above, top edge innermost), with the image still upright. The output is the
/// bounding box of the annulus sector, rounded up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArcGeometry {
    /// Output size.
    pub size: (u32, u32),
    /// Circle centre in output pixel coordinates.
    pub centre: [f64; 2],
    /// |angle| in radians, in (0, 2π].
    pub angle: f64,
    /// Radius of the centre line, `w / angle`.
    pub mid_radius: f64,
    /// Positive angle (frown).
    pub frown: bool,
}

impl ArcGeometry {
    /// Geometry for a source of `size` and `degrees` (non-zero, |d| ≤ 360; other values are
    /// clamped into that range so the maths stays finite).
    pub fn new((w, h): (u32, u32), degrees: f64) -> Self {
        let frown = degrees >= 0.0 || degrees.is_nan();
        let angle = if degrees.is_finite() { degrees.abs().clamp(1e-3, 360.0) } else { 360.0 }.to_radians();
        let (w, h) = (f64::from(w), f64::from(h));
        let mid_radius = w / angle;
        let (outer, inner) = (mid_radius + h / 2.0, (mid_radius - h / 2.0).max(0.0));
        // Extreme points of the sector (y up, centre at the origin): its four corners and
        // the outer arc's crossings of the axes that lie inside the sector.
        let half = angle / 2.0;
        let mut pts = Vec::with_capacity(9);
        for r in [inner, outer] {
            for phi in [-half, half] {
                pts.push((r * phi.sin(), r * phi.cos()));
            }
        }
        for phi in [0.0, PI / 2.0, -PI / 2.0, PI] {
            if phi.abs() <= half + 1e-12 {
                pts.push((outer * phi.sin(), outer * phi.cos()));
            }
        }
        let fold = |f: fn(f64, f64) -> f64, init: f64, g: fn(&(f64, f64)) -> f64| pts.iter().map(g).fold(init, f);
        let (x0, x1) = (fold(f64::min, f64::INFINITY, |p| p.0), fold(f64::max, f64::NEG_INFINITY, |p| p.0));
        let (y0, y1) = (fold(f64::min, f64::INFINITY, |p| p.1), fold(f64::max, f64::NEG_INFINITY, |p| p.1));
        // Round up, with a hair of tolerance so that an exact 300.0000000001 stays 300.
        let side = |a: f64, b: f64| super::layout::saturate(((b - a) - 1e-9).ceil().max(1.0));
        let size = (side(x0, x1), side(y0, y1));
        // A smile is the sector mirrored: measured downwards from a centre above, its top is at y0.
        let centre = if frown { [-x0, y1] } else { [-x0, -y0] };
        ArcGeometry { size, centre, angle, mid_radius, frown }
    }

    /// Source position of output position `(x, y)` for a source `h` pixels tall (unclamped:
    /// the caller treats anything outside the source as transparent).
    pub fn source(&self, h: f64, x: f64, y: f64) -> [f64; 2] {
        let dx = x - self.centre[0];
        let dy = if self.frown { self.centre[1] - y } else { y - self.centre[1] };
        let phi = dx.atan2(dy);
        let rho = dx.hypot(dy);
        let u = (phi / self.angle + 0.5) * self.mid_radius * self.angle;
        let v = if self.frown { self.mid_radius + h / 2.0 - rho } else { rho - (self.mid_radius - h / 2.0) };
        [u, v]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_line_matches_css() {
        // Towards the bottom: starts at the top edge, length = height.
        let g = GradientLine::new((300, 200), 180.0);
        assert!((g.length - 200.0).abs() < 1e-9);
        assert!(g.position([150.0, 0.0]).abs() < 1e-9 && (g.position([10.0, 200.0]) - 200.0).abs() < 1e-9);
        // Towards the right: starts at the left edge.
        let g = GradientLine::new((300, 200), 90.0);
        assert!((g.length - 300.0).abs() < 1e-9 && g.position([0.0, 77.0]).abs() < 1e-9);
        // 45°: the bottom-left corner is 0, the top-right corner is the full length.
        let g = GradientLine::new((300, 200), 45.0);
        assert!(g.position([0.0, 200.0]).abs() < 1e-9);
        assert!((g.position([300.0, 0.0]) - g.length).abs() < 1e-9);
    }

    #[test]
    fn identity_perspective_is_exactly_the_identity() {
        for (w, h) in [(300, 200), (49, 97), (1, 1)] {
            let c = [0, 0, w, 0, w, h, 0, h];
            let (origin, size) = perspective_box(&c);
            assert_eq!((origin, size), ([0.0, 0.0], (w.unsigned_abs(), h.unsigned_abs())));
            let m = perspective_matrix((w.unsigned_abs(), h.unsigned_abs()), &c);
            assert_eq!(m, [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0], "{w}x{h}");
        }
    }

    #[test]
    fn perspective_maps_corners_back_to_source_corners() {
        let c = [10, 20, 290, -5, 250, 190, -40, 170];
        let (origin, size) = perspective_box(&c);
        assert_eq!((origin, size), ([-40.0, -5.0], (330, 195)));
        let m = perspective_matrix((300, 200), &c);
        let src = [[0.0, 0.0], [300.0, 0.0], [300.0, 200.0], [0.0, 200.0]];
        for (i, want) in src.iter().enumerate() {
            let (x, y) = (f64::from(c[2 * i]) - origin[0], f64::from(c[2 * i + 1]) - origin[1]);
            let got = apply(&m, x, y).unwrap();
            assert!((got[0] - want[0]).abs() < 1e-6 && (got[1] - want[1]).abs() < 1e-6, "corner {i}: {got:?}");
        }
        // A translation only: a point maps by the same offset.
        let m = perspective_matrix((100, 50), &[30, 40, 130, 40, 130, 90, 30, 90]);
        assert_eq!(apply(&m, 12.5, 7.5), Some([12.5, 7.5]));
    }

    #[test]
    fn arc_geometry() {
        // 180° frown of a 314×50 strip: centre-line radius 100 (= 314/π, rounded below), outer
        // 125, inner 75; the box is a half annulus: 2 × outer wide, outer tall.
        let a = ArcGeometry::new((314, 50), 180.0);
        assert!((a.mid_radius - 314.0 / PI).abs() < 1e-9);
        let outer = a.mid_radius + 25.0;
        assert_eq!((f64::from(a.size.0), f64::from(a.size.1)), ((2.0 * outer).ceil(), outer.ceil()));
        // The middle column's top pixel sits at the top centre of the output.
        let [u, v] = a.source(50.0, a.centre[0], a.centre[1] - outer + 0.5);
        assert!((u - 157.0).abs() < 1e-6 && (v - 0.5).abs() < 1e-6, "{u} {v}");
        // A smile is the mirror: same box, centre at the top, top edge innermost.
        let s = ArcGeometry::new((314, 50), -180.0);
        assert_eq!(s.size, a.size);
        assert!(s.centre[1].abs() < 1e-9);
        let [_, v] = s.source(50.0, s.centre[0], s.centre[1] + a.mid_radius - 25.0 + 0.5);
        assert!((v - 0.5).abs() < 1e-6, "{v}");
        // 360° of a tall image: rows past the centre are dropped, the box is the full disc.
        let full = ArcGeometry::new((100, 100), 360.0);
        let r = 100.0 / (2.0 * PI) + 50.0;
        assert_eq!((f64::from(full.size.0), f64::from(full.size.1)), ((2.0 * r).ceil(), (2.0 * r).ceil()));
        // A tiny arc is nearly the source rectangle.
        let flat = ArcGeometry::new((300, 40), 1.0);
        assert!(flat.size.0 >= 299 && flat.size.0 <= 301 && flat.size.1 >= 40 && flat.size.1 <= 44, "{:?}", flat.size);
    }
}
