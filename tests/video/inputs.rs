//! Thumbnails, and everything that must fail cleanly: bad parameters (400 naming the key),
//! corrupt or non-video sources (422), FFmpeg failures and cancellation (no file left), the
//! deadline of the async boundary, a helper process that crashes.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use xformd::error::ErrorKind;
use xformd::limits::Limits;
use xformd::video::{run_blocking, CutSpec, ProcessBackend, VideoBackend, VideoFormat};

use super::{backend, clip, mean_abs, out_dir, rgb, shared, window, BUNNY, PHONE};

#[test]
fn thumbnails_match_the_cli() {
    let limits = Limits::default();
    let thumb = backend().thumbnail(&shared(BUNNY), 2.0, &limits).unwrap();
    assert_eq!((thumb.width, thumb.height), (1280, 720));
    let ours: Vec<u8> = thumb.data.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    let cli = rgb(&shared(BUNNY), Some(2.0), 0, (1280, 720), false);
    let d = mean_abs(&ours, &cli);
    eprintln!("thumbnail vs CLI at 2.0: {d:.3}");
    assert!(d <= 1.5, "{d}");
    // Default: the first frame; variable frame rate source.
    let first = backend().thumbnail(&shared(PHONE), 0.0, &limits).unwrap();
    let ours: Vec<u8> = first.data.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
    let d = mean_abs(&ours, &rgb(&shared(PHONE), None, 0, (1920, 1080), false));
    assert!(d <= 1.5, "{d}");
    // Upright.
    let rot = backend().thumbnail(&clip("rot.mp4"), 1.0, &limits).unwrap();
    assert_eq!((rot.width, rot.height), (720, 1280));
    let e = backend().thumbnail(&shared(BUNNY), 6.0, &limits).unwrap_err();
    assert_eq!((e.kind(), e.key()), (ErrorKind::InvalidArgument, Some("so")));
    let small = Limits { max_alloc: 1000, ..Limits::default() };
    assert_eq!(backend().thumbnail(&shared(BUNNY), 0.0, &small).unwrap_err().kind(), ErrorKind::TooLarge);
}

#[test]
fn bad_parameters_are_400_naming_the_key() {
    let dir = out_dir();
    let out = dir.path().join("x.mp4");
    let bad = |spec: CutSpec, key: &str| {
        let e = backend().cut(&shared(BUNNY), &spec, &out, &AtomicBool::new(false)).unwrap_err();
        assert_eq!((e.kind(), e.key()), (ErrorKind::InvalidArgument, Some(key)), "{e}");
        assert_eq!(e.kind().http_status(), 400);
    };
    bad(CutSpec { start: Some(5.4), ..CutSpec::default() }, "so");
    bad(CutSpec { start: Some(-1.0), ..CutSpec::default() }, "so");
    bad(CutSpec { start: Some(f64::NAN), ..CutSpec::default() }, "so");
    bad(CutSpec { start: Some(2.0), end: Some(2.0), ..CutSpec::default() }, "eo");
    bad(CutSpec { start: Some(2.0), end: Some(1.0), ..CutSpec::default() }, "eo");
    bad(CutSpec { end: Some(9.0), ..CutSpec::default() }, "eo");
    bad(CutSpec { duration: Some(-0.5), ..CutSpec::default() }, "du");
    bad(CutSpec { duration: Some(60.0), ..CutSpec::default() }, "du");
    bad(CutSpec { quality: 0, ..CutSpec::default() }, "q");
    bad(CutSpec { width: Some(100_000), ..CutSpec::default() }, "w");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written");
}

#[test]
fn corrupt_and_non_video_inputs_are_422() {
    let dir = out_dir();
    let out = dir.path().join("x.mp4");
    for name in ["text.mp4", "truncated.mp4", "audio.m4a", "still.mp4"] {
        let e = backend().cut(&clip(name), &CutSpec::default(), &out, &AtomicBool::new(false)).unwrap_err();
        assert_eq!(e.kind().http_status(), 422, "{name}: {e}");
        let e = backend().thumbnail(&clip(name), 0.0, &Limits::default()).unwrap_err();
        assert_eq!(e.kind().http_status(), 422, "{name}: {e}");
    }
    let late = CutSpec { start: Some(4.0), ..CutSpec::default() };
    let e = backend().cut(&clip("cut_short.mp4"), &late, &out, &AtomicBool::new(false)).unwrap_err();
    assert_eq!(e.kind().http_status(), 422, "{e}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no partial file");
}

#[test]
fn failures_and_cancellation_leave_no_file() {
    let dir = out_dir();
    // Cancelled before the first packet.
    let out = dir.path().join("x.mp4");
    let e = backend().cut(&shared(BUNNY), &window(1.0, 2.0), &out, &AtomicBool::new(true)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    // FFmpeg cannot create the output: a server fault, reported, not a crash.
    let missing = dir.path().join("no/such/dir/x.mp4");
    let e = backend().cut(&shared(BUNNY), &window(1.0, 2.0), &missing, &AtomicBool::new(false)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Internal, "{e}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

/// A helper that dies mid-call, as a crash inside an FFmpeg decoder would: here a stand-in
/// that writes part of the output and then kills itself with SIGSEGV. The call is an internal
/// error naming the signal, this process carries on, and the part file is removed.
#[cfg(unix)]
#[test]
fn a_crashing_helper_is_an_internal_error_and_leaves_no_file() {
    let bin = tempfile::tempdir().unwrap();
    let helper = crate::common::crashing_ffmpeg_helper(bin.path());
    let dir = out_dir();
    let backend = ProcessBackend::with_helper(helper, Limits::default());
    let e =
        backend.cut(&shared(BUNNY), &window(1.0, 2.0), &dir.path().join("x.mp4"), &AtomicBool::new(false)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Internal, "{e}");
    assert!(e.message().contains("signal"), "{e}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "part file removed");
}

#[test]
fn deadline_through_the_async_boundary() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = out_dir();
    let out = dir.path().join("x.webm");
    let sem = Arc::new(tokio::sync::Semaphore::new(1));
    rt.block_on(async {
        let permit = Arc::clone(&sem).acquire_owned().await.unwrap();
        let (src, out2) = (shared(PHONE), out.clone());
        let spec = CutSpec { format: VideoFormat::Webm, ..CutSpec::default() };
        let e =
            run_blocking(permit, Duration::from_millis(200), move |cancel| backend().cut(&src, &spec, &out2, cancel))
                .await
                .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        // The permit returns once FFmpeg has stopped and cleaned up.
        let _p = sem.acquire().await.unwrap();
    });
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "temp file removed");
}
