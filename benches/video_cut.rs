//! Cut time of [`ProcessBackend`] (the `xformd-ffmpeg` helper, one process per cut) against the FFmpeg CLI doing the same cut with the same
//! codec settings, reported as medians of 3 runs and their ratio. Not a criterion bench:
//! each sample is a whole multi-second encode, where criterion's statistics add nothing,
//! and the number that matters is the ratio to the CLI on the same machine.
//!
//! Owns: [`cut_vs_cli`]. Imports `xformd::video` and `xformd::limits` only. Needs the
//! `ffmpeg` CLI and `../shared/media/video`; prints a Markdown table on stdout.
//!
//! Same settings on both sides: libx264 `preset=veryfast`, CRF 27 (our q 50), yuv420p, AAC at
//! 64 kbit/s per channel, `movflags=+faststart`, codec-chosen thread counts, input-side
//! `-ss`/`-to` (decode from the keyframe before `so`, drop frames before it).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use xformd::limits::Limits;
use xformd::video::{CutSpec, ProcessBackend, VideoBackend};

/// One measured case: source, window, and the audio bit rate our q 50 gives its channels.
struct Case {
    file: &'static str,
    so: f64,
    eo: f64,
    audio_bitrate: &'static str,
}

const CASES: [Case; 2] = [
    Case { file: "bigbuckbunny.mp4", so: 1.0, eo: 4.0, audio_bitrate: "384k" },
    Case { file: "VID_20191220_170832.mp4", so: 0.3, eo: 1.5, audio_bitrate: "128k" },
];

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

/// The CLI command the library is compared with, for `case` into `out`.
fn cli_args(input: &Path, case: &Case, out: &Path) -> Vec<String> {
    let s = |v: &str| v.to_owned();
    vec![
        s("-v"),
        s("error"),
        s("-y"),
        s("-ss"),
        case.so.to_string(),
        s("-to"),
        case.eo.to_string(),
        s("-i"),
        input.to_string_lossy().into_owned(),
        s("-c:v"),
        s("libx264"),
        s("-preset"),
        s("veryfast"),
        s("-crf"),
        s("27"),
        s("-pix_fmt"),
        s("yuv420p"),
        s("-c:a"),
        s("aac"),
        s("-b:a"),
        s(case.audio_bitrate),
        s("-movflags"),
        s("+faststart"),
        out.to_string_lossy().into_owned(),
    ]
}

/// Run every case 3 times each way and print medians and the ratio ours / CLI.
pub fn cut_vs_cli() {
    let media = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/media/video");
    let backend = ProcessBackend::with_helper(env!("CARGO_BIN_EXE_xformd-ffmpeg").into(), Limits::default());
    let Ok(()) = backend.check() else {
        let _ = writeln!(std::io::stderr(), "video_cut: FFmpeg encoders missing, skipped");
        return;
    };
    let dir = std::env::temp_dir().join(format!("xformd-bench-{}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "| source | window | xformd (median of 3) | ffmpeg CLI (median of 3) | ratio |");
    let _ = writeln!(stdout, "|---|---|---|---|---|");
    for case in &CASES {
        let input = media.join(case.file);
        let ours_out = dir.join("ours.mp4");
        let spec = CutSpec { start: Some(case.so), end: Some(case.eo), ..CutSpec::default() };
        let ours = time(3, || {
            if let Err(e) = backend.cut(&input, &spec, &ours_out, &AtomicBool::new(false)) {
                let _ = writeln!(std::io::stderr(), "video_cut: {e}");
            }
        });
        let cli_out = dir.join("cli.mp4");
        let args = cli_args(&input, case, &cli_out);
        let cli = time(3, || {
            let ok = Command::new("ffmpeg").args(&args).status().is_ok_and(|s| s.success());
            if !ok {
                let _ = writeln!(std::io::stderr(), "video_cut: ffmpeg {}", args.join(" "));
            }
        });
        let ratio = ours.as_secs_f64() / cli.as_secs_f64().max(1e-9);
        let _ = writeln!(
            stdout,
            "| {} | {}–{} s | {:.0} ms | {:.0} ms | {ratio:.2} |",
            case.file,
            case.so,
            case.eo,
            ours.as_secs_f64() * 1e3,
            cli.as_secs_f64() * 1e3
        );
        let _ = writeln!(stdout, "\n`ffmpeg {}`\n", args.join(" "));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
