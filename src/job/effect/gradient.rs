//! `e-gradient`: a two-colour linear gradient drawn over the image.
//!
//! Owns: [`Gradient`], [`StopPoint`] and their checks (shared by the URL parser and the wire
//! decoder). Imports `error`, the sibling [`Color`] and [`Expr`] from `job::geometry`.
//!
//! Defaults are ImageKit's documented ones ("Image enhancement & color manipulation",
//! Gradient): `ld` 180 (`bottom`), `from` `FFFFFF`, `to` `00000000`, `sp` 1.

use super::Color;
use crate::error::{Error, Result};
use crate::job::geometry::Expr;

/// The parameters of `e-gradient-ld-<dir>_from-<c>_to-<c>_sp-<p>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gradient {
    /// Direction in whole degrees 0–359, CSS `linear-gradient` convention: 0 = towards the
    /// top, 90 = towards the right, clockwise (`ld-top` = 0, `ld-bottom` = 180).
    pub direction: u16,
    /// Colour at the start of the gradient line.
    pub from: Color,
    /// Colour from the stop point on.
    pub to: Color,
    /// Where along the gradient line `to` is reached.
    pub stop: StopPoint,
}

/// `sp`: a fraction of the gradient line (`0.01`–`1`) or pixels along it (an integer ≥ 2;
/// ImageKit reads `1` as 100 %), or an expression that resolves to either.
#[derive(Debug, Clone, PartialEq)]
pub enum StopPoint {
    /// Fraction of the gradient line's length, in (0, 1].
    Fraction(f64),
    /// Pixels along the gradient line, ≥ 2.
    Px(u32),
    /// An arithmetic expression (`ih_div_2`), resolved by the planner against the step's
    /// sizes; its value is then read as the literal forms are (≤ 1 a fraction, > 1 pixels).
    Expr(Expr),
}

impl Default for Gradient {
    fn default() -> Self {
        Gradient {
            direction: 180,
            from: Color { rgb: [255, 255, 255], opacity_pct: None },
            to: Color { rgb: [0, 0, 0], opacity_pct: Some(0) },
            stop: StopPoint::Fraction(1.0),
        }
    }
}

impl Gradient {
    /// Refuse a direction over 359° or a stop point outside its range (errors name
    /// `e-gradient-ld` / `e-gradient-sp`).
    pub fn validate(&self) -> Result<()> {
        if self.direction > 359 {
            return Err(Error::invalid("e-gradient-ld", self.direction.to_string(), "angle must be 0 to 359"));
        }
        match self.stop {
            // An expression is checked once the planner knows its value.
            StopPoint::Fraction(f) if !(f > 0.0 && f <= 1.0) => {
                Err(Error::invalid("e-gradient-sp", f.to_string(), "a fraction must be in (0, 1]"))
            }
            StopPoint::Px(p) if p < 2 => {
                Err(Error::invalid("e-gradient-sp", p.to_string(), "pixels must be at least 2 (1 means 100 %)"))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks() {
        assert!(Gradient::default().validate().is_ok());
        let g = |direction, stop| Gradient { direction, stop, ..Gradient::default() };
        assert_eq!(g(360, StopPoint::Px(5)).validate().unwrap_err().key(), Some("e-gradient-ld"));
        assert_eq!(g(0, StopPoint::Fraction(0.0)).validate().unwrap_err().key(), Some("e-gradient-sp"));
        assert_eq!(g(0, StopPoint::Fraction(f64::NAN)).validate().unwrap_err().key(), Some("e-gradient-sp"));
        assert_eq!(g(0, StopPoint::Px(1)).validate().unwrap_err().key(), Some("e-gradient-sp"));
        assert!(g(359, StopPoint::Px(2)).validate().is_ok());
    }
}
