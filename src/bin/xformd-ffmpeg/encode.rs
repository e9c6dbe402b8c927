//! The FFmpeg side of a re-encoded cut: the packet loop feeding the video half (`picture`)
//! and the audio half (`audio`), plus the settings both share.
//!
//! Owns: `reencode`, `write_header`, `auto_threads`, the quality mappings.
//! May import ffmpeg-next (an FFmpeg-side file), `error` and the parent's types.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use ffmpeg::format::context::Output;
use ffmpeg::{codec, format, Dictionary, Packet, Rational};
use ffmpeg_next as ffmpeg;

use super::audio::AudioPipe;
use super::geometry::Geometry;
use super::picture::VideoPipe;
use super::source::{ff, seek_before, Source};
use super::{CutSpec, VideoError, VideoFormat};
use crate::error::Result;
use crate::limits::Limits;

/// libx264 CRF for quality `q` (1–100): 1 → 41, 50 → 27, 100 → 13. CRF 23 is x264's
/// default and about q 64; ImageKit's default q 50 is a web-delivery setting, a bit lower.
pub(super) fn x264_crf(q: u8) -> u8 {
    41 - u8::try_from(u16::from(q.clamp(1, 100)) * 28 / 100).unwrap_or(28)
}

/// libvpx-vp9 CRF (0–63) for quality `q`: 1 → 56, 50 → 36, 100 → 16.
pub(super) fn vp9_crf(q: u8) -> u8 {
    56 - u8::try_from(u16::from(q.clamp(1, 100)) * 40 / 100).unwrap_or(40)
}

/// Threads chosen by the codec (count 0 = one per core), as the FFmpeg CLI does.
pub(super) fn auto_threads() -> codec::threading::Config {
    codec::threading::Config { kind: codec::threading::Type::Frame, ..codec::threading::Config::count(0) }
}

/// Write the container header; MP4 gets its index first so playback starts while
/// downloading.
pub(super) fn write_header(octx: &mut Output, format: VideoFormat) -> Result<()> {
    let mut opts = Dictionary::new();
    if format == VideoFormat::Mp4 {
        opts.set("movflags", "+faststart");
    }
    octx.write_header_with(opts).map_err(ff("writing the header"))?;
    Ok(())
}

/// Decode, trim, filter and encode the window `(start, end)` of `src` into `tmp`.
pub(super) fn reencode(
    src: &mut Source,
    spec: &CutSpec,
    geometry: &Geometry,
    (start, end): (f64, f64),
    tmp: &Path,
    cancel: &AtomicBool,
    limits: &Limits,
) -> Result<()> {
    let mut octx = format::output_as(&tmp, spec.format.extension()).map_err(ff("creating the output"))?;
    let mut video = match spec.video {
        true => Some(VideoPipe::new(src, spec, geometry, (start, end), &mut octx, limits)?),
        false => None,
    };
    let mut audio = match src.audio.filter(|_| spec.audio) {
        Some(index) => Some(AudioPipe::new(src, index, spec, (start, end), &mut octx)?),
        None => None,
    };
    write_header(&mut octx, spec.format)?;
    // The muxer may change stream time bases in write_header; packets follow the final ones.
    let tb_of = |octx: &Output, i: usize| octx.stream(i).map_or(Rational(1, 1000), |s| s.time_base());
    if let Some(v) = video.as_mut() {
        v.out_tb = tb_of(&octx, v.out_index);
    }
    if let Some(a) = audio.as_mut() {
        a.out_tb = tb_of(&octx, a.out_index);
    }
    if start > 0.0 {
        let tb = src.time_base(src.video);
        seek_before(&mut src.ictx, src.video, tb, start)?;
    }
    let mut packet = Packet::empty();
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(VideoError::Cancelled.into());
        }
        let video_done = video.as_ref().is_none_or(|v| v.done);
        if video_done && audio.as_ref().is_none_or(|a| a.done) {
            break;
        }
        match packet.read(&mut src.ictx) {
            Ok(()) => {}
            Err(ffmpeg::Error::Eof) => break,
            // A damaged packet: the demuxer resyncs, the decoders conceal.
            Err(ffmpeg::Error::InvalidData) => continue,
            Err(e) => return Err(VideoError::Undecodable(format!("reading packets: {e}")).into()),
        }
        if let Some(v) = video.as_mut().filter(|v| v.index == packet.stream()) {
            v.packet(&packet, &mut octx)?;
        } else if let Some(a) = audio.as_mut().filter(|a| a.index == packet.stream()) {
            a.packet(&packet, &mut octx)?;
        }
    }
    if let Some(v) = video.as_mut() {
        v.finish(&mut octx)?;
    }
    if let Some(a) = audio.as_mut() {
        a.finish(&mut octx)?;
    }
    octx.write_trailer().map_err(ff("finishing the output"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_maps_monotonically() {
        assert_eq!((x264_crf(1), x264_crf(50), x264_crf(100)), (41, 27, 13));
        assert_eq!((vp9_crf(1), vp9_crf(50), vp9_crf(100)), (56, 36, 16));
        assert!((1..100).all(|q| x264_crf(q) >= x264_crf(q + 1) && vp9_crf(q) >= vp9_crf(q + 1)));
    }
}
