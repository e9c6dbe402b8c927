//! Issue #16, input fidelity: files laid out the ways real cameras, editors and encoders
//! write them render as a browser (or libvips) shows them. Each odd layout is generated here,
//! named by its tag types, chunk kinds and byte orders, and rendered through the real HTTP
//! front end and gRPC daemon on 127.0.0.1.
//!
//! libvips' command-line tools (`vips`, Debian's libvips-tools, installed by `make test`) make
//! the files xformd cannot write itself (interlaced PNG, CMYK JPEG with a profile) and the
//! references for colour management; with `XFORMD_FIDELITY_TESTS=1` (as `make test` sets)
//! a missing `vips` fails those tests instead of skipping them.

use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;
use xformd::exec::compare::diff;
use xformd::job::Format;
use xformd::limits::Limits;
use xformd::media::encode::{encode, EncodeOptions};
use xformd::media::Frame;

use crate::common::{config, decode, start_server};
use crate::orientation_tags::{exif_orientation_payload, png_chunk};

/// True when the tests that need libvips' tools must run (and fail without them).
pub(crate) fn fidelity_required() -> bool {
    std::env::var("XFORMD_FIDELITY_TESTS").is_ok_and(|v| v == "1")
}

/// `vips` is on the PATH; panics when it is required and missing.
pub(crate) fn have_vips() -> bool {
    let ok = Command::new("vips").arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(
        ok || !fidelity_required(),
        "XFORMD_FIDELITY_TESTS=1 but `vips` is missing (apt-get install libvips-tools)"
    );
    if !ok {
        eprintln!("skipping: no `vips` (libvips-tools)");
    }
    ok
}

