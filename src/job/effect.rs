//! Appearance parameters of a step: trim, rotation, flip, effects, radius, border,
//! background and colours.
//!
//! Owns: [`Trim`], [`Rotation`], [`Flip`], [`Effect`], [`Radius`], [`Border`],
//! [`Background`], [`Color`]; the parameter families of `e-shadow`, `e-gradient` and
//! `e-distort` live in one child file each. Pure; imports `job::geometry` and `error` only.

mod distort;
mod gradient;
mod shadow;

pub use distort::{Distort, MAX_DISTORT_COORD};
pub use gradient::{Gradient, StopPoint};
pub use shadow::Shadow;

use super::geometry::Dim;

/// Trim near-uniform borders (`t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// `t-true`: default threshold.
    Default,
    /// `t-<1..99>`: similarity threshold; higher trims more.
    Threshold(u8),
    /// `t-false`: switch off (image layers trim by default).
    Off,
}

/// Rotation (`rt`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rotation {
    /// Clockwise degrees; negative is counter-clockwise (`rt-N40`).
    Degrees(f64),
    /// `rt-auto`: from EXIF orientation.
    Auto,
}

/// Mirror (`fl-h`, `fl-v`, `fl-h_v`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flip {
    /// Mirror left–right.
    pub horizontal: bool,
    /// Mirror top–bottom.
    pub vertical: bool,
}

/// An `e-…` effect.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// `e-grayscale`.
    Grayscale,
    /// `e-contrast`: automatic contrast stretch.
    Contrast,
    /// `e-sharpen[-n]`; `None` = default strength.
    Sharpen(Option<f64>),
    /// `e-usm-radius-sigma-amount-threshold`.
    UnsharpMask {
        /// Radius; 0 = derived from sigma.
        radius: f64,
        /// Gaussian sigma.
        sigma: f64,
        /// Amount.
        amount: f64,
        /// Threshold (fraction of the range).
        threshold: f64,
    },
    /// `e-shadow[-bl-…_st-…_x-…_y-…]`: a shadow under the non-transparent pixels.
    Shadow(Shadow),
    /// `e-gradient[-ld-…_from-…_to-…_sp-…]`: a linear gradient drawn over the image.
    Gradient(Gradient),
    /// `e-distort-p-…` (perspective) or `e-distort-a-…` (arc).
    Distort(Distort),
}

/// Rounded corners (`r`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Radius {
    /// One radius for all corners.
    Uniform(u32),
    /// top-left, top-right, bottom-right, bottom-left; [`Radius::MAX_CORNER`] for a corner
    /// written `max` (`r-10_max_20_30`).
    Corners([u32; 4]),
    /// `r-max`: circle / ellipse.
    Max,
}

impl Radius {
    /// A corner radius of `max`: the largest circle the corner takes. Every consumer clamps a
    /// radius to half the shorter side, so the largest value means exactly that.
    pub const MAX_CORNER: u32 = u32::MAX;
}

/// An sRGB colour with optional opacity. ImageKit's 8-digit form carries opacity as a
/// *decimal* 00–99, so that is what is stored; `alpha()` converts to 0–255.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Color {
    /// Red, green, blue.
    pub rgb: [u8; 3],
    /// Opacity in percent 0–99 when given; `None` = opaque.
    pub opacity_pct: Option<u8>,
}

impl Color {
    /// Black, the documented default background.
    pub const BLACK: Color = Color { rgb: [0, 0, 0], opacity_pct: None };

    /// Alpha in 0–255.
    pub fn alpha(self) -> u8 {
        match self.opacity_pct {
            None => 255,
            // 99 % ⇒ 252; rounding to nearest keeps 50 % at 128.
            Some(p) => u8::try_from((u32::from(p.min(100)) * 255 + 50) / 100).unwrap_or(255),
        }
    }

    /// RGBA with straight alpha.
    pub fn rgba(self) -> [u8; 4] {
        [self.rgb[0], self.rgb[1], self.rgb[2], self.alpha()]
    }
}

/// Border (`b-<width>_<colour>` or `b-<width>-<colour>`).
#[derive(Debug, Clone, PartialEq)]
pub struct Border {
    /// Width in pixels or an expression.
    pub width: Dim,
    /// Colour.
    pub color: Color,
}

/// Background (`bg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Background {
    /// A solid colour.
    Color(Color),
    /// `blurred[_intensity][_brightness]`: the image itself, blurred (pad_resize only).
    Blurred {
        /// 0–100, `None` = auto.
        intensity: Option<u8>,
        /// −255…255.
        brightness: i16,
    },
    /// `dominant`: the most frequent quantised colour.
    Dominant,
    /// `gradient_dominant[_2|_4]`: a gradient between the image's 2 (default) or 4 dominant
    /// colours (padding only).
    GradientDominant {
        /// Palette size, 2 or 4.
        colors: u8,
    },
}
