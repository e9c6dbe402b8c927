//! Animated GIF/WebP sources rendered to animated GIF/WebP output.
//!
//! Owns: [`render`] (the hook `render_blocking` calls first), [`accepts_webp`] and the
//! output-format choice for animated sources. May import what `pipeline` may (`app`,
//! `media`, `exec`, `job`), plus rayon for the per-frame work on the CPU backend's pool.
//!
//! When it applies: the source is a GIF or WebP with more than one frame (counted by
//! walking the container, no pixel decoded) and the output can hold an animation:
//! `f-gif`, `f-webp`, `f-orig`, or `f-auto`/no `f`, where a client that takes WebP gets an
//! animated WebP and any other client an animated GIF (as ImageKit does: an animated
//! source never silently becomes a still JPEG under `f-auto`). An explicit still format
//! (`f-jpg`, `f-png`, `f-avif`) keeps the first frame through the still path.
//!
//! Every frame runs the job's steps through `Executor::run_job_from` (same backend
//! preference as a still). The first frame runs alone, so the output size is known and
//! the frames' total output memory is checked against `max_alloc` before the others run
//! (in parallel on the CPU backend's pool).
//!
//! Data-dependent steps: trim (`t`), `fo-auto`/`fo-face`/object focus, `lfo-…` detector
//! placement of a layer, `bg-dominant` and `e-contrast` measure the pixels of the frame they
//! run on, so frames could come out with different geometry (or colours that flicker). The
//! executor has no way to decide them once on the first frame and replay the decision, so
//! such jobs render the first frame only, as a still in the animated output format.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use rayon::prelude::*;

use super::{ms, negotiate, OriginLayers, Timings, TransformInput, TransformOutput, DEFAULT_QUALITY};
use crate::app::App;
use crate::error::Result;
use crate::exec::{LayerSource, RunReport};
use crate::job::{Background, Effect, Focus, Format, Job, Output, Step, Trim};
use crate::limits::Limits;
use crate::media::animation::{self, AnimFrame, Animation};
use crate::media::decode::DecodeOptions;
use crate::media::encode::{encode_with, EncodeOptions, Metadata};
use crate::media::probe::{SourceFormat, SourceInfo};
use crate::media::Frame;

/// True when the client's `Accept` header takes WebP (`image/webp` listed with a non-zero
/// `q`; wildcards do not count, as for [`negotiate`]).
pub(crate) fn accepts_webp(accept: &str) -> bool {
    // `negotiate` prefers AVIF to WebP; without the AVIF items it picks WebP exactly when
    // the client takes it.
    negotiate(&super::without_avif(accept), false) == Format::Webp
}

/// The animated output format for `out`, and whether it was negotiated; `None` when the
/// job asks for a still format.
fn animated_format(out: &Output, source: SourceFormat, accept: &str) -> Option<(Format, bool)> {
    match out.format {
        None | Some(Format::Auto) => Some((if accepts_webp(accept) { Format::Webp } else { Format::Gif }, true)),
        Some(Format::Orig) => Some((if source == SourceFormat::Webp { Format::Webp } else { Format::Gif }, false)),
        Some(f @ (Format::Gif | Format::Webp)) => Some((f, false)),
        Some(_) => None,
    }
}

fn is_detector(f: Option<&Focus>) -> bool {
    matches!(f, Some(Focus::Auto | Focus::Face | Focus::Object(_)))
}

/// True when a step measures the frame's pixels to decide what it does (module doc).
fn data_dependent(steps: &[Step]) -> bool {
    steps.iter().any(|s| {
        s.trim.is_some_and(|t| t != Trim::Off)
            || is_detector(s.resize.focus.as_ref())
            || matches!(s.background, Some(Background::Dominant))
            || s.effects.iter().any(|e| matches!(e, Effect::Contrast))
            || s.layers
                .iter()
                .any(|l| is_detector(l.position.focus.as_ref()) || is_detector(l.position.anchor.as_ref()))
    })
}

