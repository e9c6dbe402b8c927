//! Decoding a fetched source for the image path: JPEG shrunk on load towards the first
//! step's resize, AVIF through the `video` backend's FFmpeg thumbnail at t = 0 (media may not
//! import `video`), everything else through `media::decode`.
//!
//! Owns: [`decode_source`], [`decode_avif`], [`source_format`]. May import `media`, `plan`,
//! `job`, `limits`, `error` and (feature `video`) `video`.

use crate::error::{Error, ErrorKind, Result};
use crate::job::Hints;
use crate::job::{Format, Job};
use crate::limits::Limits;
use crate::media::decode::{decode_with, DecodeOptions, Decoded};
use crate::media::probe::{SourceFormat, SourceInfo};
use crate::plan::{self, PlanOp, StepInput};

/// The oriented size the first step's first op resizes to, when that op is a Resize and
/// the step does not trim (trim measures the decoded pixels). Planned against the full
/// source size exactly as the executor will plan it.
pub(super) fn first_resize_target(job: &Job, source: (u32, u32), hints: Hints, limits: &Limits) -> Option<(u32, u32)> {
    let step = job.steps.first()?;
    if step.trim.is_some_and(|t| t != crate::job::Trim::Off) {
        return None;
    }
    let input = StepInput {
        input: source,
        current: source,
        base: None,
        trimmed: None,
        hint_width: hints.width,
        hint_dpr: hints.dpr,
        opaque: true,
    };
    match plan::plan_step(step, &input, limits).ok()?.ops.first()? {
        PlanOp::Resize { width, height, .. } => Some((*width, *height)),
        _ => None,
    }
}

/// Decode the source whose header `info` says (`media::probe::probe`, read once by the
/// caller): JPEG shrunk on load towards the first resize, AVIF through FFmpeg (the `video`
/// backend's thumbnail at t = 0), everything else through `media::decode`.
pub(super) fn decode_source(
    bytes: &[u8],
    info: &SourceInfo,
    limits: &Limits,
    job: &Job,
    hints: Hints,
    mut opts: DecodeOptions,
) -> Result<Decoded> {
    match info.format {
        SourceFormat::Avif => decode_avif(bytes, limits),
        SourceFormat::Jpeg => {
            opts.target = first_resize_target(job, info.oriented_size(), hints, limits);
            decode_with(bytes, limits, &opts)
        }
        _ => decode_with(bytes, limits, &opts),
    }
}

#[cfg(feature = "video")]
pub(super) fn decode_avif(bytes: &[u8], limits: &Limits) -> Result<Decoded> {
    use std::io::Write;

    use crate::video::VideoBackend;

    // FFmpeg's demuxer reads files; the AVIF is at most `max_source_bytes`. The name is random
    // and the file created exclusively (no symlink planted in /tmp can redirect the write);
    // it is removed when `tmp` drops, however the decode ends.
    let temp_error = |e: std::io::Error| Error::internal(format!("avif temp file: {e}"));
    let mut tmp = tempfile::Builder::new().prefix("xformd-").suffix(".avif").tempfile().map_err(temp_error)?;
    tmp.write_all(bytes).map_err(temp_error)?;
    let backend = crate::video::ProcessBackend::new(*limits)?;
    let frame = backend.thumbnail(tmp.path(), 0.0, limits).map_err(|e| {
        if e.kind() == ErrorKind::Internal {
            return e;
        }
        Error::new(ErrorKind::Undecodable, format!("cannot decode AVIF source: {e}"))
    })?;
    limits.check_input(frame.width, frame.height)?;
    let info = SourceInfo { format: SourceFormat::Avif, width: frame.width, height: frame.height, orientation: 1 };
    Ok(Decoded { frame, info, shrink: 1, icc: None, exif: None })
}

#[cfg(not(feature = "video"))]
pub(super) fn decode_avif(_bytes: &[u8], _limits: &Limits) -> Result<Decoded> {
    Err(Error::new(ErrorKind::Unsupported, "AVIF sources need the `video` feature (FFmpeg)"))
}

/// The output format `f-orig` means for a source of format `f`.
pub(super) fn source_format(f: crate::media::probe::SourceFormat) -> Format {
    use crate::media::probe::SourceFormat as S;
    match f {
        S::Png => Format::Png,
        S::Webp => Format::Webp,
        S::Gif => Format::Gif,
        S::Avif => Format::Avif,
        S::Jpeg | S::Video => Format::Jpeg,
    }
}
