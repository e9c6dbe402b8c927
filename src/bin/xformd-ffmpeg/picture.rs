//! The video half of a re-encoded cut: decode from the keyframe before `so`, drop frames
//! before `so`, retime so output time starts at 0 and the last frame ends at `eo`, filter
//! (display rotation, scale, crop, pad, `rt`, 4:2:0), and encode with libx264 or libvpx-vp9.
//!
//! Owns: `VideoPipe`, `video_graph`, `layered_graph` (with `l-video` feeds and burned-in
//! subtitles composed by `overlay`). An FFmpeg-side file: may import ffmpeg-next, `error` and
//! the parent's types.

use std::collections::HashMap;

use ffmpeg::format::context::Output;
use ffmpeg::{codec, decoder, encoder, filter, format, frame, picture, Dictionary, Packet, Rational};
use ffmpeg_next as ffmpeg;

use super::ass::{ass_script, SubtitleFiles};
use super::encode::{auto_threads, vp9_crf, x264_crf};
use super::geometry::{filter_chain, Geometry};
use super::layer_feed::LayerFeed;
use super::overlay::compose_graph;
use super::source::{ff, secs, ticks, Source};
use super::{CutSpec, VideoError, VideoFormat};
use crate::error::{Error, Result};
use crate::limits::Limits;

/// A buffer → `chain` → buffersink graph for frames like `like`, delivering `out` pixels.
pub(super) fn video_graph(like: &frame::Video, tb: Rational, chain: &str, out: format::Pixel) -> Result<filter::Graph> {
    layered_graph(like, tb, chain, out, &[])
}

/// `buffer` arguments for frames like `like` in time base `tb`.
fn buffer_args(like: &frame::Video, tb: Rational) -> String {
    let sar = Some(like.aspect_ratio()).filter(|r| r.numerator() > 0).unwrap_or(Rational(1, 1));
    let pix = ffmpeg::ffi::AVPixelFormat::from(like.format()) as i32;
    format!(
        "video_size={}x{}:pix_fmt={pix}:time_base={}/{}:pixel_aspect={}/{}",
        like.width(),
        like.height(),
        tb.numerator(),
        tb.denominator(),
        sar.numerator(),
        sar.denominator()
    )
}

/// As [`video_graph`], with one more buffer source per `(name, like, tb)` in `layers`, each
/// reached in `chain` by its `[name]` label (and the base by `[in]`, the sink by `[out]`).
pub(super) fn layered_graph(
    like: &frame::Video,
    tb: Rational,
    chain: &str,
    out: format::Pixel,
    layers: &[(&str, &frame::Video, Rational)],
) -> Result<filter::Graph> {
    let build = || -> std::result::Result<filter::Graph, ffmpeg::Error> {
        let mut graph = filter::Graph::new();
        let buffer = filter::find("buffer").ok_or(ffmpeg::Error::FilterNotFound)?;
        let sink = filter::find("buffersink").ok_or(ffmpeg::Error::FilterNotFound)?;
        graph.add(&buffer, "in", &buffer_args(like, tb))?;
        for (name, l, ltb) in layers {
            graph.add(&buffer, name, &buffer_args(l, *ltb))?;
        }
        graph.add(&sink, "out", "")?;
        graph.get("out").ok_or(ffmpeg::Error::FilterNotFound)?.set_pixel_format(out);
        let mut parser = graph.output("in", 0)?;
        for (name, _, _) in layers {
            parser = parser.output(name, 0)?;
        }
        parser.input("out", 0)?.parse(chain)?;
        graph.validate()?;
        Ok(graph)
    };
    build().map_err(ff("building the video filter graph"))
}

