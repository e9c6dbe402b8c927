//! Decoding under limits, with EXIF orientation applied before anything else and embedded
//! ICC profiles converted to sRGB.
//!
//! Owns: [`decode`], [`decode_for`], [`decode_with`], [`DecodeOptions`], [`Decoded`]. The
//! header is probed first (`probe`), so sizes over the limits are refused before a pixel
//! buffer is allocated. JPEG goes through libjpeg-turbo (`jpeg`): a truncated file renders
//! what decodes unless `limits.strict_decode`, and it is able to decode at 1/2, 1/4 or 1/8 scale in the DCT domain (shrink-on-load). PNG, WebP
//! and GIF (first frame; every frame: `animation`) go through `image`, whose allocation limit is set as a second line
//! of defence. AVIF is decoded by FFmpeg in the pipeline (media may not import `video`).

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, RgbaImage};

use super::probe::{probe, undecodable, SourceFormat, SourceInfo};
use super::{color, jpeg, png, Frame};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;

/// A decoded, oriented source.
#[derive(Debug)]
pub struct Decoded {
    /// Pixels, EXIF orientation applied, in sRGB unless the profile was kept.
    pub frame: Frame,
    /// What the header said (full stored size, before any shrink-on-load).
    pub info: SourceInfo,
    /// The DCT shrink applied on load (1, 2, 4 or 8); the frame is about
    /// `info.oriented_size() / shrink`.
    pub shrink: u32,
    /// The embedded ICC profile, only when [`DecodeOptions::keep_profile`] asked for it
    /// (the pixels are then left in that space and the encoder embeds it again).
    pub icc: Option<Vec<u8>>,
    /// The EXIF block (`Exif\0\0` + TIFF, orientation rewritten to 1), only when
    /// [`DecodeOptions::keep_metadata`] asked for it.
    pub exif: Option<Vec<u8>>,
}

/// How to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeOptions {
    /// The size (after orientation) the first resize produces. When the source is a JPEG at
    /// least twice as large on both axes, it is decoded at the largest DCT scale that still
    /// covers this size; the caller's resize finishes the job.
    pub target: Option<(u32, u32)>,
    /// `cp-true`: keep the embedded colour profile instead of converting to sRGB.
    pub keep_profile: bool,
    /// `md-true`: keep the EXIF block for the encoder.
    pub keep_metadata: bool,
}

/// Decode `bytes` into an oriented sRGB RGBA8 frame at full size.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded> {
    decode_with(bytes, limits, &DecodeOptions::default())
}

/// [`decode`], shrinking a JPEG on load towards `target` (oriented size), see
/// [`DecodeOptions::target`].
pub fn decode_for(bytes: &[u8], limits: &Limits, target: Option<(u32, u32)>) -> Result<Decoded> {
    decode_with(bytes, limits, &DecodeOptions { target, ..DecodeOptions::default() })
}

/// Decode with explicit options.
pub fn decode_with(bytes: &[u8], limits: &Limits, opts: &DecodeOptions) -> Result<Decoded> {
    let info = probe(bytes, limits)?;
    match info.format {
        SourceFormat::Video | SourceFormat::Avif => Err(Error::new(
            ErrorKind::Unsupported,
            format!("{} sources are decoded by the video module", info.format.as_str()),
        )),
        SourceFormat::Jpeg => decode_jpeg(bytes, limits, info, opts),
        _ => decode_image(bytes, limits, info, opts),
    }
}

fn decode_jpeg(bytes: &[u8], limits: &Limits, info: SourceInfo, opts: &DecodeOptions) -> Result<Decoded> {
    let meta = jpeg::read_meta(bytes);
    let denom = opts.target.map_or(1, |(tw, th)| {
        let stored_target = if info.orientation >= 5 { (th, tw) } else { (tw, th) };
        jpeg::shrink_factor((info.width, info.height), stored_target)
    });
    let (mut px, w, h) = jpeg::decode(bytes, limits, denom, &meta)?;
    let icc = manage_color(&mut px, meta.icc, opts.keep_profile);
    let frame = orient(w, h, px, info.orientation)?;
    let exif = meta.exif.filter(|_| opts.keep_metadata).map(|e| jpeg::exif_upright(&e));
    Ok(Decoded { frame, info, shrink: denom, icc, exif })
}

