//! Every variant of one source, each exactly as a single `transform` renders it, handed out
//! one at a time as it is ready (the `RenderVariants` RPC, `xformd batch`).
//!
//! Owns: [`each_variant`], [`VariantItem`], [`MAX_STREAM_VARIANTS`].
//!
//! Why not [`super::variants::variants`]: that path decodes at full size and batches the
//! variants on the GPU, so its outputs can differ from `xformd render` of the same variant
//! (a JPEG is shrunk on load towards the first resize there). Pre-rendered files must equal
//! what the front end would serve, byte for byte, so this path runs each variant through the
//! same steps as `transform` (`super::run_decoded`) and shares only what is provably the
//! same input: the fetch, the probe and the decode. Variants are grouped by their decode
//! ([`DecodeKey`]: the JPEG shrink-on-load scale and the `cp`/`md` choices), so a source
//! is decoded once per group; a typical set of sizes of one JPEG is one to three decodes, a
//! PNG or WebP one.
//!
//! Memory: one decoded frame at a time (the groups run in key order and each is dropped
//! before the next is decoded) and one encoded output in flight: each is sent into a
//! bounded channel before the next is rendered, so a slow reader holds back the work, not
//! a pile of outputs. A variant's own failure (its budget, its decode group, its encode)
//! is sent as that variant's result; the others carry on.
//!
//! May import: `app`, `media`, `plan`, `job`, `cancel` and the parent `pipeline`; tokio at
//! the boundary (the channel).

use std::time::Instant;

use tokio::sync::mpsc;

use super::{animated, ms, on_pool, run_decoded, transform, TransformInput, TransformOutput};
use crate::app::App;
use crate::cancel;
use crate::error::{Error, ErrorKind, Result};
use crate::job::{Hints, Job};
use crate::limits::Limits;
use crate::media::decode::{DecodeOptions, Decoded};
use crate::media::probe::{probe, SourceFormat, SourceInfo};
use crate::pipeline::variants::VariantsInput;

/// Most variants in one call: enough for every size of a responsive image set; a client
/// with more splits them over several calls (each decodes again).
pub const MAX_STREAM_VARIANTS: usize = 64;

/// One rendered (or failed) variant.
#[derive(Debug)]
pub struct VariantItem {
    /// Index of the job in the input.
    pub index: usize,
    /// The output, or why this variant failed.
    pub result: Result<TransformOutput>,
    /// Source decodes so far in this call.
    pub decodes: u32,
}

/// Where results go: one message per variant; a failure of the whole call (no source, not
/// decodable) is sent last as an `Err` by whoever runs [`each_variant`].
pub type VariantSender = mpsc::Sender<Result<VariantItem>>;

