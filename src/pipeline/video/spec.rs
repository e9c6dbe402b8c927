//! Job → [`CutSpec`]: times, sizes, fits, format and codec choices for a video job, with
//! every refusal a 400 naming its parameter (see the parent module's "Job → cut").
//!
//! Owns: [`cut_spec`], [`video_format`]; the size and fit of a step are in `size`, the
//! `l-video`/`l-subtitles` layers in `layers`. Pure: no files, no FFmpeg, no runtime.

mod layers;
mod size;

pub(super) use layers::check_layer_limits;
pub use layers::{attach, LayerInputs};
use size::size;

use super::DEFAULT_VIDEO_QUALITY;
use crate::error::{Error, ErrorKind, Result};
use crate::job::{Focus, Format, Job, Rotation, Step, TimeValue, Var};
use crate::limits::Limits;
use crate::video::{CutSpec, VideoFormat, VideoInfo};

/// Seconds of a time value; expressions see `idu` and `bdu` as the source duration.
pub(super) fn seconds(key: &str, t: &TimeValue, duration: f64) -> Result<f64> {
    match t {
        // Hundredths stay far below 2^53, so the conversion is exact.
        TimeValue::Centis(c) => Ok(*c as f64 / 100.0),
        TimeValue::Expr(e) => {
            let v = e.eval(key, |var| matches!(var, Var::Idu | Var::Bdu).then_some(duration))?;
            if v < 0.0 {
                return Err(Error::invalid(key, e.to_string(), "resolves to a negative time"));
            }
            Ok(v)
        }
    }
}

fn unsupported(key: &str, value: impl Into<String>, why: &str) -> Error {
    Error::new(ErrorKind::Unsupported, format!("'{key}' is not supported for video: {why}")).with_param(key, value)
}

/// Refuse the image-only parameters of a step.
fn check_image_only(step: &Step) -> Result<()> {
    let refuse = |key: &str| Err(unsupported(key, "", "it applies to images and thumbnails only"));
    if step.trim.is_some() {
        return refuse("t");
    }
    if step.flip.is_some() {
        return refuse("fl");
    }
    if step.blur.is_some() {
        return refuse("bl");
    }
    if !step.effects.is_empty() {
        return refuse("e");
    }
    if step.radius.is_some() {
        return refuse("r");
    }
    if step.border.is_some() {
        return refuse("b");
    }
    if step.opacity.is_some() {
        return refuse("o");
    }
    // Image and text layers are not drawn on video yet; video and subtitles layers are
    // resolved by `layers::attach` (and may not nest inside a video layer).
    if let Some(l) = step.layers.iter().find(|l| !l.kind.needs_video_base()) {
        return refuse(l.kind.key());
    }
    let r = &step.resize;
    for (key, set) in [("x", r.x.is_some()), ("y", r.y.is_some()), ("xc", r.xc.is_some()), ("yc", r.yc.is_some())] {
        if set {
            return refuse(key);
        }
    }
    if r.zoom.is_some() {
        return refuse("z");
    }
    if r.focus.as_ref().is_some_and(|f| *f != Focus::Center) {
        return Err(unsupported("fo", "", "video crops are centred"));
    }
    Ok(())
}

/// The output container for `f` and `Accept`: `f-mp4`/`f-webm` as asked; `f-auto` (and no
/// `f`) ⇒ WebM when the `Accept` header rates `video/webm` above `video/mp4` (explicitly, or
/// through `video/*` / `*/*`), else MP4; `f-orig` ⇒ WebM for a WebM/Matroska source, MP4
/// otherwise. Image formats are a 400 naming `f` (a still frame is `…/ik-thumbnail.jpg`).
/// Returns the format and whether it was negotiated.
pub fn video_format(format: Option<Format>, accept: &str, source_container: &str) -> Result<(VideoFormat, bool)> {
    match format {
        Some(Format::Mp4) => Ok((VideoFormat::Mp4, false)),
        Some(Format::Webm) => Ok((VideoFormat::Webm, false)),
        Some(Format::Orig) => {
            let webm = source_container.contains("webm") || source_container.contains("matroska");
            Ok((if webm { VideoFormat::Webm } else { VideoFormat::Mp4 }, false))
        }
        None | Some(Format::Auto) => {
            let webm = accept_q(accept, "video/webm") > accept_q(accept, "video/mp4");
            Ok((if webm { VideoFormat::Webm } else { VideoFormat::Mp4 }, true))
        }
        Some(f) => Err(Error::invalid(
            "f",
            f.as_str(),
            "is an image format; a video is delivered as mp4 or webm (a still frame is …/ik-thumbnail.jpg)",
        )),
    }
}

