//! `l-video` and `l-subtitles` through the whole stack: HTTP front end → `CutVideo` over gRPC
//! → daemon → FFmpeg, on a copy of `media/video/bigbuckbunny.mp4` (1280×720, 5.312 s) in a
//! temporary media folder, with the layer files written by the test.
//!
//! Every check compares a layered render with the base-only render of the same URL without
//! the layer, frame by frame at chosen times (frames read back with the daemon's own
//! `ProcessBackend::thumbnail`, the first frame at or after the time). Tolerances, and why:
//! * "unchanged": mean absolute difference per channel < 8 over the region — the two files
//!   are separate x264 encodes (crf 27) of the same pictures until the layer appears; after a
//!   layer has come and gone, the P-frames up to the next keyframe still carry some residue
//!   of it (measured up to 5), while a drawn layer or text moves the mean by tens. Where the
//!   layer was, "gone" is also checked by colour: nothing near the layer's green remains.
//! * layer colour: within 24 per channel of the solid colour the layer clip was made with —
//!   4:2:0 chroma and two lossy encodes (layer clip, then output) shift a flat colour a little.

use std::path::Path;

use reqwest::StatusCode;
use xformd::limits::Limits;
use xformd::media::Frame;
use xformd::video::{ProcessBackend, VideoBackend, VideoInfo};

use crate::common::{config, media_dir, start_server};

/// The layer clip's colour (a green no frame of the film has in a flat 40×20 patch).
const GREEN: [u8; 3] = [0x20, 0xE0, 0x20];

/// A media folder with the film and the test's own files.
fn media() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("video")).unwrap();
    std::fs::create_dir_all(dir.path().join("layers")).unwrap();
    std::fs::copy(media_dir().join("video/bigbuckbunny.mp4"), dir.path().join("video/bigbuckbunny.mp4")).unwrap();
    // A 3 s, 25 fps, 320×180 solid green H.264 clip, made by the FFmpeg CLI.
    let made = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("color=c=0x{:02X}{:02X}{:02X}:s=320x180:r=25:d=3", GREEN[0], GREEN[1], GREEN[2]))
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p", "layers/green.mp4"])
        .current_dir(dir.path())
        .status()
        .expect("the FFmpeg CLI makes the layer clip");
    assert!(made.success(), "ffmpeg could not make the layer clip");
    dir
}

/// Write `bytes` as `name` under a fresh folder, for the video backend to read.
struct Rendered {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

impl Rendered {
    fn new(bytes: &[u8]) -> Rendered {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.mp4");
        std::fs::write(&path, bytes).unwrap();
        Rendered { _dir: dir, path }
    }

    fn info(&self) -> VideoInfo {
        backend().probe(&self.path).unwrap()
    }