/// Render every job of `input` (all naming one source) and send each result into `tx` as
/// it is ready. `Err` only for what fails every variant: mismatched sources, too many
/// variants, a source that cannot be fetched or probed, the caller gone.
pub async fn each_variant(app: &App, input: VariantsInput, tx: VariantSender) -> Result<()> {
    let source = shared_source(&input.jobs)?.to_string();
    // Video thumbnails decode a frame with FFmpeg from the file, not from shared bytes:
    // they take the ordinary single path.
    let (thumbs, shared): (Vec<usize>, Vec<usize>) = (0..input.jobs.len()).partition(|&i| input.jobs[i].thumbnail);
    for i in thumbs {
        let result = transform(app, single(&input, i)).await;
        send_async(&tx, VariantItem { index: i, result, decodes: 0 }).await?;
    }
    if shared.is_empty() {
        return Ok(());
    }
    let permit = app.admission.acquire().await?;
    let started = Instant::now();
    let fetched = match app.origin.fetch(&source).await {
        Ok(f) => f,
        // A missing source with a default image: each variant falls back as `transform` does.
        Err(e)
            if e.kind() == ErrorKind::NotFound
                && shared.iter().any(|&i| input.jobs[i].output.default_image.is_some()) =>
        {
            drop(permit);
            for i in shared {
                let result = transform(app, single(&input, i)).await;
                send_async(&tx, VariantItem { index: i, result, decodes: 0 }).await?;
            }
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let fetch_ms = ms(started);
    app.bytes_in.fetch_add(fetched.bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let app2 = app.clone();
    let handle = tokio::runtime::Handle::current();
    on_pool(app, permit, move || render_each(&app2, &input, &shared, &fetched.bytes, fetch_ms, &handle, &tx)).await
}

/// The shared source of `jobs`, checked as [`super::variants`] checks it (same source,
/// bounded count); `cp` may differ here, since each decode group decodes for its own.
fn shared_source(jobs: &[Job]) -> Result<&str> {
    let first = jobs.first().ok_or_else(|| Error::invalid("jobs", "", "at least one variant is required"))?;
    if jobs.len() > MAX_STREAM_VARIANTS {
        return Err(Error::invalid("jobs", jobs.len().to_string(), format!("at most {MAX_STREAM_VARIANTS} variants")));
    }
    if let Some(j) = jobs.iter().find(|j| j.source != first.source) {
        return Err(Error::invalid("source", j.source.clone(), format!("every variant must name {}", first.source)));
    }
    Ok(&first.source)
}

/// Job `i` of `input` as a single transform request.
fn single(input: &VariantsInput, i: usize) -> TransformInput {
    TransformInput {
        job: input.jobs[i].clone(),
        backend: input.backend,
        accept: input.accept.clone(),
        hints: input.hints,
    }
}

async fn send_async(tx: &VariantSender, item: VariantItem) -> Result<()> {
    tx.send(Ok(item)).await.map_err(|_| gone())
}

fn gone() -> Error {
    Error::new(ErrorKind::Cancelled, "the caller stopped reading variants")
}

/// What makes two variants' decoded sources identical: the DCT scale a JPEG is decoded at
/// (1 for every other format), whether the colour profile is kept (pixels stay in that
/// space) and whether EXIF is kept (the encoder writes it back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct DecodeKey {
    shrink: u32,
    keep_profile: bool,
    keep_metadata: bool,
}

/// The decode `transform` would make for `job` (`source::decode_source`): the shrink is
/// computed from the same target, with the same orientation swap, as `media::decode` does.
fn decode_key(job: &Job, info: &SourceInfo, hints: Hints, limits: &Limits) -> DecodeKey {
    let shrink = match info.format {
        SourceFormat::Jpeg => {
            super::source::first_resize_target(job, info.oriented_size(), hints, limits).map_or(1, |(tw, th)| {
                let stored = if info.orientation >= 5 { (th, tw) } else { (tw, th) };
                crate::media::jpeg::shrink_factor((info.width, info.height), stored)
            })
        }
        _ => 1,
    };
    DecodeKey { shrink, keep_profile: job.output.color_profile, keep_metadata: job.output.metadata }
}

/// A copy of a shared decode for one variant (`run_decoded` consumes its input).
fn copy(d: &Decoded) -> Decoded {
    Decoded { frame: d.frame.clone(), info: d.info, shrink: d.shrink, icc: d.icc.clone(), exif: d.exif.clone() }
}

/// Probe once, then per variant (in decode-key order): budget, animation, decode (shared
/// within a key), run and encode exactly as `transform`; send each result before the next.
fn render_each(
    app: &App,
    input: &VariantsInput,
    indices: &[usize],
    bytes: &[u8],
    fetch_ms: f64,
    handle: &tokio::runtime::Handle,
    tx: &VariantSender,
) -> Result<()> {
    let limits = &app.limits;
    let info = probe(bytes, limits)?;
    let sized = info.width > 0 && info.height > 0;
    let frames = crate::media::animation::frame_count(bytes).unwrap_or(1);
    let mut order: Vec<(DecodeKey, usize)> =
        indices.iter().map(|&i| (decode_key(&input.jobs[i], &info, input.hints, limits), i)).collect();
    // Stable: within a key, request order.
    order.sort_by_key(|(k, _)| *k);
    let mut current: Option<(DecodeKey, Result<(Decoded, f64)>)> = None;
    let mut decodes = 0u32;
    for (key, i) in order {
        cancel::check()?;
        let ti = single(input, i);
        let result = (|| {
            let job = &ti.job;
            crate::plan::cost::check_counts(job, limits)?;
            crate::job::layer::check_image_layers(&job.steps)?;
            if job.output.original {
                return Ok(super::variants::original(bytes));
            }
            if sized {
                crate::plan::cost::estimate(job, info.oriented_size(), frames, ti.hints, limits)?;
            }
            if let Some(out) = animated::render(app, &ti, bytes, &info, handle)? {
                return Ok(out);
            }
            if current.as_ref().is_none_or(|(k, _)| *k != key) {
                // Drop the previous group's frame before decoding the next.
                current = None;
                let t = Instant::now();
                let opts =
                    DecodeOptions { target: None, keep_profile: key.keep_profile, keep_metadata: key.keep_metadata };
                let decoded = super::source::decode_source(bytes, &info, limits, job, ti.hints, opts);
                decodes += 1;
                // Should `media::decode` ever pick another scale than `decode_key` predicts,
                // the frame is this variant's alone: a key no variant has makes the next
                // one decode for itself, so outputs stay equal to single renders.
                let kept = match &decoded {
                    Ok(d) if d.shrink != key.shrink => {
                        tracing::warn!(predicted = key.shrink, actual = d.shrink, "shrink-on-load scale mispredicted");
                        DecodeKey { shrink: 0, ..key }
                    }
                    _ => key,
                };
                current = Some((kept, decoded.map(|d| (d, ms(t)))));
            }
            let (decoded, decode_ms) = match current.as_ref().map(|(_, d)| d) {
                Some(Ok((d, t))) => (copy(d), *t),
                Some(Err(e)) => return Err(e.clone()),
                None => return Err(Error::internal("no decode for the variant's group")),
            };
            if !sized {
                crate::plan::cost::estimate(job, decoded.info.oriented_size(), 1, ti.hints, limits)?;
            }
            run_decoded(app, &ti, decoded, decode_ms, handle.clone())
        })();
        let result = result.map(|mut o| {
            o.timings.fetch_ms = fetch_ms;
            o
        });
        // Blocking this pool thread on a slow reader is the back-pressure: the alternative
        // is rendering ahead and holding the outputs.
        if tx.blocking_send(Ok(VariantItem { index: i, result, decodes })).is_err() {
            return Err(gone());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(tr: &str) -> Job {
        let mut j = Job { source: "/a.jpg".into(), ..Job::default() };
        if tr == "cp" {
            j.output.color_profile = true;
        }
        j
    }

    #[test]
    fn jobs_must_share_a_source_and_fit_one_call() {
        assert_eq!(shared_source(&[job(""), job("cp")]).unwrap(), "/a.jpg");
        let mut other = job("");
        other.source = "/b.jpg".into();
        assert_eq!(shared_source(&[job(""), other]).unwrap_err().key(), Some("source"));
        assert_eq!(shared_source(&[]).unwrap_err().key(), Some("jobs"));
        let many: Vec<Job> = (0..=MAX_STREAM_VARIANTS).map(|_| job("")).collect();
        assert_eq!(shared_source(&many).unwrap_err().key(), Some("jobs"));
    }
}
