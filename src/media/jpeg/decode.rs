//! JPEG decoding through libjpeg-turbo: damaged files render what decodes (libjpeg's
//! warnings, as libvips' `fail=false` and browsers do) unless `limits.strict_decode`, where
//! every warning and an incomplete progressive file are refused; DCT-domain shrink-on-load;
//! CMYK conversion.
//!
//! Owns: [`shrink_factor`], [`progressive_complete`], [`decode`], the CMYK → RGB step. May
//! import the parent's [`JpegMeta`], `limits`, `error`, the `media::probe` error helper;
//! `turbojpeg` outside.

use turbojpeg::{Colorspace, Decompressor, Image, PixelFormat, ScalingFactor};

use super::JpegMeta;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::{try_alloc, Limits};
use crate::media::color;
use crate::media::probe::undecodable;

/// The DCT scaling denominator (1, 2, 4 or 8) for a stored `size` that will be resized to
/// `target` (both in stored orientation): the largest shrink that still leaves the final
/// resize a reduction of at least 1.5× on both axes. DCT scaling aliases fine detail; a
/// Lanczos reduction of 1.5× or more filters that out, while a near 1:1 resize after it
/// (2560 → 320 → 300) keeps the moiré (29 dB against libvips on a striped photo; libvips
/// itself keeps 2×, which decodes 4× more pixels at the boundary cases). 1 when `target` is
/// not at least 3× smaller.
pub fn shrink_factor(size: (u32, u32), target: (u32, u32)) -> u32 {
    // size / d ≥ 1.5 × target  ⇔  2 × size ≥ 3 × d × target, in integers.
    let fits = |s: u32, t: u32, d: u32| 2 * u64::from(s) >= 3 * u64::from(d) * u64::from(t.max(1));
    for d in [8u32, 4, 2] {
        if fits(size.0, target.0, d) && fits(size.1, target.1, d) {
            return d;
        }
    }
    1
}

/// Check that a progressive JPEG delivers every coefficient of every component at full
/// precision (a scan with `Al = 0` covering it) before EOI. libjpeg-turbo decodes a file cut
/// after a scan boundary (and closed with EOI, as the `video-001` truncated test file is)
/// without any warning, showing a blurry image; a server must refuse it instead.
pub fn progressive_complete(bytes: &[u8]) -> std::result::Result<(), String> {
    let mut components: Vec<u8> = Vec::new();
    let mut done: Vec<[bool; 64]> = Vec::new();
    let mut i = 2;
    let mut eoi = false;
    while i + 1 < bytes.len() {
        if bytes[i] != 0xFF {
            i += 1;
            continue;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if marker == 0x00 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 || marker == 0xD8 {
            i += 2;
            continue;
        }
        if marker == 0xD9 {
            eoi = true;
            break;
        }
        let Some(len) = bytes.get(i + 2..i + 4).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]))) else {
            break;
        };
        let Some(seg) = len.checked_sub(2).and_then(|l| bytes.get(i + 4..i + 4 + l)) else {
            return Err("segment runs past the end of the file".into());
        };
        if marker == 0xC2 && seg.len() >= 6 {
            let n = usize::from(seg[5]);
            components = (0..n).filter_map(|k| seg.get(6 + k * 3).copied()).collect();
            done = vec![[false; 64]; components.len()];
        }
        if marker == 0xDA && !seg.is_empty() {
            let n = usize::from(seg[0]);
            let tail = seg.get(1 + n * 2..1 + n * 2 + 3).ok_or("short SOS header")?;
            let (ss, se, al) = (usize::from(tail[0]), usize::from(tail[1]).min(63), tail[2] & 0x0F);
            if al == 0 {
                for k in 0..n {
                    let id = seg[1 + k * 2];
                    if let Some(c) = components.iter().position(|&x| x == id) {
                        for f in done[c].iter_mut().take(se + 1).skip(ss) {
                            *f = true;
                        }
                    }
                }
            }
            // Entropy-coded data follows up to the next marker; the loop above skips it byte
            // by byte (stuffed 0xFF00 and RSTn are stepped over).
        }
        i += 2 + len;
    }
    if !eoi {
        return Err("Premature end of JPEG file (no EOI marker)".into());
    }
    for (c, d) in components.iter().zip(&done) {
        if let Some(k) = d.iter().position(|f| !f) {
            return Err(format!(
                "Premature end of JPEG file: progressive scans stop before coefficient {k} of component {c} \
                 is complete (truncated file)"
            ));
        }
    }
    Ok(())
}

/// libjpeg warnings that leave the image intact (common in files from old cameras): not
/// even strict decoding refuses these.
fn benign(msg: &str) -> bool {
    msg.contains("extraneous bytes before marker")
}

/// True when libjpeg's message is one of its warnings (`JWRN_*` in jerror.h), after which the
/// decoder has still filled every row (missing data as grey), as opposed to an error that
/// stopped it part way. TurboJPEG's Rust binding gives the message, not the error code, so
/// the warnings are recognised by their fixed texts.
fn warning(msg: &str) -> bool {
    const WARNINGS: [&str; 8] = [
        "Premature end of JPEG file",
        "Corrupt JPEG data",
        "Invalid SOS parameters for sequential JPEG",
        "Inconsistent progression sequence",
        "Warning: unknown JFIF revision",
        "Application transferred too few scanlines",
        "Unsupported marker type",
        "Warning: thumbnail image size does not match data length",
    ];
    WARNINGS.iter().any(|w| msg.contains(w))
}

fn tj_undecodable(e: turbojpeg::Error) -> Error {
    match e {
        turbojpeg::Error::TurboJpegError(msg) => undecodable(msg.trim_end()),
        other => undecodable(other),
    }
}

