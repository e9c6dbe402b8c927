//! One image job end to end: origin → probe → decode → backend → encode.
//!
//! Owns: [`transform`], [`TransformInput`], [`TransformOutput`], [`negotiate`]. This is the
//! single path the gRPC service, `xformd render`, `bench` and `batch` all call.
//!
//! May import: `app`, `origin`, `media`, `exec`, `job`, `plan`; tokio at the boundary (the
//! pixel work runs on the CPU backend's rayon pool and comes back through a oneshot). Never
//! tonic, axum or `url`.

use std::time::Instant;

use crate::app::App;
use crate::error::{Error, ErrorKind, Result};
use crate::exec::{BackendKind, Hints, LayerSource};
use crate::job::{BackendPref, Format, Job};
use crate::limits::Limits;
use crate::media::decode::decode;
use crate::media::encode::{encode, EncodeOptions};
use crate::media::Frame;

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

/// Pick the output format for `f-auto` (and no `f`): AVIF, then WebP, when the client accepts
/// them and this build encodes them; else PNG for transparent images, JPEG otherwise.
pub fn negotiate(accept: &str, has_alpha: bool) -> Format {
    // Only encoders that produce web-sized files are offered; lossless-only WebP is not.
    let offered: [(Format, &str); 0] = [];
    for (format, mime) in offered {
        if accept.contains(mime) {
            return format;
        }
    }
    if has_alpha {
        Format::Png
    } else {
        Format::Jpeg
    }
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
}

/// Run `input` end to end.
pub async fn transform(app: &App, input: TransformInput) -> Result<TransformOutput> {
    let started = Instant::now();
    let fetched = match app.origin.fetch(&input.job.source).await {
        Err(e) if e.kind() == ErrorKind::NotFound => match &input.job.output.default_image {
            Some(di) => app.origin.fetch(di).await?,
            None => return Err(e),
        },
        other => other?,
    };
    let fetch_ms = ms(started);
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
    let permit = app
        .image_permits
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| Error::new(ErrorKind::Unavailable, "shutting down"))?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let app2 = app.clone();
    let handle = tokio::runtime::Handle::current();
    app.executor.cpu().spawn(move || {
        let result = render_blocking(&app2, &input, &fetched.bytes, handle);
        // The receiver is gone only if the client went away; the result is then unwanted.
        let _ = tx.send(result);
        drop(permit);
    });
    let mut out = rx.await.map_err(|_| Error::internal("render task ended without a result"))??;
    out.timings.fetch_ms = fetch_ms;
    Ok(out)
}

/// Decode, run and encode on the calling (pool) thread.
fn render_blocking(
    app: &App,
    input: &TransformInput,
    bytes: &[u8],
    handle: tokio::runtime::Handle,
) -> Result<TransformOutput> {
    let limits: &Limits = &app.limits;
    let t = Instant::now();
    let decoded = decode(bytes, limits)?;
    let decode_ms = ms(t);

    let t = Instant::now();
    let layers = OriginLayers { app: app.clone(), handle };
    let (frame, report) =
        app.executor.run_job(&input.job, decoded.frame, input.hints, input.backend, limits, &layers)?;
    let process_ms = ms(t);

    let t = Instant::now();
    let (format, negotiated) = match input.job.output.format {
        None | Some(Format::Auto) => (negotiate(&input.accept, frame.has_alpha()), true),
        Some(Format::Orig) => (source_format(decoded.info.format), false),
        Some(f) => (f, false),
    };
    let quality = input.job.output.quality.unwrap_or(DEFAULT_QUALITY);
    let lossless = input.job.output.lossless.unwrap_or(false);
    let encoded = encode(&frame, EncodeOptions { format, quality, lossless })?;
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

fn source_format(f: crate::media::probe::SourceFormat) -> Format {
    use crate::media::probe::SourceFormat as S;
    match f {
        S::Png => Format::Png,
        S::Webp => Format::Webp,
        S::Gif => Format::Gif,
        S::Avif => Format::Avif,
        S::Jpeg | S::Video => Format::Jpeg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_prefers_png_for_alpha() {
        assert_eq!(negotiate("image/webp,*/*", true), Format::Png);
        assert_eq!(negotiate("*/*", false), Format::Jpeg);
    }
}
