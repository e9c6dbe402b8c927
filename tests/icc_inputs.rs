//! Issue #16, colour: ICC profiles converted as libvips' `icc_transform` (lcms2) does, for a
//! CMYK JPEG with a profile and a 16-bit HLG PNG, and on every frame of an animation, through
//! the real front end and daemon.

use std::path::Path;

use reqwest::StatusCode;
use xformd::job::Format;
use xformd::limits::Limits;
use xformd::media::encode::EncodeOptions;
use xformd::media::Frame;

use crate::common::{config, start_server};
use crate::inputs::{fetch, fidelity_required, have_vips, p, png_file, psnr, run, stored};
use crate::orientation_tags::png_chunk;

/// ICC profiles against libvips' `icc_transform` (lcms2): a CMYK JPEG carrying a CMYK
/// profile (libvips writes it, Adobe-inverted as Photoshop does), and the shared set's
/// 16-bit PNG with an HLG profile, converted at 16 bits through the profile's curves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn icc_conversions_match_libvips_icc_transform() {
    if !have_vips() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n);
    std::fs::copy(crate::common::media_dir().join("photos/coffee.png"), d("coffee.png")).unwrap();
    run("vips", &["icc_export", p(&d("coffee.png")), p(&d("coffee-cmyk.jpg")), "--output-profile", "cmyk"]);
    run("vips", &["icc_transform", p(&d("coffee-cmyk.jpg")), p(&d("coffee-cmyk-ref.png")), "srgb", "--embedded"]);
    let hdr = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/media/photos/hdr_room_16bit.png");
    let have_hdr = std::fs::copy(&hdr, d("hdr.png")).is_ok();
    assert!(have_hdr || !fidelity_required(), "XFORMD_FIDELITY_TESTS=1 but ../shared/media is missing");
    if have_hdr {
        run("vips", &["icc_transform", p(&d("hdr.png")), p(&d("hdr-ref.png")), "srgb", "--embedded", "--depth", "8"]);
    }
    let s = start_server(config(dir.path().to_path_buf())).await;
    let reference = |n: &str| stored(&std::fs::read(d(n)).unwrap());
    // Measured: 50.5 dB (CMYK through the profile; the naive formula scores 18 dB) and
    // 45 dB (HLG; the CICP transfer instead of the curves scores 24 dB).
    let db = psnr(&fetch(&s, "/tr:f-png/coffee-cmyk.jpg").await, &reference("coffee-cmyk-ref.png"));
    assert!(db > 40.0, "CMYK JPEG with a profile vs libvips: {db:.1} dB");
    if have_hdr {
        let db = psnr(&fetch(&s, "/tr:f-png/hdr.png").await, &reference("hdr-ref.png"));
        assert!(db > 38.0, "16-bit HLG PNG vs libvips: {db:.1} dB");
    }
}

/// Animated WebP frames go through the file's ICC profile like a still image does: a
/// two-frame animation and a still PNG, both tagged Display P3, render the same colour.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn animation_frames_are_converted_through_the_icc_profile() {
    use xformd::media::animation::{self, AnimFrame, Animation, Looping};
    let p3 = moxcms::ColorProfile::new_display_p3().encode().unwrap();
    let colour = [200, 60, 60, 255];
    let solid = Frame::filled(&Limits::default(), 16, 16, colour).unwrap();
    // The second frame differs in its last pixel, or the encoder would write a still image.
    let mut second = solid.clone();
    let n = second.data.len();
    second.data[n - 4..].copy_from_slice(&[0, 0, 255, 255]);
    let anim = Animation {
        frames: vec![AnimFrame { frame: solid.clone(), delay_ms: 100 }, AnimFrame { frame: second, delay_ms: 100 }],
        looping: Looping::Forever,
    };
    let opts = EncodeOptions { format: Format::Webp, quality: 90, lossless: true, progressive: false };
    let webp = animation::encode(&anim, opts).unwrap().data;
    assert_eq!(&webp[12..16], b"VP8X", "animated WebP is the extended format");
    // Set the ICC flag and put an ICCP chunk right after VP8X (where the format wants it).
    let mut body = webp[8..12].to_vec();
    let vp8x_end = 12 + 8 + 10;
    body.extend_from_slice(&webp[12..vp8x_end]);
    body[4 + 8] |= 0x20;
    body.extend_from_slice(b"ICCP");
    body.extend_from_slice(&u32::try_from(p3.len()).unwrap().to_le_bytes());
    body.extend_from_slice(&p3);
    if p3.len() % 2 == 1 {
        body.push(0);
    }
    body.extend_from_slice(&webp[vp8x_end..]);
    let mut tagged = b"RIFF".to_vec();
    tagged.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
    tagged.extend(body);
    let rows: Vec<Vec<u8>> = solid.data.chunks(16 * 4).map(<[u8]>::to_vec).collect();
    let mut iccp = b"p3\0\0".to_vec();
    iccp.extend(miniz_oxide::deflate::compress_to_vec_zlib(&p3, 6));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("anim.webp"), tagged).unwrap();
    std::fs::write(dir.path().join("still.png"), png_file(16, 16, 6, 8, &rows, &[png_chunk(b"iCCP", &iccp)])).unwrap();
    let s = start_server(config(dir.path().to_path_buf())).await;
    let still = fetch(&s, "/tr:f-png/still.png").await;
    assert!(still.data[0] > colour[0] + 10, "P3 red converted to sRGB is redder: {:?}", &still.data[..4]);
    let r = reqwest::get(s.url("/tr:w-16,f-webp/anim.webp")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let out = animation::decode(&r.bytes().await.unwrap(), &Limits::default()).unwrap();
    assert_eq!(out.frames.len(), 2, "still animated");
    for (k, f) in out.frames.iter().enumerate() {
        let px = &f.frame.data[..4];
        for c in 0..3 {
            assert!(px[c].abs_diff(still.data[c]) <= 3, "frame {k}: {px:?} vs still {:?}", &still.data[..4]);
        }
    }
}