/// The `q` an `Accept` header gives `mime`: its own entry, else `type/*`, else `*/*`, else 0.
fn accept_q(accept: &str, mime: &str) -> f32 {
    let major = mime.split('/').next().unwrap_or("");
    let (mut exact, mut family, mut any) = (None, None, None);
    for item in accept.split(',') {
        let mut parts = item.split(';').map(str::trim);
        let kind = parts.next().unwrap_or("");
        let q = parts
            .find_map(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()))
            .unwrap_or(1.0)
            .clamp(0.0, 1.0);
        if kind.eq_ignore_ascii_case(mime) {
            exact = Some(q);
        } else if kind.split_once('/').is_some_and(|(a, b)| a.eq_ignore_ascii_case(major) && b == "*") {
            family = Some(q);
        } else if kind == "*/*" {
            any = Some(q);
        }
    }
    exact.or(family).or(any).unwrap_or(0.0)
}

/// Turn a job into a [`CutSpec`] for a source described by `info`. Also returns whether the
/// format was negotiated from `accept`. Every failure names its parameter.
pub fn cut_spec(
    job: &Job,
    info: &VideoInfo,
    accept: &str,
    hint_width: Option<u32>,
    limits: &Limits,
) -> Result<(CutSpec, bool)> {
    let mut spec = CutSpec::default();
    let mut sized = false;
    let mut audio_codec: Option<&str> = None;
    let mut video_codec: Option<&str> = None;
    for step in &job.steps {
        check_image_only(step)?;
        let v = &step.video;
        let d = info.duration_secs;
        if let Some(t) = &v.start {
            spec.start = Some(seconds("so", t, d)?);
        }
        if let Some(t) = &v.end {
            spec.end = Some(seconds("eo", t, d)?);
        }
        if let Some(t) = &v.duration {
            spec.duration = Some(seconds("du", t, d)?);
        }
        audio_codec = v.audio_codec.as_deref().or(audio_codec);
        video_codec = v.video_codec.as_deref().or(video_codec);
        if let Some(r) = &step.rotate {
            spec.rotate = match *r {
                // The container's display rotation is always applied; `auto` adds nothing.
                Rotation::Auto => 0,
                Rotation::Degrees(deg) => [0, 90, 180, 270, 360]
                    .into_iter()
                    .find(|&q| f64::from(q) == deg)
                    .map(|q| q % 360)
                    .ok_or_else(|| Error::invalid("rt", format!("{deg}"), "a video turns by 0, 90, 180 or 270"))?,
            };
        }
        if !step.resize.is_empty() || step.background.is_some() {
            if sized {
                return Err(unsupported("w", "", "only one step of a video chain may set a size"));
            }
            sized = true;
            size(step, info, hint_width, limits, &mut spec, None)?;
        }
    }
    let (mut format, mut negotiated) = video_format(job.output.format, accept, &info.container)?;
    // `f-auto` with a codec that only one container carries picks that container.
    if negotiated {
        let wants_webm = matches!(audio_codec, Some("opus")) || matches!(video_codec, Some("vp9" | "av1"));
        let wants_mp4 = matches!(audio_codec, Some("aac")) || matches!(video_codec, Some("h264"));
        if wants_webm != wants_mp4 {
            format = if wants_webm { VideoFormat::Webm } else { VideoFormat::Mp4 };
            negotiated = false;
        }
    }
    spec.format = format;
    if video_codec == Some("av1") {
        return Err(unsupported("vc", "av1", "WebM output is encoded with VP9"));
    }
    let (ok_audio, ok_video) = match format {
        VideoFormat::Mp4 => ("aac", "h264"),
        VideoFormat::Webm => ("opus", "vp9"),
    };
    if let Some(a) = audio_codec.filter(|a| *a != "none" && *a != ok_audio) {
        return Err(Error::invalid("ac", a, format_args!("{} carries {ok_audio} audio", format.extension())));
    }
    if let Some(v) = video_codec.filter(|v| *v != "none" && *v != ok_video) {
        return Err(Error::invalid("vc", v, format_args!("{} carries {ok_video} video", format.extension())));
    }
    spec.audio = audio_codec != Some("none");
    spec.video = video_codec != Some("none");
    spec.quality = job.output.quality.unwrap_or(DEFAULT_VIDEO_QUALITY);
    spec.validate()?;
    Ok((spec, negotiated))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Crop, Dim, Expr, Resize, VideoParams};
    use crate::video::VideoFit;

    fn info() -> VideoInfo {
        VideoInfo {
            duration_secs: 10.0,
            start_secs: 0.0,
            width: 1280,
            height: 720,
            rotation: 0,
            video_codec: "h264".into(),
            audio: None,
            container: "mov,mp4,m4a,3gp,3g2,mj2".into(),
            frame_rate: Some(25.0),
            variable_frame_rate: false,
        }
    }

    fn job(step: Step) -> Job {
        Job { source: "/v.mp4".into(), steps: vec![step], ..Job::default() }
    }

    fn spec(step: Step) -> Result<CutSpec> {
        cut_spec(&job(step), &info(), "", None, &Limits::default()).map(|(s, _)| s)
    }

    #[test]
    fn times_and_expressions() {
        let step = Step {
            video: VideoParams {
                start: Some(TimeValue::Centis(150)),
                duration: Some(TimeValue::Expr(Expr::parse("du", "idu_div_4").unwrap())),
                ..VideoParams::default()
            },
            ..Step::default()
        };
        let s = spec(step).unwrap();
        assert_eq!((s.start, s.duration, s.quality), (Some(1.5), Some(2.5), 50));
        assert_eq!(s.format, VideoFormat::Mp4);
    }

    #[test]
    fn sizes_fractions_and_fits() {
        let step = Step {
            resize: Resize {
                width: Some(Dim::Fraction(0.25)),
                height: Some(Dim::Expr(Expr::parse("h", "ih_div_4").unwrap())),
                crop: Some(Crop::AtMax),
                ..Resize::default()
            },
            ..Step::default()
        };
        let s = spec(step).unwrap();
        assert_eq!((s.width, s.height, s.fit), (Some(320), Some(180), VideoFit::AtMax));
        let enlarge = Step {
            resize: Resize {
                width: Some(Dim::Px(2000)),
                height: Some(Dim::Px(900)),
                crop: Some(Crop::AtMaxEnlarge),
                ..Resize::default()
            },
            ..Step::default()
        };
        let s = spec(enlarge).unwrap();
        assert_eq!((s.width, s.height, s.fit), (Some(1600), Some(900), VideoFit::Force));
    }

    #[test]
    fn errors_name_the_parameter() {
        let key = |step: Step| spec(step).unwrap_err().key().map(str::to_owned);
        let rt = Step { rotate: Some(Rotation::Degrees(45.0)), ..Step::default() };
        assert_eq!(key(rt).as_deref(), Some("rt"));
        let blur = Step { blur: Some(5), ..Step::default() };
        assert_eq!(key(blur).as_deref(), Some("bl"));
        let huge = Step { resize: Resize { width: Some(Dim::Px(100_000)), ..Resize::default() }, ..Step::default() };
        assert_eq!(key(huge).as_deref(), Some("w"));
        let j = Job {
            output: crate::job::Output { format: Some(Format::Png), ..Default::default() },
            ..job(Step::default())
        };
        let e = cut_spec(&j, &info(), "", None, &Limits::default()).unwrap_err();
        assert_eq!(e.key(), Some("f"));
        let opus = Step {
            video: VideoParams { audio_codec: Some("opus".into()), ..VideoParams::default() },
            ..Step::default()
        };
        let j = Job { output: crate::job::Output { format: Some(Format::Mp4), ..Default::default() }, ..job(opus) };
        assert_eq!(cut_spec(&j, &info(), "", None, &Limits::default()).unwrap_err().key(), Some("ac"));
    }

    #[test]
    fn accept_negotiation() {
        assert_eq!(video_format(None, "", "mp4").unwrap(), (VideoFormat::Mp4, true));
        assert_eq!(video_format(None, "video/webm,video/*;q=0.8", "mp4").unwrap().0, VideoFormat::Webm);
        assert_eq!(video_format(None, "video/webm,video/mp4", "mp4").unwrap().0, VideoFormat::Mp4);
        assert_eq!(video_format(None, "video/webm;q=0.9,*/*;q=0.5", "mp4").unwrap().0, VideoFormat::Webm);
        assert_eq!(video_format(Some(Format::Orig), "", "matroska,webm").unwrap().0, VideoFormat::Webm);
        let opus = Step {
            video: VideoParams { audio_codec: Some("opus".into()), ..VideoParams::default() },
            ..Step::default()
        };
        assert_eq!(spec(opus).unwrap().format, VideoFormat::Webm);
    }
}
