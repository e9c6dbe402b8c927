//! JPEG through libjpeg-turbo (the `turbojpeg` crate): strict decoding, DCT-domain
//! shrink-on-load, CMYK conversion, and the marker walk that finds EXIF orientation, the EXIF
//! block itself and an embedded ICC profile (libjpeg-turbo reads none of these for us).
//!
//! Owns: [`JpegMeta`], [`read_meta`], [`exif_orientation`], [`shrink_factor`], [`decode`],
//! [`encode`]. May import `limits`, `error`, `media` siblings; `turbojpeg` outside.

use turbojpeg::{Colorspace, Compressor, Decompressor, Image, PixelFormat, ScalingFactor, Subsamp};

use super::probe::undecodable;
use crate::error::{Error, ErrorKind, Result};
use crate::limits::{try_alloc, Limits};

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

const EXIF_HEADER: &[u8] = b"Exif\0\0";
const ICC_HEADER: &[u8] = b"ICC_PROFILE\0";

/// Walk the marker segments up to the first scan. Malformed segments end the walk quietly:
/// the decoder proper reports corrupt data, this only collects optional metadata.
pub fn read_meta(bytes: &[u8]) -> JpegMeta {
    let mut meta = JpegMeta { orientation: 1, ..JpegMeta::default() };
    let mut icc_chunks: Vec<(u8, u8, &[u8])> = Vec::new();
    let mut i = 2;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            break;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        if marker == 0xD8 || marker == 0x01 || (0xD0..=0xD7).contains(&marker) {
            i += 2;
            continue;
        }
        if marker == 0xDA || marker == 0xD9 {
            break;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let Some(payload) = len.checked_sub(2).and_then(|l| bytes.get(i + 4..i + 4 + l)) else {
            break;
        };
        match marker {
            0xE1 if meta.exif.is_none() && payload.starts_with(EXIF_HEADER) => {
                meta.orientation = exif_orientation(payload).map_or(1, |(o, _)| o);
                meta.exif = Some(payload.to_vec());
            }
            0xE2 if payload.len() > ICC_HEADER.len() + 2 && payload.starts_with(ICC_HEADER) => {
                let at = ICC_HEADER.len();
                icc_chunks.push((payload[at], payload[at + 1], &payload[at + 2..]));
            }
            0xEE if payload.starts_with(b"Adobe") => meta.adobe = true,
            _ => {}
        }
        i += 2 + len;
    }
    meta.icc = assemble_icc(&mut icc_chunks);
    meta
}

/// Join ICC chunks in sequence order; `None` when a chunk is missing or counts disagree.
fn assemble_icc(chunks: &mut [(u8, u8, &[u8])]) -> Option<Vec<u8>> {
    let count = chunks.first()?.1;
    if chunks.len() != usize::from(count) || chunks.iter().any(|c| c.1 != count) {
        return None;
    }
    chunks.sort_by_key(|c| c.0);
    if chunks.iter().enumerate().any(|(k, c)| usize::from(c.0) != k + 1) {
        return None;
    }
    Some(chunks.iter().flat_map(|c| c.2.iter().copied()).collect())
}

/// The orientation tag of an APP1 payload (`Exif\0\0` + TIFF), with the byte offset of its
/// 16-bit value inside `app1` (so a copy can be rewritten to 1 after the pixels were turned).
/// `None` when there is no valid tag (values outside 1–8 are ignored, as browsers do).
pub fn exif_orientation(app1: &[u8]) -> Option<(u8, usize)> {
    let tiff = app1.strip_prefix(EXIF_HEADER)?;
    let base = EXIF_HEADER.len();
    let le = match tiff.get(0..4)? {
        b"II*\0" => true,
        b"MM\0*" => false,
        _ => return None,
    };
    let u16_at = |o: usize| -> Option<u16> {
        let b = tiff.get(o..o + 2)?;
        Some(if le { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) })
    };
    let u32_at = |o: usize| -> Option<u32> {
        let b = tiff.get(o..o + 4)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if le { u32::from_le_bytes(a) } else { u32::from_be_bytes(a) })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let count = usize::from(u16_at(ifd)?);
    for k in 0..count {
        let entry = ifd.checked_add(2 + k * 12)?;
        if u16_at(entry)? == 0x0112 {
            // SHORT (3), count 1: the value sits in the first two bytes of the value field.
            if u16_at(entry + 2)? != 3 {
                return None;
            }
            let v = u16_at(entry + 8)?;
            return u8::try_from(v).ok().filter(|v| (1..=8).contains(v)).map(|v| (v, base + entry + 8));
        }
    }
    None
}

/// A copy of an APP1 EXIF payload whose orientation says "as stored" (1): the pixels are
/// already turned, and a viewer must not turn them again.
pub fn exif_upright(app1: &[u8]) -> Vec<u8> {
    let mut out = app1.to_vec();
    if let Some((_, at)) = exif_orientation(app1) {
        let le = out.get(EXIF_HEADER.len()) == Some(&b'I');
        let one = if le { 1u16.to_le_bytes() } else { 1u16.to_be_bytes() };
        if let Some(slot) = out.get_mut(at..at + 2) {
            slot.copy_from_slice(&one);
        }
    }
    out
}

