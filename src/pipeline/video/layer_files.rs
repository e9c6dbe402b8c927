//! The files behind `l-video` and `l-subtitles` layers: fetched from the same origin as the
//! base (a local origin's file read in place, as for the base), then probed and parsed on the
//! blocking side into the [`LayerInputs`] that `spec::attach` resolves.
//!
//! Owns: [`LayerFiles`], [`fetch`]. May import what its parent may; tokio only for the
//! fetches (the probes and the parsing run inside the caller's `run_blocking`).
//!
//! Sizes from the outside are checked before anything is allocated for them: a subtitles
//! file's length (from the local file's metadata, or the origin's own `max_source_bytes`
//! bound and then [`MAX_SUBTITLE_BYTES`]) and a layer video's duration and pixel count (from
//! its probe, before any frame is decoded).

use super::spec::{check_layer_limits, LayerInputs};
use super::{source_file, SourceFile};
use crate::app::App;
use crate::error::{Error, ErrorKind, Result};
use crate::job::{Job, LayerKind};
use crate::limits::Limits;
use crate::video::{parse_subtitles, VideoBackend, MAX_SUBTITLE_BYTES};

/// The layer files of one job, held until the cut is done (temporary copies are removed when
/// this is dropped).
#[derive(Default)]
pub(super) struct LayerFiles {
    videos: Vec<(String, SourceFile)>,
    subtitles: Vec<(String, Vec<u8>)>,
}

/// Fetch every `l-video` and `l-subtitles` input of `job`'s top-level steps (each path once).
pub(super) async fn fetch(app: &App, job: &Job) -> Result<LayerFiles> {
    let mut files = LayerFiles::default();
    for layer in job.steps.iter().flat_map(|s| &s.layers) {
        match &layer.kind {
            LayerKind::Video { path } if !files.videos.iter().any(|(p, _)| p == path) => {
                let file = source_file(app, path).await.map_err(|e| name_layer(e, "l-video", path))?;
                files.videos.push((path.clone(), file));
            }
            LayerKind::Subtitles { path, .. } if !files.subtitles.iter().any(|(p, _)| p == path) => {
                files.subtitles.push((path.clone(), subtitle_bytes(app, path).await?));
            }
            _ => {}
        }
    }
    Ok(files)
}

/// A layer file's client error names the layer (a missing file is a 404 about the layer, not
/// about the base's `path`).
fn name_layer(e: Error, key: &str, path: &str) -> Error {
    match e.kind() {
        ErrorKind::NotFound => {
            Error::new(ErrorKind::NotFound, format!("no {key} input at '{path}'")).with_param(key, path)
        }
        k if k.is_client_error() && e.key().is_none() => e.with_param(key, path),
        _ => e,
    }
}

async fn subtitle_bytes(app: &App, path: &str) -> Result<Vec<u8>> {
    let too_large = || {
        Error::new(ErrorKind::TooLarge, format!("subtitles file is over {MAX_SUBTITLE_BYTES} bytes"))
            .with_param("l-subtitles", path)
    };
    if let Some(local) = app.origin.local_path(path) {
        // The length first: a huge file is refused without reading it.
        if let Ok(meta) = tokio::fs::metadata(&local).await {
            if meta.len() > MAX_SUBTITLE_BYTES {
                return Err(too_large());
            }
        }
    }
    let fetched = app.origin.fetch(path).await.map_err(|e| name_layer(e, "l-subtitles", path))?;
    if fetched.bytes.len() as u64 > MAX_SUBTITLE_BYTES {
        return Err(too_large());
    }
    Ok(fetched.bytes)
}

impl LayerFiles {
    /// Probe the videos (refusing any over `limits`) and parse the subtitles. Blocking.
    pub(super) fn load(&self, backend: &dyn VideoBackend, limits: &Limits) -> Result<LayerInputs> {
        let mut inputs = LayerInputs::default();
        for (path, file) in &self.videos {
            let info = backend.probe(&file.path).map_err(|e| name_layer(e, "l-video", path))?;
            check_layer_limits(path, &info, limits)?;
            inputs.videos.insert(path.clone(), (file.path.clone(), info));
        }
        for (path, bytes) in &self.subtitles {
            inputs.subtitles.insert(path.clone(), parse_subtitles("l-subtitles", path, bytes)?);
        }
        Ok(inputs)
    }
}