/// The video half of a re-encode. Frames are held back by one, because a frame's duration
/// is only known when the next one arrives, and the last one must end exactly at `eo`.
pub(super) struct VideoPipe {
    pub(super) index: usize,
    pub(super) out_index: usize,
    pub(super) out_tb: Rational,
    pub(super) done: bool,
    decoder: decoder::Video,
    encoder: encoder::Video,
    graph: Option<filter::Graph>,
    chain: String,
    /// The source stream's time base, used unchanged by the filter graph and the encoder,
    /// so variable frame rates keep their exact timestamps.
    tb: Rational,
    start: i64,
    end: i64,
    /// The container's start time: `so` counts from here.
    origin: f64,
    /// Where the container says the video stream ends, to tell truncation from a short
    /// stream.
    declared_end: Option<i64>,
    /// One frame at the average rate, for frames without timestamps or durations.
    nominal: i64,
    /// The last frame before `so`: shown when no frame starts inside the window.
    before: Option<(frame::Video, i64)>,
    /// (frame, source pts, output pts) waiting for its successor.
    pending: Option<(frame::Video, i64, i64)>,
    emitted: u64,
    last_ts: Option<i64>,
    durations: HashMap<i64, i64>,
    /// Packets skipped after the seek until the first keyframe (capped; see `packet`).
    skipped: u32,
    keyed: bool,
    /// The `l-video` layers, fed into the graph just ahead of the base frames.
    feeds: Vec<LayerFeed>,
    /// The `l-subtitles` script and font; kept until the graph reading them is dropped
    /// (field order: `graph` above drops first).
    _subtitles: Option<SubtitleFiles>,
}

impl VideoPipe {
    pub(super) fn new(
        src: &Source,
        spec: &CutSpec,
        geometry: &Geometry,
        (start, end): (f64, f64),
        octx: &mut Output,
        limits: &Limits,
    ) -> Result<VideoPipe> {
        let ist = src.ictx.stream(src.video).ok_or_else(|| Error::internal("video stream vanished"))?;
        let tb = ist.time_base();
        let rate = Some(ist.avg_frame_rate()).filter(|r| r.numerator() > 0 && r.denominator() > 0);
        let nominal = rate.map_or(ticks(0.04, tb), |r| ticks(f64::from(r.invert()), tb)).max(1);
        let mut ctx = codec::context::Context::from_parameters(ist.parameters())
            .map_err(|e| VideoError::Undecodable(format!("video parameters: {e}")))?;
        ctx.set_threading(auto_threads());
        let mut dec = ctx.decoder();
        dec.set_packet_time_base(tb);
        let decoder = dec.video().map_err(|e| VideoError::Undecodable(format!("opening the video decoder: {e}")))?;

        let name = match spec.format {
            VideoFormat::Mp4 => "libx264",
            VideoFormat::Webm => "libvpx-vp9",
        };
        let codec = encoder::find_by_name(name).ok_or(VideoError::MissingEncoder(name))?;
        let mut ectx = codec::context::Context::new_with_codec(codec);
        ectx.set_threading(auto_threads());
        let mut enc = ectx.encoder().video().map_err(ff("creating the video encoder"))?;
        enc.set_width(geometry.width);
        enc.set_height(geometry.height);
        enc.set_format(format::Pixel::YUV420P);
        enc.set_time_base(tb);
        enc.set_frame_rate(rate);
        if octx.format().flags().contains(format::Flags::GLOBAL_HEADER) {
            enc.set_flags(codec::Flags::GLOBAL_HEADER);
        }
        let mut opts = Dictionary::new();
        match spec.format {
            VideoFormat::Mp4 => {
                opts.set("preset", "veryfast");
                opts.set("crf", &x264_crf(spec.quality).to_string());
            }
            VideoFormat::Webm => {
                // Constant quality (b = 0); `good` + cpu-used 4 + row-mt is libvpx's usual
                // speed/quality point for on-demand encoding.
                opts.set("crf", &vp9_crf(spec.quality).to_string());
                opts.set("b", "0");
                opts.set("deadline", "good");
                opts.set("cpu-used", "4");
                opts.set("row-mt", "1");
            }
        }
        let encoder = enc.open_with(opts).map_err(ff("opening the video encoder"))?;
        let mut ost = octx.add_stream(codec).map_err(ff("adding the video stream"))?;
        ost.set_parameters(&encoder);
        ost.set_time_base(tb);
        let feeds =
            spec.overlays.iter().enumerate().map(|(i, o)| LayerFeed::open(i, o, limits)).collect::<Result<_>>()?;
        let origin = src.info.start_secs;
        let subtitles = match &spec.subtitles {
            Some(subs) => {
                let script = ass_script(subs, (geometry.width, geometry.height), (start - origin, end - origin));
                Some(SubtitleFiles::write(&script, subs.font.as_ref())?)
            }
            None => None,
        };
        let base = filter_chain(src.info.rotation, geometry);
        let script = subtitles.as_ref().map(SubtitleFiles::script);
        let files = script.as_deref().zip(subtitles.as_ref().map(SubtitleFiles::fonts));
        let chain = compose_graph(&base, &spec.overlays, files);
        Ok(VideoPipe {
            index: src.video,
            out_index: ost.index(),
            out_tb: tb,
            done: false,
            decoder,
            encoder,
            graph: None,
            chain,
            tb,
            start: ticks(start, tb),
            end: ticks(end, tb),
            origin: src.info.start_secs,
            declared_end: (ist.duration() > 0).then(|| ist.start_time().max(0) + ist.duration()),
            nominal,
            before: None,
            pending: None,
            emitted: 0,
            last_ts: None,
            durations: HashMap::new(),
            skipped: 0,
            keyed: false,
            feeds,
            _subtitles: subtitles,
        })
    }

