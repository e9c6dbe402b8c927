//! Output and delivery parameters (spec §6): `f q pr lo md cp orig di`.
//!
//! Owns: parsing of these keys into the job-wide [`Output`] (whichever step they appear in;
//! the last value wins). May import `job`, `error`.
//!
//! # Format
//! ```text
//! f-auto  f-webp  f-jpeg(=jpg)  q-80  pr-true  lo-false  md-true  cp-true  orig-true
//! di-@@path@@to@@default.jpg  (or di-path@@to@@default.jpg)
//! ```
//! `f-svg` delivers the rendered image inside an SVG document (this engine rasterises; an
//! SVG source is not read).

use super::number::{boolean, integer};
use crate::error::{Error, Result};
use crate::job::{Format, Output};

/// Apply one output parameter. Returns `Ok(false)` when `key` is not an output key.
pub(super) fn apply(key: &str, value: &str, out: &mut Output) -> Result<bool> {
    match key {
        "f" => {
            out.format = Some(Format::parse(value).ok_or_else(|| Error::invalid(key, value, "unknown format"))?);
        }
        "q" => out.quality = Some(quality(key, value)?),
        "pr" => out.progressive = Some(boolean(key, value)?),
        "lo" => out.lossless = Some(boolean(key, value)?),
        "md" => out.metadata = boolean(key, value)?,
        "cp" => out.color_profile = boolean(key, value)?,
        "orig" => out.original = boolean(key, value)?,
        "di" => out.default_image = Some(super::media_path(key, value)?),
        _ => return Ok(false),
    }
    Ok(true)
}

/// True for the job-wide output keys.
pub(super) fn is_output_key(key: &str) -> bool {
    matches!(key, "f" | "q" | "pr" | "lo" | "md" | "cp" | "orig" | "di")
}

/// `q-<1..100>`.
pub(super) fn quality(key: &str, value: &str) -> Result<u8> {
    Ok(u8::try_from(integer(key, value, 1, 100)?).unwrap_or(100))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(key: &str, value: &str) -> Result<Output> {
        let mut o = Output::default();
        assert!(apply(key, value, &mut o)?);
        Ok(o)
    }

    #[test]
    fn table() {
        let d = Output::default;
        let cases: Vec<(&str, &str, Output)> = vec![
            ("f", "jpeg", Output { format: Some(Format::Jpeg), ..d() }),
            ("f", "auto", Output { format: Some(Format::Auto), ..d() }),
            ("f", "mp4", Output { format: Some(Format::Mp4), ..d() }),
            ("q", "086", Output { quality: Some(86), ..d() }),
            ("pr", "false", Output { progressive: Some(false), ..d() }),
            ("lo", "true", Output { lossless: Some(true), ..d() }),
            ("md", "true", Output { metadata: true, ..d() }),
            ("cp", "true", Output { color_profile: true, ..d() }),
            ("orig", "true", Output { original: true, ..d() }),
            ("di", "@@path@@to@@image.jpg", Output { default_image: Some("/path/to/image.jpg".into()), ..d() }),
            ("di", "img.jpg", Output { default_image: Some("/img.jpg".into()), ..d() }),
        ];
        for (k, v, want) in cases {
            assert_eq!(one(k, v).unwrap(), want, "{k}-{v}");
        }
    }

    #[test]
    fn errors() {
        for (k, v) in [("f", "bmp"), ("q", "0"), ("q", "101"), ("pr", "yes"), ("di", "a@@..@@b.jpg"), ("di", "")] {
            let e = one(k, v).unwrap_err();
            assert_eq!((e.key(), e.value()), (Some(k), Some(v)), "{k}-{v}");
        }
        assert_eq!(one("f", "svg").unwrap().format, Some(Format::Svg));
    }
}