/// Layer files fetched once per animation instead of once per frame.
struct MemoLayers {
    inner: OriginLayers,
    images: Mutex<HashMap<String, Frame>>,
    fonts: Mutex<HashMap<String, Vec<u8>>>,
}

impl LayerSource for MemoLayers {
    fn image(&self, path: &str) -> Result<Frame> {
        // A poisoned lock only means another frame panicked; the map itself is intact.
        if let Some(f) = self.images.lock().unwrap_or_else(PoisonError::into_inner).get(path) {
            return Ok(f.clone());
        }
        // Frames racing here may both fetch; the first one stored wins, either is right.
        let f = self.inner.image(path)?;
        self.images.lock().unwrap_or_else(PoisonError::into_inner).insert(path.to_string(), f.clone());
        Ok(f)
    }

    fn font(&self, path: &str) -> Result<Vec<u8>> {
        if let Some(f) = self.fonts.lock().unwrap_or_else(PoisonError::into_inner).get(path) {
            return Ok(f.clone());
        }
        let f = self.inner.font(path)?;
        self.fonts.lock().unwrap_or_else(PoisonError::into_inner).insert(path.to_string(), f.clone());
        Ok(f)
    }
}

/// Render an animated source to an animated output; `Ok(None)` when this does not apply
/// (not animated, or a still output format) and the still path should run.
pub(super) fn render(
    app: &App,
    input: &TransformInput,
    bytes: &[u8],
    info: &SourceInfo,
    handle: &tokio::runtime::Handle,
) -> Result<Option<TransformOutput>> {
    let Some(scan) = animation::scan(bytes) else { return Ok(None) };
    if scan.frames < 2 {
        return Ok(None);
    }
    let job = &input.job;
    let Some((format, negotiated)) = animated_format(&job.output, scan.format, &input.accept) else {
        return Ok(None);
    };
    let limits: &Limits = &app.limits;
    if data_dependent(&job.steps) {
        // The first frame as a still, in the animated format (module doc).
        let mut still = input.clone();
        still.job.output.format = Some(format);
        let t = Instant::now();
        let out = &still.job.output;
        let opts = DecodeOptions { target: None, keep_profile: out.color_profile, keep_metadata: out.metadata };
        let decoded = super::decode_source(bytes, info, limits, &still.job, still.hints, opts)?;
        let mut rendered = super::run_decoded(app, &still, decoded, ms(t), handle.clone())?;
        rendered.negotiated = negotiated;
        return Ok(Some(rendered));
    }

    let t = Instant::now();
    let anim = animation::decode(bytes, limits)?;
    let decode_ms = ms(t);
    let count = u32::try_from(anim.frames.len()).unwrap_or(u32::MAX);

    let t = Instant::now();
    let layers = MemoLayers {
        inner: OriginLayers { app: app.clone(), handle: handle.clone() },
        images: Mutex::default(),
        fonts: Mutex::default(),
    };
    let run = |f: AnimFrame| -> Result<(AnimFrame, RunReport)> {
        let (frame, report) =
            app.executor.run_job_from(job, f.frame, None, input.hints, input.backend, limits, &layers)?;
        Ok((AnimFrame { frame, delay_ms: f.delay_ms }, report))
    };
    let mut frames = anim.frames.into_iter();
    let Some(first) = frames.next() else { return Ok(None) };
    let (first, report) = run(first)?;
    // All output frames are held until the encoder has them: same budget as the source's.
    animation::check(count, first.frame.width, first.frame.height, limits)?;
    let rest: Vec<AnimFrame> = frames.collect();
    // `render_blocking` already runs on the CPU pool, so `install` runs in place and the
    // parallel iterator uses that pool's threads.
    let rest = app.executor.cpu().install(|| rest.into_par_iter().map(run).collect::<Result<Vec<_>>>())?;
    let mut fallback_reason = report.fallback_reason;
    let size = (first.frame.width, first.frame.height);
    let mut out_frames = vec![first];
    for (f, r) in rest {
        fallback_reason = fallback_reason.or(r.fallback_reason);
        out_frames.push(f);
    }
    let process_ms = ms(t);

    let t = Instant::now();
    let opts = EncodeOptions {
        format,
        quality: job.output.quality.unwrap_or(DEFAULT_QUALITY),
        lossless: job.output.lossless.unwrap_or(false),
        progressive: false,
    };
    let encoded = if out_frames.iter().all(|f| (f.frame.width, f.frame.height) == size) {
        animation::encode(&Animation { frames: out_frames, looping: anim.looping }, opts)?
    } else {
        // Cannot happen without a data-dependent step (excluded above); a still beats an
        // error if a new one slips through.
        tracing::warn!(job = %crate::job::canonical::render(job), "animation frames differ in size; first frame kept");
        encode_with(&out_frames[0].frame, opts, Metadata::default())?
    };
    let encode_ms = ms(t);
    Ok(Some(TransformOutput {
        data: encoded.data,
        mime: encoded.mime,
        width: size.0,
        height: size.1,
        backend: report.backend,
        fallback_reason,
        timings: Timings { fetch_ms: 0.0, decode_ms, process_ms, encode_ms },
        negotiated,
    }))
}

