//! JPEG encoding through libjpeg-turbo, with EXIF (APP1) and ICC (APP2 chunks) segments
//! spliced in after SOI.
//!
//! Owns: [`encode`], the segment writer. May import the parent's marker headers, `error`;
//! `turbojpeg` outside.

use turbojpeg::{Compressor, Image, PixelFormat, Subsamp};

use super::ICC_HEADER;
use crate::error::{Error, Result};

/// Encode packed RGB8 with libjpeg-turbo: 4:2:0 chroma, Huffman tables optimised for
/// progressive output only (libjpeg-turbo always optimises progressive files), `app1`
/// (an `Exif\0\0` payload) inserted after SOI when given, `icc` as APP2 chunks.
pub fn encode(
    rgb: &[u8],
    width: u32,
    height: u32,
    quality: u8,
    progressive: bool,
    app1: Option<&[u8]>,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>> {
    let err = |e: turbojpeg::Error| Error::internal(format!("encode: jpeg: {e}"));
    let mut c = Compressor::new().map_err(err)?;
    c.set_quality(i32::from(quality.clamp(1, 100))).map_err(err)?;
    c.set_subsamp(Subsamp::Sub2x2).map_err(err)?;
    c.set_progressive(progressive).map_err(err)?;
    let image = Image {
        pixels: rgb,
        width: width as usize,
        pitch: width as usize * 3,
        height: height as usize,
        format: PixelFormat::RGB,
    };
    let data = c.compress_to_vec(image).map_err(err)?;
    if app1.is_none() && icc.is_none() {
        return Ok(data);
    }
    let mut out = Vec::with_capacity(data.len() + app1.map_or(0, <[u8]>::len) + icc.map_or(0, <[u8]>::len) + 64);
    out.extend_from_slice(&data[..2]);
    if let Some(a) = app1.filter(|a| a.len() + 2 <= usize::from(u16::MAX)) {
        push_segment(&mut out, 0xE1, &[a]);
    }
    if let Some(p) = icc {
        // 65 533 bytes per segment minus the 14-byte chunk header.
        let chunks: Vec<&[u8]> = p.chunks(65_519).collect();
        if let Ok(n) = u8::try_from(chunks.len()) {
            for (k, chunk) in chunks.iter().enumerate() {
                let seq = u8::try_from(k + 1).unwrap_or(n);
                push_segment(&mut out, 0xE2, &[ICC_HEADER, &[seq, n], chunk]);
            }
        }
    }
    out.extend_from_slice(&data[2..]);
    Ok(out)
}

/// Append one marker segment made of `parts` (dropped when longer than a segment can be).
pub(super) fn push_segment(out: &mut Vec<u8>, marker: u8, parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|p| p.len()).sum::<usize>() + 2;
    let Ok(len) = u16::try_from(len) else { return };
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&len.to_be_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
}