/// The DCT scaling denominator (1, 2, 4 or 8) for a stored `size` that will be resized to
/// `target` (both in stored orientation): the largest shrink whose output still covers the
/// target on both axes, so the final resize only ever downsizes. 1 when `target` is not at
/// least 2× smaller.
pub fn shrink_factor(size: (u32, u32), target: (u32, u32)) -> u32 {
    for d in [8u32, 4, 2] {
        if size.0.div_ceil(d) >= target.0.max(1) && size.1.div_ceil(d) >= target.1.max(1) {
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

/// libjpeg warnings that leave the image intact (common in files from old cameras).
fn benign(msg: &str) -> bool {
    msg.contains("extraneous bytes before marker")
}

fn tj_undecodable(e: turbojpeg::Error) -> Error {
    match e {
        turbojpeg::Error::TurboJpegError(msg) => undecodable(msg.trim_end()),
        other => undecodable(other),
    }
}

/// Decode to straight RGBA8 at 1/`denom` scale (stored orientation). Every libjpeg warning
/// but a benign few — "Premature end of JPEG file" among them — is an error: a truncated
/// file is refused, not served half grey. Returns the pixels and their size.
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
    if header.is_progressive {
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
        Err(e) => return Err(tj_undecodable(e)),
    }
    if cmyk {
        cmyk_to_rgba(&mut pixels, meta.adobe);
    }
    let sw = u32::try_from(scaled.width).map_err(|_| Error::new(ErrorKind::TooLarge, "width"))?;
    let sh = u32::try_from(scaled.height).map_err(|_| Error::new(ErrorKind::TooLarge, "height"))?;
    Ok((pixels, sw, sh))
}

/// CMYK → RGB in place (naive, no profile): `R = (1 − C)(1 − K)`. Adobe files store the
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

fn push_segment(out: &mut Vec<u8>, marker: u8, parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|p| p.len()).sum::<usize>() + 2;
    let Ok(len) = u16::try_from(len) else { return };
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&len.to_be_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An APP1 payload with one IFD0 entry: orientation `o`, in either byte order.
    fn app1(o: u16, le: bool) -> Vec<u8> {
        let mut v = EXIF_HEADER.to_vec();
        type Writers = (fn(u16) -> [u8; 2], fn(u32) -> [u8; 4]);
        let (w16, w32): Writers =
            if le { (u16::to_le_bytes, u32::to_le_bytes) } else { (u16::to_be_bytes, u32::to_be_bytes) };
        v.extend_from_slice(if le { b"II*\0" } else { b"MM\0*" });
        v.extend_from_slice(&w32(8));
        v.extend_from_slice(&w16(1));
        v.extend_from_slice(&w16(0x0112));
        v.extend_from_slice(&w16(3));
        v.extend_from_slice(&w32(1));
        v.extend_from_slice(&w16(o));
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(&w32(0));
        v
    }

    #[test]
    fn reads_orientation_in_both_byte_orders() {
        for o in 1..=8 {
            assert_eq!(exif_orientation(&app1(o, true)).map(|x| x.0), Some(u8::try_from(o).unwrap()));
            assert_eq!(exif_orientation(&app1(o, false)).map(|x| x.0), Some(u8::try_from(o).unwrap()));
        }
        assert_eq!(exif_orientation(&app1(9, true)), None);
        assert_eq!(exif_orientation(&app1(0, false)), None);
    }

    #[test]
    fn truncated_exif_is_ignored_not_a_panic() {
        let full = app1(6, true);
        for cut in 0..full.len() {
            let _ = exif_orientation(&full[..cut]);
        }
        assert_eq!(exif_orientation(b"Exif\0\0II*\0\xff\xff\xff\xff"), None);
    }

    #[test]
    fn upright_copy_says_one() {
        for le in [true, false] {
            let up = exif_upright(&app1(6, le));
            assert_eq!(exif_orientation(&up).map(|x| x.0), Some(1));
        }
    }

    #[test]
    fn marker_walk_finds_exif_and_icc() {
        let mut jpeg = vec![0xFF, 0xD8];
        push_segment(&mut jpeg, 0xE1, &[&app1(8, false)]);
        push_segment(&mut jpeg, 0xE2, &[ICC_HEADER, &[2, 2], b"def"]);
        push_segment(&mut jpeg, 0xE2, &[ICC_HEADER, &[1, 2], b"abc"]);
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0xFF, 0xD9]);
        let m = read_meta(&jpeg);
        assert_eq!(m.orientation, 8);
        assert_eq!(m.icc.as_deref(), Some(&b"abcdef"[..]));
        assert!(!m.adobe);
        // Every prefix walks without panicking.
        for cut in 0..jpeg.len() {
            let _ = read_meta(&jpeg[..cut]);
        }
    }

    #[test]
    fn shrink_never_goes_below_the_target() {
        assert_eq!(shrink_factor((6028, 3391), (1000, 563)), 4);
        assert_eq!(shrink_factor((6028, 3391), (700, 394)), 8);
        assert_eq!(shrink_factor((6028, 3391), (3015, 1696)), 1);
        assert_eq!(shrink_factor((6028, 3391), (3014, 1696)), 2);

        assert_eq!(shrink_factor((100, 100), (60, 60)), 1);
        for w in [1u32, 7, 333, 1000, 2999] {
            let d = shrink_factor((6028, 3391), (w, 1));
            assert!(6028u32.div_ceil(d) >= w);
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