/// Decode to straight RGBA8 at 1/`denom` scale (stored orientation). A damaged file (libjpeg
/// warned: data stops early, a corrupt segment) renders what decodes, the rest grey, unless
/// `limits.strict_decode`, where every warning but a benign few is an error and a
/// progressive file whose scans stop early is refused. Returns the pixels and their size.
pub fn decode(bytes: &[u8], limits: &Limits, denom: u32, meta: &JpegMeta) -> Result<(Vec<u8>, u32, u32)> {
    let mut d = Decompressor::new().map_err(tj_undecodable)?;
    let header = d.read_header(bytes).map_err(tj_undecodable)?;
    let (w, h) = (u32::try_from(header.width).unwrap_or(u32::MAX), u32::try_from(header.height).unwrap_or(u32::MAX));
    limits.check_input(w, h)?;
    // Progressive files with thousands of scans are a CPU bomb; real encoders write < 20.
    d.set_scan_limit(500).map_err(tj_undecodable)?;
    let scale = if denom > 1 && !header.is_lossless {
        let f = ScalingFactor::new(1, denom as usize);
        d.set_scaling_factor(f).map_err(tj_undecodable)?;
        f
    } else {
        ScalingFactor::ONE
    };
    if header.is_progressive && limits.strict_decode {
        progressive_complete(bytes).map_err(undecodable)?;
    }
    let scaled = header.scaled(scale);
    let cmyk = matches!(header.colorspace, Colorspace::CMYK | Colorspace::YCCK);
    let (format, bpp) = if cmyk { (PixelFormat::CMYK, 4) } else { (PixelFormat::RGBA, 4) };
    let len = (scaled.width as u64) * (scaled.height as u64) * bpp;
    let mut pixels = try_alloc(limits, len)?;
    let image =
        Image { pixels: &mut pixels[..], width: scaled.width, pitch: scaled.width * 4, height: scaled.height, format };
    match d.decompress(bytes, image) {
        Ok(()) => {}
        Err(turbojpeg::Error::TurboJpegError(msg)) if benign(&msg) => {}
        Err(turbojpeg::Error::TurboJpegError(msg)) if !limits.strict_decode && warning(&msg) => {
            tracing::debug!(reason = msg.trim_end(), "damaged JPEG rendered as far as it decodes");
        }
        Err(e) => return Err(tj_undecodable(e)),
    }
    if cmyk {
        // Through the embedded CMYK profile when there is one (as libvips and browsers do);
        // its inputs are ink amounts, which Adobe files store inverted.
        let managed = meta.icc.as_deref().is_some_and(|icc| {
            if meta.adobe {
                pixels.iter_mut().for_each(|v| *v = 255 - *v);
            }
            let ok = color::cmyk_to_srgb(&mut pixels, icc);
            if !ok && meta.adobe {
                pixels.iter_mut().for_each(|v| *v = 255 - *v);
            }
            ok
        });
        if !managed {
            cmyk_to_rgba(&mut pixels, meta.adobe);
        }
    }
    let sw = u32::try_from(scaled.width).map_err(|_| Error::new(ErrorKind::TooLarge, "width"))?;
    let sh = u32::try_from(scaled.height).map_err(|_| Error::new(ErrorKind::TooLarge, "height"))?;
    Ok((pixels, sw, sh))
}

/// CMYK → RGB in place without a profile: `R = (1 − C)(1 − K)`, as Chrome and Firefox show
/// such files (libvips applies a built-in press profile instead, docs/fidelity.md). Adobe files store the
/// samples inverted (`255 − ink`), so there the stored value already is `1 − C`.
fn cmyk_to_rgba(px: &mut [u8], adobe_inverted: bool) {
    for p in px.chunks_exact_mut(4) {
        let inv = |v: u8| if adobe_inverted { u32::from(v) } else { 255 - u32::from(v) };
        let k = inv(p[3]);
        for v in &mut p[..3] {
            *v = u8::try_from((inv(*v) * k + 127) / 255).unwrap_or(255);
        }
        p[3] = 255;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrink_leaves_a_reduction_of_at_least_one_and_a_half() {
        assert_eq!(shrink_factor((6028, 3391), (1000, 563)), 4);
        assert_eq!(shrink_factor((6028, 3391), (700, 394)), 4);
        assert_eq!(shrink_factor((6028, 3391), (300, 169)), 8);
        assert_eq!(shrink_factor((6028, 3391), (2010, 1131)), 1);
        assert_eq!(shrink_factor((6028, 3391), (2009, 1130)), 2);
        // The striped grey photo at w-300: 1/4 (640 → 300), not 1/8 (320 → 300).
        assert_eq!(shrink_factor((2560, 1600), (300, 188)), 4);

        assert_eq!(shrink_factor((100, 100), (60, 60)), 1);
        for w in [1u32, 7, 333, 1000, 2999] {
            let d = shrink_factor((6028, 3391), (w, 1));
            assert!(2 * 6028 >= 3 * d * w, "w {w}: 1/{d}");
        }
    }

    #[test]
    fn cmyk_conversion_honours_adobe_inversion() {
        // No ink (white): stored 0 plainly, 255 in Adobe files.
        let mut plain = [0, 0, 0, 0];
        cmyk_to_rgba(&mut plain, false);
        assert_eq!(plain, [255, 255, 255, 255]);
        let mut adobe = [255, 255, 255, 255];
        cmyk_to_rgba(&mut adobe, true);
        assert_eq!(adobe, [255, 255, 255, 255]);
        // Full cyan, no black → red channel 0.
        let mut cyan = [0, 255, 255, 255];
        cmyk_to_rgba(&mut cyan, true);
        assert_eq!(cyan, [0, 255, 255, 255]);
    }
}
