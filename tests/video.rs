//! Video cuts and thumbnails against real files: the two clips in `../shared/media/video`
//! (a phone recording with variable frame rate, and Big Buck Bunny with 5.1 audio) plus tiny
//! clips generated with the `ffmpeg` CLI for the container and size corner cases (odd size,
//! no audio, MPEG-PS, WebM, rotation metadata, bad inputs).
//!
//! Durations are read back with `ffprobe`; first frames are compared with the frame the
//! FFmpeg CLI extracts at `so`. Needs the `ffmpeg` and `ffprobe` CLIs (Debian's `ffmpeg`
//! package, installed with the dev libraries); every test fails loudly without them.
//!
//! Tolerances, and why:
//! * Video duration within one source frame of `eo − so`: the requirement (the
//!   implementation is exact on the files here, the slack covers container rounding).
//! * Audio and video stream lengths within 50 ms of each other (the number).
//! * A cut's first frame: mean absolute RGB difference to the CLI's frame at `so` ≤ 6 of 255,
//!   *and* smaller than to the CLI's next frame. Re-encoding at q 95 (CRF 14) plus 4:2:0
//!   round trips leaves 0.5–3 in measurements; the neighbour test is what catches an
//!   off-by-one frame on near-static footage, where neighbours differ by as little as 1.4.
//! * A thumbnail: ≤ 1.5, since it is the same decoded frame converted by the same swscale;
//!   the slack covers swscale's per-path rounding.

mod cuts;
mod inputs;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;

use xformd::limits::Limits;
use xformd::video::{CutReport, CutSpec, ProcessBackend, VideoBackend};

const PHONE: &str = "VID_20191220_170832.mp4";
const BUNNY: &str = "bigbuckbunny.mp4";

fn shared(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/media/video").join(name)
}

fn backend() -> ProcessBackend {
    let b = ProcessBackend::with_helper(env!("CARGO_BIN_EXE_xformd-ffmpeg").into(), Limits::default());
    b.check().expect("FFmpeg libraries with libx264, aac, libvpx-vp9, libopus");
    b
}

fn run(cmd: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(cmd).args(args).output().unwrap_or_else(|e| panic!("{cmd} CLI missing: {e}"));
    assert!(out.status.success(), "{cmd} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Tiny clips made once per test run with the CLI, in one temp folder.
fn clip(name: &str) -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    static MADE: OnceLock<()> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temp dir")).path().to_owned();
    MADE.get_or_init(|| {
        let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
        let gen = |extra: &[&str], out: &str| {
            let mut a = vec!["-v", "error", "-y"];
            a.extend_from_slice(extra);
            let out = p(out);
            a.push(&out);
            run("ffmpeg", &a);
        };
        let src = "testsrc2=size=320x240:rate=25";
        let tone = "sine=f=440:r=48000";
        // Odd size, no audio; 4:4:4 so the odd edges are legal in the source.
        gen(
            &[
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=321x241:rate=25",
                "-t",
                "2",
                "-c:v",
                "libx264",
                "-pix_fmt",
                "yuv444p",
            ],
            "odd.mp4",
        );
        gen(
            &[
                "-f",
                "lavfi",
                "-i",
                src,
                "-f",
                "lavfi",
                "-i",
                "sine=f=440:r=44100",
                "-t",
                "3",
                "-c:v",
                "mpeg2video",
                "-c:a",
                "mp2",
                "-f",
                "mpeg",
            ],
            "ps.mpg",
        );
        gen(
            &[
                "-f",
                "lavfi",
                "-i",
                src,
                "-f",
                "lavfi",
                "-i",
                tone,
                "-t",
                "3",
                "-c:v",
                "libvpx-vp9",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-c:a",
                "libopus",
            ],
            "src.webm",
        );
        // Keyframe every second, B-frames off: the stream-copy path's home ground.
        gen(
            &[
                "-f", "lavfi", "-i", src, "-f", "lavfi", "-i", tone, "-t", "4", "-c:v", "libx264", "-g", "25", "-bf",
                "0", "-pix_fmt", "yuv420p", "-c:a", "aac",
            ],
            "gop.mp4",
        );
        let bunny = shared(BUNNY).to_string_lossy().into_owned();
        gen(&["-i", &bunny, "-t", "2", "-c", "copy", "-metadata:s:v", "rotate=90"], "rot.mp4");
        gen(&["-f", "lavfi", "-i", tone, "-t", "1", "-c:a", "aac"], "audio.m4a");
        gen(&["-f", "lavfi", "-i", src, "-frames:v", "1", "-f", "image2", "-c:v", "png"], "still.mp4");
        std::fs::write(p("text.mp4"), b"this is not a video at all\n".repeat(100)).expect("write");
        let bytes = std::fs::read(shared(BUNNY)).expect("bunny");
        // Index at the end (as shipped): cut off, the file has no index at all.
        std::fs::write(p("truncated.mp4"), &bytes[..bytes.len() * 4 / 10]).expect("write");
        // Index first: opens fine, but the frames stop at 2.1 s of 5.3.
        gen(&["-i", &bunny, "-c", "copy", "-movflags", "+faststart"], "faststart.mp4");
        let bytes = std::fs::read(p("faststart.mp4")).expect("faststart");
        std::fs::write(p("cut_short.mp4"), &bytes[..bytes.len() / 2]).expect("write");
    });
    dir.join(name)
}

fn out_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// (codec_type, codec_name, channels, width, height, span) per stream, from ffprobe. The
/// span runs from max(start, 0) to the stream's end: MP4 stores a duration per track; WebM
/// stores an end time per track (the `DURATION` tag) and reports Opus's pre-skip as a −7 ms
/// start, so clamping at 0 measures what is heard.
fn streams(path: &Path) -> Vec<(String, String, u32, u32, u32, f64)> {
    let text = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "stream=codec_type,codec_name,channels,width,height,start_time,duration:stream_tags=DURATION",
            "-of",
            "compact",
            &path.to_string_lossy(),
        ],
    );
    String::from_utf8_lossy(&text)
        .lines()
        .filter(|l| l.starts_with("stream|"))
        .map(|line| {
            let field = |k: &str| {
                line.split('|')
                    .find_map(|kv| kv.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
                    .unwrap_or("")
                    .to_owned()
            };
            let num = |k: &str| field(k).parse::<f64>().ok();
            let start = num("start_time").unwrap_or(0.0);
            let tag_end = field("tag:DURATION")
                .split(':')
                .try_fold(0.0, |acc, part| part.parse::<f64>().map(|v| acc * 60.0 + v).ok());
            let end = num("duration").map(|d| start + d).or(tag_end).unwrap_or(0.0);
            let int = |k: &str| field(k).parse::<u32>().unwrap_or(0);
            (
                field("codec_type"),
                field("codec_name"),
                int("channels"),
                int("width"),
                int("height"),
                end - start.max(0.0),
            )
        })
        .collect()
}