    pub(super) fn packet(&mut self, packet: &Packet, octx: &mut Output) -> Result<()> {
        // After a seek that could only find a timestamp, not a keyframe (MPEG-PS), frames
        // before the first keyframe would decode as garbage. Streams that never flag
        // keyframes are let through after a GOP-sized wait.
        if !self.keyed && !packet.is_key() && self.skipped < 300 {
            self.skipped += 1;
            return Ok(());
        }
        self.keyed = true;
        // A packet the decoder rejects is skipped, like the FFmpeg CLI does; a file with no
        // decodable frame at all is reported in `finish`.
        if self.decoder.send_packet(packet).is_ok() {
            self.drain_decoder(octx)?;
        }
        Ok(())
    }

    fn drain_decoder(&mut self, octx: &mut Output) -> Result<()> {
        loop {
            let mut frame = frame::Video::empty();
            if self.decoder.receive_frame(&mut frame).is_err() {
                return Ok(());
            }
            let ts = frame.timestamp().or(self.last_ts.map(|t| t + self.nominal)).unwrap_or(0);
            self.last_ts = Some(ts);
            if self.done {
                continue;
            }
            if ts < self.start {
                self.before = Some((frame, ts));
            } else if ts >= self.end {
                self.done = true;
            } else {
                self.emit(frame, ts, octx)?;
            }
        }
    }

    /// Queue `frame` (source pts `ts`) and send the one before it, now that its duration is
    /// known. The first frame of the cut is placed at 0, so output time starts at 0 even
    /// when no frame starts exactly at `so`.
    fn emit(&mut self, frame: frame::Video, ts: i64, octx: &mut Output) -> Result<()> {
        let out = if self.pending.is_none() && self.emitted == 0 { 0 } else { ts - self.start };
        if let Some((prev, _, prev_out)) = self.pending.take() {
            if out <= prev_out {
                // Duplicate or backwards timestamp: keep the earlier frame, drop this one.
                self.pending = Some((prev, ts, prev_out));
                return Ok(());
            }
            self.encode(prev, prev_out, out - prev_out, octx)?;
        }
        self.pending = Some((frame, ts, out));
        Ok(())
    }

    fn encode(&mut self, mut frame: frame::Video, out: i64, duration: i64, octx: &mut Output) -> Result<()> {
        frame.set_pts(Some(out));
        // Let the encoder choose frame types instead of copying the source's.
        frame.set_kind(picture::Type::None);
        self.durations.insert(out, duration);
        self.emitted += 1;
        if self.graph.is_none() {
            let layers: Vec<_> =
                self.feeds.iter().filter_map(|f| f.first().map(|l| (f.name.as_str(), l, f.tb))).collect();
            let graph = layered_graph(&frame, self.tb, &self.chain, format::Pixel::YUV420P, &layers)?;
            self.graph = Some(graph);
        }
        if let Some(graph) = self.graph.as_mut() {
            let t = secs(out, self.tb);
            for feed in &mut self.feeds {
                feed.feed_until(graph, t)?;
            }
        }
        if let Some(mut src) = self.graph.as_mut().and_then(|g| g.get("in")) {
            src.source().add(&frame).map_err(ff("filtering a frame"))?;
        }
        self.drain_graph(octx)
    }