    fn frame(&self, at: f64) -> Frame {
        backend().thumbnail(&self.path, at, &Limits::default()).unwrap()
    }
}

fn backend() -> ProcessBackend {
    ProcessBackend::with_helper(env!("CARGO_BIN_EXE_xformd-ffmpeg").into(), Limits::default())
}

async fn render(url: &str) -> Rendered {
    let resp = reqwest::get(url).await.unwrap();
    let status = resp.status();
    let body = resp.bytes().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{url}: {}", String::from_utf8_lossy(&body));
    Rendered::new(&body)
}

/// Mean RGB of the rectangle `(x, y, w, h)`.
fn mean(f: &Frame, (x, y, w, h): (u32, u32, u32, u32)) -> [f64; 3] {
    let mut sum = [0u64; 3];
    for row in y..y + h {
        for col in x..x + w {
            let i = (row * f.width + col) as usize * 4;
            for (s, &v) in sum.iter_mut().zip(&f.data[i..i + 3]) {
                *s += u64::from(v);
            }
        }
    }
    sum.map(|s| s as f64 / f64::from(w * h))
}

/// Mean absolute difference per channel over the rectangle.
fn mad(a: &Frame, b: &Frame, (x, y, w, h): (u32, u32, u32, u32)) -> f64 {
    let mut sum = 0u64;
    for row in y..y + h {
        for col in x..x + w {
            let i = (row * a.width + col) as usize * 4;
            sum += (0..3).map(|c| u64::from(a.data[i + c].abs_diff(b.data[i + c]))).sum::<u64>();
        }
    }
    sum as f64 / f64::from(w * h * 3)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn video_layer_shows_in_its_window_and_place_only() {
    let dir = media();
    let s = start_server(config(dir.path().to_owned())).await;
    // Base 320×180; layer 80 wide (45 → 44 high, even), at (20, 30), from 1 s for 1.5 s.
    let base = render(&s.url("/tr:w-320/video/bigbuckbunny.mp4")).await;
    let layered = render(
        &s.url("/tr:w-320,l-video,i-layers@@green.mp4,w-80,lx-20,ly-30,lso-1,ldu-1.5,l-end/video/bigbuckbunny.mp4"),
    )
    .await;
    let (bi, li) = (base.info(), layered.info());
    assert_eq!((li.width, li.height), (320, 180));
    assert!((li.duration_secs - bi.duration_secs).abs() <= 0.04, "{} vs {}", li.duration_secs, bi.duration_secs);
    assert_eq!(li.audio.as_ref().map(|a| a.codec.as_str()), Some("aac"), "the base's audio is kept");

    let inside = (30, 38, 60, 28); // well inside the 80×44 layer at (20, 30)
    let beside = (160, 60, 120, 80); // never covered
    for t in [1.2, 2.0, 2.4] {
        let (b, l) = (base.frame(t), layered.frame(t));
        let m = mean(&l, inside);
        for c in 0..3 {
            assert!((m[c] - f64::from(GREEN[c])).abs() < 24.0, "t={t}: layer region is {m:?}, not the layer's green");
        }
        assert!(mad(&b, &l, inside) > 40.0, "t={t}: layer region equals the base");
        assert!(mad(&b, &l, beside) < 8.0, "t={t}: outside the layer changed: {}", mad(&b, &l, beside));
    }
    for t in [0.5, 0.9, 2.54, 2.6, 4.0] {
        let (b, l) = (base.frame(t), layered.frame(t));
        assert!(mad(&b, &l, inside) < 8.0, "t={t}: layer drawn outside [1, 2.5): {}", mad(&b, &l, inside));
        let m = mean(&l, inside);
        let far = (0..3).map(|c| (m[c] - f64::from(GREEN[c])).abs()).sum::<f64>();
        assert!(far > 100.0, "t={t}: the layer's green is still there: {m:?}");
    }
}

/// Dominant colour of the text: the mean of the pixels that changed a lot and are bright
/// (the default outline is black, so its pixels are left out by the brightness test).
fn text_colour(base: &Frame, subs: &Frame, area: (u32, u32, u32, u32)) -> Option<[f64; 3]> {
    let (x, y, w, h) = area;
    let (mut sum, mut n) = ([0f64; 3], 0u32);
    for row in y..y + h {
        for col in x..x + w {
            let i = (row * base.width + col) as usize * 4;
            let d: u32 = (0..3).map(|c| u32::from(base.data[i + c].abs_diff(subs.data[i + c]))).sum();
            let bright = (0..3).map(|c| subs.data[i + c]).max().unwrap_or(0) > 120;
            if d > 120 && bright {
                for (s, &v) in sum.iter_mut().zip(&subs.data[i..i + 3]) {
                    *s += f64::from(v);
                }
                n += 1;
            }
        }
    }
    (n > 30).then(|| sum.map(|v| v / f64::from(n)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subtitles_burn_in_during_the_cue_in_their_colour() {
    let dir = media();
    std::fs::create_dir_all(dir.path().join("subs")).unwrap();
    let srt = "1\n00:00:01,500 --> 00:00:03,000\nHELLO WORLD\n";
    std::fs::write(dir.path().join("subs/cue.srt"), srt).unwrap();
    let vtt = "WEBVTT\n\n00:01.500 --> 00:03.000\nHELLO WORLD\n";
    std::fs::write(dir.path().join("subs/cue.vtt"), vtt).unwrap();
    let s = start_server(config(dir.path().to_owned())).await;
    let base = render(&s.url("/tr:w-320/video/bigbuckbunny.mp4")).await;
    let red =
        render(&s.url("/tr:w-320,l-subtitles,i-subs@@cue.srt,co-FF0000,fs-30,l-end/video/bigbuckbunny.mp4")).await;
    let blue =
        render(&s.url("/tr:w-320,l-subtitles,i-subs@@cue.vtt,co-0000FF,fs-30,l-end/video/bigbuckbunny.mp4")).await;
    assert!((red.info().duration_secs - base.info().duration_secs).abs() <= 0.04);

    let bottom = (0, 120, 320, 60);
    let top = (0, 0, 320, 100);
    let (b, r, u) = (base.frame(2.0), red.frame(2.0), blue.frame(2.0));
    assert!(mad(&b, &r, bottom) > 3.0, "no text in the bottom area during the cue");
    assert!(mad(&b, &r, top) < 8.0, "the top area changed: {}", mad(&b, &r, top));
    let rc = text_colour(&b, &r, bottom).expect("red text pixels");
    assert!(rc[0] > 150.0 && rc[0] > rc[1] + 60.0 && rc[0] > rc[2] + 60.0, "co-FF0000 text is {rc:?}");
    let uc = text_colour(&b, &u, bottom).expect("blue text pixels (from the WebVTT file)");
    assert!(uc[2] > 150.0 && uc[2] > uc[0] + 60.0 && uc[2] > uc[1] + 30.0, "co-0000FF text is {uc:?}");
    for t in [0.5, 1.3, 3.04, 3.3, 4.5] {
        let (b, r) = (base.frame(t), red.frame(t));
        assert!(mad(&b, &r, bottom) < 8.0, "t={t}: text outside the cue: {}", mad(&b, &r, bottom));
        assert!(text_colour(&b, &r, bottom).is_none(), "t={t}: text pixels outside the cue");
    }

    // With a cut the cue keeps its place in the source: so-1 ⇒ it shows at 0.5–2 s.
    let cut =
        render(&s.url("/tr:so-1,w-320,l-subtitles,i-subs@@cue.srt,co-FF0000,fs-30,l-end/video/bigbuckbunny.mp4")).await;
    let plain = render(&s.url("/tr:so-1,w-320/video/bigbuckbunny.mp4")).await;
    assert!(mad(&plain.frame(1.0), &cut.frame(1.0), bottom) > 3.0, "cue not shifted by the cut");
    assert!(text_colour(&plain.frame(1.0), &cut.frame(1.0), bottom).is_some(), "cue not shifted by the cut");
    assert!(text_colour(&plain.frame(2.5), &cut.frame(2.5), bottom).is_none(), "cue shown after its end");
}

/// A second font for the font-file test and a line it draws, renamed to a family no installed
/// font has, so that only the file in the daemon's private fonts folder can supply it: were
/// the file not written there, or its family misread, libass would fall back to the fonts of
/// the machine and draw what the DejaVu render of the same line draws. The rename swaps
/// "Noto" for "Xfmd" inside the `name` table (UTF-16BE and Mac Roman entries), same length,
/// so no offset moves (and neither FreeType nor ttf-parser checks table checksums).
/// `media/font/NotoSansDevanagari-Regular.ttf` when the tree has it (it has no Latin letters,
/// and DejaVu Sans no Devanagari), else the system's Noto Sans Mono (fonts-noto-mono), whose
/// `i` is 0.6 em against DejaVu's 0.28.
fn second_font() -> (Vec<u8>, &'static str) {
    let candidates = [
        (media_dir().join("font/NotoSansDevanagari-Regular.ttf"), "इइइइ नमस्ते"),
        ("/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf".into(), "iiiiiiiiiiiiiiii"),
    ];
    let (path, line) =
        candidates.iter().find(|(p, _)| p.exists()).unwrap_or_else(|| panic!("no second font: {candidates:?}"));
    let mut data = std::fs::read(path).unwrap();
    // The `name` table's bytes, from the table records after the 12-byte sfnt header.
    let u32_at = |d: &[u8], i: usize| u32::from_be_bytes(d[i..i + 4].try_into().unwrap()) as usize;
    let tables = usize::from(u16::from_be_bytes([data[4], data[5]]));
    let record = (0..tables).map(|t| 12 + 16 * t).find(|&r| &data[r..r + 4] == b"name").expect("a name table");
    let (start, len) = (u32_at(&data, record + 8), u32_at(&data, record + 12));
    let name = &mut data[start..start + len];
    let utf16 = |s: &str| s.encode_utf16().flat_map(u16::to_be_bytes).collect::<Vec<u8>>();
    for (from, to) in [(b"Noto".to_vec(), b"Xfmd".to_vec()), (utf16("Noto"), utf16("Xfmd"))] {
        let mut i = 0;
        while let Some(at) = name[i..].windows(from.len()).position(|w| w == from.as_slice()) {
            name[i + at..i + at + from.len()].copy_from_slice(&to);
            i += at + from.len();
        }
    }
    (data, line)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subtitles_draw_with_a_font_file() {
    let dir = media();
    let root = dir.path();
    std::fs::create_dir_all(root.join("subs")).unwrap();
    std::fs::create_dir_all(root.join("font")).unwrap();
    let (font, line) = second_font();
    let cue = |text: &str| format!("1\n00:00:01,500 --> 00:00:03,000\n{text}\n");
    std::fs::write(root.join("subs/latin.srt"), cue("HELLO WORLD")).unwrap();
    std::fs::write(root.join("subs/second.srt"), cue(line)).unwrap();
    std::fs::copy(media_dir().join("font/DejaVuSans.ttf"), root.join("font/DejaVuSans.ttf")).unwrap();
    std::fs::write(root.join("font/second.ttf"), font).unwrap();
    let s = start_server(config(root.to_owned())).await;
    let url = |subs: &str, ff: &str| {
        s.url(&format!("/tr:w-320,l-subtitles,i-subs@@{subs}.srt,{ff}fs-30,l-end/video/bigbuckbunny.mp4"))
    };
    let base = render(&s.url("/tr:w-320/video/bigbuckbunny.mp4")).await;
    let file = render(&url("latin", "ff-font@@DejaVuSans.ttf,")).await;
    let builtin = render(&url("latin", "")).await;

    let bottom = (0, 120, 320, 60);
    let (b, f, d) = (base.frame(2.0), file.frame(2.0), builtin.frame(2.0));
    assert!(text_colour(&b, &f, bottom).is_some(), "no text drawn with ff-font@@DejaVuSans.ttf");
    for t in [1.0, 3.3] {
        assert!(text_colour(&base.frame(t), &file.frame(t), bottom).is_none(), "t={t}: text outside the cue");
    }
    // The bundled font as a file draws what the built-in default draws (two encodes of the
    // same pictures: "unchanged" in the module doc's sense).
    assert!(mad(&d, &f, bottom) < 8.0, "the DejaVu file differs from the built-in DejaVu: {}", mad(&d, &f, bottom));

    // The second font's line, drawn with it and with DejaVu: far apart (measured 22 with either
    // candidate; 0 when the file is left out of the fonts folder).
    let dejavu = render(&url("second", "ff-font@@DejaVuSans.ttf,")).await.frame(2.0);
    let second = render(&url("second", "ff-font@@second.ttf,")).await.frame(2.0);
    assert!(text_colour(&b, &second, bottom).is_some(), "no text drawn with the second font");
    let apart = mad(&dejavu, &second, bottom);
    assert!(apart > 3.0, "the second font drew what DejaVu draws: {apart}");
}

async fn error(url: &str) -> (StatusCode, String, Option<String>) {
    let resp = reqwest::get(url).await.unwrap();
    let status = resp.status();
    let v: serde_json::Value = resp.json().await.unwrap_or_default();
    (status, v["code"].as_str().unwrap_or("").to_owned(), v["key"].as_str().map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn layer_errors_are_clear_client_errors() {
    let dir = media();
    let root = dir.path();
    std::fs::create_dir_all(root.join("subs")).unwrap();
    std::fs::create_dir_all(root.join("photos")).unwrap();
    std::fs::copy(media_dir().join("photos/coffee.png"), root.join("photos/coffee.png")).unwrap();
    std::fs::write(root.join("subs/garbage.srt"), b"\x00\x01 not subtitles at all \xff\xfe").unwrap();
    std::fs::write(root.join("subs/text.srt"), "just a line of text\nand another\n").unwrap();
    std::fs::write(root.join("subs/big.srt"), vec![b'a'; 3 * 1024 * 1024]).unwrap();
    std::fs::write(root.join("subs/ok.srt"), "1\n00:00:01,000 --> 00:00:02,000\nHi\n").unwrap();
    std::fs::write(root.join("layers/fake.mp4"), "not a video\n".repeat(100)).unwrap();
    let s = start_server(config(root.to_owned())).await;
    let v = "/video/bigbuckbunny.mp4";
    let cases: &[(&str, StatusCode, &str, &str)] = &[
        (
            "/tr:l-video,i-layers@@green.mp4,l-end/photos/coffee.png",
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "l-video",
        ),
        (
            "/tr:l-subtitles,i-subs@@x.srt,l-end/photos/coffee.png",
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "l-subtitles",
        ),
        (
            "/tr:l-video,i-layers@@green.mp4,l-end/video/bigbuckbunny.mp4/ik-thumbnail.jpg",
            StatusCode::BAD_REQUEST,
            "invalid_argument",
            "l-video",
        ),
        ("/tr:l-subtitles,i-subs@@a.ass,l-end", StatusCode::BAD_REQUEST, "invalid_argument", "i"),
        ("/tr:l-subtitles,i-subs@@garbage.srt,l-end", StatusCode::UNPROCESSABLE_ENTITY, "", "l-subtitles"),
        ("/tr:l-subtitles,i-subs@@text.srt,l-end", StatusCode::UNPROCESSABLE_ENTITY, "", "l-subtitles"),
        ("/tr:l-subtitles,i-subs@@big.srt,l-end", StatusCode::PAYLOAD_TOO_LARGE, "", "l-subtitles"),
        ("/tr:l-subtitles,i-subs@@none.srt,l-end", StatusCode::NOT_FOUND, "", "l-subtitles"),
        // A subtitles layer's font file: not a font (the .srt itself), missing.
        ("/tr:l-subtitles,i-subs@@ok.srt,ff-subs@@ok.srt,l-end", StatusCode::UNPROCESSABLE_ENTITY, "undecodable", "ff"),
        ("/tr:l-subtitles,i-subs@@ok.srt,ff-font@@none.ttf,l-end", StatusCode::NOT_FOUND, "not_found", "ff"),
        ("/tr:l-video,i-layers@@none.mp4,l-end", StatusCode::NOT_FOUND, "", "l-video"),
        ("/tr:l-video,i-layers@@fake.mp4,l-end", StatusCode::UNPROCESSABLE_ENTITY, "", "l-video"),
        ("/tr:l-video,i-layers@@green.mp4,lso-9,l-end", StatusCode::BAD_REQUEST, "invalid_argument", "lso"),
        ("/tr:l-video,i-layers@@green.mp4,so-5,l-end", StatusCode::BAD_REQUEST, "invalid_argument", "so"),
        ("/tr:l-video,i-layers@@green.mp4,w-99999,l-end", StatusCode::BAD_REQUEST, "invalid_argument", "w"),
    ];
    for &(tr, status, code, key) in cases {
        let url = if tr.ends_with("l-end") { s.url(&format!("{tr}{v}")) } else { s.url(tr) };
        let (got, got_code, got_key) = error(&url).await;
        assert_eq!(got, status, "{tr}");
        if !code.is_empty() {
            assert_eq!(got_code, code, "{tr}");
        }
        assert_eq!(got_key.as_deref(), Some(key), "{tr}");
    }
    // Nothing was left in the media folder or next to the layer files.
    assert!(!Path::new(&root.join("layers")).read_dir().unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with('.')));
}
