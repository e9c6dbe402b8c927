//! `xformd render` (and its video form): one job through the same code as the daemon, with
//! no server. Bin-only: the library's `cli` module may not import `pipeline`.
//!
//! Owns: [`render`].

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use xformd::app::App;
use xformd::config::cli::BackendArg;
use xformd::config::Config;
use xformd::frontend;
use xformd::job::Hints;
use xformd::pipeline::{transform, TransformInput};
use xformd::url;

use super::{backend_pref, one_line, url_options};

/// Render `url_path` (what the front end would receive) into `output`.
pub(crate) async fn render(
    config: Config,
    backend: BackendArg,
    accept: &str,
    json: bool,
    url_path: &str,
    output: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let (path, query) = match url_path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (url_path, None),
    };
    let mut parsed = match url::to_job(path, query, &url_options(&config)) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}", one_line(&e));
            return Ok(ExitCode::from(2));
        }
    };
    // Same decisions as the front end: Cloudinary thumbnails, then video cuts by extension.
    frontend::video::mark_cloudinary_thumbnail(path, &url_options(&config), &mut parsed.job);
    let app = App::new(config)?;
    #[cfg(feature = "video")]
    if !parsed.job.thumbnail && !parsed.job.output.original && frontend::video::is_video_path(&parsed.job.source) {
        return render_video(&app, parsed.job, accept, json, output).await;
    }
    let backend = backend_pref(backend);
    let started = Instant::now();
    let input = TransformInput { job: parsed.job, backend, accept: accept.to_string(), hints: Hints::default() };
    let out = match transform(&app, input).await {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{}", one_line(&e));
            return Ok(ExitCode::from(if e.kind().is_client_error() { 2 } else { 1 }));
        }
    };
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    // Write next to the target and rename, so a failed run never leaves a partial file.
    let tmp = output.with_extension("xformd-tmp");
    std::fs::write(&tmp, &out.data).with_context(|| format!("write {}", tmp.display()))?;
    std::fs::rename(&tmp, output).with_context(|| format!("rename to {}", output.display()))?;
    if json {
        let v = serde_json::json!({
            "width": out.width,
            "height": out.height,
            "format": out.mime.trim_start_matches("image/"),
            "content_type": out.mime,
            "backend": out.backend.as_str(),
            "fallback_reason": out.fallback_reason,
            "bytes": out.data.len(),
            "ms": (ms * 100.0).round() / 100.0,
            "timings": {
                "fetch_ms": out.timings.fetch_ms,
                "decode_ms": out.timings.decode_ms,
                "process_ms": out.timings.process_ms,
                "encode_ms": out.timings.encode_ms,
            },
        });
        println!("{v}");
    }
    Ok(ExitCode::SUCCESS)
}

/// `render` for a video cut: the daemon's code path (`pipeline::video::cut_to`), written
/// atomically to `output`; `--json` describes the result as probed.
#[cfg(feature = "video")]
async fn render_video(
    app: &App,
    job: xformd::job::Job,
    accept: &str,
    json: bool,
    output: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    use xformd::pipeline::video::{cut_to, CutInput};
    let started = Instant::now();
    let input = CutInput { job, accept: accept.to_string(), hint_width: None };
    let out = match cut_to(app, input, output).await {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{}", one_line(&e));
            return Ok(ExitCode::from(if e.kind().is_client_error() { 2 } else { 1 }));
        }
    };
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if json {
        let probed = out.output.as_ref();
        let mut streams = Vec::new();
        if let Some(p) = probed {
            streams.push(p.video_codec.clone());
            if let Some(a) = &p.audio {
                streams.push(a.codec.clone());
            }
        }
        let v = serde_json::json!({
            "duration": probed.map_or(out.report.duration_secs, |p| p.duration_secs),
            "width": probed.map_or(out.report.width, |p| p.display_width()),
            "height": probed.map_or(out.report.height, |p| p.display_height()),
            "streams": streams,
            "format": out.format.extension(),
            "content_type": out.mime,
            "mode": format!("{:?}", out.report.mode).to_lowercase(),
            "bytes": out.bytes,
            "ms": (ms * 100.0).round() / 100.0,
        });
        println!("{v}");
    }
    Ok(ExitCode::SUCCESS)
}
