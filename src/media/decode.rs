//! Decoding under limits, with EXIF orientation applied before anything else.
//!
//! Owns: [`decode`]. The header is probed first (`probe`), so sizes over the limits are
//! refused before a pixel buffer is allocated; `image`'s own allocation limit is set too as a
//! second line of defence.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader};

use super::probe::{probe, undecodable, SourceFormat, SourceInfo};
use super::Frame;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;

/// A decoded, oriented source.
#[derive(Debug)]
pub struct Decoded {
    /// Pixels, EXIF orientation applied.
    pub frame: Frame,
    /// What the header said.
    pub info: SourceInfo,
}

/// Decode `bytes` into an oriented RGBA8 frame.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded> {
    let info = probe(bytes, limits)?;
    if matches!(info.format, SourceFormat::Video | SourceFormat::Avif) {
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!("{} sources are decoded by the video module", info.format.as_str()),
        ));
    }
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(undecodable)?;
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_alloc);
    image_limits.max_image_width = Some(limits.max_output_dim.max(65_535));
    image_limits.max_image_height = Some(limits.max_output_dim.max(65_535));
    reader.limits(image_limits);
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    img.apply_orientation(orientation);
    let rgba = img.into_rgba8();
    let (w, h) = rgba.dimensions();
    let frame = Frame::from_rgba(w, h, rgba.into_raw())?;
    Ok(Decoded { frame, info })
}
