//! The JPEG marker walk: EXIF orientation, the EXIF block itself and an embedded ICC
//! profile (libjpeg-turbo reads none of these for us), and the upright EXIF copy.
//!
//! Owns: [`read_meta`], [`exif_orientation`], [`tiff_orientation`] (PNG/WebP EXIF blocks),
//! [`exif_upright`], ICC chunk reassembly. May import the parent's [`JpegMeta`] and marker
//! headers; std only.

use super::{JpegMeta, EXIF_HEADER, ICC_HEADER};

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
/// value inside `app1` (so a copy can be rewritten to 1 after the pixels were turned).
/// `None` when there is no valid tag (values outside 1–8 are ignored, as browsers do).
pub fn exif_orientation(app1: &[u8]) -> Option<(u8, usize)> {
    orientation_field(app1).map(|f| (f.value, f.at))
}

/// The orientation of a bare EXIF block as PNG (`eXIf`) and WebP (`EXIF`) carry it: a TIFF
/// structure, which some writers still prefix with `Exif\0\0` as in JPEG. Read with the same
/// rules as JPEG's (any integer type, values outside 1–8 ignored).
pub fn tiff_orientation(exif: &[u8]) -> Option<u8> {
    let tiff = exif.strip_prefix(EXIF_HEADER).unwrap_or(exif);
    tiff_field(tiff, 0).map(|f| f.value)
}

/// Where an orientation value sits and how it is stored.
struct OrientationField {
    value: u8,
    /// Offset of the value inside the block it was read from (APP1 payload or bare TIFF).
    at: usize,
    /// Bytes of the value: 1 (BYTE), 2 (SHORT, SSHORT) or 4 (LONG, SLONG).
    width: usize,
    little_endian: bool,
}

/// The orientation entry of IFD0. The standard type is SHORT, but cameras and editors also
/// write BYTE, LONG and SLONG (and SSHORT); browsers read them all (Firefox bug 725582), so
/// this does too: a photo tagged 6 in a LONG must not come out sideways.
fn orientation_field(app1: &[u8]) -> Option<OrientationField> {
    tiff_field(app1.strip_prefix(EXIF_HEADER)?, EXIF_HEADER.len())
}

/// [`orientation_field`] of a TIFF structure that starts `base` bytes into its block.
fn tiff_field(tiff: &[u8], base: usize) -> Option<OrientationField> {
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
        if u16_at(entry)? != 0x0112 {
            continue;
        }
        if u32_at(entry + 4)? == 0 {
            return None;
        }
        // One value fits in the 4-byte value field, left-aligned, whatever its type.
        let at = entry + 8;
        let (value, width) = match u16_at(entry + 2)? {
            1 => (u32::from(*tiff.get(at)?), 1),
            3 | 8 => (u32::from(u16_at(at)?), 2),
            4 | 9 => (u32_at(at)?, 4),
            _ => return None,
        };
        let value = u8::try_from(value).ok().filter(|v| (1..=8).contains(v))?;
        return Some(OrientationField { value, at: base + at, width, little_endian: le });
    }
    None
}

/// A copy of an APP1 EXIF payload whose orientation says "as stored" (1): the pixels are
/// already turned, and a viewer must not turn them again. The value keeps its type.
pub fn exif_upright(app1: &[u8]) -> Vec<u8> {
    let mut out = app1.to_vec();
    if let Some(f) = orientation_field(app1) {
        let one: Vec<u8> = match (f.width, f.little_endian) {
            (1, _) => vec![1],
            (2, true) => 1u16.to_le_bytes().to_vec(),
            (2, false) => 1u16.to_be_bytes().to_vec(),
            (_, true) => 1u32.to_le_bytes().to_vec(),
            (_, false) => 1u32.to_be_bytes().to_vec(),
        };
        if let Some(slot) = out.get_mut(f.at..f.at + one.len()) {
            slot.copy_from_slice(&one);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::encode::push_segment;
    use super::*;

    /// An APP1 payload with one IFD0 entry: orientation `o`, in either byte order.
    fn app1(o: u16, le: bool) -> Vec<u8> {
        app1_typed(u32::from(o), 3, le, 8)
    }

    /// An APP1 payload whose IFD0 (at `ifd`, ≥ 8) has an orientation entry of TIFF type
    /// `ty` (1 BYTE, 3 SHORT, 4 LONG, 8 SSHORT, 9 SLONG) holding `o`, in either byte order.
    fn app1_typed(o: u32, ty: u16, le: bool, ifd: u32) -> Vec<u8> {
        let mut v = EXIF_HEADER.to_vec();
        type Writers = (fn(u16) -> [u8; 2], fn(u32) -> [u8; 4]);
        let (w16, w32): Writers =
            if le { (u16::to_le_bytes, u32::to_le_bytes) } else { (u16::to_be_bytes, u32::to_be_bytes) };
        v.extend_from_slice(if le { b"II*\0" } else { b"MM\0*" });
        v.extend_from_slice(&w32(ifd));
        v.resize(EXIF_HEADER.len() + ifd as usize, 0xAA);
        v.extend_from_slice(&w16(1));
        v.extend_from_slice(&w16(0x0112));
        v.extend_from_slice(&w16(ty));
        v.extend_from_slice(&w32(1));
        let value: Vec<u8> = match ty {
            1 => vec![u8::try_from(o).unwrap(), 0, 0, 0],
            3 | 8 => [w16(u16::try_from(o).unwrap()).to_vec(), vec![0, 0]].concat(),
            _ => w32(o).to_vec(),
        };
        v.extend_from_slice(&value);
        v.extend_from_slice(&w32(0));
        v
    }

    #[test]
    fn reads_every_integer_type_in_both_byte_orders_at_any_offset() {
        for (ty, name) in [(1, "BYTE"), (3, "SHORT"), (4, "LONG"), (8, "SSHORT"), (9, "SLONG")] {
            for le in [true, false] {
                for ifd in [8, 26, 301] {
                    for o in 1..=8u8 {
                        let p = app1_typed(u32::from(o), ty, le, ifd);
                        assert_eq!(exif_orientation(&p).map(|x| x.0), Some(o), "{name} le={le} ifd={ifd}");
                        let up = exif_upright(&p);
                        assert_eq!(exif_orientation(&up).map(|x| x.0), Some(1), "{name} le={le}: upright");
                        assert_eq!(up.len(), p.len());
                    }
                    // Out of range: ignored, as browsers do.
                    assert_eq!(exif_orientation(&app1_typed(9, ty, le, ifd)), None, "{name}");
                    assert_eq!(exif_orientation(&app1_typed(0, ty, le, ifd)), None, "{name}");
                }
            }
        }
        // An SLONG of 6 whose high bytes are set is no orientation.
        assert_eq!(exif_orientation(&app1_typed(0x0100_0006, 9, false, 8)), None);
        // RATIONAL and ASCII are not orientations.
        assert_eq!(exif_orientation(&app1_typed(6, 5, true, 8)), None);
        assert_eq!(exif_orientation(&app1_typed(6, 2, true, 8)), None);
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
    fn bare_tiff_blocks_read_like_app1_payloads() {
        for (ty, le) in [(3, true), (4, false), (9, true), (1, false)] {
            let app1 = app1_typed(5, ty, le, 8);
            assert_eq!(tiff_orientation(&app1[EXIF_HEADER.len()..]), Some(5), "bare, type {ty}");
            assert_eq!(tiff_orientation(&app1), Some(5), "with Exif\\0\\0, type {ty}");
        }
        assert_eq!(tiff_orientation(b"II*\0"), None);
        assert_eq!(tiff_orientation(b""), None);
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
}
