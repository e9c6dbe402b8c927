//! Cuts of the real files and the generated corner-case clips: durations, audio sync, first
//! frame against the FFmpeg CLI, copy versus re-encode, rotation, sizes.

use xformd::video::{CutMode, CutSpec, VideoBackend, VideoFit, VideoFormat};

use super::{
    assert_durations, assert_first_frame, backend, clip, cut, mean_abs, out_dir, rgb, run, shared, streams, window,
    BUNNY, PHONE,
};

#[test]
fn probe_reports_the_real_files() {
    let phone = backend().probe(&shared(PHONE)).unwrap();
    assert_eq!((phone.width, phone.height, phone.rotation), (1920, 1080, 0));
    assert!(phone.variable_frame_rate, "{phone:?}");
    assert_eq!(phone.audio.as_ref().map(|a| a.channels), Some(2));
    let bunny = backend().probe(&shared(BUNNY)).unwrap();
    assert_eq!(bunny.frame_rate, Some(25.0));
    assert_eq!(bunny.audio.as_ref().map(|a| (a.channels, a.sample_rate)), Some((6, 48_000)));
    assert!((bunny.duration_secs - 5.312).abs() < 1e-9);
    assert_eq!(backend().probe(&clip("rot.mp4")).unwrap().display_width(), 720);
}

#[test]
fn bunny_mp4_cut_is_frame_accurate_with_5_1_audio() {
    let dir = out_dir();
    let out = dir.path().join("bunny.mp4");
    let r = cut(&shared(BUNNY), &window(1.5, 3.2), &out);
    assert_eq!((r.mode, r.width, r.height), (CutMode::Reencoded, 1280, 720));
    assert_durations(&out, 1.7, 0.04, true);
    let s = streams(&out);
    assert!(s.iter().any(|x| x.0 == "audio" && x.1 == "aac" && x.2 == 6), "5.1 kept: {s:?}");
    assert_first_frame(&shared(BUNNY), 1.5, &out, (1280, 720), false);
}

#[test]
fn variable_frame_rate_phone_clip_mp4() {
    let dir = out_dir();
    let out = dir.path().join("phone.mp4");
    cut(&shared(PHONE), &window(0.3, 1.2), &out);
    // Frame intervals are 33 ms, but the first one is 185 ms: one frame = the largest.
    assert_durations(&out, 0.9, 0.034, true);
    assert_first_frame(&shared(PHONE), 0.3, &out, (1920, 1080), false);
}

#[test]
fn variable_frame_rate_to_webm_scaled() {
    let dir = out_dir();
    let out = dir.path().join("phone.webm");
    let spec = CutSpec { format: VideoFormat::Webm, width: Some(480), ..window(0.5, 1.4) };
    let r = cut(&shared(PHONE), &spec, &out);
    assert_eq!((r.width, r.height), (480, 270));
    let s = streams(&out);
    assert!(s.iter().any(|x| x.1 == "vp9") && s.iter().any(|x| x.1 == "opus"), "{s:?}");
    assert_durations(&out, 0.9, 0.034, true);
    assert_first_frame(&shared(PHONE), 0.5, &out, (480, 270), false);
}

#[test]
fn surround_to_webm_keeps_six_channels() {
    let dir = out_dir();
    let out = dir.path().join("bunny.webm");
    let spec = CutSpec {
        start: Some(2.0),
        duration: Some(0.8),
        width: Some(320),
        format: VideoFormat::Webm,
        quality: 95,
        ..CutSpec::default()
    };
    cut(&shared(BUNNY), &spec, &out);
    assert!(streams(&out).iter().any(|x| x.1 == "opus" && x.2 == 6));
    assert_durations(&out, 0.8, 0.04, true);
}

#[test]
fn odd_size_without_audio() {
    let dir = out_dir();
    let out = dir.path().join("odd.mp4");
    let r = cut(&clip("odd.mp4"), &window(0.5, 1.7), &out);
    assert_eq!((r.width, r.height), (320, 240));
    assert!(streams(&out).iter().all(|x| x.0 == "video"));
    assert_durations(&out, 1.2, 0.04, false);
    // The CLI frame cropped the way we crop: the odd last column and row dropped.
    let ours = rgb(&out, None, 0, (320, 240), false);
    let input = clip("odd.mp4").to_string_lossy().into_owned();
    let cli = run(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-ss",
            "0.5",
            "-i",
            &input,
            "-vf",
            "crop=320:240:0:0",
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
    );
    assert!(mean_abs(&ours, &cli) <= 6.0);
}

#[test]
fn mpeg_ps_source() {
    let dir = out_dir();
    let out = dir.path().join("ps.mp4");
    cut(&clip("ps.mpg"), &window(1.3, 2.5), &out);
    assert_durations(&out, 1.2, 0.04, true);
    // The CLI's input-side seek is not frame-accurate on MPEG-PS (no index; it lands on the
    // next keyframe), so the reference is its output-side `-ss`, which decodes everything.
    assert_first_frame(&clip("ps.mpg"), 1.3, &out, (320, 240), true);
}

