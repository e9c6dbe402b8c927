//! `l-video` and `l-subtitles` over a video cut: each layer resolved against the base's
//! output size and duration into the concrete [`OverlaySpec`] / [`SubtitleSpec`] the video
//! backend draws. Every refusal is a 4xx naming its parameter.
//!
//! Owns: [`attach`], [`LayerInputs`]. Pure like its parent: the layer files were fetched,
//! probed and parsed by the caller.
//!
//! # Semantics (ImageKit "add overlays on videos"; spec §7.2; SDK `VideoOverlay`)
//! * Position `lx ly lxc lyc lap lfo` on the *output* frame, as for image layers
//!   (`plan::place_layer`); `lfo-face` is refused (no face detection on video).
//! * Size: the layer's step `w h ar c cm` with the base geometry's arithmetic; expressions
//!   see the layer as `iw ih iar idu` and the base output as `bw bh bar bdu`.
//! * Trim inside the layer: `so eo du` in the layer's own time, with the base's §9.1 rules.
//! * Timing: `lso` (default 0), `leo` or `ldu` (default: to the end) in seconds of the
//!   delivered video (after the base's own `so`), expressions over `idu` (the layer) and
//!   `bdu` (the delivered base). The layer shows while it has frames: a window longer than the
//!   trimmed layer closes when the layer runs out [our choice; ImageKit does not say].
//! * Audio: the base's only; a layer's sound is never mixed in.
//! * One `l-subtitles` per video, drawn above the video layers.

use std::collections::HashMap;
use std::path::PathBuf;

use super::size::{size, Base};
use super::{check_image_only, unsupported};
use crate::error::{Error, ErrorKind, Result};
use crate::job::{Focus, Job, Layer, LayerKind, TimeValue, Var};
use crate::limits::Limits;
use crate::video::{
    filter_chain, plan_geometry, resolve_window, Cue, CutSpec, OverlaySpec, SubtitleFont, SubtitleSpec, VideoInfo,
};

/// The fetched layer files, by origin path: local file and probe of each video, parsed cues
/// of each subtitles file, the checked font file of each subtitles layer's `ff`.
#[derive(Debug, Default)]
pub struct LayerInputs {
    /// `l-video` inputs.
    pub videos: HashMap<String, (PathBuf, VideoInfo)>,
    /// `l-subtitles` inputs.
    pub subtitles: HashMap<String, Vec<Cue>>,
    /// `ff` font files of `l-subtitles` layers.
    pub fonts: HashMap<String, SubtitleFont>,
}

fn missing(key: &str, path: &str) -> Error {
    Error::internal(format!("{key} input '{path}' was not fetched"))
}

/// Resolve the video and subtitles layers of `job` (its top-level steps) into `spec`, whose
/// base fields are already set from the same job for a source described by `base`.
pub fn attach(job: &Job, base: &VideoInfo, spec: &mut CutSpec, inputs: &LayerInputs, limits: &Limits) -> Result<()> {
    let layers: Vec<&Layer> = job.steps.iter().flat_map(|s| &s.layers).filter(|l| l.kind.needs_video_base()).collect();
    let Some(first) = layers.first() else { return Ok(()) };
    if !spec.video {
        return Err(Error::invalid(first.kind.key(), "", "vc-none leaves no picture to draw the layer on"));
    }
    let g = plan_geometry(base.display_width(), base.display_height(), spec);
    let (start, end) = resolve_window(spec, base.duration_secs)?;
    let on = Base { size: (g.width, g.height), duration: end - start };
    for l in layers {
        match &l.kind {
            LayerKind::Video { path } => {
                let (file, info) = inputs.videos.get(path).ok_or_else(|| missing("l-video", path))?;
                spec.overlays.push(overlay(l, file, info, on, limits)?);
            }
            LayerKind::Subtitles { path, style } => {
                if spec.subtitles.is_some() {
                    return Err(unsupported("l-subtitles", path.as_str(), "one subtitles layer per video"));
                }
                let cues = inputs.subtitles.get(path).ok_or_else(|| missing("l-subtitles", path))?;
                // A font file (an origin path) was fetched and read; a built-in name needs nothing.
                let font = match style.font.as_deref().filter(|f| f.starts_with('/')) {
                    Some(f) => Some(inputs.fonts.get(f).ok_or_else(|| missing("ff", f))?.clone()),
                    None => None,
                };
                spec.subtitles = Some(SubtitleSpec { cues: cues.clone(), style: style.clone(), font });
            }
            _ => {}
        }
    }
    Ok(())
}

