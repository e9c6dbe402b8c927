//! `e-shadow`: a shadow under the non-transparent pixels of an image.
//!
//! Owns: [`Shadow`] and its range check, shared by the URL parser and the wire decoder so a
//! daemon refuses what the front end refuses. Imports `error` only.
//!
//! Ranges and defaults are ImageKit's ("Image enhancement & color manipulation", Shadow):
//! `bl` 0–15 (10), `st` 0–100 (30), `x`/`y` −100–100 percent of the width/height (2).

use crate::error::{Error, Result};

/// The parameters of `e-shadow-bl-<b>_st-<s>_x-<x>_y-<y>`, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shadow {
    /// Blur level 0–15 (`bl`).
    pub blur: u8,
    /// Saturation (darkness) of the shadow in percent 0–100 (`st`).
    pub saturation: u8,
    /// Horizontal offset in percent of the image width, −100–100 (`x`, `N` = left).
    pub x: i8,
    /// Vertical offset in percent of the image height, −100–100 (`y`, `N` = up).
    pub y: i8,
}

impl Default for Shadow {
    fn default() -> Self {
        Shadow { blur: 10, saturation: 30, x: 2, y: 2 }
    }
}

impl Shadow {
    /// Largest `bl`.
    pub const MAX_BLUR: u8 = 15;
    /// Largest `st`.
    pub const MAX_SATURATION: u8 = 100;
    /// Largest `|x|` and `|y|`.
    pub const MAX_OFFSET: i8 = 100;

    /// Refuse a value outside ImageKit's ranges; the error names `e-shadow-<option>`.
    pub fn validate(&self) -> Result<()> {
        if self.blur > Self::MAX_BLUR {
            return Err(Error::invalid("e-shadow-bl", self.blur.to_string(), "must be between 0 and 15"));
        }
        if self.saturation > Self::MAX_SATURATION {
            return Err(Error::invalid("e-shadow-st", self.saturation.to_string(), "must be between 0 and 100"));
        }
        for (k, v) in [("e-shadow-x", self.x), ("e-shadow-y", self.y)] {
            if v.unsigned_abs() > Self::MAX_OFFSET.unsigned_abs() {
                return Err(Error::invalid(k, v.to_string(), "must be between N100 and 100 (percent)"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_ranges_are_checked() {
        assert!(Shadow::default().validate().is_ok());
        let e = Shadow { blur: 16, ..Shadow::default() }.validate().unwrap_err();
        assert_eq!((e.key(), e.value()), (Some("e-shadow-bl"), Some("16")));
        let e = Shadow { y: -101, ..Shadow::default() }.validate().unwrap_err();
        assert_eq!(e.key(), Some("e-shadow-y"));
        assert!(Shadow { x: -100, y: 100, blur: 0, saturation: 100 }.validate().is_ok());
    }
}
