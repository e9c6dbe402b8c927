//! `e-distort`: perspective (`p-x1_y1_x2_y2_x3_y3_x4_y4`) and arc (`a-<deg>`) distortion.
//!
//! Owns: [`Distort`] and its checks (shared by the URL parser and the wire decoder). Imports
//! `error` only. The pixel geometry lives in `plan::warp`.

use crate::error::{Error, Result};

/// Largest `|coordinate|` of a perspective corner, in pixels. The planner checks the real
/// output size against the limits; this only keeps the arithmetic far from overflow.
pub const MAX_DISTORT_COORD: i32 = 1 << 20;

/// A distortion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Distort {
    /// Where the source's top-left, top-right, bottom-right and bottom-left corners go, as
    /// `[x1, y1, x2, y2, x3, y3, x4, y4]` in pixels of the step's frame (`N` = negative).
    Perspective([i32; 8]),
    /// Bend the image over an arc of this many degrees, 0 < |d| ≤ 360: positive arcs like a
    /// frown (middle up), negative (`a-N90`) like a smile.
    Arc(f64),
}

impl Distort {
    /// Refuse corners out of range or not forming a convex quadrilateral (no perspective maps
    /// a rectangle onto a self-crossing or concave shape), and arcs of 0 or over 360°. Errors
    /// name `e-distort-p` / `e-distort-a`.
    pub fn validate(&self) -> Result<()> {
        match *self {
            Distort::Perspective(c) => {
                let text = || c.map(|v| v.to_string()).join("_");
                if c.iter().any(|v| v.unsigned_abs() > MAX_DISTORT_COORD.unsigned_abs()) {
                    return Err(Error::invalid("e-distort-p", text(), "coordinates must be within ±1048576"));
                }
                if !is_convex(&c) {
                    return Err(Error::invalid(
                        "e-distort-p",
                        text(),
                        "the four corners must form a convex quadrilateral (top-left, top-right, bottom-right, bottom-left)",
                    ));
                }
                Ok(())
            }
            Distort::Arc(d) if d.is_finite() && d != 0.0 && d.abs() <= 360.0 => Ok(()),
            Distort::Arc(d) => {
                Err(Error::invalid("e-distort-a", d.to_string(), "angle must be 1 to 360 or N1 to N360"))
            }
        }
    }
}

/// True when the corners, in order, turn the same way at every vertex with no zero turn
/// (strictly convex; either orientation, so a mirrored quadrilateral is allowed).
fn is_convex(c: &[i32; 8]) -> bool {
    let p = |i: usize| (i64::from(c[2 * (i % 4)]), i64::from(c[2 * (i % 4) + 1]));
    let mut sign = 0i64;
    for i in 0..4 {
        let (a, b, d) = (p(i), p(i + 1), p(i + 2));
        let cross = (b.0 - a.0) * (d.1 - b.1) - (b.1 - a.1) * (d.0 - b.0);
        if cross == 0 || (sign != 0 && cross.signum() != sign) {
            return false;
        }
        sign = cross.signum();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks() {
        assert!(Distort::Perspective([0, 0, 300, 0, 300, 200, 0, 200]).validate().is_ok());
        assert!(Distort::Perspective([10, 10, 290, 30, 250, 190, -40, 170]).validate().is_ok());
        // Mirrored (counter-clockwise) is still a perspective.
        assert!(Distort::Perspective([300, 0, 0, 0, 0, 200, 300, 200]).validate().is_ok());
        // Self-crossing (bowtie), concave, degenerate.
        for c in [[0, 0, 300, 200, 300, 0, 0, 200], [0, 0, 100, 90, 300, 0, 150, 200], [0, 0, 1, 1, 2, 2, 3, 3]] {
            assert_eq!(Distort::Perspective(c).validate().unwrap_err().key(), Some("e-distort-p"), "{c:?}");
        }
        let far = Distort::Perspective([0, 0, 1 << 21, 0, 1 << 21, 9, 0, 9]);
        assert_eq!(far.validate().unwrap_err().key(), Some("e-distort-p"));
        assert!(Distort::Arc(-360.0).validate().is_ok());
        for d in [0.0, 361.0, f64::NAN] {
            assert_eq!(Distort::Arc(d).validate().unwrap_err().key(), Some("e-distort-a"));
        }
    }
}
