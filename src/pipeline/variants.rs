//! Several output variants of one source: fetch and decode once, run every variant
//! (`Executor::run_variants`: one GPU submission for the variants the GPU takes), encode
//! each in parallel.
//!
//! Owns: [`variants`], [`VariantsInput`]. Pre-rendering (`xformd batch`, the
//! `TransformVariants` RPC) calls it.
//!
//! Rules: every job names the same source (else `InvalidArgument` on `source`) and the same
//! colour-profile choice (`cp`, else `InvalidArgument` on `cp`: a kept profile leaves the
//! decoded pixels in another colour space). The source is decoded at full size: no
//! shrink-on-load, since variants ask for different sizes. Video thumbnails are not
//! variants (`Unsupported`). `orig-true` variants get the source bytes. The rendered-variant
//! cache is neither read nor written (the caller stores pre-rendered files itself).
//!
//! May import: `app`, `media`, `exec`, `job` and the parent `pipeline`; tokio at the boundary.

use std::time::Instant;

use super::{ms, negotiate_sized, source_format, OriginLayers, Timings, TransformOutput, DEFAULT_QUALITY};
use crate::app::App;
use crate::error::{Error, ErrorKind, Result};
use crate::exec::variants::{Variant, MAX_VARIANTS};
use crate::exec::BackendKind;
use crate::job::{BackendPref, Format, Hints, Job};
use crate::limits::Limits;
use crate::media::decode::{decode_with, DecodeOptions, Decoded};
use crate::media::encode::{encode_with, EncodeOptions, Metadata};
use crate::media::probe::{probe, SourceFormat};

/// Variants of one source and the request context they share.
#[derive(Debug, Clone)]
pub struct VariantsInput {
    /// The jobs, all naming the same source.
    pub jobs: Vec<Job>,
    /// Backend preference for every variant.
    pub backend: BackendPref,
    /// The client's `Accept` header, for `f-auto`.
    pub accept: String,
    /// Client hints.
    pub hints: Hints,
}

/// Check the jobs can share one decode; returns the shared source path.
fn check(jobs: &[Job]) -> Result<&str> {
    let first = jobs.first().ok_or_else(|| Error::invalid("jobs", "", "at least one variant is required"))?;
    if jobs.len() > MAX_VARIANTS {
        return Err(Error::invalid("jobs", jobs.len().to_string(), format!("at most {MAX_VARIANTS} variants")));
    }
    for j in jobs {
        if j.source != first.source {
            return Err(Error::invalid(
                "source",
                j.source.clone(),
                format!("every variant must name {}", first.source),
            ));
        }
        if j.output.color_profile != first.output.color_profile {
            return Err(Error::invalid("cp", j.output.color_profile.to_string(), "every variant must agree on cp"));
        }
        if j.thumbnail {
            return Err(Error::new(ErrorKind::Unsupported, "video thumbnails cannot be rendered as variants"));
        }
    }
    Ok(&first.source)
}

