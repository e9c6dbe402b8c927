//! Background (`bg`, spec §5): a colour, `blurred[_intensity][_brightness]`, or `dominant`.
//!
//! Owns: parsing of `bg` values into [`Background`]. May import `job`, `error`.
//!
//! # Format
//! ```text
//! bg-F3F3F3   bg-FF000050   bg-white   bg-dominant
//! bg-blurred  bg-blurred_25  bg-blurred_auto_N30  bg-blurred_5_255  bg-gradient_dominant_4
//! ```
//! `blurred` is only valid with `cm-pad_resize` (checked when the step is complete), and
//! so is `gradient_dominant[_2|_4]` (a gradient of the image's 2 or 4 dominant colours);
//! `genfill…` is refused as generative.

use super::color::color;
use super::number::{integer, signed};
use crate::error::{Error, Result};
use crate::job::Background;

/// Parse a `bg` value of parameter `key`.
pub(super) fn background(key: &str, value: &str) -> Result<Background> {
    if value == "dominant" {
        return Ok(Background::Dominant);
    }
    if super::generative::GENERATIVE_BACKGROUNDS.iter().any(|g| value.starts_with(g)) {
        return Err(super::generative::refuse(key, value));
    }
    if let Some(rest) = value.strip_prefix("gradient_dominant") {
        let colors = match rest {
            "" | "_2" => 2,
            "_4" => 4,
            _ => return Err(Error::invalid(key, value, "expected gradient_dominant, gradient_dominant_2 or _4")),
        };
        return Ok(Background::GradientDominant { colors });
    }
    if let Some(rest) = value.strip_prefix("blurred") {
        let parts: Vec<&str> = if rest.is_empty() {
            Vec::new()
        } else {
            rest.strip_prefix('_').ok_or_else(|| Error::invalid(key, value, "unknown background"))?.split('_').collect()
        };
        if parts.len() > 2 {
            return Err(Error::invalid(key, value, "expected blurred[_intensity][_brightness]"));
        }
        let intensity = match parts.first() {
            None | Some(&"auto") => None,
            Some(i) => Some(
                u8::try_from(
                    integer(key, i, 0, 100).map_err(|_| Error::invalid(key, value, "intensity is auto or 0-100"))?,
                )
                .unwrap_or(100),
            ),
        };
        let brightness = match parts.get(1) {
            None => 0,
            Some(b) => {
                let v = signed(key, b).map_err(|_| Error::invalid(key, value, "brightness is N255-255"))?;
                if v.fract() != 0.0 || !(-255.0..=255.0).contains(&v) {
                    return Err(Error::invalid(key, value, "brightness is a whole number from N255 to 255"));
                }
                #[expect(clippy::cast_possible_truncation, reason = "a whole number in -255..=255")]
                let b = v as i16;
                b
            }
        };
        return Ok(Background::Blurred { intensity, brightness });
    }
    color(key, value).map(Background::Color)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::job::Color;

    #[test]
    fn table() {
        let cases: &[(&str, Background)] = &[
            ("dominant", Background::Dominant),
            ("blurred", Background::Blurred { intensity: None, brightness: 0 }),
            ("blurred_20_N255", Background::Blurred { intensity: Some(20), brightness: -255 }),
            ("blurred_5_255", Background::Blurred { intensity: Some(5), brightness: 255 }),
            ("blurred_auto_N25", Background::Blurred { intensity: None, brightness: -25 }),
            ("blurred_0", Background::Blurred { intensity: Some(0), brightness: 0 }),
            ("white", Background::Color(Color { rgb: [255; 3], opacity_pct: None })),
            ("FF000050", Background::Color(Color { rgb: [255, 0, 0], opacity_pct: Some(50) })),
        ];
        for (v, want) in cases {
            assert_eq!(&background("bg", v).unwrap(), want, "{v}");
        }
    }

    #[test]
    fn errors() {
        for v in ["blurred_101", "blurred_5_256", "blurred_5_N256", "blurred_1_2_3", "blurredx", "blurred_", "nope"] {
            let e = background("bg", v).unwrap_err();
            assert_eq!((e.key(), e.value()), (Some("bg"), Some(v)), "{v}");
        }
        assert_eq!(background("bg", "genfill").unwrap_err().kind(), ErrorKind::Unsupported);
        for v in ["gradient_dominant_3", "gradient_dominant4", "gradient_dominant_"] {
            assert_eq!(background("bg", v).unwrap_err().kind(), ErrorKind::InvalidArgument, "{v}");
        }
    }

    #[test]
    fn gradient_dominant_palette_sizes() {
        let g = |colors| Background::GradientDominant { colors };
        assert_eq!(background("bg", "gradient_dominant").unwrap(), g(2));
        assert_eq!(background("bg", "gradient_dominant_2").unwrap(), g(2));
        assert_eq!(background("bg", "gradient_dominant_4").unwrap(), g(4));
    }
}