    fn drain_graph(&mut self, octx: &mut Output) -> Result<()> {
        loop {
            let mut filtered = frame::Video::empty();
            let got = self
                .graph
                .as_mut()
                .and_then(|g| g.get("out"))
                .is_some_and(|mut s| s.sink().frame(&mut filtered).is_ok());
            if !got {
                return Ok(());
            }
            // Once the base has ended, the overlay filter may still emit frames timed by a
            // layer; only the base's own frames belong in the cut.
            if !self.feeds.is_empty() && filtered.pts().is_none_or(|p| !self.durations.contains_key(&p)) {
                continue;
            }
            self.encoder.send_frame(&filtered).map_err(ff("encoding a frame"))?;
            self.drain_encoder(octx)?;
        }
    }

    fn drain_encoder(&mut self, octx: &mut Output) -> Result<()> {
        let mut packet = Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            let duration = packet.pts().and_then(|t| self.durations.remove(&t)).unwrap_or(self.nominal);
            packet.set_duration(duration);
            packet.set_stream(self.out_index);
            packet.rescale_ts(self.tb, self.out_tb);
            packet.write_interleaved(octx).map_err(ff("writing a video packet"))?;
        }
        Ok(())
    }

    /// Drain the decoder, send the held-back frame with a duration ending at `eo` (or at the
    /// stream's own end, if sooner), and flush filter and encoder.
    pub(super) fn finish(&mut self, octx: &mut Output) -> Result<()> {
        if self.decoder.send_eof().is_ok() {
            self.drain_decoder(octx)?;
        }
        let last = match (self.pending.take(), self.before.take()) {
            (Some((frame, ts, out)), _) => {
                let own = Some(frame.packet().duration).filter(|d| *d > 0).unwrap_or(self.nominal);
                Some((frame, out, self.end.min(ts + own) - self.start - out))
            }
            // No frame starts inside the window: the one shown at `so` fills all of it, if
            // it is still shown then (a window past the end of a shorter video stream, or of
            // a truncated file, has no picture at all).
            (None, Some((frame, ts))) if self.emitted == 0 => {
                let own = Some(frame.packet().duration).filter(|d| *d > 0).unwrap_or(self.nominal);
                if ts + own < self.start && self.declared_end.is_some_and(|d| d > ts + own + 2 * self.nominal) {
                    let (got, want) = (secs(ts + own, self.tb), secs(self.declared_end.unwrap_or(0), self.tb));
                    let why = format!("video data stops at {got:.3} s, the container promises {want:.3} s");
                    return Err(VideoError::Undecodable(format!("truncated file: {why}")).into());
                }
                if ts + own < self.start {
                    let rel = |t: i64| secs(t, self.tb) - self.origin;
                    let why = format!("the video stream has no picture after {:.3} s", rel(ts + own));
                    let value = format!("{:.2}", rel(self.start));
                    return Err(VideoError::InvalidParam { key: "so", value, why }.into());
                }
                Some((frame, 0, self.end - self.start))
            }
            _ => None,
        };
        if let Some((frame, out, duration)) = last {
            self.encode(frame, out, duration.max(1), octx)?;
        }
        if self.emitted == 0 {
            return Err(VideoError::Undecodable("no video frame could be decoded".into()).into());
        }
        if let Some(graph) = self.graph.as_mut() {
            for feed in &mut self.feeds {
                feed.close(graph)?;
            }
        }
        if let Some(mut src) = self.graph.as_mut().and_then(|g| g.get("in")) {
            src.source().flush().map_err(ff("flushing the video filter"))?;
        }
        self.drain_graph(octx)?;
        self.encoder.send_eof().map_err(ff("flushing the video encoder"))?;
        self.drain_encoder(octx)
    }
}
