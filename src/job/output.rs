//! Output encoding and delivery parameters (`f q pr lo md cp orig di`).
//!
//! Owns: [`Format`], [`Output`]. Pure.

/// Output format (`f-…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Negotiate from the request's `Accept` header.
    Auto,
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// WebP.
    Webp,
    /// AVIF.
    Avif,
    /// GIF.
    Gif,
    /// The source's own format.
    Orig,
    /// MP4 (H.264 + AAC) for video.
    Mp4,
    /// WebM (VP9 + Opus) for video.
    Webm,
    /// SVG: the rendered raster, lossless, inside an SVG document (`media::svg`).
    Svg,
}

impl Format {
    /// The MIME type; `Auto` and `Orig` have none until resolved.
    pub fn mime(self) -> Option<&'static str> {
        Some(match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
            Format::Avif => "image/avif",
            Format::Gif => "image/gif",
            Format::Mp4 => "video/mp4",
            Format::Webm => "video/webm",
            Format::Svg => "image/svg+xml",
            Format::Auto | Format::Orig => return None,
        })
    }

    /// The spelling after `f-`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Avif => "avif",
            Format::Gif => "gif",
            Format::Orig => "orig",
            Format::Mp4 => "mp4",
            Format::Webm => "webm",
            Format::Svg => "svg",
        }
    }

    /// Parse a format name (`jpeg` is an alias of `jpg`).
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "auto" => Format::Auto,
            "jpg" | "jpeg" => Format::Jpeg,
            "png" => Format::Png,
            "webp" => Format::Webp,
            "avif" => Format::Avif,
            "gif" => Format::Gif,
            "orig" => Format::Orig,
            "mp4" => Format::Mp4,
            "webm" => Format::Webm,
            "svg" => Format::Svg,
            _ => return None,
        })
    }
}

/// Output settings of a job.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Output {
    /// Requested format; `None` = account default (auto).
    pub format: Option<Format>,
    /// Quality 1–100; `None` = default (80 images, 50 video).
    pub quality: Option<u8>,
    /// Progressive JPEG (`pr`).
    pub progressive: Option<bool>,
    /// Lossless WebP/PNG (`lo`).
    pub lossless: Option<bool>,
    /// Keep metadata (`md`).
    pub metadata: bool,
    /// Keep the colour profile (`cp`).
    pub color_profile: bool,
    /// Deliver the original bytes (`orig-true`).
    pub original: bool,
    /// Fallback origin path when the source is missing (`di`).
    pub default_image: Option<String>,
}