fn span(path: &Path, kind: &str) -> f64 {
    streams(path)
        .into_iter()
        .find(|s| s.0 == kind)
        .unwrap_or_else(|| panic!("no {kind} stream in {}", path.display()))
        .5
}

/// One frame as packed RGB24 at `w`×`h`: the first frame of `path`, or the frame the CLI
/// picks at `ss` (input-side seek, the usual `ffmpeg -ss S -i in`), scaled like our output.
fn rgb(path: &Path, ss: Option<f64>, skip: usize, (w, h): (u32, u32), output_seek: bool) -> Vec<u8> {
    let ss = ss.map(|s| format!("{s}"));
    let input = path.to_string_lossy().into_owned();
    let mut args: Vec<&str> = vec!["-v", "error"];
    if let (Some(ss), false) = (&ss, output_seek) {
        args.extend(["-ss", ss.as_str()]);
    }
    args.extend(["-i", &input]);
    if let (Some(ss), true) = (&ss, output_seek) {
        args.extend(["-ss", ss.as_str()]);
    }
    let filter = format!("scale={w}:{h}:flags=bicubic");
    let count = (skip + 1).to_string();
    args.extend([
        "-vf",
        &filter,
        "-fps_mode",
        "passthrough",
        "-frames:v",
        &count,
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-",
    ]);
    let bytes = run("ffmpeg", &args);
    let size = (w * h * 3) as usize;
    assert_eq!(bytes.len(), size * (skip + 1), "frames of {input}");
    bytes[size * skip..].to_vec()
}

fn mean_abs(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| f64::from(x.abs_diff(*y))).sum::<f64>() / a.len() as f64
}

/// The first frame of `out` is the CLI's frame at `so` in `src`, not its successor.
fn assert_first_frame(src: &Path, so: f64, out: &Path, dims: (u32, u32), output_seek: bool) {
    let ours = rgb(out, None, 0, dims, false);
    let at = rgb(src, Some(so), 0, dims, output_seek);
    let next = rgb(src, Some(so), 1, dims, output_seek);
    let (d_at, d_next) = (mean_abs(&ours, &at), mean_abs(&ours, &next));
    eprintln!("{}: first frame vs CLI at so={so}: {d_at:.2}, vs next: {d_next:.2}", out.display());
    assert!(d_at <= 6.0, "first frame differs from the CLI's by {d_at:.2}");
    assert!(d_at < d_next, "first frame is closer to the next frame ({d_next:.2} ≤ {d_at:.2})");
}

fn cut(src: &Path, spec: &CutSpec, out: &Path) -> CutReport {
    let r =
        backend().cut(src, spec, out, &AtomicBool::new(false)).unwrap_or_else(|e| panic!("cut {}: {e}", src.display()));
    eprintln!("{}: {r:?} streams {:?}", out.display(), streams(out));
    r
}

fn window(so: f64, eo: f64) -> CutSpec {
    CutSpec { start: Some(so), end: Some(eo), quality: 95, ..CutSpec::default() }
}

/// Video within one source frame of the request; audio within 50 ms of the video.
fn assert_durations(out: &Path, want: f64, frame: f64, audio: bool) {
    let v = span(out, "video");
    assert!((v - want).abs() <= frame + 1e-3, "video lasts {v:.4} s, asked {want} s");
    if audio {
        let a = span(out, "audio");
        assert!((a - v).abs() <= 0.050, "audio {a:.4} s vs video {v:.4} s");
    }
}