#[test]
fn webm_source_reencoded_and_copied() {
    let dir = out_dir();
    let out = dir.path().join("cut.webm");
    let spec = CutSpec { format: VideoFormat::Webm, ..window(1.0, 2.0) };
    assert_eq!(cut(&clip("src.webm"), &spec, &out).mode, CutMode::Reencoded);
    assert_durations(&out, 1.0, 0.04, true);
    assert_first_frame(&clip("src.webm"), 1.0, &out, (320, 240), false);
    // From the start and to the end of a VP9 + Opus file: nothing to re-encode.
    let copy = dir.path().join("copy.webm");
    let spec = CutSpec { format: VideoFormat::Webm, ..CutSpec::default() };
    assert_eq!(cut(&clip("src.webm"), &spec, &copy).mode, CutMode::Copied);
}

#[test]
fn keyframe_start_is_copied_other_starts_reencoded() {
    let dir = out_dir();
    let copied = dir.path().join("copied.mp4");
    let r = cut(&clip("gop.mp4"), &window(2.0, 3.0), &copied);
    assert_eq!(r.mode, CutMode::Copied, "so = 2.0 is a keyframe (GOP 25 at 25 fps)");
    assert_durations(&copied, 1.0, 0.04, true);
    assert_first_frame(&clip("gop.mp4"), 2.0, &copied, (320, 240), false);
    let coded = dir.path().join("coded.mp4");
    assert_eq!(cut(&clip("gop.mp4"), &window(2.2, 3.0), &coded).mode, CutMode::Reencoded);
    assert_first_frame(&clip("gop.mp4"), 2.2, &coded, (320, 240), false);
    // A pixel change forces re-encoding even on a keyframe.
    let scaled = dir.path().join("scaled.mp4");
    let spec = CutSpec { width: Some(160), ..window(2.0, 3.0) };
    assert_eq!(cut(&clip("gop.mp4"), &spec, &scaled).mode, CutMode::Reencoded);
}

#[test]
fn rotation_metadata_is_applied_and_rt_on_top() {
    let dir = out_dir();
    let out = dir.path().join("rot.mp4");
    let r = cut(&clip("rot.mp4"), &window(0.5, 1.5), &out);
    assert_eq!((r.width, r.height), (720, 1280));
    assert_first_frame(&clip("rot.mp4"), 0.5, &out, (720, 1280), false);
    let turned = dir.path().join("turned.mp4");
    let spec = CutSpec { rotate: 90, width: Some(360), ..window(0.5, 1.5) };
    let r = cut(&clip("rot.mp4"), &spec, &turned);
    // Upright 720×1280 → w 360 → 360×640 → rt 90 → 640×360.
    assert_eq!((r.width, r.height), (640, 360));
    assert_eq!(streams(&turned).iter().find(|s| s.0 == "video").map(|s| (s.3, s.4)), Some((640, 360)));
}

#[test]
fn fit_modes_produce_requested_sizes() {
    let dir = out_dir();
    for (fit, want) in [
        (VideoFit::MaintainRatio, (300, 200)),
        (VideoFit::Force, (300, 200)),
        (VideoFit::AtMax, (300, 168)),
        (VideoFit::PadResize { background: [255, 0, 0] }, (300, 200)),
    ] {
        let out = dir.path().join(format!("{fit:?}.mp4").replace([' ', '{', '}', '[', ']', ',', ':'], ""));
        let spec = CutSpec { width: Some(301), height: Some(201), fit, ..window(0.0, 0.5) };
        let r = cut(&shared(BUNNY), &spec, &out);
        assert_eq!((r.width, r.height), want, "{fit:?}");
    }
}

#[test]
fn audio_only_and_video_only() {
    let dir = out_dir();
    let sound = dir.path().join("sound.mp4");
    let spec = CutSpec { video: false, ..window(1.0, 2.5) };
    let r = cut(&shared(BUNNY), &spec, &sound);
    assert_eq!((r.width, r.height), (0, 0));
    let s = streams(&sound);
    assert!(s.len() == 1 && s[0].0 == "audio", "{s:?}");
    assert!((s[0].5 - 1.5).abs() <= 0.025, "audio lasts {}", s[0].5);
    let silent = dir.path().join("silent.mp4");
    cut(&shared(PHONE), &CutSpec { audio: false, ..window(0.3, 1.2) }, &silent);
    assert!(streams(&silent).iter().all(|x| x.0 == "video"));
    assert_durations(&silent, 0.9, 0.034, false);
}

#[test]
fn copy_keeps_the_display_matrix() {
    let dir = out_dir();
    let out = dir.path().join("copy.mp4");
    let r = cut(&clip("rot.mp4"), &CutSpec::default(), &out);
    assert_eq!((r.mode, r.width, r.height), (CutMode::Copied, 720, 1280));
    // The same matrix as the source: ffprobe's "rotation=90" (counter-clockwise), which is
    // our clockwise 270.
    let source = backend().probe(&clip("rot.mp4")).unwrap().rotation;
    assert_eq!((source, backend().probe(&out).unwrap().rotation), (270, 270));
}
