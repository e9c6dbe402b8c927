//! The rendered-variant cache in front of [`render`](super::render): looked up after the
//! fetch (the source's validator is part of the key) and before the render (a hit gives its
//! admission permit back at once); stored after a successful render. Identical concurrent
//! requests render once (`Cache::get_or_render` coalesces them).
//!
//! Owns: [`cache_key`], [`cached_render`]. May import what `pipeline` may (`cache`, `job`,
//! `exec`, `origin`, `app`); never tonic, axum or `url`.

use super::{animated, negotiate, render, Timings, TransformInput, TransformOutput};
use crate::app::App;
use crate::error::Result;
use crate::exec::BackendKind;
use crate::job::Format;

/// The cache key: everything that changes the output bytes. The canonical job; for `f-auto`
/// the formats `Accept` negotiates to (with and without alpha, so two headers that negotiate
/// alike share entries); the backend preference (GPU and CPU output differ within tolerance);
/// client hints (`w-auto`, `dpr-auto`); the source's validator.
/// Not covered: overlay images' own validators (a changed overlay file is served stale until
/// the main source changes or the entry is evicted).
pub(super) fn cache_key(input: &TransformInput, etag: &str) -> String {
    let accept = match input.job.output.format {
        None | Some(Format::Auto) => {
            format!("{:?}/{:?}", negotiate(&input.accept, false), negotiate(&input.accept, true))
        }
        Some(_) => String::new(),
    };
    let hints = &input.hints;
    format!(
        "{}|accept={accept}{}|backend={:?}|hints={:?},{:?}|src={etag}",
        crate::job::canonical::render(&input.job),
        animated::cache_key_part(&input.job, &input.accept),
        input.backend,
        hints.width,
        hints.dpr,
    )
}

/// Answer `input` from `cache`, rendering (once for identical concurrent requests) on a miss.
pub(super) async fn cached_render(
    app: &App,
    cache: &crate::cache::Cache,
    input: TransformInput,
    fetched: crate::origin::Fetched,
    fetch_ms: f64,
    permit: tokio::sync::OwnedSemaphorePermit,
) -> Result<TransformOutput> {
    use crate::cache::{Entry, EntryMeta, Lookup};
    let key = cache_key(&input, &fetched.etag);
    // The request that renders keeps its full output (backend report, timings).
    let mut rendered: Option<TransformOutput> = None;
    let (entry, lookup) = cache
        .get_or_render(&key, || async {
            let out = render(app, input, fetched.bytes, fetch_ms, permit).await?;
            let entry = Entry {
                meta: EntryMeta {
                    content_type: out.mime.to_string(),
                    width: out.width,
                    height: out.height,
                    backend: out.backend.as_str().to_string(),
                    negotiated: out.negotiated,
                },
                data: out.data.clone(),
            };
            rendered = Some(out);
            Ok(entry)
        })
        .await?;
    if let (Lookup::Miss, Some(out)) = (lookup, rendered) {
        return Ok(out);
    }
    let m = &entry.meta;
    let mime =
        [Format::Jpeg, Format::Png, Format::Webp, Format::Avif, Format::Gif, Format::Svg, Format::Mp4, Format::Webm]
            .into_iter()
            .find_map(|f| f.mime().filter(|mime| *mime == m.content_type))
            .unwrap_or("application/octet-stream");
    Ok(TransformOutput {
        data: entry.data.clone(),
        mime,
        width: m.width,
        height: m.height,
        backend: if m.backend == "gpu" { BackendKind::Gpu } else { BackendKind::Cpu },
        fallback_reason: None,
        timings: Timings { fetch_ms, ..Timings::default() },
        negotiated: m.negotiated,
    })
}
