//! One image job end to end: origin → probe → decode → backend → encode.
//!
//! Owns: [`transform`], [`TransformInput`], [`TransformOutput`], [`negotiate`]. This is the
//! single path the gRPC service, `xformd render`, `bench` and `batch` all call.
//!
//! May import: `app`, `origin`, `cache`, `media`, `exec`, `job`, `plan`; tokio at the boundary (the
//! pixel work runs on the CPU backend's rayon pool and comes back through a oneshot). Never
//! tonic, axum or `url`. AVIF sources are decoded by `video`'s FFmpeg thumbnail at t = 0
//! (media may not import `video`); JPEG sources are shrunk on load towards the first step's
//! resize (`source::decode_source`). The cache lookup around the render is in `cached`.

#[cfg(feature = "video")]
pub mod video;
// Animated GIF/WebP in → animated GIF/WebP out (issue #7).
mod animated;
// The pool task around every render: cancellation, panics, memory handed back.
mod pool;
// The rendered-variant cache around `render`.
mod cached;
// Decoding a fetched source (shrink-on-load JPEG, AVIF through FFmpeg).
mod source;
// Several variants of one source from one decode (pre-rendering, issue #4).
pub mod variants;
// Every variant of one source as a single render makes it, streamed (`xformd batch`, issue #13).
pub mod each;

use std::time::Instant;

use crate::app::App;
use crate::cancel;
use crate::error::{ErrorKind, Result};
use crate::exec::{BackendKind, LayerSource};
use crate::job::{BackendPref, Format, Hints, Job};
use crate::limits::Limits;
use crate::media::decode::{decode, DecodeOptions, Decoded};
use crate::media::encode::{encode_with, EncodeOptions, Metadata};
use crate::media::Frame;
use cached::cached_render;
use pool::on_pool;
use source::{decode_avif, decode_source, source_format};

/// Default JPEG/WebP/AVIF quality (ImageKit's documented default).
pub const DEFAULT_QUALITY: u8 = 80;

/// A job and the request context that shapes it.
#[derive(Debug, Clone)]
pub struct TransformInput {
    /// The typed job.
    pub job: Job,
    /// Backend preference.
    pub backend: BackendPref,
    /// The client's `Accept` header, for `f-auto`.
    pub accept: String,
    /// Client hints.
    pub hints: Hints,
}

/// Milliseconds per stage.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Timings {
    /// Origin fetch.
    pub fetch_ms: f64,
    /// Decode.
    pub decode_ms: f64,
    /// Pixel steps.
    pub process_ms: f64,
    /// Encode.
    pub encode_ms: f64,
}

/// The rendered result.
#[derive(Debug, Clone)]
pub struct TransformOutput {
    /// Encoded bytes.
    pub data: Vec<u8>,
    /// MIME type.
    pub mime: &'static str,
    /// Output width.
    pub width: u32,
    /// Output height.
    pub height: u32,
    /// Backend that ran the pixel steps.
    pub backend: BackendKind,
    /// Why the preferred backend did not run.
    pub fallback_reason: Option<String>,
    /// Stage timings.
    pub timings: Timings,
    /// True when the format came from the `Accept` header.
    pub negotiated: bool,
}

/// Pick the output format for `f-auto` (and no `f`): AVIF, then WebP, when the client's
/// `Accept` header lists them (with a non-zero `q`); else PNG for transparent images, JPEG
/// otherwise. Wildcards (`*/*`, `image/*`) do not count: browsers send them without being
/// able to show AVIF. Pure, so the front end's `Vary: Accept` is the whole cache story.
pub fn negotiate(accept: &str, has_alpha: bool) -> Format {
    let accepts = |mime: &str| {
        accept.split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let kind = parts.next().unwrap_or("");
            let refused =
                parts.any(|p| p.strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)));
            kind.eq_ignore_ascii_case(mime) && !refused
        })
    };
    for format in [Format::Avif, Format::Webp] {
        if format.mime().is_some_and(accepts) {
            return format;
        }
    }
    if has_alpha {
        Format::Png
    } else {
        Format::Jpeg
    }
}

/// [`negotiate`] for an output of `pixels`: AVIF only up to `limits.max_auto_avif_pixels`,
/// past it the format the client takes next (its encoder costs a fraction of AVIF's).
pub fn negotiate_sized(accept: &str, has_alpha: bool, pixels: u64, limits: &Limits) -> Format {
    match negotiate(accept, has_alpha) {
        Format::Avif if pixels > limits.max_auto_avif_pixels => negotiate(&without_avif(accept), has_alpha),
        f => f,
    }
}