/// Run a command that must succeed.
pub(crate) fn run(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(out.status.success(), "{cmd} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A PNG's pixels as stored, without colour management: libvips attaches the profile it
/// converted to, which must not be applied a second time.
pub(crate) fn stored(png: &[u8]) -> Frame {
    let img = image::load_from_memory(png).unwrap().into_rgba8();
    Frame::from_rgba(img.width(), img.height(), img.into_raw()).unwrap()
}

pub(crate) fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A photo-like test card: gradients in every channel plus a sharp diagonal, so that
/// orientation, colour and resampling errors all show.
fn card(w: u32, h: u32) -> Frame {
    let mut f = Frame::filled(&Limits::default(), w, h, [0, 0, 0, 255]).unwrap();
    for y in 0..h {
        for x in 0..w {
            let i = ((y * w + x) * 4) as usize;
            let diag = if (x + y) % 16 < 8 { 60 } else { 0 };
            f.data[i] = u8::try_from(x * 255 / w.max(2).saturating_sub(1)).unwrap_or(255);
            f.data[i + 1] = u8::try_from(y * 255 / h.max(2).saturating_sub(1)).unwrap_or(255) / 2 + diag;
            f.data[i + 2] = 200 - u8::try_from((x + y) % 100).unwrap();
        }
    }
    f
}

/// Render `path` (a URL path) through `servers`, expecting 200, as a decoded frame.
pub(crate) async fn fetch(s: &crate::common::Servers, path: &str) -> Frame {
    let r = reqwest::get(s.url(path)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    decode(&r.bytes().await.unwrap())
}

pub(crate) fn psnr(a: &Frame, b: &Frame) -> f64 {
    diff(a, b).unwrap_or_else(|| panic!("{}x{} vs {}x{}", a.width, a.height, b.width, b.height)).psnr
}

/// A PNG from raw scanlines (filter byte 0 added here), with `extra` chunks after IHDR.
pub(crate) fn png_file(w: u32, h: u32, color_type: u8, depth: u8, rows: &[Vec<u8>], extra: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[depth, color_type, 0, 0, 0]);
    out.extend(png_chunk(b"IHDR", &ihdr));
    for c in extra {
        out.extend_from_slice(c);
    }
    let raw: Vec<u8> = rows.iter().flat_map(|r| std::iter::once(0).chain(r.iter().copied())).collect();
    out.extend(png_chunk(b"IDAT", &miniz_oxide::deflate::compress_to_vec_zlib(&raw, 6)));
    out.extend(png_chunk(b"IEND", &[]));
    out
}

/// A JPEG of `frame` with `segments` (complete marker segments) right after SOI.
fn jpeg_with_segments(frame: &Frame, segments: &[Vec<u8>]) -> Vec<u8> {
    let opts = EncodeOptions { format: Format::Jpeg, quality: 92, lossless: false, progressive: false };
    let plain = encode(frame, opts).unwrap().data;
    let mut out = plain[..2].to_vec();
    for s in segments {
        out.extend_from_slice(s);
    }
    out.extend_from_slice(&plain[2..]);
    out
}

/// Marker segments, in file order.
type Layout = Vec<Vec<u8>>;

/// One marker segment: FF, marker, big-endian length (payload + 2), payload.
fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    s.extend_from_slice(payload);
    s
}

/// Orientation 6 in the layouts cameras and editors write: an APP1 after other APP
/// segments, an XMP APP1 before the EXIF one, IFD0 far from the TIFF header, and tags of
/// other types; out-of-range values (0, 9) are ignored like browsers do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orientation_in_every_app_segment_layout_is_honoured() {
    let frame = card(64, 32);
    let exif = exif_orientation_payload(6, 3, false);
    // IFD0 at offset 200 (little endian), the gap filled with zeros as some editors leave it.
    let mut far = b"Exif\0\0II*\0".to_vec();
    far.extend_from_slice(&200u32.to_le_bytes());
    far.resize(6 + 200, 0);
    far.extend_from_slice(&exif_orientation_payload(6, 4, true)[14..]);
    let xmp = segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>");
    let app0 = segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let app2 = segment(0xE2, b"MPF\0junk");
    // (file, segments after SOI, size of w-200)
    let cases: [(&str, Layout, (u32, u32)); 6] = [
        ("after-app0-app2.jpg", vec![app0.clone(), app2.clone(), segment(0xE1, &exif)], (200, 400)),
        ("xmp-first.jpg", vec![xmp.clone(), segment(0xE1, &exif)], (200, 400)),
        ("ifd0-at-200.jpg", vec![segment(0xE1, &far)], (200, 400)),
        (
            "two-exif-first-wins.jpg",
            vec![segment(0xE1, &exif), segment(0xE1, &exif_orientation_payload(1, 3, false))],
            (200, 400),
        ),
        ("value-9-ignored.jpg", vec![segment(0xE1, &exif_orientation_payload(9, 3, true))], (200, 100)),
        ("value-0-ignored.jpg", vec![segment(0xE1, &exif_orientation_payload(0, 3, false))], (200, 100)),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (name, segs, _) in &cases {
        std::fs::write(dir.path().join(name), jpeg_with_segments(&frame, segs)).unwrap();
    }
    let s = start_server(config(dir.path().to_path_buf())).await;
    for (name, _, want) in &cases {
        let f = fetch(&s, &format!("/tr:w-200,f-png/{name}")).await;
        assert_eq!((f.width, f.height), *want, "{name}");
    }
}

/// EXIF in a PNG `Raw profile type exif` text chunk (ImageMagick's and exiftool's layout:
/// hex in lines after the name and length), plain (`tEXt`) and compressed (`zTXt`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orientation_in_a_png_raw_profile_text_chunk_is_honoured() {
    let frame = card(64, 32);
    let rows: Vec<Vec<u8>> = frame.data.chunks(64 * 4).map(<[u8]>::to_vec).collect();
    let exif = exif_orientation_payload(6, 3, false);
    let hex: String = exif.iter().map(|b| format!("{b:02x}")).collect();
    let lines: Vec<&str> = hex.as_bytes().chunks(72).map(|c| std::str::from_utf8(c).unwrap()).collect();
    let text = format!("\nexif\n{:8}\n{}\n", exif.len(), lines.join("\n"));
    let mut t = b"Raw profile type exif\0".to_vec();
    t.extend_from_slice(text.as_bytes());
    let mut z = b"Raw profile type exif\0\0".to_vec();
    z.extend(miniz_oxide::deflate::compress_to_vec_zlib(text.as_bytes(), 6));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("text.png"), png_file(64, 32, 6, 8, &rows, &[png_chunk(b"tEXt", &t)])).unwrap();
    std::fs::write(dir.path().join("ztxt.png"), png_file(64, 32, 6, 8, &rows, &[png_chunk(b"zTXt", &z)])).unwrap();
    std::fs::write(dir.path().join("none.png"), png_file(64, 32, 6, 8, &rows, &[])).unwrap();
    let s = start_server(config(dir.path().to_path_buf())).await;
    for (name, want) in [("text.png", (200, 400)), ("ztxt.png", (200, 400)), ("none.png", (200, 100))] {
        let f = fetch(&s, &format!("/tr:w-200,f-png/{name}")).await;
        assert_eq!((f.width, f.height), want, "{name}");
    }
}

