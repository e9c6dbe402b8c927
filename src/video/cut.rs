//! A cut from request to file: validate, probe, resolve the window, plan the geometry,
//! choose stream copy or re-encode, and publish the result atomically.
//!
//! Owns: `cut`, `TempOutput`. An FFmpeg-side module by placement (its children `source`,
//! `copy`, `encode` do the FFmpeg work); imports `error`, `limits` and the parent's types.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use super::copy::{copy_eligible, copy_start, copy_streams};
use super::geometry::plan_geometry;
use super::source::{init, secs, Source};
use super::{encode, resolve_window, CutMode, CutReport, CutSpec, VideoError};
use crate::error::{Error, Result};
use crate::limits::Limits;

/// The output file while it is being written: a hidden name in the destination's folder,
/// renamed onto the destination on success and removed on every other path (errors,
/// cancellation, panics), so no partial file is ever visible.
pub(super) struct TempOutput {
    tmp: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl TempOutput {
    pub(super) fn new(dest: &Path) -> Result<TempOutput> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = dest.file_name().map_or_else(|| "cut".into(), |n| n.to_string_lossy());
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let tmp = dest.with_file_name(format!(".{name}.{}-{unique}.part", std::process::id()));
        Ok(TempOutput { tmp, dest: dest.to_owned(), done: false })
    }

    pub(super) fn path(&self) -> &Path {
        &self.tmp
    }

    /// Rename onto the destination; same folder, so the rename is atomic.
    pub(super) fn commit(mut self) -> Result<()> {
        std::fs::rename(&self.tmp, &self.dest)
            .map_err(|source| VideoError::Io { op: "renaming the finished output", source })?;
        self.done = true;
        Ok(())
    }
}

impl Drop for TempOutput {
    fn drop(&mut self) {
        if !self.done {
            // Nothing to do if it was never created.
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Cut `input` per `spec` into `output`.
pub(super) fn cut(
    input: &Path,
    spec: &CutSpec,
    output: &Path,
    cancel: &AtomicBool,
    limits: &Limits,
) -> Result<CutReport> {
    let started = Instant::now();
    init()?;
    spec.validate()?;
    let mut src = Source::open(input)?;
    src.check_limits(limits)?;
    let (start, end) = resolve_window(spec, src.info.duration_secs)?;
    if !spec.video && src.audio.is_none() {
        return Err(Error::invalid("vc", "none", "the source has no audio to keep"));
    }
    let geometry = plan_geometry(src.info.display_width(), src.info.display_height(), spec);
    if spec.video {
        let key = if spec.width.is_none() && spec.height.is_some() { "h" } else { "w" };
        limits.check_output(key, geometry.width, geometry.height)?;
    }
    let tmp = TempOutput::new(output)?;
    // The window counts from the container's first timestamp; the demuxer works in absolute
    // stream time.
    let origin = src.info.start_secs;
    let from_beginning = start <= 0.0;
    let (start, end) = (origin + start, origin + end);
    let copy_from = match copy_eligible(&src, spec) {
        true => copy_start(input, &src, (start, end), from_beginning)?,
        false => None,
    };
    let (mode, from, (width, height)) = match copy_from {
        Some(key) => {
            copy_streams(input, &src, spec, key, end, tmp.path(), cancel)?;
            let dims = (src.info.display_width(), src.info.display_height());
            (CutMode::Copied, secs(key, src.time_base(src.video)), dims)
        }
        None => {
            encode::reencode(&mut src, spec, &geometry, (start, end), tmp.path(), cancel, limits)?;
            let dims = if spec.video { (geometry.width, geometry.height) } else { (0, 0) };
            (CutMode::Reencoded, start, dims)
        }
    };
    tmp.commit()?;
    Ok(CutReport {
        mode,
        duration_secs: end - from,
        width,
        height,
        ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}
