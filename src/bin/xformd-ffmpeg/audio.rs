//! The audio half of a re-encoded cut: decode, trim to the window sample-accurately
//! (`atrim` on sample timestamps), retime to the same zero as the video, resample and remix
//! to what the encoder takes, and encode AAC (MP4) or Opus (WebM).
//!
//! Owns: `AudioPipe`. An FFmpeg-side file: may import ffmpeg-next, `error` and the parent's
//! types.

use ffmpeg::format::context::Output;
use ffmpeg::{codec, decoder, encoder, filter, format, frame, ChannelLayout, Dictionary, Packet, Rational, Rescale};
use ffmpeg_next as ffmpeg;

use super::encode::auto_threads;
use super::source::{ff, ticks, Source};
use super::{CutSpec, VideoError, VideoFormat};
use crate::error::{Error, Result};

/// Audio bit rate per channel for quality `q`: 32 kbit/s at q 1, 64 at q 50, 96 at q 100
/// (128 kbit/s stereo at the default, a common web setting for both AAC and Opus).
fn bits_per_channel(q: u8) -> usize {
    32_000 + usize::from(q.clamp(1, 100)) * 640
}

/// The audio half of a re-encode.
pub(super) struct AudioPipe {
    pub(super) index: usize,
    pub(super) out_index: usize,
    pub(super) out_tb: Rational,
    pub(super) done: bool,
    decoder: decoder::Audio,
    encoder: encoder::Audio,
    graph: Option<filter::Graph>,
    /// The source stream's time base.
    tb: Rational,
    window: (f64, f64),
    /// Next expected pts in 1/sample-rate ticks, for frames without timestamps.
    next: Option<i64>,
}

impl AudioPipe {
    pub(super) fn new(
        src: &Source,
        index: usize,
        spec: &CutSpec,
        window: (f64, f64),
        octx: &mut Output,
    ) -> Result<AudioPipe> {
        let ist = src.ictx.stream(index).ok_or_else(|| Error::internal("audio stream vanished"))?;
        let tb = ist.time_base();
        let mut ctx = codec::context::Context::from_parameters(ist.parameters())
            .map_err(|e| VideoError::Undecodable(format!("audio parameters: {e}")))?;
        ctx.set_threading(auto_threads());
        let mut dec = ctx.decoder();
        dec.set_packet_time_base(tb);
        let decoder = dec.audio().map_err(|e| VideoError::Undecodable(format!("opening the audio decoder: {e}")))?;

        let name = match spec.format {
            VideoFormat::Mp4 => "aac",
            VideoFormat::Webm => "libopus",
        };
        let codec = encoder::find_by_name(name).ok_or(VideoError::MissingEncoder(name))?;
        let caps = codec.audio().map_err(ff("inspecting the audio encoder"))?;
        let channels = i32::from(decoder.channels().max(1));
        // Keep the channel count when the encoder can (AAC and Opus both carry 5.1), else
        // the largest layout it has; swresample remixes to it.
        let layout = caps
            .channel_layouts()
            .map(|layouts| layouts.best(channels))
            .unwrap_or_else(|| ChannelLayout::default(channels.min(8)));
        let source_rate = i32::try_from(decoder.rate()).unwrap_or(48_000);
        // Opus only runs at 48 kHz (and divisors); AAC takes the usual rates as they are.
        let supported = caps.rates().is_none_or(|mut rates| rates.any(|r| r == source_rate));
        let rate = if supported && source_rate > 0 { source_rate } else { 48_000 };
        let sample_format = caps
            .formats()
            .and_then(|mut f| f.find(|s| matches!(s, format::Sample::F32(_))).or_else(|| caps.formats()?.next()))
            .unwrap_or(format::Sample::F32(format::sample::Type::Planar));

        let mut ectx = codec::context::Context::new_with_codec(codec);
        ectx.set_threading(auto_threads());
        let mut enc = ectx.encoder().audio().map_err(ff("creating the audio encoder"))?;
        enc.set_rate(rate);
        enc.set_channel_layout(layout);
        enc.set_channels(layout.channels());
        enc.set_format(sample_format);
        enc.set_bit_rate(bits_per_channel(spec.quality) * usize::try_from(layout.channels()).unwrap_or(2));
        enc.set_time_base(Rational(1, rate));
        if octx.format().flags().contains(format::Flags::GLOBAL_HEADER) {
            enc.set_flags(codec::Flags::GLOBAL_HEADER);
        }
        let encoder = enc.open_with(Dictionary::new()).map_err(ff("opening the audio encoder"))?;
        let mut ost = octx.add_stream(codec).map_err(ff("adding the audio stream"))?;
        ost.set_parameters(&encoder);
        ost.set_time_base(Rational(1, rate));
        Ok(AudioPipe {
            index,
            out_index: ost.index(),
            out_tb: Rational(1, rate),
            done: false,
            decoder,
            encoder,
            graph: None,
            tb,
            window,
            next: None,
        })
    }

    pub(super) fn packet(&mut self, packet: &Packet, octx: &mut Output) -> Result<()> {
        // Undecodable audio packets are skipped, as the FFmpeg CLI does; atrim and the
        // timestamps keep the rest in place.
        if !self.done && self.decoder.send_packet(packet).is_ok() {
            self.drain_decoder(octx)?;
        }
        Ok(())
    }

