//! Encoders and the quality mapping per format.
//!
//! Owns: [`encode`], [`Encoded`]. JPEG has no alpha, so transparent frames are flattened on
//! the requested background (white by default, as browsers show transparency) first.

use std::io::Cursor;

use image::codecs::gif::GifEncoder;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use super::Frame;
use crate::error::{Error, ErrorKind, Result};
use crate::job::Format;

/// Encoded output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    /// The bytes.
    pub data: Vec<u8>,
    /// MIME type.
    pub mime: &'static str,
}

/// Encoder settings resolved from the job's output parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncodeOptions {
    /// A concrete format (not `Auto`/`Orig`).
    pub format: Format,
    /// 1–100.
    pub quality: u8,
    /// Lossless where the format allows.
    pub lossless: bool,
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("encode: {e}"))
}

/// Composite straight-alpha RGBA over an opaque `bg`, dropping alpha.
fn flatten_rgb(frame: &Frame, bg: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::with_capacity(frame.data.len() / 4 * 3);
    for p in frame.data.chunks_exact(4) {
        let a = u32::from(p[3]);
        for c in 0..3 {
            let v = (u32::from(p[c]) * a + u32::from(bg[c]) * (255 - a) + 127) / 255;
            out.push(u8::try_from(v).unwrap_or(255));
        }
    }
    out
}

/// Encode `frame` with `opts`.
pub fn encode(frame: &Frame, opts: EncodeOptions) -> Result<Encoded> {
    let mut data = Vec::new();
    let (w, h) = (frame.width, frame.height);
    let mime = match opts.format {
        Format::Jpeg => {
            let rgb = flatten_rgb(frame, [255, 255, 255]);
            JpegEncoder::new_with_quality(&mut data, opts.quality.clamp(1, 100))
                .write_image(&rgb, w, h, ExtendedColorType::Rgb8)
                .map_err(internal)?;
            "image/jpeg"
        }
        Format::Png => {
            let enc = PngEncoder::new_with_quality(Cursor::new(&mut data), CompressionType::Fast, FilterType::Adaptive);
            if frame.has_alpha() {
                enc.write_image(&frame.data, w, h, ExtendedColorType::Rgba8).map_err(internal)?;
            } else {
                enc.write_image(&flatten_rgb(frame, [0, 0, 0]), w, h, ExtendedColorType::Rgb8).map_err(internal)?;
            }
            "image/png"
        }
        Format::Gif => {
            let mut enc = GifEncoder::new_with_speed(&mut data, 10);
            enc.encode(&frame.data, w, h, ExtendedColorType::Rgba8).map_err(internal)?;
            drop(enc);
            "image/gif"
        }
        Format::Webp => {
            // image's WebP encoder is lossless only; lossy WebP lands with the libwebp encoder.
            image::codecs::webp::WebPEncoder::new_lossless(&mut data)
                .write_image(&frame.data, w, h, ExtendedColorType::Rgba8)
                .map_err(internal)?;
            "image/webp"
        }
        other => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("output format '{}' is not available for images yet", other.as_str()),
            )
            .with_param("f", other.as_str()));
        }
    };
    Ok(Encoded { data, mime })
}

/// Encoders this build has, for `xformd check`.
pub fn available() -> Vec<(&'static str, bool)> {
    let tiny = Frame { width: 2, height: 2, data: vec![128; 16] };
    [Format::Jpeg, Format::Png, Format::Webp, Format::Gif, Format::Avif]
        .into_iter()
        .map(|f| (f.as_str(), encode(&tiny, EncodeOptions { format: f, quality: 80, lossless: false }).is_ok()))
        .collect()
}