/// PNG kinds: palette with `tRNS`, grey + alpha, 16-bit RGB with `sRGB`/`gAMA`/`cHRM`, and
/// Adam7 interlacing (written by libvips) all decode to the pixels they hold; a `gAMA` of 1.0
/// (linear samples) without `sRGB` or `iCCP` is brightened as browsers show it, while the
/// same chunk next to an `sRGB` chunk is overridden.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn png_kinds_and_gamma_chunks_render_as_browsers_show_them() {
    let dir = tempfile::tempdir().unwrap();
    let put = |name: &str, bytes: Vec<u8>| std::fs::write(dir.path().join(name), bytes).unwrap();
    // Palette of 4 colours, the second half transparent, the last index half opaque.
    let palette = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
    let trns = [255, 255, 0, 128];
    let rows: Vec<Vec<u8>> = (0..8u8).map(|y| (0..8u8).map(|x| (x + y) % 4).collect()).collect();
    put("palette.png", png_file(8, 8, 3, 8, &rows, &[png_chunk(b"PLTE", &palette), png_chunk(b"tRNS", &trns)]));
    let ga: Vec<Vec<u8>> = (0..8u8).map(|y| (0..8u8).flat_map(|x| [x * 30, y * 30 + 10]).collect()).collect();
    put("grey-alpha.png", png_file(8, 8, 4, 8, &ga, &[]));
    // 16-bit RGB: every sample is v·257 + 77 (the low byte must not leak into the result).
    let deep: Vec<Vec<u8>> = (0..8u16)
        .map(|y| {
            (0..8u16).flat_map(|x| [x * 30, y * 30, 128].map(|v| v * 257 + 77)).flat_map(u16::to_be_bytes).collect()
        })
        .collect();
    let chrm: Vec<u8> = [31_270u32, 32_900, 64_000, 33_000, 30_000, 60_000, 15_000, 6_000]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect();
    let srgb_chunks =
        [png_chunk(b"sRGB", &[0]), png_chunk(b"gAMA", &45_455u32.to_be_bytes()), png_chunk(b"cHRM", &chrm)];
    put("deep-srgb.png", png_file(8, 8, 2, 16, &deep, &srgb_chunks));
    let grey: Vec<Vec<u8>> = (0..8).map(|_| vec![128; 8 * 3]).collect();
    put("gamma-1.png", png_file(8, 8, 2, 8, &grey, &[png_chunk(b"gAMA", &100_000u32.to_be_bytes())]));
    put(
        "gamma-1-srgb.png",
        png_file(8, 8, 2, 8, &grey, &[png_chunk(b"sRGB", &[0]), png_chunk(b"gAMA", &100_000u32.to_be_bytes())]),
    );
    put("gamma-045.png", png_file(8, 8, 2, 8, &grey, &[png_chunk(b"gAMA", &45_455u32.to_be_bytes())]));
    let s = start_server(config(dir.path().to_path_buf())).await;

    let f = fetch(&s, "/tr:f-png/palette.png").await;
    for (k, px) in f.data.chunks_exact(4).enumerate() {
        let idx = (k % 8 + k / 8) % 4;
        let want = [palette[idx * 3], palette[idx * 3 + 1], palette[idx * 3 + 2], trns[idx]];
        assert_eq!(px, want, "palette pixel {k}");
    }
    let f = fetch(&s, "/tr:f-png/grey-alpha.png").await;
    for (k, px) in f.data.chunks_exact(4).enumerate() {
        let (x, y) = (u8::try_from(k % 8).unwrap(), u8::try_from(k / 8).unwrap());
        assert_eq!(px, [x * 30, x * 30, x * 30, y * 30 + 10], "grey+alpha pixel {k}");
    }
    let f = fetch(&s, "/tr:f-png/deep-srgb.png").await;
    for (k, px) in f.data.chunks_exact(4).enumerate() {
        let (x, y) = (u8::try_from(k % 8).unwrap(), u8::try_from(k / 8).unwrap());
        // (v·257 + 77) / 257 rounds to v: the sRGB chunk means no conversion at all.
        assert_eq!(px, [x * 30, y * 30, 128, 255], "16-bit pixel {k}");
    }
    let level = |f: &Frame| f.data[0];
    let linear = fetch(&s, "/tr:f-png/gamma-1.png").await;
    assert!((185..=191).contains(&level(&linear)), "linear 0.5 shows as sRGB ≈ 188, got {}", level(&linear));
    assert_eq!(level(&fetch(&s, "/tr:f-png/gamma-1-srgb.png").await), 128, "sRGB overrides gAMA");
    assert_eq!(level(&fetch(&s, "/tr:f-png/gamma-045.png").await), 128, "gAMA 1/2.2 is sRGB");

    if have_vips() {
        let src = dir.path().join("card.png");
        let card_frame = card(97, 61);
        let opts = EncodeOptions { format: Format::Png, quality: 90, lossless: true, progressive: false };
        std::fs::write(&src, encode(&card_frame, opts).unwrap().data).unwrap();
        run("vips", &["pngsave", p(&src), p(&dir.path().join("interlaced.png")), "--interlace"]);
        let bytes = std::fs::read(dir.path().join("interlaced.png")).unwrap();
        assert_eq!(bytes[8 + 8 + 12], 1, "IHDR says Adam7");
        let f = fetch(&s, "/tr:f-png/interlaced.png").await;
        assert!(f == card_frame, "interlaced PNG decodes to the pixels written");
    }
}

