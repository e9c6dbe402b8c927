//! The container walk: counting frames of a GIF (blocks) or WebP (RIFF chunks) without
//! decoding a pixel, and the frame-count / memory limits checked before any decode.
//!
//! Owns: [`ScanInfo`], [`scan`], [`frame_count`], [`check`], the little-endian readers and
//! the GIF sub-block skipper shared by the siblings. May import `limits`, `error`, the
//! `media::probe` sniffer; nothing outside the crate.

use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::media::probe::SourceFormat;

/// What a container walk finds, without decoding pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanInfo {
    /// GIF or WebP.
    pub format: SourceFormat,
    /// Canvas width.
    pub width: u32,
    /// Canvas height.
    pub height: u32,
    /// Number of frames (image descriptors for GIF, `ANMF` chunks for an animated WebP,
    /// 1 for a still WebP).
    pub frames: u32,
    /// The largest frame's own width and height (GIF image descriptors, WebP `ANMF`
    /// headers), which a file may set far beyond its canvas: decoders allocate for the frame,
    /// so the pixel limit applies to it too. `(0, 0)` when no frame header was read.
    pub largest_frame: (u32, u32),
}

impl ScanInfo {
    /// Refuse a canvas or any single frame over `limits.max_input_pixels` (413).
    pub fn check_sizes(&self, limits: &Limits) -> Result<()> {
        limits.check_input(self.width, self.height)?;
        let (fw, fh) = self.largest_frame;
        if fw > 0 && fh > 0 {
            limits.check_input(fw, fh).map_err(|e| {
                Error::new(
                    e.kind(),
                    format!("a frame of {fw}x{fh} inside a {}x{} canvas: {e}", self.width, self.height),
                )
            })?;
        }
        Ok(())
    }
}

/// Walk a GIF's or WebP's blocks and count frames; `None` for other formats or when the
/// header is unreadable. Linear in the file size, no pixel is decoded. A truncated file
/// counts the frames that are there.
pub fn scan(bytes: &[u8]) -> Option<ScanInfo> {
    match crate::media::probe::sniff(bytes)? {
        SourceFormat::Gif => scan_gif(bytes),
        SourceFormat::Webp => scan_webp(bytes),
        _ => None,
    }
}

/// The number of frames of a GIF or WebP (see [`scan`]); `None` for other formats.
pub fn frame_count(bytes: &[u8]) -> Option<u32> {
    scan(bytes).map(|s| s.frames)
}

pub(super) fn u16_le(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

pub(super) fn u24_le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, 0]))
}

pub(super) fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([*b.get(at)?, *b.get(at + 1)?, *b.get(at + 2)?, *b.get(at + 3)?]))
}

/// Skip GIF data sub-blocks starting at `pos` (a length byte, then that many bytes, until a
/// zero length); returns the position after the terminator, `None` when truncated.
pub(super) fn skip_sub_blocks(b: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        let len = usize::from(*b.get(pos)?);
        pos += 1;
        if len == 0 {
            return Some(pos);
        }
        pos = pos.checked_add(len)?;
    }
}

/// The frame size with more pixels (the first on a tie).
fn larger(a: (u32, u32), b: (u32, u32)) -> (u32, u32) {
    let area = |(w, h): (u32, u32)| u64::from(w) * u64::from(h);
    if area(b) > area(a) {
        b
    } else {
        a
    }
}

fn scan_gif(b: &[u8]) -> Option<ScanInfo> {
    let width = u32::from(u16_le(b, 6)?);
    let height = u32::from(u16_le(b, 8)?);
    let packed = *b.get(10)?;
    let mut pos = 13;
    if packed & 0x80 != 0 {
        pos += 3 << ((packed & 7) + 1);
    }
    let mut frames = 0u32;
    let mut largest = (0u32, 0u32);
    // Stops at the trailer, at an unknown block (the decoder stops there too) or at the
    // end of a truncated file.
    while let Some(&block) = b.get(pos) {
        match block {
            0x2C => {
                // Descriptor: left, top, width, height (u16 each), packed.
                largest = larger(largest, (u32::from(u16_le(b, pos + 5)?), u32::from(u16_le(b, pos + 7)?)));
                let packed = *b.get(pos + 9)?;
                pos += 10;
                if packed & 0x80 != 0 {
                    pos += 3 << ((packed & 7) + 1);
                }
                // LZW minimum code size, then the image data.
                pos += 1;
                frames = frames.saturating_add(1);
                match skip_sub_blocks(b, pos) {
                    Some(p) => pos = p,
                    None => break,
                }
            }
            0x21 => match skip_sub_blocks(b, pos + 2) {
                Some(p) => pos = p,
                None => break,
            },
            _ => break,
        }
    }
    Some(ScanInfo { format: SourceFormat::Gif, width, height, frames, largest_frame: largest })
}

