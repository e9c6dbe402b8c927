//! JPEG through libjpeg-turbo (the `turbojpeg` crate): damaged files rendered as far as
//! they decode unless `limits.strict_decode`, DCT-domain
//! shrink-on-load, CMYK conversion, and the marker walk that finds EXIF orientation, the EXIF
//! block itself and an embedded ICC profile (libjpeg-turbo reads none of these for us).
//!
//! Owns: [`JpegMeta`] and the marker headers shared by the submodules; re-exports the
//! marker walk ([`read_meta`], [`exif_orientation`], [`exif_upright`], in `meta`), decoding
//! ([`shrink_factor`], [`progressive_complete`], [`decode()`], in `decode`) and [`encode()`] (in
//! `encode`). May import `limits`, `error`, `media` siblings; `turbojpeg` outside.

mod decode;
mod encode;
mod meta;

pub use self::decode::{decode, progressive_complete, shrink_factor};
pub use self::encode::encode;
pub use self::meta::{exif_orientation, exif_upright, read_meta, tiff_orientation};

/// What the markers before the first scan say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JpegMeta {
    /// EXIF orientation 1–8 (1 when absent or invalid).
    pub orientation: u8,
    /// The APP1 payload starting at `Exif\0\0`, when present.
    pub exif: Option<Vec<u8>>,
    /// The ICC profile reassembled from its APP2 chunks, when present and complete.
    pub icc: Option<Vec<u8>>,
    /// True when an Adobe APP14 marker is present: CMYK samples are then stored inverted
    /// (the Photoshop convention every browser follows).
    pub adobe: bool,
}

/// The start of an APP1 EXIF payload.
const EXIF_HEADER: &[u8] = b"Exif\0\0";
/// The start of an APP2 ICC chunk.
const ICC_HEADER: &[u8] = b"ICC_PROFILE\0";