/// The part of the cache key that separates `f-auto` variants of an animated source
/// (GIF for clients without WebP, WebP otherwise).
pub(super) fn cache_key_part(job: &Job, accept: &str) -> &'static str {
    match job.output.format {
        None | Some(Format::Auto) if accepts_webp(accept) => ",anim=webp",
        None | Some(Format::Auto) => ",anim=gif",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webp_acceptance_ignores_avif_and_wildcards() {
        assert!(accepts_webp("image/avif,image/webp,image/apng,*/*;q=0.8"));
        assert!(accepts_webp("image/webp"));
        assert!(!accepts_webp("image/avif,*/*"));
        assert!(!accepts_webp("*/*"));
        assert!(!accepts_webp("image/webp;q=0"));
        assert!(!accepts_webp(""));
    }

    #[test]
    fn formats_for_animated_sources() {
        let mut out = Output::default();
        assert_eq!(animated_format(&out, SourceFormat::Gif, "*/*"), Some((Format::Gif, true)));
        assert_eq!(animated_format(&out, SourceFormat::Gif, "image/webp"), Some((Format::Webp, true)));
        out.format = Some(Format::Orig);
        assert_eq!(animated_format(&out, SourceFormat::Webp, "*/*"), Some((Format::Webp, false)));
        assert_eq!(animated_format(&out, SourceFormat::Gif, "image/webp"), Some((Format::Gif, false)));
        out.format = Some(Format::Jpeg);
        assert_eq!(animated_format(&out, SourceFormat::Gif, "image/webp"), None);
        out.format = Some(Format::Webp);
        assert_eq!(animated_format(&out, SourceFormat::Gif, "*/*"), Some((Format::Webp, false)));
    }

    #[test]
    fn trim_and_detectors_are_data_dependent() {
        let mut step = Step::default();
        assert!(!data_dependent(std::slice::from_ref(&step)));
        step.trim = Some(Trim::Off);
        assert!(!data_dependent(std::slice::from_ref(&step)));
        step.trim = Some(Trim::Default);
        assert!(data_dependent(std::slice::from_ref(&step)));
        let mut step = Step::default();
        step.resize.focus = Some(Focus::Face);
        assert!(data_dependent(std::slice::from_ref(&step)));
        let mut step = Step::default();
        step.effects.push(Effect::Contrast);
        assert!(data_dependent(std::slice::from_ref(&step)));
        let step = Step { background: Some(Background::Dominant), ..Step::default() };
        assert!(data_dependent(&[Step::default(), step]));
    }
}