/// Seconds of a layer time value: `idu` is the layer's duration, `bdu` the delivered base's.
fn seconds(key: &str, t: &TimeValue, idu: f64, bdu: f64) -> Result<f64> {
    let v = match t {
        // Hundredths stay far below 2^53, so the conversion is exact.
        TimeValue::Centis(c) => *c as f64 / 100.0,
        TimeValue::Expr(e) => e.eval(key, |v| match v {
            Var::Idu => Some(idu),
            Var::Bdu => Some(bdu),
            _ => None,
        })?,
    };
    if !v.is_finite() || v < 0.0 {
        return Err(Error::invalid(key, format!("{v}"), "must be a time of 0 s or more"));
    }
    Ok(v)
}

fn overlay(l: &Layer, file: &std::path::Path, info: &VideoInfo, on: Base, limits: &Limits) -> Result<OverlaySpec> {
    let path = match &l.kind {
        LayerKind::Video { path } => path.as_str(),
        _ => "",
    };
    if l.steps.len() > 1 {
        return Err(unsupported("l-video", path, "a video layer takes one step (size and trim)"));
    }
    let step = l.steps.first().cloned().unwrap_or_default();
    check_image_only(&step)?;
    if let Some(inner) = step.layers.first() {
        return Err(unsupported(inner.kind.key(), "", "layers inside a video layer are not drawn"));
    }
    if step.rotate.is_some() {
        return Err(unsupported("rt", "", "a video layer is not rotated"));
    }
    if l.position.focus == Some(Focus::Face) {
        return Err(unsupported("lfo", "face", "no face detection on video"));
    }
    let idu = info.duration_secs;
    // The layer's own trim and size, as a cut of the layer would do them.
    let v = &step.video;
    let time = |key, t: &Option<TimeValue>| t.as_ref().map(|t| seconds(key, t, idu, on.duration)).transpose();
    let mut ls = CutSpec {
        start: time("so", &v.start)?,
        end: time("eo", &v.end)?,
        duration: time("du", &v.duration)?,
        ..CutSpec::default()
    };
    if !step.resize.is_empty() || step.background.is_some() {
        size(&step, info, None, limits, &mut ls, Some(on))?;
    }
    let trim = resolve_window(&ls, idu)?;
    let g = plan_geometry(info.display_width(), info.display_height(), &ls);
    limits.check_output(if ls.width.is_none() && ls.height.is_some() { "h" } else { "w" }, g.width, g.height)?;
    let position = crate::plan::place_layer(l, (g.width, g.height), on.size)?;

    let p = &l.position;
    let from = p.start.as_ref().map(|t| seconds("lso", t, idu, on.duration)).transpose()?.unwrap_or(0.0);
    if from >= on.duration {
        let why = format!("must be less than the delivered video's duration of {:.2} s", on.duration);
        return Err(Error::invalid("lso", format!("{from}"), why));
    }
    let until = match (&p.end, &p.duration) {
        (Some(t), _) => {
            let e = seconds("leo", t, idu, on.duration)?;
            if e <= from {
                return Err(Error::invalid("leo", format!("{e}"), format!("must be after lso ({from} s)")));
            }
            e
        }
        (None, Some(t)) => {
            let d = seconds("ldu", t, idu, on.duration)?;
            if d <= 0.0 {
                return Err(Error::invalid("ldu", format!("{d}"), "must be greater than 0"));
            }
            from + d
        }
        (None, None) => on.duration,
    };
    let until = until.min(on.duration).min(from + (trim.1 - trim.0));
    Ok(OverlaySpec {
        path: file.to_owned(),
        trim,
        chain: filter_chain(info.rotation, &g),
        size: (g.width, g.height),
        position,
        show: (from, until),
    })
}

