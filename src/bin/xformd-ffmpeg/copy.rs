//! The stream-copy path of a cut: when `so` falls on a keyframe and nothing else needs
//! re-encoding, packets are copied, shifted so time starts at 0, with the display matrix.
//!
//! Owns: `copy_start` (is a copy exact?), `copy_streams`. An FFmpeg-side file: may import
//! ffmpeg-next, `error` and the parent's types.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use ffmpeg::{codec, encoder, format, Packet, Rational, Rescale};
use ffmpeg_next as ffmpeg;

use super::encode;
use super::source::{ff, micros, open_input, secs, ticks, Source};
use super::{CutSpec, VideoError, VideoFormat};
use crate::error::{Error, Result};

/// Codec names a stream copy into `format` accepts: (video, audio).
fn copy_codecs(format: VideoFormat) -> (&'static str, &'static str) {
    match format {
        VideoFormat::Mp4 => ("h264", "aac"),
        VideoFormat::Webm => ("vp9", "opus"),
    }
}

/// True when nothing but the window asks for re-encoding.
pub(super) fn copy_eligible(src: &Source, spec: &CutSpec) -> bool {
    let (vcodec, acodec) = copy_codecs(spec.format);
    let audio_ok = !spec.audio || src.info.audio.as_ref().is_none_or(|a| a.codec == acodec);
    spec.video && !spec.changes_pixels() && src.info.video_codec == vcodec && audio_ok
}

/// When a stream copy reproduces the frame-accurate cut exactly, the pts of the keyframe it
/// starts from. It does when (1) the first frame at or after `start` is a keyframe — within
/// 5 ms, half the 10 ms resolution of `so`; from the very beginning, the first packet being
/// a keyframe is enough — and (2) ending the copy at the first packet (in decode order)
/// shown at or after `end` loses no frame shown before `end`, which B-frames can otherwise
/// cause. Reads packets only, no decoding. `start`/`end` are absolute stream times.
pub(super) fn copy_start(
    path: &Path,
    src: &Source,
    (start, end): (f64, f64),
    from_beginning: bool,
) -> Result<Option<i64>> {
    let mut ictx = open_input(path)?;
    let tb = src.time_base(src.video);
    let (lo, hi, end_ts) = (ticks(start - 0.0005, tb), ticks(start + 0.005, tb), ticks(end, tb));
    if !from_beginning {
        let probe_at = micros(start + 0.005);
        ictx.seek(probe_at, ..probe_at).ok();
    }
    let mut packet = Packet::empty();
    let first = loop {
        match packet.read(&mut ictx) {
            Ok(()) if packet.stream() == src.video => break packet.pts().filter(|_| packet.is_key()),
            Ok(()) | Err(ffmpeg::Error::InvalidData) => {}
            Err(_) => break None,
        }
    };
    let Some(key) = first.filter(|&k| k >= lo && (k <= hi || from_beginning)) else {
        return Ok(None);
    };
    let mut stopped = false;
    let mut packet = Packet::empty();
    loop {
        match packet.read(&mut ictx) {
            Ok(()) if packet.stream() == src.video => {
                let (Some(pts), Some(dts)) = (packet.pts(), packet.dts().or(packet.pts())) else {
                    return Ok(None);
                };
                if stopped && pts < end_ts {
                    return Ok(None);
                }
                stopped |= pts >= end_ts;
                if stopped && dts >= end_ts {
                    return Ok(Some(key));
                }
            }
            Ok(()) | Err(ffmpeg::Error::InvalidData) => {}
            Err(ffmpeg::Error::Eof) => return Ok(Some(key)),
            Err(e) => return Err(VideoError::Undecodable(format!("reading packets: {e}")).into()),
        }
    }
}

/// Copy the packets of the window starting at keyframe `key` into `tmp`.
pub(super) fn copy_streams(
    path: &Path,
    src: &Source,
    spec: &CutSpec,
    key: i64,
    end: f64,
    tmp: &Path,
    cancel: &AtomicBool,
) -> Result<()> {
    let mut ictx = open_input(path)?;
    let mut octx = format::output_as(&tmp, spec.format.extension()).map_err(ff("creating the output"))?;
    let audio = src.audio.filter(|_| spec.audio);
    // (input index, output index, offset in input ticks, end in input ticks, input tb).
    let mut map = Vec::new();
    for index in std::iter::once(src.video).chain(audio) {
        let ist = ictx.stream(index).ok_or_else(|| Error::internal("stream vanished"))?;
        let tb = ist.time_base();
        let mut ost = octx.add_stream(encoder::find(codec::Id::None)).map_err(ff("adding a stream"))?;
        ost.set_parameters(ist.parameters());
        ost.set_time_base(tb);
        // SAFETY: `ost` is a live stream of `octx`; clearing the codec tag lets the muxer
        // pick its own (MOV and MP4 tags differ), and the display matrix is copied into
        // newly allocated stream side data of exactly its size.
        unsafe {
            (*ost.parameters().as_mut_ptr()).codec_tag = 0;
            if let Some(m) = ist.side_data().find(|sd| sd.kind() == codec::packet::side_data::Type::DisplayMatrix) {
                let data = m.data();
                let dst = ffmpeg::ffi::av_stream_new_side_data(
                    ost.as_mut_ptr(),
                    ffmpeg::ffi::AVPacketSideDataType::AV_PKT_DATA_DISPLAYMATRIX,
                    data.len(),
                );
                if !dst.is_null() {
                    std::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len());
                }
            }
        }
        let offset = key.rescale(src.time_base(src.video), tb);
        map.push((index, map.len(), offset, ticks(end, tb), tb));
    }
    encode::write_header(&mut octx, spec.format)?;
    let out_tb: Vec<Rational> =
        (0..map.len()).map(|i| octx.stream(i).map_or(Rational(1, 1000), |s| s.time_base())).collect();
    let at = micros(secs(key, src.time_base(src.video)) + 0.005);
    if key > 0 {
        ictx.seek(at, ..at).map_err(|e| VideoError::Undecodable(format!("seeking: {e}")))?;
    }
    let (mut video_done, mut audio_done) = (false, audio.is_none());
    let mut packet = Packet::empty();
    while !(video_done && audio_done) {
        if cancel.load(Ordering::Relaxed) {
            return Err(VideoError::Cancelled.into());
        }
        match packet.read(&mut ictx) {
            Ok(()) => {}
            Err(ffmpeg::Error::Eof) => break,
            Err(ffmpeg::Error::InvalidData) => continue,
            Err(e) => return Err(VideoError::Undecodable(format!("reading packets: {e}")).into()),
        }
        let Some(&(index, out, offset, end_ts, tb)) = map.iter().find(|m| m.0 == packet.stream()) else {
            continue;
        };
        let Some(pts) = packet.pts() else { continue };
        let is_video = index == src.video;
        if is_video && (video_done || pts >= end_ts) {
            video_done = true;
            continue;
        }
        if !is_video && pts >= end_ts {
            audio_done = true;
            continue;
        }
        // Keep an audio packet that overlaps the start (AAC's priming packet has a negative
        // pts): the decoder needs it, and the muxer's edit list hides the overlap.
        if !is_video && pts + packet.duration() <= offset {
            continue;
        }
        packet.set_pts(Some(pts - offset));
        packet.set_dts(packet.dts().map(|d| d - offset));
        packet.rescale_ts(tb, out_tb[out]);
        packet.set_position(-1);
        packet.set_stream(out);
        packet.write_interleaved(&mut octx).map_err(ff("writing a packet"))?;
    }
    octx.write_trailer().map_err(ff("finishing the output"))
}
