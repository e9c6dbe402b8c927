//! The FFmpeg side of an `l-video` layer: its file opened under the same demuxer and
//! protocol whitelist as a source (never FFmpeg's `movie` filter, which would open any
//! format or URL a crafted file names), checked against the limits before a frame is
//! decoded, and its frames fed to the overlay graph just ahead of the base frames.
//!
//! Owns: `LayerFeed`. An FFmpeg-side file: may import ffmpeg-next, `error`, `limits` and the
//! parent's types.
//!
//! # Timing
//! A layer frame at `s` seconds of the layer's own time (from its first packet) is shown at
//! output time `show.0 + (s − trim.0)`; frames before `trim.0` are decoded and dropped (the
//! last of them stands in when no frame starts exactly at `trim.0`), and the feed ends at
//! `trim.1` or when the show window closes. Before the base frame at output time `t` enters
//! the graph, the feed pushes layer frames until one lies after `t` (or it has none left),
//! which is what the overlay filter needs to pick the layer frame for `t`.

use ffmpeg::{codec, decoder, filter, frame, Packet, Rational};
use ffmpeg_next as ffmpeg;

use super::encode::auto_threads;
use super::overlay::OverlaySpec;
use super::source::{ff, secs, seek_before, ticks, Source};
use super::VideoError;
use crate::error::Result;
use crate::limits::Limits;

/// One layer's decoder and its position in the feed.
pub(super) struct LayerFeed {
    /// Buffer source name in the graph (`l0`, `l1`, …).
    pub(super) name: String,
    src: Source,
    decoder: decoder::Video,
    pub(super) tb: Rational,
    trim: (f64, f64),
    show: (f64, f64),
    /// The next frame to push, already retimed to output time (in `tb`).
    next: Option<frame::Video>,
    /// The last frame before `trim.0`, shown first when no frame starts exactly there.
    before: Option<frame::Video>,
    /// A decoded frame held back while its stand-in goes first, with its layer time.
    queued: Option<(frame::Video, f64)>,
    demuxed_all: bool,
    closed: bool,
}

impl LayerFeed {
    /// Open the layer of `spec` and decode its first shown frame.
    pub(super) fn open(index: usize, spec: &OverlaySpec, limits: &Limits) -> Result<LayerFeed> {
        let mut src = Source::open(&spec.path)?;
        src.check_limits(limits)?;
        let ist = src.ictx.stream(src.video).ok_or_else(|| VideoError::NotVideo("video layer has no video".into()))?;
        let tb = ist.time_base();
        let mut ctx = codec::context::Context::from_parameters(ist.parameters())
            .map_err(|e| VideoError::Undecodable(format!("video layer parameters: {e}")))?;
        ctx.set_threading(auto_threads());
        let mut dec = ctx.decoder();
        dec.set_packet_time_base(tb);
        let decoder = dec.video().map_err(|e| VideoError::Undecodable(format!("opening the layer decoder: {e}")))?;
        if spec.trim.0 > 0.0 {
            seek_before(&mut src.ictx, src.video, tb, src.info.start_secs + spec.trim.0)?;
        }
        let mut feed = LayerFeed {
            name: format!("l{index}"),
            src,
            decoder,
            tb,
            trim: spec.trim,
            show: spec.show,
            next: None,
            before: None,
            queued: None,
            demuxed_all: false,
            closed: false,
        };
        feed.next = feed.decode_next()?;
        if feed.next.is_none() {
            return Err(VideoError::Undecodable("the video layer has no frame to show".into()).into());
        }
        Ok(feed)
    }

    /// The first frame, which the graph's buffer source is shaped after.
    pub(super) fn first(&self) -> Option<&frame::Video> {
        self.next.as_ref()
    }

    /// Push frames into the graph until one lies after output time `t` seconds.
    pub(super) fn feed_until(&mut self, graph: &mut filter::Graph, t: f64) -> Result<()> {
        while !self.closed {
            let Some(frame) = self.next.take() else {
                return self.close(graph);
            };
            let at = frame.pts().map_or(t, |p| secs(p, self.tb));
            if let Some(mut ctx) = graph.get(&self.name) {
                ctx.source().add(&frame).map_err(ff("feeding a layer frame"))?;
            }
            self.next = self.decode_next()?;
            if at > t {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Signal the end of this layer to the graph (once).
    pub(super) fn close(&mut self, graph: &mut filter::Graph) -> Result<()> {
        if !self.closed {
            self.closed = true;
            if let Some(mut ctx) = graph.get(&self.name) {
                ctx.source().flush().map_err(ff("ending a layer"))?;
            }
        }
        Ok(())
    }

    /// The next frame inside the trim and show windows, retimed; `None` at the end.
    fn decode_next(&mut self) -> Result<Option<frame::Video>> {
        loop {
            let (frame, s) = match self.queued.take() {
                Some(q) => q,
                None => match self.receive()? {
                    Some(f) => f,
                    // The layer ended before any frame reached `trim.0`: the last one stands in.
                    None => return Ok(self.before.take().and_then(|b| self.retime(b, self.trim.0))),
                },
            };
            if s < self.trim.0 {
                self.before = Some(frame);
                continue;
            }
            if s >= self.trim.1 {
                return Ok(None);
            }
            // The frame on screen at `trim.0` starts the layer when none starts exactly there.
            if let Some(b) = self.before.take().filter(|_| s > self.trim.0) {
                self.queued = Some((frame, s));
                return Ok(self.retime(b, self.trim.0));
            }
            return Ok(self.retime(frame, s));
        }
    }

    /// Place a frame of layer time `s` on the output timeline; `None` past the show window.
    fn retime(&self, mut frame: frame::Video, s: f64) -> Option<frame::Video> {
        let out = self.show.0 + (s - self.trim.0);
        if out >= self.show.1 {
            return None;
        }
        frame.set_pts(Some(ticks(out, self.tb)));
        Some(frame)
    }

    /// The next decoded frame and its layer time, demuxing as needed; `None` at the end.
    fn receive(&mut self) -> Result<Option<(frame::Video, f64)>> {
        let origin = self.src.info.start_secs;
        loop {
            let mut frame = frame::Video::empty();
            if self.decoder.receive_frame(&mut frame).is_ok() {
                let s = frame.timestamp().map_or(self.trim.0, |ts| secs(ts, self.tb) - origin);
                return Ok(Some((frame, s)));
            }
            if self.demuxed_all {
                return Ok(None);
            }
            self.pump()?;
        }
    }

    /// Send the next packet of the layer's video stream to the decoder, or EOF.
    fn pump(&mut self) -> Result<()> {
        let mut packet = Packet::empty();
        loop {
            match packet.read(&mut self.src.ictx) {
                Ok(()) if packet.stream() == self.src.video => {
                    // A packet the decoder rejects is skipped, as for the base.
                    let _ = self.decoder.send_packet(&packet);
                    return Ok(());
                }
                Ok(()) | Err(ffmpeg::Error::InvalidData) => {}
                Err(_) => {
                    self.demuxed_all = true;
                    let _ = self.decoder.send_eof();
                    return Ok(());
                }
            }
        }
    }
}
