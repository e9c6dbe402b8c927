//! Encoders and the quality mapping per format.
//!
//! Owns: [`encode`], [`encode_with`], [`EncodeOptions`], [`Metadata`], [`Encoded`],
//! [`AVIF_SPEED`]. JPEG has no alpha, so transparent frames are flattened on white (as
//! browsers show transparency) first.
//!
//! | format | library | quality | notes |
//! |---|---|---|---|
//! | JPEG | libjpeg-turbo (`turbojpeg`) | `q` | 4:2:0; `pr-true` progressive; `md-true` EXIF APP1, `cp-true` ICC APP2 |
//! | WebP | libwebp (`webp`) | `q` | `lo-true` lossless; alpha kept |
//! | AVIF | ravif through `image` | `q` | speed [`AVIF_SPEED`]; 8-bit; alpha kept |
//! | PNG | `image` | — | 8-bit RGB or RGBA, fast deflate; `cp-true` keeps the ICC profile |
//! | GIF | `image` | — | one frame, NeuQuant palette (animations: `animation`) |

use std::io::Cursor;

// The fuzz build (fuzz/) leaves the AVIF encoder (rav1e) out: no target encodes, and it is
// the slowest dependency to build.
#[cfg(not(fuzzing))]
use image::codecs::avif::AvifEncoder;
use image::codecs::gif::GifEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder};

use super::{jpeg, Frame};
use crate::error::{Error, ErrorKind, Result};
use crate::job::Format;

/// ravif speed (1 slowest … 10 fastest). Measured on the 20 MP photo → w-1000 (1000 × 563),
/// release build, one core: speed 8 spends 2.9 s in the encoder, over the ~1 s budget per
/// image, so the fastest setting is used (docs/benchmarks.md has the numbers).
pub const AVIF_SPEED: u8 = 10;

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
    /// Lossless where the format allows (WebP; PNG is always lossless).
    pub lossless: bool,
    /// Progressive JPEG (`pr-true`).
    pub progressive: bool,
}

/// Source metadata carried into the output where the format can hold it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Metadata<'a> {
    /// APP1 payload (`Exif\0\0` + TIFF) for `md-true`; JPEG only.
    pub exif: Option<&'a [u8]>,
    /// ICC profile for `cp-true`; JPEG and PNG.
    pub icc: Option<&'a [u8]>,
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::internal(format!("encode: {e}"))
}

/// Composite straight-alpha RGBA over an opaque `bg`, dropping alpha.
fn flatten_rgb(frame: &Frame, bg: [u8; 3]) -> Vec<u8> {
    let mut out = Vec::with_capacity(frame.data.len() / 4 * 3);
    for p in frame.data.chunks_exact(4) {
        let a = u32::from(p[3]);
        if a == 255 {
            out.extend_from_slice(&p[..3]);
            continue;
        }
        for c in 0..3 {
            let v = (u32::from(p[c]) * a + u32::from(bg[c]) * (255 - a) + 127) / 255;
            out.push(u8::try_from(v).unwrap_or(255));
        }
    }
    out
}

/// Encode `frame` with `opts`, stripping all metadata.
pub fn encode(frame: &Frame, opts: EncodeOptions) -> Result<Encoded> {
    encode_with(frame, opts, Metadata::default())
}

/// Encode `frame` with `opts`, keeping `meta` where the format allows.
pub fn encode_with(frame: &Frame, opts: EncodeOptions, meta: Metadata<'_>) -> Result<Encoded> {
    let (w, h) = (frame.width, frame.height);
    let quality = opts.quality.clamp(1, 100);
    let (data, mime) = match opts.format {
        Format::Jpeg => {
            let rgb = flatten_rgb(frame, [255, 255, 255]);
            (jpeg::encode(&rgb, w, h, quality, opts.progressive, meta.exif, meta.icc)?, "image/jpeg")
        }
        Format::Png => {
            let mut data = Vec::new();
            let mut enc =
                PngEncoder::new_with_quality(Cursor::new(&mut data), CompressionType::Fast, FilterType::Adaptive);
            if let Some(icc) = meta.icc {
                // A refused profile only loses colour accuracy, never the image.
                let _ = enc.set_icc_profile(icc.to_vec());
            }
            if frame.has_alpha() {
                enc.write_image(&frame.data, w, h, ExtendedColorType::Rgba8).map_err(internal)?;
            } else {
                enc.write_image(&flatten_rgb(frame, [0, 0, 0]), w, h, ExtendedColorType::Rgb8).map_err(internal)?;
            }
            (data, "image/png")
        }
        Format::Gif => {
            let mut data = Vec::new();
            let mut enc = GifEncoder::new_with_speed(&mut data, 10);
            enc.encode(&frame.data, w, h, ExtendedColorType::Rgba8).map_err(internal)?;
            drop(enc);
            (data, "image/gif")
        }
        Format::Webp => (encode_webp(frame, quality, opts.lossless)?, "image/webp"),
        Format::Svg => {
            let png = encode_with(frame, EncodeOptions { format: Format::Png, ..opts }, meta)?;
            (super::svg::wrap_png(&png.data, w, h), "image/svg+xml")
        }
        #[cfg(not(fuzzing))]
        Format::Avif => {
            let mut data = Vec::new();
            AvifEncoder::new_with_speed_quality(&mut data, AVIF_SPEED, quality)
                .write_image(&frame.data, w, h, ExtendedColorType::Rgba8)
                .map_err(internal)?;
            (data, "image/avif")
        }
        other => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("output format '{}' is not available for images", other.as_str()),
            )
            .with_param("f", other.as_str()));
        }
    };
    Ok(Encoded { data, mime })
}

/// Lossy (quality 1–100) or lossless WebP through libwebp; opaque frames are sent as RGB so
/// no alpha plane is written.
fn encode_webp(frame: &Frame, quality: u8, lossless: bool) -> Result<Vec<u8>> {
    let rgb;
    let enc = if frame.has_alpha() {
        webp::Encoder::from_rgba(&frame.data, frame.width, frame.height)
    } else {
        rgb = flatten_rgb(frame, [0, 0, 0]);
        webp::Encoder::from_rgb(&rgb, frame.width, frame.height)
    };
    let mut config = webp::WebPConfig::new().map_err(|()| internal("webp: cannot initialise the encoder config"))?;
    config.lossless = i32::from(lossless);
    config.quality = if lossless { 75.0 } else { f32::from(quality) };
    config.alpha_compression = i32::from(!lossless);
    // method 4 is libwebp's default speed/size balance.
    config.method = 4;
    let mem = enc.encode_advanced(&config).map_err(|e| internal(format!("webp: {e:?}")))?;
    Ok(mem.to_vec())
}

/// Encoders this build has, for `xformd check`.
pub fn available() -> Vec<(&'static str, bool)> {
    let tiny = Frame { width: 2, height: 2, data: vec![128; 16] };
    [Format::Jpeg, Format::Png, Format::Webp, Format::Gif, Format::Avif]
        .into_iter()
        .map(|f| {
            let opts = EncodeOptions { format: f, quality: 80, lossless: false, progressive: false };
            (f.as_str(), encode(&tiny, opts).is_ok())
        })
        .collect()
}