/// Progressive, arithmetic-coded and restart-marker JPEGs (libjpeg-turbo's own encoder
/// writes each) decode to the same picture as a baseline one, at full size and with
/// shrink-on-load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progressive_arithmetic_and_restart_jpegs_decode_alike() {
    let frame = card(320, 200);
    let rgb: Vec<u8> = frame.data.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    let image = turbojpeg::Image {
        pixels: &rgb[..],
        width: 320,
        pitch: 320 * 3,
        height: 200,
        format: turbojpeg::PixelFormat::RGB,
    };
    let compress = |progressive: bool, arithmetic: bool| {
        let mut c = turbojpeg::Compressor::new().unwrap();
        c.set_quality(92).unwrap();
        c.set_progressive(progressive).unwrap();
        c.set_arithmetic(arithmetic).unwrap();
        c.compress_to_vec(image).unwrap()
    };
    let dir = tempfile::tempdir().unwrap();
    let put = |name: &str, bytes: Vec<u8>| std::fs::write(dir.path().join(name), bytes).unwrap();
    put("baseline.jpg", compress(false, false));
    put("progressive.jpg", compress(true, false));
    put("arithmetic.jpg", compress(false, true));
    put("progressive-arithmetic.jpg", compress(true, true));
    // Restart markers after every MCU row: libjpeg-turbo's cjpeg, when present.
    let cjpeg = Command::new("cjpeg").arg("-version").output().is_ok_and(|o| o.status.success());
    if cjpeg {
        let mut ppm = b"P6\n320 200\n255\n".to_vec();
        ppm.extend_from_slice(&rgb);
        put("card.ppm", ppm);
        let out = dir.path().join("restart.jpg");
        let ppm = dir.path().join("card.ppm");
        run("cjpeg", &["-quality", "92", "-restart", "1", "-outfile", p(&out), p(&ppm)]);
        run("cjpeg", &["-quality", "92", "-outfile", p(&dir.path().join("cjpeg-baseline.jpg")), p(&ppm)]);
        let bytes = std::fs::read(&out).unwrap();
        assert!(bytes.windows(2).any(|w| w == [0xFF, 0xDD]), "a DRI segment was written");
    } else {
        assert!(!fidelity_required(), "XFORMD_FIDELITY_TESTS=1 but cjpeg is missing (libjpeg-turbo-progs)");
    }
    let s = start_server(config(dir.path().to_path_buf())).await;
    let base = fetch(&s, "/tr:f-png/baseline.jpg").await;
    let base_small = fetch(&s, "/tr:w-80,f-png/baseline.jpg").await;
    assert!(psnr(&base, &frame) > 35.0);
    let mut names = vec![("progressive.jpg", "baseline.jpg"), ("arithmetic.jpg", "baseline.jpg")];
    names.push(("progressive-arithmetic.jpg", "baseline.jpg"));
    if cjpeg {
        // cjpeg subsamples chroma where the library call above does not: its own baseline.
        names.push(("restart.jpg", "cjpeg-baseline.jpg"));
    }
    for (name, like) in names {
        let (full, small) = if like == "baseline.jpg" {
            (base.clone(), base_small.clone())
        } else {
            (fetch(&s, &format!("/tr:f-png/{like}")).await, fetch(&s, &format!("/tr:w-80,f-png/{like}")).await)
        };
        let f = fetch(&s, &format!("/tr:f-png/{name}")).await;
        let db = psnr(&f, &full);
        assert!(db > 40.0, "{name} vs {like}: {db:.1} dB");
        let f = fetch(&s, &format!("/tr:w-80,f-png/{name}")).await;
        let db = psnr(&f, &small);
        assert!(db > 40.0, "{name} at w-80 vs {like}: {db:.1} dB");
    }
}