fn decode_image(bytes: &[u8], limits: &Limits, info: SourceInfo, opts: &DecodeOptions) -> Result<Decoded> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(undecodable)?;
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_alloc);
    image_limits.max_image_width = Some(limits.max_output_dim.max(65_535));
    image_limits.max_image_height = Some(limits.max_output_dim.max(65_535));
    reader.limits(image_limits);
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let profile = decoder.icc_profile().ok().flatten();
    let png = if info.format == SourceFormat::Png { png::read_meta(bytes) } else { png::PngMeta::default() };
    let exif = if opts.keep_metadata { decoder.exif_metadata().ok().flatten().or(png.raw_exif) } else { None };
    let img = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    let (w, h) = (img.width(), img.height());
    let (px, icc) = match profile {
        Some(icc) if !keeps(&icc, opts.keep_profile) => (converted(img, &icc), None),
        Some(icc) => (img.into_rgba8().into_raw(), Some(icc)),
        None => {
            // A PNG without iCCP or sRGB says how to read its samples with gAMA (and cHRM),
            // as browsers honour it.
            let mut px = img.into_rgba8().into_raw();
            if let (Some(gamma), false, false) = (png.gamma, png.srgb, png.iccp) {
                if let Some(t) = color::png_gamma_profile(gamma, png.chrm) {
                    t.apply(&mut px);
                }
            }
            (px, None)
        }
    };
    let frame = orient(w, h, px, info.orientation)?;
    let exif = exif.map(|tiff| {
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(tiff.strip_prefix(b"Exif\0\0").unwrap_or(&tiff));
        jpeg::exif_upright(&app1)
    });
    Ok(Decoded { frame, info, shrink: 1, icc, exif })
}

/// `img` as sRGB RGBA8 through the profile `icc`: 16-bit sources go through the profile at
/// 16 bits before they lose precision. 16-bit and palette sources become RGBA8 here (the
/// frame format of every backend).
fn converted(img: DynamicImage, icc: &[u8]) -> Vec<u8> {
    let Some(profile) = color::convertible(icc) else {
        tracing::debug!(bytes = icc.len(), "ICC profile left unconverted (sRGB or unsupported)");
        return img.into_rgba8().into_raw();
    };
    let deep = matches!(img.color().bytes_per_pixel() / img.color().channel_count(), 2);
    if deep {
        if let Some(px) = color::to_srgb16(&profile, img.to_rgba16().as_raw()) {
            return px;
        }
    }
    let mut px = img.into_rgba8().into_raw();
    if let Some(t) = color::ToSrgb::from_profile(&profile) {
        t.apply(&mut px);
    }
    px
}

/// Whether `icc` is kept with the pixels (`cp-true`): only an RGB profile can describe the
/// RGBA frame; a CMYK or grey one is converted (or dropped) whatever was asked.
fn keeps(icc: &[u8], keep: bool) -> bool {
    keep && icc.get(16..20) == Some(b"RGB ")
}

/// Convert to sRGB unless the profile is kept; returns the profile when it is kept.
fn manage_color(px: &mut [u8], icc: Option<Vec<u8>>, keep: bool) -> Option<Vec<u8>> {
    let icc = icc?;
    if keeps(&icc, keep) {
        return Some(icc);
    }
    if !color::to_srgb(px, &icc) {
        tracing::debug!(bytes = icc.len(), "ICC profile left unconverted (sRGB, CMYK or unsupported)");
    }
    None
}

/// Apply EXIF orientation `o` (1–8) to a stored-orientation RGBA buffer.
pub(crate) fn orient(w: u32, h: u32, px: Vec<u8>, o: u8) -> Result<Frame> {
    use image::metadata::Orientation as O;
    let transform = match o {
        2 => O::FlipHorizontal,
        3 => O::Rotate180,
        4 => O::FlipVertical,
        5 => O::Rotate90FlipH,
        6 => O::Rotate90,
        7 => O::Rotate270FlipH,
        8 => O::Rotate270,
        _ => return Frame::from_rgba(w, h, px),
    };
    let img = RgbaImage::from_raw(w, h, px).ok_or_else(|| Error::internal("decoded buffer has the wrong size"))?;
    let mut img = DynamicImage::ImageRgba8(img);
    img.apply_orientation(transform);
    let rgba = img.into_rgba8();
    let (w, h) = rgba.dimensions();
    Frame::from_rgba(w, h, rgba.into_raw())
}