fn scan_webp(b: &[u8]) -> Option<ScanInfo> {
    let mut pos = 12;
    let (mut width, mut height) = (0, 0);
    let mut frames = 0u32;
    let mut largest = (0u32, 0u32);
    let mut still = false;
    while pos + 8 <= b.len() {
        let fourcc = &b[pos..pos + 4];
        let size = usize::try_from(u32_le(b, pos + 4)?).ok()?;
        let body = pos + 8;
        match fourcc {
            b"VP8X" => {
                // A file may carry several; decoders read the first, a walk that kept the last
                // passed a small canvas while the decoder allocated a huge one (found by the
                // `decode` fuzz target). The largest one stated is the one checked.
                let stated = (u24_le(b, body + 4)? + 1, u24_le(b, body + 7)? + 1);
                (width, height) = larger((width, height), stated);
            }
            b"ANMF" => {
                frames = frames.saturating_add(1);
                // Frame X, Y (3 bytes each), then width − 1 and height − 1.
                if let (Some(fw), Some(fh)) = (u24_le(b, body + 6), u24_le(b, body + 9)) {
                    largest = larger(largest, (fw + 1, fh + 1));
                }
            }
            b"VP8 " => {
                // Key frame header: 3-byte tag, start code, 14-bit width and height.
                if width == 0 {
                    width = u32::from(u16_le(b, body + 6)? & 0x3FFF);
                    height = u32::from(u16_le(b, body + 8)? & 0x3FFF);
                }
                still = true;
            }
            b"VP8L" => {
                if width == 0 {
                    let bits = u32_le(b, body + 1)?;
                    width = (bits & 0x3FFF) + 1;
                    height = ((bits >> 14) & 0x3FFF) + 1;
                }
                still = true;
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        pos = body.checked_add(size)?.checked_add(size & 1)?;
    }
    if frames == 0 && still {
        frames = 1;
    }
    Some(ScanInfo { format: SourceFormat::Webp, width, height, frames, largest_frame: largest })
}

/// Refuse `frames` full-canvas frames of `width` × `height` over `limits`: more than
/// `max_frames`, or together more than `max_alloc` bytes of RGBA. Both are HTTP 413
/// ([`ErrorKind::TooLarge`]); the frame-count refusal names the key `frames`.
pub fn check(frames: u32, width: u32, height: u32, limits: &Limits) -> Result<()> {
    if frames > limits.max_frames {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!("animation has {frames} frames, over the limit of {}", limits.max_frames),
        )
        .with_param("frames", frames.to_string()));
    }
    let total = u64::from(frames).saturating_mul(u64::from(width)).saturating_mul(u64::from(height)).saturating_mul(4);
    if total > limits.max_alloc {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "animation of {frames} frames of {width}x{height} needs {total} bytes, over the limit of {}",
                limits.max_alloc
            ),
        )
        .with_param("frames", frames.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::Format;
    use crate::media::animation::tests::{opts, sample};

    /// Found by the `decode` fuzz target: two VP8X chunks, the first stating a 24 × 5 M canvas
    /// (which the decoder reads), the second a small one. The walk reports the larger.
    #[test]
    fn the_largest_of_several_vp8x_canvases_is_checked() {
        let vp8x = |w: u32, h: u32| {
            let mut c = b"VP8X".to_vec();
            c.extend_from_slice(&10u32.to_le_bytes());
            c.extend_from_slice(&[0x02, 0, 0, 0]);
            c.extend_from_slice(&(w - 1).to_le_bytes()[..3]);
            c.extend_from_slice(&(h - 1).to_le_bytes()[..3]);
            c
        };
        let mut body = b"WEBP".to_vec();
        body.extend(vp8x(24, 5_000_000));
        body.extend(vp8x(24, 16));
        let mut webp = b"RIFF".to_vec();
        webp.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
        webp.extend(body);
        let s = scan(&webp).unwrap();
        assert_eq!((s.width, s.height), (24, 5_000_000));
        assert_eq!(s.check_sizes(&Limits::default()).unwrap_err().kind(), ErrorKind::TooLarge);
    }
    use crate::media::animation::{decode, encode};

    #[test]
    fn frame_limit_refuses_before_decoding() {
        let enc = encode(&sample([10, 10, 10]), opts(Format::Gif, false)).unwrap();
        let tight = Limits { max_frames: 2, ..Limits::default() };
        let e = decode(&enc.data, &tight).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLarge);
        assert_eq!(e.key(), Some("frames"));
        assert_eq!(e.value(), Some("3"));
        assert_eq!(e.kind().http_status(), 413);
        // 3 frames × 8 × 6 × 4 = 576 bytes: one byte less is refused from the walk.
        let small = Limits { max_alloc: 575, ..Limits::default() };
        assert_eq!(decode(&enc.data, &small).unwrap_err().kind(), ErrorKind::TooLarge);
        assert!(decode(&enc.data, &Limits { max_alloc: 576, ..Limits::default() }).is_ok());
    }

    #[test]
    fn frame_limit_counts_headers_of_a_huge_declared_animation() {
        // A GIF that declares a 10000×10000 canvas and 2000 one-pixel frames: refused from the
        // walk alone (no 400 MB canvas is ever allocated).
        let mut g = b"GIF89a".to_vec();
        g.extend_from_slice(&10_000u16.to_le_bytes());
        g.extend_from_slice(&10_000u16.to_le_bytes());
        g.extend_from_slice(&[0, 0, 0]);
        for _ in 0..2000 {
            g.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x4C, 0x01, 0]);
        }
        g.push(0x3B);
        assert_eq!(frame_count(&g), Some(2000));
        let e = decode(&g, &Limits::default()).unwrap_err();
        assert_eq!((e.kind(), e.key(), e.value()), (ErrorKind::TooLarge, Some("frames"), Some("2000")));
        let e = decode(&g, &Limits { max_frames: 5000, ..Limits::default() }).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLarge, "{e}");
    }

    #[test]
    fn scan_survives_garbage_and_truncation() {
        let enc = encode(&sample([10, 10, 10]), opts(Format::Gif, false)).unwrap();
        for cut in 0..enc.data.len() {
            let _ = scan(&enc.data[..cut]);
            let _ = decode(&enc.data[..cut], &Limits::default());
        }
        let webp = encode(&sample([10, 10, 10]), opts(Format::Webp, false)).unwrap();
        for cut in 0..webp.data.len() {
            let _ = scan(&webp.data[..cut]);
            let _ = decode(&webp.data[..cut], &Limits::default());
        }
        assert_eq!(scan(b"\x89PNG\r\n\x1a\n"), None);
    }
}
