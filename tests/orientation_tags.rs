//! EXIF orientation stored the ways cameras and editors write it (issue #16): BYTE, LONG or
//! SLONG instead of SHORT, in either byte order, in JPEG APP1, PNG `eXIf` and WebP `EXIF`
//! chunks — through the real server. The payload builders are shared with `inputs`.

use reqwest::StatusCode;
use xformd::job::Format;
use xformd::limits::Limits;
use xformd::media::encode::{encode, encode_with, EncodeOptions, Metadata};
use xformd::media::{jpeg, Frame};

use crate::common::{config, start_server};

/// Issue #16: an orientation tag stored as BYTE, LONG or SLONG (as some cameras and editors
/// write it), in either byte order, is honoured like the standard SHORT. A 64 × 32 JPEG is
/// written with each EXIF layout; through the real server, `w-200` must come out upright
/// (200 × 400), not sideways (200 × 100) as an untagged copy does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orientation_stored_as_long_or_slong_is_honoured() {
    let frame = Frame::filled(&Limits::default(), 64, 32, [200, 40, 40, 255]).unwrap();
    let opts = EncodeOptions { format: Format::Jpeg, quality: 90, lossless: false, progressive: false };
    let dir = tempfile::tempdir().unwrap();
    let mut cases = Vec::new();
    for (ty, name) in [(1u16, "byte"), (3, "short"), (4, "long"), (9, "slong")] {
        for le in [true, false] {
            let file = format!("{name}-{}.jpg", if le { "ii" } else { "mm" });
            let exif = exif_orientation_payload(6, ty, le);
            let jpeg = encode_with(&frame, opts, Metadata { exif: Some(&exif), icc: None }).unwrap();
            assert_eq!(jpeg::read_meta(&jpeg.data).orientation, 6, "{file}: the tag reads back");
            std::fs::write(dir.path().join(&file), jpeg.data).unwrap();
            cases.push(file);
        }
    }
    let plain = encode(&frame, opts).unwrap();
    std::fs::write(dir.path().join("none.jpg"), plain.data).unwrap();
    let s = start_server(config(dir.path().to_path_buf())).await;
    let size = |name: String| {
        let url = s.url(&format!("/tr:w-200,f-png/{name}"));
        async move {
            let r = reqwest::get(url).await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{name}");
            let f = crate::common::decode(&r.bytes().await.unwrap());
            (f.width, f.height)
        }
    };
    assert_eq!(size("none.jpg".into()).await, (200, 100));
    for file in cases {
        assert_eq!(size(file.clone()).await, (200, 400), "{file}");
    }
}

/// `Exif\0\0` + a TIFF header + IFD0 with one orientation entry of TIFF type `ty`.
pub(crate) fn exif_orientation_payload(o: u32, ty: u16, le: bool) -> Vec<u8> {
    let w16 = |v: u16| if le { v.to_le_bytes() } else { v.to_be_bytes() };
    let w32 = |v: u32| if le { v.to_le_bytes() } else { v.to_be_bytes() };
    let mut v = b"Exif\0\0".to_vec();
    v.extend_from_slice(if le { b"II*\0" } else { b"MM\0*" });
    v.extend_from_slice(&w32(8));
    v.extend_from_slice(&w16(1));
    v.extend_from_slice(&w16(0x0112));
    v.extend_from_slice(&w16(ty));
    v.extend_from_slice(&w32(1));
    match ty {
        1 => v.extend_from_slice(&[u8::try_from(o).unwrap(), 0, 0, 0]),
        3 => v.extend_from_slice(&[&w16(u16::try_from(o).unwrap())[..], &[0, 0]].concat()),
        _ => v.extend_from_slice(&w32(o)),
    }
    v.extend_from_slice(&w32(0));
    v
}

/// Issue #16: EXIF orientation in a PNG (`eXIf` chunk) and in a WebP (`EXIF` chunk of the
/// extended format), stored as LONG / SLONG — the types the image crate's own reader skips.
/// Through the real server, `w-200` of the 64 × 32 image tagged 6 must be 200 × 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orientation_in_png_and_webp_exif_chunks_is_honoured() {
    let frame = Frame::filled(&Limits::default(), 64, 32, [40, 200, 40, 255]).unwrap();
    let opts = |format| EncodeOptions { format, quality: 90, lossless: true, progressive: false };
    let dir = tempfile::tempdir().unwrap();
    // The chunks hold the bare TIFF structure (no `Exif\0\0`), as the formats specify.
    let tiff = |ty, le| exif_orientation_payload(6, ty, le)[6..].to_vec();

    let png = encode(&frame, opts(Format::Png)).unwrap().data;
    for (name, ty, le) in [("long-ii.png", 4, true), ("slong-mm.png", 9, false)] {
        // After the signature (8 bytes) and IHDR (25 bytes).
        let mut out = png[..33].to_vec();
        out.extend(png_chunk(b"eXIf", &tiff(ty, le)));
        out.extend_from_slice(&png[33..]);
        std::fs::write(dir.path().join(name), out).unwrap();
    }
    let webp = encode(&frame, opts(Format::Webp)).unwrap().data;
    assert_eq!(&webp[12..16], b"VP8L", "a simple lossless WebP to extend");
    for (name, ty, le) in [("long-mm.webp", 4, false), ("slong-ii.webp", 9, true)] {
        let exif = tiff(ty, le);
        let mut body = b"WEBP".to_vec();
        body.extend_from_slice(b"VP8X");
        body.extend_from_slice(&10u32.to_le_bytes());
        body.extend_from_slice(&[0x08, 0, 0, 0]); // the EXIF flag
        body.extend_from_slice(&63u32.to_le_bytes()[..3]);
        body.extend_from_slice(&31u32.to_le_bytes()[..3]);
        body.extend_from_slice(&webp[12..]);
        body.extend_from_slice(b"EXIF");
        body.extend_from_slice(&u32::try_from(exif.len()).unwrap().to_le_bytes());
        body.extend_from_slice(&exif);
        if exif.len() % 2 == 1 {
            body.push(0);
        }
        let mut out = b"RIFF".to_vec();
        out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
        out.extend(body);
        std::fs::write(dir.path().join(name), out).unwrap();
    }
    let s = start_server(config(dir.path().to_path_buf())).await;
    for name in ["long-ii.png", "slong-mm.png", "long-mm.webp", "slong-ii.webp"] {
        let r = reqwest::get(s.url(&format!("/tr:w-200,f-png/{name}"))).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{name}");
        let f = crate::common::decode(&r.bytes().await.unwrap());
        assert_eq!((f.width, f.height), (200, 400), "{name}");
    }
}

/// A PNG chunk: length, type, data, CRC-32 of type and data.
pub(crate) fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc = 0xFFFF_FFFFu32;
    for &b in kind.iter().chain(data) {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    out.extend_from_slice(&(!crc).to_be_bytes());
    out
}