/// Render every job of `input` from one fetch and one decode; outputs in job order.
pub async fn variants(app: &App, input: VariantsInput) -> Result<Vec<TransformOutput>> {
    let source = check(&input.jobs)?.to_string();
    for job in &input.jobs {
        crate::plan::cost::check_counts(job, &app.limits)?;
        crate::job::layer::check_image_layers(&job.steps)?;
    }
    // Admission before the fetch, as in `transform`: queued calls hold no source bytes.
    let permit = app.admission.acquire().await?;
    let started = Instant::now();
    let fetched = app.origin.fetch(&source).await?;
    let fetch_ms = ms(started);
    app.bytes_in.fetch_add(fetched.bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let app2 = app.clone();
    let handle = tokio::runtime::Handle::current();
    let mut outs = super::on_pool(app, permit, move || render_blocking(&app2, &input, &fetched.bytes, handle)).await?;
    for o in &mut outs {
        o.timings.fetch_ms = fetch_ms;
    }
    Ok(outs)
}

/// Decode once, run the variants, encode each (in parallel), on the calling pool thread.
fn render_blocking(
    app: &App,
    input: &VariantsInput,
    bytes: &[u8],
    handle: tokio::runtime::Handle,
) -> Result<Vec<TransformOutput>> {
    let limits = &app.limits;
    let t = Instant::now();
    let jobs = &input.jobs;
    let opts = DecodeOptions {
        target: None,
        keep_profile: jobs.iter().any(|j| j.output.color_profile),
        keep_metadata: jobs.iter().any(|j| j.output.metadata),
    };
    let info = probe(bytes, limits)?;
    if info.width > 0 && info.height > 0 {
        crate::plan::cost::estimate_variants(jobs, info.oriented_size(), input.hints, limits)?;
    }
    let decoded = match info.format {
        SourceFormat::Avif => super::decode_avif(bytes, limits)?,
        _ => decode_with(bytes, limits, &opts)?,
    };
    if info.format == SourceFormat::Avif {
        crate::plan::cost::estimate_variants(jobs, (decoded.frame.width, decoded.frame.height), input.hints, limits)?;
    }
    let decode_ms = ms(t);

    let t = Instant::now();
    let layers = OriginLayers { app: app.clone(), handle };
    // `orig-true` variants skip the pixel work; the rest run together.
    let rendered: Vec<usize> = (0..jobs.len()).filter(|&i| !jobs[i].output.original).collect();
    let specs: Vec<Variant<'_>> =
        rendered.iter().map(|&i| Variant { steps: &jobs[i].steps, hints: input.hints, pref: input.backend }).collect();
    let ran = app.executor.run_variants(&decoded.frame, &specs, limits, &layers)?;
    let process_ms = ms(t);

    let mut frames: Vec<Option<_>> = (0..jobs.len()).map(|_| None).collect();
    for (i, r) in rendered.into_iter().zip(ran) {
        frames[i] = Some(r);
    }
    let work: Vec<_> = jobs.iter().zip(frames).collect();
    app.executor
        .cpu()
        .par_map(work, |(job, ran)| match ran {
            None => Ok(original(bytes)),
            Some((frame, report)) => {
                let t = Instant::now();
                let mut out = encode_variant(job, &input.accept, &decoded, &frame, limits)?;
                out.backend = report.run.backend;
                // A variant that left the batch says why when nothing else fell back.
                out.fallback_reason = report.run.fallback_reason.or(report.unbatched.map(|u| format!("unbatched:{u}")));
                out.timings = Timings { fetch_ms: 0.0, decode_ms, process_ms, encode_ms: ms(t) };
                Ok(out)
            }
        })
        .into_iter()
        .collect()
}

/// The source bytes as they are (`orig-true`).
pub(super) fn original(bytes: &[u8]) -> TransformOutput {
    let mime = crate::media::probe::sniff(bytes).map_or("application/octet-stream", |f| f.mime());
    TransformOutput {
        data: bytes.to_vec(),
        mime,
        width: 0,
        height: 0,
        backend: BackendKind::Cpu,
        fallback_reason: None,
        timings: Timings::default(),
        negotiated: false,
    }
}

/// Encode one variant's frame as `job.output` asks (the same choices as a single job).
fn encode_variant(
    job: &Job,
    accept: &str,
    decoded: &Decoded,
    frame: &crate::media::Frame,
    limits: &Limits,
) -> Result<TransformOutput> {
    let out = &job.output;
    let (format, negotiated) = match out.format {
        None | Some(Format::Auto) => {
            let pixels = u64::from(frame.width) * u64::from(frame.height);
            (negotiate_sized(accept, frame.has_alpha(), pixels, limits), true)
        }
        Some(Format::Orig) => (source_format(decoded.info.format), false),
        Some(f) => (f, false),
    };
    let quality = out.quality.unwrap_or(DEFAULT_QUALITY);
    let lossless = out.lossless.unwrap_or(false);
    let progressive = out.progressive.unwrap_or(false);
    // Decoded with `md`/`cp` when any variant asked; each variant keeps only what it asked for.
    let meta = Metadata {
        exif: decoded.exif.as_deref().filter(|_| out.metadata),
        icc: decoded.icc.as_deref().filter(|_| out.color_profile),
    };
    let encoded = encode_with(frame, EncodeOptions { format, quality, lossless, progressive }, meta)?;
    Ok(TransformOutput {
        data: encoded.data,
        mime: encoded.mime,
        width: frame.width,
        height: frame.height,
        backend: BackendKind::Cpu,
        fallback_reason: None,
        timings: Timings::default(),
        negotiated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(source: &str) -> Job {
        Job { source: source.to_string(), ..Job::default() }
    }

    #[test]
    fn jobs_must_share_source_and_cp() {
        assert_eq!(check(&[job("/a.jpg"), job("/a.jpg")]).unwrap(), "/a.jpg");
        let e = check(&[job("/a.jpg"), job("/b.jpg")]).unwrap_err();
        assert_eq!((e.kind(), e.key(), e.value()), (ErrorKind::InvalidArgument, Some("source"), Some("/b.jpg")));
        let mut cp = job("/a.jpg");
        cp.output.color_profile = true;
        assert_eq!(check(&[job("/a.jpg"), cp]).unwrap_err().key(), Some("cp"));
        assert_eq!(check(&[]).unwrap_err().key(), Some("jobs"));
        let many: Vec<Job> = (0..=MAX_VARIANTS).map(|_| job("/a.jpg")).collect();
        assert_eq!(check(&many).unwrap_err().key(), Some("jobs"));
    }
}