/// A JPEG whose data stops early renders what decodes (the rest grey), as libvips'
/// `fail=false` and browsers do; with `limits.strict_decode` it is 422 with libjpeg's reason.
/// Both real truncations: the shared set's progressive file closed after its first scans,
/// and a baseline photo cut at two thirds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_jpegs_render_what_decodes_unless_strict_decode() {
    let dir = tempfile::tempdir().unwrap();
    let photo = std::fs::read(crate::common::media_dir().join("photos/LadyBird.jpg")).unwrap();
    std::fs::write(dir.path().join("cut.jpg"), &photo[..photo.len() * 2 / 3]).unwrap();
    std::fs::write(dir.path().join("whole.jpg"), &photo).unwrap();
    let shared =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/media/edge/video-001_progressive_truncated.jpeg");
    let progressive = std::fs::read(&shared).ok();
    if let Some(b) = &progressive {
        std::fs::write(dir.path().join("progressive-cut.jpeg"), b).unwrap();
    }

    let s = start_server(config(dir.path().to_path_buf())).await;
    let cut = fetch(&s, "/tr:w-640,f-png/cut.jpg").await;
    let whole = fetch(&s, "/tr:w-640,f-png/whole.jpg").await;
    assert_eq!((cut.width, cut.height), (whole.width, whole.height));
    // The top half decoded as in the whole file; the bottom rows are one flat grey.
    let half = (cut.width * 4 * (cut.height / 2)) as usize;
    let top = |f: &Frame| Frame::from_rgba(f.width, f.height / 2, f.data[..half].to_vec()).unwrap();
    let db = psnr(&top(&cut), &top(&whole));
    assert!(db > 45.0, "decoded part of the cut file vs the whole one: {db:.1} dB");
    let last = &cut.data[cut.data.len() - (cut.width * 4) as usize..];
    assert!(last.chunks_exact(4).all(|p| p[..3] == last[..3]), "missing rows are flat");
    if progressive.is_some() {
        let f = fetch(&s, "/tr:f-png/progressive-cut.jpeg").await;
        assert_eq!((f.width, f.height), (150, 103));
        if have_vips() {
            // libvips (fail=false by default) decodes the same scans.
            let reference = dir.path().join("progressive-vips.png");
            run("vips", &["copy", p(&dir.path().join("progressive-cut.jpeg")), p(&reference)]);
            let db = psnr(&f, &stored(&std::fs::read(&reference).unwrap()));
            assert!(db > 40.0, "truncated progressive vs libvips: {db:.1} dB");
        }
    } else {
        assert!(!fidelity_required(), "XFORMD_FIDELITY_TESTS=1 but ../shared/media is missing");
    }
    drop(s);

    let mut strict = config(dir.path().to_path_buf());
    strict.limits.strict_decode = true;
    let s = start_server(strict).await;
    let mut names = vec!["cut.jpg"];
    if progressive.is_some() {
        names.push("progressive-cut.jpeg");
    }
    for name in names {
        let r = reqwest::get(s.url(&format!("/tr:w-100/{name}"))).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["message"].as_str().unwrap_or("").contains("Premature end of JPEG file"), "{name}: {body}");
    }
    assert_eq!(reqwest::get(s.url("/tr:w-100/whole.jpg")).await.unwrap().status(), StatusCode::OK);
}

/// `orig-true` answers the source's own bytes, EXIF and all; a render strips the EXIF block
/// unless `md-true` keeps it (with the orientation set to 1, the pixels being upright).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orig_true_keeps_every_byte_and_md_true_keeps_exif_upright() {
    let tagged = jpeg_with_segments(&card(64, 32), &[segment(0xE1, &exif_orientation_payload(6, 3, false))]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tagged.jpg"), &tagged).unwrap();
    let s = start_server(config(dir.path().to_path_buf())).await;
    let get = |path: &str| {
        let url = s.url(path);
        async move { reqwest::get(url).await.unwrap().bytes().await.unwrap().to_vec() }
    };
    assert_eq!(get("/tr:orig-true,w-10/tagged.jpg").await, tagged, "orig-true ignores w-10 and the rest");
    let plain = get("/tr:w-20/tagged.jpg").await;
    assert_eq!(xformd::media::jpeg::read_meta(&plain).exif, None, "EXIF stripped by default");
    let kept = get("/tr:w-20,md-true/tagged.jpg").await;
    let meta = xformd::media::jpeg::read_meta(&kept);
    assert!(meta.exif.is_some(), "md-true keeps the EXIF block");
    assert_eq!(meta.orientation, 1, "and marks it upright");
    let f = decode(&kept);
    assert_eq!((f.width, f.height), (20, 40), "the pixels themselves were turned");
}