/// `accept` without its `image/avif` items (any parameters): what the client takes besides AVIF.
pub(crate) fn without_avif(accept: &str) -> String {
    let is_avif = |item: &str| item.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("image/avif");
    accept.split(',').filter(|item| !is_avif(item)).collect::<Vec<_>>().join(",")
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Layer images come from the same origin; fetched synchronously on the pool thread
/// through the runtime handle (layers are small and rare).
struct OriginLayers {
    app: App,
    handle: tokio::runtime::Handle,
}

impl LayerSource for OriginLayers {
    fn image(&self, path: &str) -> Result<Frame> {
        let fetched = self.handle.block_on(self.app.origin.fetch(path))?;
        Ok(decode(&fetched.bytes, &self.app.limits)?.frame)
    }

    fn font(&self, path: &str) -> Result<Vec<u8>> {
        // The origin already refuses files over `max_source_bytes`.
        Ok(self.handle.block_on(self.app.origin.fetch(path))?.bytes)
    }
}

/// Run `input` end to end.
pub async fn transform(app: &App, input: TransformInput) -> Result<TransformOutput> {
    // An image output (thumbnails included) cannot carry a video or subtitles layer.
    crate::job::layer::check_image_layers(&input.job.steps)?;
    // A still frame of a video: FFmpeg decodes it from the file, then the image steps run.
    #[cfg(feature = "video")]
    if input.job.thumbnail {
        return video::thumbnail(app, input).await;
    }
    // Counts need no source: a chain over the limits is refused before it costs a fetch.
    crate::plan::cost::check_counts(&input.job, &app.limits)?;
    // Admission before the fetch: a request waiting in the queue holds no source bytes, so
    // peak memory follows `max_concurrent_jobs`, not the queue (scripts/load-rss.sh).
    let permit = app.admission.acquire().await?;
    let started = Instant::now();
    let fetched = match app.origin.fetch(&input.job.source).await {
        Err(e) if e.kind() == ErrorKind::NotFound => match &input.job.output.default_image {
            Some(di) => app.origin.fetch(di).await?,
            None => return Err(e),
        },
        other => other?,
    };
    let fetch_ms = ms(started);
    app.bytes_in.fetch_add(fetched.bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
    if input.job.output.original {
        let mime = crate::media::probe::sniff(&fetched.bytes).map_or("application/octet-stream", |f| f.mime());
        return Ok(TransformOutput {
            data: fetched.bytes,
            mime,
            width: 0,
            height: 0,
            backend: BackendKind::Cpu,
            fallback_reason: None,
            timings: Timings { fetch_ms, ..Timings::default() },
            negotiated: false,
        });
    }
    match app.cache.clone() {
        Some(cache) => cached_render(app, &cache, input, fetched, fetch_ms, permit).await,
        None => render(app, input, fetched.bytes, fetch_ms, permit).await,
    }
}

/// Decode → run → encode on the CPU pool, holding the admission `permit` until done.
async fn render(
    app: &App,
    input: TransformInput,
    bytes: Vec<u8>,
    fetch_ms: f64,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> Result<TransformOutput> {
    let app2 = app.clone();
    let handle = tokio::runtime::Handle::current();
    let mut out = on_pool(app, permit, move || render_blocking(&app2, &input, bytes, handle)).await?;
    out.timings.fetch_ms = fetch_ms;
    Ok(out)
}

/// Decode, run and encode on the calling (pool) thread. Takes the source bytes to free them
/// once decoded: the steps and the encoder never read them, and a job holding its source
/// (up to `max_source_bytes`) through resize and encode is that much more peak memory per
/// job in flight.
fn render_blocking(
    app: &App,
    input: &TransformInput,
    source: Vec<u8>,
    handle: tokio::runtime::Handle,
) -> Result<TransformOutput> {
    let bytes = source.as_slice();
    let limits: &Limits = &app.limits;
    // The work budget, from the header's size before any pixel is decoded (AVIF and video
    // sizes come from FFmpeg's decode; `run_decoded` checks those). An animation may run the
    // chain on every frame: its work counts once per frame.
    let info = crate::media::probe::probe(bytes, limits)?;
    let sized = info.width > 0 && info.height > 0;
    if sized {
        let frames = crate::media::animation::frame_count(bytes).unwrap_or(1);
        crate::plan::cost::estimate(&input.job, info.oriented_size(), frames, input.hints, limits)?;
    }
    if let Some(out) = animated::render(app, input, bytes, &info, &handle)? {
        return Ok(out);
    }
    let t = Instant::now();
    let out = &input.job.output;
    let opts = DecodeOptions { target: None, keep_profile: out.color_profile, keep_metadata: out.metadata };
    let decoded = decode_source(bytes, &info, limits, &input.job, input.hints, opts)?;
    if !sized {
        crate::plan::cost::estimate(&input.job, decoded.info.oriented_size(), 1, input.hints, limits)?;
    }
    let decode_ms = ms(t);
    drop(source);
    run_decoded(app, input, decoded, decode_ms, handle)
}

/// Run the steps on a decoded source and encode, on the calling (pool) thread. Also the
/// second half of a video thumbnail (`video::thumbnail` decodes the frame instead). The
/// callers have checked the work budget (`plan::cost::estimate`) against the source's size.
fn run_decoded(
    app: &App,
    input: &TransformInput,
    decoded: Decoded,
    decode_ms: f64,
    handle: tokio::runtime::Handle,
) -> Result<TransformOutput> {
    let limits: &Limits = &app.limits;
    let out = &input.job.output;
    let t = Instant::now();
    let layers = OriginLayers { app: app.clone(), handle };
    // After a shrink-on-load the first step is planned against the full oriented size (so
    // `iw`, fractions and the resize target are those of the source) and its first op, a
    // Resize to an absolute size, finishes the downscale from the shrunk frame.
    let planned_from = (decoded.shrink > 1).then(|| decoded.info.oriented_size());
    let (frame, report) = app.executor.run_job_from(
        &input.job,
        decoded.frame,
        planned_from,
        input.hints,
        input.backend,
        limits,
        &layers,
    )?;
    let process_ms = ms(t);

    cancel::check()?;
    let t = Instant::now();
    let (format, negotiated) = match out.format {
        None | Some(Format::Auto) => (
            negotiate_sized(&input.accept, frame.has_alpha(), u64::from(frame.width) * u64::from(frame.height), limits),
            true,
        ),
        Some(Format::Orig) => (source_format(decoded.info.format), false),
        Some(f) => (f, false),
    };
    let quality = out.quality.unwrap_or(DEFAULT_QUALITY);
    let lossless = out.lossless.unwrap_or(false);
    let progressive = out.progressive.unwrap_or(false);
    let meta = Metadata { exif: decoded.exif.as_deref(), icc: decoded.icc.as_deref() };
    let encoded = encode_with(&frame, EncodeOptions { format, quality, lossless, progressive }, meta)?;
    let encode_ms = ms(t);
    Ok(TransformOutput {
        data: encoded.data,
        mime: encoded.mime,
        width: frame.width,
        height: frame.height,
        backend: report.backend,
        fallback_reason: report.fallback_reason,
        timings: Timings { fetch_ms: 0.0, decode_ms, process_ms, encode_ms },
        negotiated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_prefers_png_for_alpha() {
        assert_eq!(negotiate("image/webp,*/*", true), Format::Webp);
        assert_eq!(negotiate("image/png,*/*", true), Format::Png);
        assert_eq!(negotiate("*/*", false), Format::Jpeg);
        assert_eq!(negotiate("", true), Format::Png);
    }

    #[test]
    fn negotiation_prefers_avif_then_webp() {
        let chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
        assert_eq!(negotiate(chrome, false), Format::Avif);
        assert_eq!(negotiate(chrome, true), Format::Avif);
        assert_eq!(negotiate("image/webp,image/*;q=0.8", false), Format::Webp);
        assert_eq!(negotiate("IMAGE/AVIF", false), Format::Avif);
        // Wildcards do not imply AVIF or WebP support.
        assert_eq!(negotiate("image/*,*/*;q=0.8", false), Format::Jpeg);
    }

    #[test]
    fn auto_avif_stops_at_the_pixel_budget() {
        let chrome = "image/avif,image/webp,image/apng,*/*;q=0.8";
        let l = Limits { max_auto_avif_pixels: 1_000_000, ..Limits::default() };
        assert_eq!(negotiate_sized(chrome, false, 1_000_000, &l), Format::Avif);
        assert_eq!(negotiate_sized(chrome, false, 1_000_001, &l), Format::Webp);
        assert_eq!(negotiate_sized("image/avif;q=0.9,*/*", true, 5_000_000, &l), Format::Png);
        assert_eq!(negotiate_sized("image/avif", false, 5_000_000, &l), Format::Jpeg);
        let never = Limits { max_auto_avif_pixels: 0, ..l };
        assert_eq!(negotiate_sized(chrome, false, 1, &never), Format::Webp);
    }

    #[test]
    fn negotiation_honours_q_zero_and_exact_types() {
        assert_eq!(negotiate("image/avif;q=0, image/webp", false), Format::Webp);
        assert_eq!(negotiate("image/avif; q=0.0,image/webp;q=0", true), Format::Png);
        assert_eq!(negotiate("image/avif-sequence", false), Format::Jpeg);
        assert_eq!(negotiate("image/avif;q=0.5", false), Format::Avif);
    }
}
