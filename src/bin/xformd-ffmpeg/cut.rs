//! A cut from request to file: validate, probe, resolve the window, plan the geometry,
//! choose stream copy or re-encode, and write the result. The file written is the daemon's
//! hidden part file, which the daemon renames onto the destination after a complete reply
//! and removes otherwise (`xformd::video::ProcessBackend`), so no partial file is ever
//! visible, even when this process is killed.
//!
//! Owns: `cut`. Its siblings `source`, `copy`, `encode` do the FFmpeg work; imports
//! `error`, `limits` and the video module's types.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::copy::{copy_eligible, copy_start, copy_streams};
use super::geometry::plan_geometry;
use super::source::{init, secs, Source};
use super::{encode, resolve_window, CutMode, CutReport, CutSpec};
use crate::error::{Error, Result};
use crate::limits::Limits;

/// Cut `input` per `spec` into `output` (created or truncated).
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
            copy_streams(input, &src, spec, key, end, output, cancel)?;
            let dims = (src.info.display_width(), src.info.display_height());
            (CutMode::Copied, secs(key, src.time_base(src.video)), dims)
        }
        None => {
            encode::reencode(&mut src, spec, &geometry, (start, end), output, cancel, limits)?;
            let dims = if spec.video { (geometry.width, geometry.height) } else { (0, 0) };
            (CutMode::Reencoded, start, dims)
        }
    };
    Ok(CutReport {
        mode,
        duration_secs: end - from,
        width,
        height,
        ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    })
}