/// A 413 for a layer file over `limits` (duration, pixels), before a frame is decoded.
pub(crate) fn check_layer_limits(path: &str, info: &VideoInfo, limits: &Limits) -> Result<()> {
    if info.duration_secs > f64::from(limits.max_video_secs) {
        let why =
            format!("video layer lasts {:.1} s, over the limit of {} s", info.duration_secs, limits.max_video_secs);
        return Err(Error::new(ErrorKind::TooLarge, why).with_param("l-video", path));
    }
    limits.check_input(info.width, info.height)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Dim, Expr, LayerPosition, Resize, Step, VideoParams};

    fn info(w: u32, h: u32, d: f64) -> VideoInfo {
        VideoInfo {
            duration_secs: d,
            start_secs: 0.0,
            width: w,
            height: h,
            rotation: 0,
            video_codec: "h264".into(),
            audio: None,
            container: "mov,mp4,m4a,3gp,3g2,mj2".into(),
            frame_rate: Some(25.0),
            variable_frame_rate: false,
        }
    }

    fn job(layer: Layer, base_step: Step) -> Job {
        let mut s = base_step;
        s.layers.push(layer);
        Job { source: "/b.mp4".into(), steps: vec![s], ..Job::default() }
    }

    fn video_layer(step: Step, position: LayerPosition) -> Layer {
        Layer {
            kind: LayerKind::Video { path: "/l.mp4".into() },
            steps: vec![step],
            position,
            mode: Default::default(),
        }
    }

    fn inputs() -> LayerInputs {
        let mut i = LayerInputs::default();
        i.videos.insert("/l.mp4".into(), ("/tmp/l.mp4".into(), info(320, 180, 3.0)));
        i
    }

    fn run(j: &Job, base_spec: CutSpec) -> Result<CutSpec> {
        let mut spec = base_spec;
        attach(j, &info(1280, 720, 5.0), &mut spec, &inputs(), &Limits::default()).map(|()| spec)
    }

    #[test]
    fn size_position_trim_and_window() {
        let step = Step {
            resize: Resize { width: Some(Dim::Expr(Expr::parse("w", "bw_mul_0.25").unwrap())), ..Resize::default() },
            video: VideoParams { start: Some(TimeValue::Centis(50)), ..VideoParams::default() },
            ..Step::default()
        };
        let pos = LayerPosition {
            focus: Some(Focus::TopRight),
            start: Some(TimeValue::Centis(100)),
            duration: Some(TimeValue::Centis(900)),
            ..LayerPosition::default()
        };
        // The base is cut to 320 px wide and 4 s: bw = 320, bdu = 4.
        let base = CutSpec { width: Some(320), start: Some(1.0), ..CutSpec::default() };
        let s = run(&job(video_layer(step, pos), Step::default()), base).unwrap();
        let o = &s.overlays[0];
        assert_eq!(o.size, (80, 44), "80 wide, ratio kept, made even");
        assert_eq!(o.position, (240, 0));
        assert_eq!(o.trim, (0.5, 3.0));
        // lso 1 + ldu 9 is cut to the base's 4 s, and the 2.5 s of layer end at 3.5 s.
        assert_eq!(o.show, (1.0, 3.5));
        assert_eq!(o.chain, "scale=80:44:flags=bicubic");
    }

    #[test]
    fn errors_name_the_key() {
        let key = |step: Step, pos: LayerPosition| {
            run(&job(video_layer(step, pos), Step::default()), CutSpec::default()).unwrap_err().key().map(str::to_owned)
        };
        let at = |s: u64| LayerPosition { start: Some(TimeValue::Centis(s)), ..LayerPosition::default() };
        assert_eq!(key(Step::default(), at(500)).as_deref(), Some("lso"));
        let leo = LayerPosition { end: Some(TimeValue::Centis(100)), ..at(200) };
        assert_eq!(key(Step::default(), leo).as_deref(), Some("leo"));
        let late = Step {
            video: VideoParams { start: Some(TimeValue::Centis(400)), ..Default::default() },
            ..Step::default()
        };
        assert_eq!(key(late, LayerPosition::default()).as_deref(), Some("so"));
        let blur = Step { blur: Some(3), ..Step::default() };
        assert_eq!(key(blur, LayerPosition::default()).as_deref(), Some("bl"));
        let face = LayerPosition { focus: Some(Focus::Face), ..LayerPosition::default() };
        assert_eq!(key(Step::default(), face).as_deref(), Some("lfo"));
        let huge = Step { resize: Resize { width: Some(Dim::Px(100_000)), ..Resize::default() }, ..Step::default() };
        assert_eq!(key(huge, LayerPosition::default()).as_deref(), Some("w"));
        let none = CutSpec { video: false, ..CutSpec::default() };
        let e = run(&job(video_layer(Step::default(), LayerPosition::default()), Step::default()), none).unwrap_err();
        assert_eq!(e.key(), Some("l-video"));
    }

    #[test]
    fn a_subtitles_font_file_comes_from_the_inputs() {
        let subs = |font: &str| Layer {
            kind: LayerKind::Subtitles {
                path: "/s.srt".into(),
                style: crate::job::SubtitleStyle { font: Some(font.into()), ..Default::default() },
            },
            steps: Vec::new(),
            position: LayerPosition::default(),
            mode: Default::default(),
        };
        let mut inputs = inputs();
        inputs.subtitles.insert("/s.srt".into(), Vec::new());
        let font = SubtitleFont { family: "Fam".into(), data: std::sync::Arc::from(&b"OTTO"[..]) };
        inputs.fonts.insert("/f/a.otf".into(), font.clone());
        let attached = |font: &str| {
            let mut spec = CutSpec::default();
            attach(&job(subs(font), Step::default()), &info(1280, 720, 5.0), &mut spec, &inputs, &Limits::default())
                .map(|()| spec.subtitles.and_then(|s| s.font))
        };
        assert_eq!(attached("/f/a.otf").unwrap(), Some(font));
        assert_eq!(attached("DejaVuSans").unwrap(), None, "a built-in name needs no file");
        assert!(!attached("/f/other.ttf").unwrap_err().kind().is_client_error(), "not fetched: our bug");
    }
}
