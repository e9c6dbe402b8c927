//! Thumbnails: the first frame shown at or after a time, upright (the source's display
//! rotation applied), converted to RGBA by libavfilter/swscale.
//!
//! Owns: `thumbnail`. An FFmpeg-side file: may import ffmpeg-next, and in-crate `error`,
//! `limits`, `media` (for [`Frame`]) and the parent's types.

use std::path::Path;

use ffmpeg::{codec, format, frame, Packet};
use ffmpeg_next as ffmpeg;

use super::encode::auto_threads;
use super::geometry::rotation_filter;
use super::picture::video_graph;
use super::source::{init, seek_before, ticks, Source};
use super::VideoError;
use crate::error::{Error, Result};
use crate::limits::{try_alloc, Limits};
use crate::media::Frame;

/// Decode the first frame whose pts is ≥ `at_secs` (the frame the FFmpeg CLI's
/// `-ss at -i in -frames:v 1` picks); if the stream has none, because `at` falls inside the
/// last frame, that last frame.
pub(super) fn thumbnail(path: &Path, at_secs: f64, limits: &Limits) -> Result<Frame> {
    init()?;
    super::check_thumbnail_time(at_secs)?;
    let mut src = Source::open(path)?;
    src.check_limits(limits)?;
    if at_secs > 0.0 && at_secs >= src.info.duration_secs {
        let why = format!("must be less than the video duration of {} s", src.info.duration_secs);
        return Err(Error::invalid("so", format!("{at_secs}"), why));
    }
    let (width, height) = (src.info.display_width(), src.info.display_height());
    let bytes = u64::from(width) * u64::from(height) * 4;
    let mut data = try_alloc(limits, bytes)?;

    let ist = src.ictx.stream(src.video).ok_or_else(|| Error::internal("video stream vanished"))?;
    let tb = ist.time_base();
    let mut ctx = codec::context::Context::from_parameters(ist.parameters())
        .map_err(|e| VideoError::Undecodable(format!("video parameters: {e}")))?;
    ctx.set_threading(auto_threads());
    let mut dec = ctx.decoder();
    dec.set_packet_time_base(tb);
    let mut decoder = dec.video().map_err(|e| VideoError::Undecodable(format!("opening the video decoder: {e}")))?;
    // Thumbnail times count from the container's first timestamp, as the CLI's `-ss` does.
    let at = src.info.start_secs + at_secs;
    if at_secs > 0.0 {
        seek_before(&mut src.ictx, src.video, tb, at)?;
    }
    let want = ticks(at, tb);

    let mut found: Option<frame::Video> = None;
    let mut last: Option<frame::Video> = None;
    let mut packet = Packet::empty();
    let mut keyed = false;
    let take =
        |decoder: &mut ffmpeg::decoder::Video, found: &mut Option<frame::Video>, last: &mut Option<frame::Video>| {
            let mut frame = frame::Video::empty();
            while found.is_none() && decoder.receive_frame(&mut frame).is_ok() {
                let next = std::mem::replace(&mut frame, frame::Video::empty());
                if next.timestamp().is_some_and(|ts| ts >= want) || next.timestamp().is_none() && want <= 0 {
                    *found = Some(next);
                } else {
                    *last = Some(next);
                }
            }
        };
    while found.is_none() {
        match packet.read(&mut src.ictx) {
            Ok(()) if packet.stream() == src.video => {
                // Same reason as in a cut: nothing before the first keyframe after a seek.
                keyed |= packet.is_key();
                if keyed && decoder.send_packet(&packet).is_ok() {
                    take(&mut decoder, &mut found, &mut last);
                }
            }
            Ok(()) | Err(ffmpeg::Error::InvalidData) => {}
            Err(_) => break,
        }
    }
    if found.is_none() && decoder.send_eof().is_ok() {
        take(&mut decoder, &mut found, &mut last);
    }
    let picture = found.or(last).ok_or_else(|| VideoError::Undecodable("no video frame could be decoded".into()))?;

    let chain = rotation_filter(src.info.rotation.rem_euclid(360).unsigned_abs()).unwrap_or("null");
    let mut graph = video_graph(&picture, tb, chain, format::Pixel::RGBA)?;
    let mut rgba = frame::Video::empty();
    let sent = graph.get("in").is_some_and(|mut s| s.source().add(&picture).is_ok() && s.source().flush().is_ok());
    let got = sent && graph.get("out").is_some_and(|mut s| s.sink().frame(&mut rgba).is_ok());
    if !got || rgba.width() != width || rgba.height() != height {
        return Err(Error::internal("converting the thumbnail to RGBA failed"));
    }
    let row = usize::try_from(width).unwrap_or(0) * 4;
    let stride = rgba.stride(0);
    for (y, out) in data.chunks_exact_mut(row.max(1)).enumerate() {
        let line = rgba.data(0).get(y * stride..y * stride + row).ok_or_else(|| Error::internal("short RGBA frame"))?;
        out.copy_from_slice(line);
    }
    Frame::from_rgba(width, height, data)
}