    fn drain_decoder(&mut self, octx: &mut Output) -> Result<()> {
        let mut frame = frame::Audio::empty();
        while self.decoder.receive_frame(&mut frame).is_ok() {
            let rate = i32::try_from(frame.rate()).unwrap_or(0);
            if rate <= 0 || self.done {
                continue;
            }
            let sample_tb = Rational(1, rate);
            let pts = frame.timestamp().map(|t| t.rescale(self.tb, sample_tb)).or(self.next).unwrap_or(0);
            self.next = Some(pts + i64::try_from(frame.samples()).unwrap_or(0));
            if pts >= ticks(self.window.1, sample_tb) {
                self.done = true;
                continue;
            }
            frame.set_pts(Some(pts));
            if self.graph.is_none() {
                self.graph = Some(self.graph_for(&frame, rate)?);
            }
            if let Some(mut src) = self.graph.as_mut().and_then(|g| g.get("in")) {
                src.source().add(&frame).map_err(ff("filtering audio"))?;
            }
            self.drain_graph(octx)?;
        }
        Ok(())
    }

    /// abuffer → atrim to the window (in samples, so it is sample-accurate) → shift so `so`
    /// is 0 → abuffersink, which makes libavfilter insert the resampler/remixer the encoder
    /// needs and cut frames to the encoder's frame size.
    fn graph_for(&self, like: &frame::Audio, rate: i32) -> Result<filter::Graph> {
        let sample_tb = Rational(1, rate);
        let (start, end) = (ticks(self.window.0, sample_tb), ticks(self.window.1, sample_tb));
        let layout = Some(like.channel_layout())
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| ChannelLayout::default(i32::from(like.channels().max(1))));
        let build = || -> std::result::Result<filter::Graph, ffmpeg::Error> {
            let mut graph = filter::Graph::new();
            let args = format!(
                "time_base=1/{rate}:sample_rate={rate}:sample_fmt={}:channel_layout=0x{:x}",
                like.format().name(),
                layout.bits()
            );
            let abuffer = filter::find("abuffer").ok_or(ffmpeg::Error::FilterNotFound)?;
            let abuffersink = filter::find("abuffersink").ok_or(ffmpeg::Error::FilterNotFound)?;
            graph.add(&abuffer, "in", &args)?;
            graph.add(&abuffersink, "out", "")?;
            {
                let mut out = graph.get("out").ok_or(ffmpeg::Error::FilterNotFound)?;
                out.set_sample_format(self.encoder.format());
                out.set_channel_layout(self.encoder.channel_layout());
                out.set_sample_rate(self.encoder.rate());
            }
            let chain = format!("atrim=start_pts={start}:end_pts={end},asetpts=PTS-{start}");
            graph.output("in", 0)?.input("out", 0)?.parse(&chain)?;
            graph.validate()?;
            let variable = self
                .encoder
                .codec()
                .is_some_and(|c| c.capabilities().contains(codec::capabilities::Capabilities::VARIABLE_FRAME_SIZE));
            if !variable {
                if let Some(mut out) = graph.get("out") {
                    out.sink().set_frame_size(self.encoder.frame_size());
                }
            }
            Ok(graph)
        };
        build().map_err(ff("building the audio filter graph"))
    }

    fn drain_graph(&mut self, octx: &mut Output) -> Result<()> {
        let enc_tb = Rational(1, i32::try_from(self.encoder.rate()).unwrap_or(48_000));
        loop {
            let mut filtered = frame::Audio::empty();
            let Some(mut sink) = self.graph.as_mut().and_then(|g| g.get("out")) else {
                return Ok(());
            };
            if sink.sink().frame(&mut filtered).is_err() {
                return Ok(());
            }
            let sink_tb = sink.sink().time_base();
            let pts = filtered.pts().map(|t| t.rescale(sink_tb, enc_tb));
            filtered.set_pts(pts);
            self.encoder.send_frame(&filtered).map_err(ff("encoding audio"))?;
            self.drain_encoder(octx, enc_tb)?;
        }
    }

    fn drain_encoder(&mut self, octx: &mut Output, enc_tb: Rational) -> Result<()> {
        let mut packet = Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            packet.set_stream(self.out_index);
            packet.rescale_ts(enc_tb, self.out_tb);
            packet.write_interleaved(octx).map_err(ff("writing an audio packet"))?;
        }
        Ok(())
    }

    /// Drain decoder, filter and encoder at the end of the input or window.
    pub(super) fn finish(&mut self, octx: &mut Output) -> Result<()> {
        if self.decoder.send_eof().is_ok() {
            self.drain_decoder(octx)?;
        }
        if let Some(mut src) = self.graph.as_mut().and_then(|g| g.get("in")) {
            src.source().flush().map_err(ff("flushing the audio filter"))?;
        }
        self.drain_graph(octx)?;
        self.encoder.send_eof().map_err(ff("flushing the audio encoder"))?;
        let enc_tb = Rational(1, i32::try_from(self.encoder.rate()).unwrap_or(48_000));
        self.drain_encoder(octx, enc_tb)
    }
}
