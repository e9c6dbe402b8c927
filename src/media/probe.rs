//! Header sniffing: format and dimensions without decoding pixels.
//!
//! Owns: [`SourceFormat`], [`SourceInfo`], [`probe`]. Limits are checked here, from the
//! header, so a decompression bomb is refused before any pixel buffer exists.

use std::io::Cursor;

use image::{ImageDecoder, ImageReader};

use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;

/// Container formats the daemon recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// WebP.
    Webp,
    /// GIF.
    Gif,
    /// AVIF.
    Avif,
    /// Anything FFmpeg reads as video (MP4, MOV, WebM, MPEG-PS…).
    Video,
}

impl SourceFormat {
    /// Short name (`jpeg`, `png`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "jpeg",
            SourceFormat::Png => "png",
            SourceFormat::Webp => "webp",
            SourceFormat::Gif => "gif",
            SourceFormat::Avif => "avif",
            SourceFormat::Video => "video",
        }
    }

    /// MIME type of the source bytes.
    pub fn mime(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "image/jpeg",
            SourceFormat::Png => "image/png",
            SourceFormat::Webp => "image/webp",
            SourceFormat::Gif => "image/gif",
            SourceFormat::Avif => "image/avif",
            SourceFormat::Video => "video/mp4",
        }
    }
}

/// What the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceInfo {
    /// Format.
    pub format: SourceFormat,
    /// Width as stored (before EXIF orientation).
    pub width: u32,
    /// Height as stored.
    pub height: u32,
    /// EXIF orientation 1–8 (1 = as stored).
    pub orientation: u8,
}

impl SourceInfo {
    /// Size after applying the EXIF orientation (5–8 swap the axes).
    pub fn oriented_size(&self) -> (u32, u32) {
        if self.orientation >= 5 {
            (self.height, self.width)
        } else {
            (self.width, self.height)
        }
    }
}

/// Sniff the format from magic bytes.
pub fn sniff(bytes: &[u8]) -> Option<SourceFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(SourceFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(SourceFormat::Png)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(SourceFormat::Webp)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(SourceFormat::Gif)
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        if brand == b"avif" || brand == b"avis" {
            Some(SourceFormat::Avif)
        } else {
            Some(SourceFormat::Video)
        }
    } else if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) || bytes.starts_with(&[0, 0, 1, 0xBA]) {
        Some(SourceFormat::Video)
    } else {
        None
    }
}

pub(crate) fn undecodable(why: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Undecodable, format!("cannot decode source: {why}"))
}

/// Read format, size and orientation from the header, and refuse sources over `limits`.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<SourceInfo> {
    if bytes.len() as u64 > limits.max_source_bytes {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!("source is {} bytes, over the limit of {}", bytes.len(), limits.max_source_bytes),
        ));
    }
    let format = sniff(bytes).ok_or_else(|| undecodable("unknown image format"))?;
    if matches!(format, SourceFormat::Video | SourceFormat::Avif) {
        // Sizes of these come from FFmpeg at decode time.
        return Ok(SourceInfo { format, width: 0, height: 0, orientation: 1 });
    }
    if format == SourceFormat::Jpeg {
        // libjpeg-turbo reads the frame header only; the marker walk finds the orientation.
        let header = turbojpeg::read_header(bytes).map_err(|e| undecodable(e.to_string().trim_end()))?;
        let width = u32::try_from(header.width).unwrap_or(u32::MAX);
        let height = u32::try_from(header.height).unwrap_or(u32::MAX);
        limits.check_input(width, height)?;
        let orientation = super::jpeg::read_meta(bytes).orientation;
        return Ok(SourceInfo { format, width, height, orientation });
    }
    if matches!(format, SourceFormat::Gif | SourceFormat::Webp) {
        // Frames may be larger than the canvas the header states; refuse from the container
        // walk before any decoder allocates for them.
        if let Some(scan) = super::animation::scan(bytes) {
            scan.check_sizes(limits)?;
        }
    }
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(undecodable)?;
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let (width, height) = decoder.dimensions();
    limits.check_input(width, height)?;
    // The decoder hands over the EXIF block (PNG `eXIf`, WebP `EXIF`); its own orientation
    // reader takes only the SHORT type, so the JPEG reader's rules apply here too.
    // A PNG may carry it in a `Raw profile type exif` text chunk instead (ImageMagick).
    let exif = decoder.exif_metadata().ok().flatten();
    let exif = exif.or_else(|| (format == SourceFormat::Png).then(|| super::png::read_meta(bytes).raw_exif).flatten());
    let orientation = exif.and_then(|e| super::jpeg::tiff_orientation(&e)).unwrap_or(1);
    Ok(SourceInfo { format, width, height, orientation })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_magic_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0"), Some(SourceFormat::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(SourceFormat::Png));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(SourceFormat::Webp));
        assert_eq!(sniff(b"hello"), None);
    }
}
