//! The files behind `l-video` and `l-subtitles` layers (and a subtitles layer's `ff` font
//! file): fetched from the same origin as the base (a local origin's file read in place, as
//! for the base), then probed and parsed on the blocking side into the [`LayerInputs`] that
//! `spec::attach` resolves.
//!
//! Owns: [`LayerFiles`], [`fetch`]. May import what its parent may; tokio only for the
//! fetches (the probes and the parsing run inside the caller's `run_blocking`).
//!
//! Sizes from the outside are checked before anything is allocated for them: a subtitles
//! file's or font file's length (from the local file's metadata, or the origin's own
//! `max_source_bytes` bound and then [`MAX_SUBTITLE_BYTES`] / [`MAX_FONT_BYTES`]) and a layer
//! video's duration and pixel count (from its probe, before any frame is decoded).

use super::spec::{check_layer_limits, LayerInputs};
use super::{source_file, SourceFile};
use crate::app::App;
use crate::error::{Error, ErrorKind, Result};
use crate::job::{Job, LayerKind};
use crate::limits::Limits;
use crate::video::{parse_subtitles, SubtitleFont, VideoBackend, MAX_FONT_BYTES, MAX_SUBTITLE_BYTES};

/// The layer files of one job, held until the cut is done (temporary copies are removed when
/// this is dropped).
#[derive(Default)]
pub(super) struct LayerFiles {
    videos: Vec<(String, SourceFile)>,
    subtitles: Vec<(String, Vec<u8>)>,
    fonts: Vec<(String, Vec<u8>)>,
}

/// Fetch every `l-video` and `l-subtitles` input of `job`'s top-level steps, and the font
/// file a subtitles layer names (each path once).
pub(super) async fn fetch(app: &App, job: &Job) -> Result<LayerFiles> {
    let mut files = LayerFiles::default();
    for layer in job.steps.iter().flat_map(|s| &s.layers) {
        match &layer.kind {
            LayerKind::Video { path } if !files.videos.iter().any(|(p, _)| p == path) => {
                let file = source_file(app, path).await.map_err(|e| name_layer(e, "l-video", path))?;
                files.videos.push((path.clone(), file));
            }
            LayerKind::Subtitles { path, style } => {
                if !files.subtitles.iter().any(|(p, _)| p == path) {
                    let bytes = layer_bytes(app, "l-subtitles", "subtitles file", path, MAX_SUBTITLE_BYTES).await?;
                    files.subtitles.push((path.clone(), bytes));
                }
                // Origin paths start with `/`; anything else is a built-in name (DejaVu Sans).
                if let Some(font) = style.font.as_ref().filter(|f| f.starts_with('/')) {
                    if !files.fonts.iter().any(|(p, _)| p == font) {
                        files
                            .fonts
                            .push((font.clone(), layer_bytes(app, "ff", "font file", font, MAX_FONT_BYTES).await?));
                    }
                }
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

/// The bytes of a small layer file at `path` (a `what` of at most `max` bytes); errors name
/// `key`.
async fn layer_bytes(app: &App, key: &str, what: &str, path: &str, max: u64) -> Result<Vec<u8>> {
    let too_large = || Error::new(ErrorKind::TooLarge, format!("{what} is over {max} bytes")).with_param(key, path);
    if let Some(local) = app.origin.local_path(path) {
        // The length first: a huge file is refused without reading it.
        if let Ok(meta) = tokio::fs::metadata(&local).await {
            if meta.len() > max {
                return Err(too_large());
            }
        }
    }
    let fetched = app.origin.fetch(path).await.map_err(|e| name_layer(e, key, path))?;
    if fetched.bytes.len() as u64 > max {
        return Err(too_large());
    }
    Ok(fetched.bytes)
}

impl LayerFiles {
    /// Probe the videos (refusing any over `limits`), parse the subtitles and read the fonts
    /// (whose bytes move into the result: they are not needed twice). Blocking.
    pub(super) fn load(&mut self, backend: &dyn VideoBackend, limits: &Limits) -> Result<LayerInputs> {
        let mut inputs = LayerInputs::default();
        for (path, file) in &self.videos {
            let info = backend.probe(&file.path).map_err(|e| name_layer(e, "l-video", path))?;
            check_layer_limits(path, &info, limits)?;
            inputs.videos.insert(path.clone(), (file.path.clone(), info));
        }
        for (path, bytes) in &self.subtitles {
            inputs.subtitles.insert(path.clone(), parse_subtitles("l-subtitles", path, bytes)?);
        }
        for (path, bytes) in std::mem::take(&mut self.fonts) {
            let font = SubtitleFont::read(&path, bytes)?;
            inputs.fonts.insert(path, font);
        }
        Ok(inputs)
    }
}
