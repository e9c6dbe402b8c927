//! Video: frame-accurate cuts (`so`/`eo`/`du`), re-encoding to MP4 (H.264 + AAC) or WebM
//! (VP9 + Opus), and still-frame thumbnails, all through the FFmpeg libraries — which run in a
//! separate process, `xformd-ffmpeg` (`src/bin/xformd-ffmpeg/`), never in this one.
//!
//! Why a process of its own: FFmpeg's demuxers and decoders are the largest body of C that
//! parses untrusted input here, and a crash or a hang in them now ends one helper process, not
//! the daemon (the daemon kills the helper when a request is cancelled or times out); and the
//! ~160 shared libraries FFmpeg links (codecs, X11, GnuTLS, …) are no longer mapped by every
//! `xformd` process: start-up went from ~40 ms and 45 MiB to a few ms and 6 MiB, which is what
//! a one-shot `xformd render` of an image pays (docs/benchmarks.md, single process).
//!
//! Owns: [`VideoBackend`] and its implementation [`ProcessBackend`] (the helper process), the
//! request type [`CutSpec`], the source description [`VideoInfo`], the trim-window rules of
//! the spec §9.1 ([`resolve_window`]), the module error [`VideoError`], the helper's wire
//! format ([`wire`]), and the async boundary [`run_blocking`] (blocking thread, deadline,
//! concurrency permit, cancellation).
//!
//! May import in-crate: `job`, `limits`, `error`, and `media` for the thumbnail [`Frame`]
//! (the media row of the design's dependency table). Outside: never ffmpeg-next (only the
//! helper binary links it); tokio only in `blocking` ([`run_blocking`]).
//! Must not import `exec`, `url`, `service`.
//!
//! # Layout
//!
//! * `error`: [`VideoError`], whose fault each failure is, and its mapping to [`Error`].
//! * `window`: [`resolve_window`], the pure §9.1 combination rules.
//! * `geometry`: pure output-size arithmetic (`w`/`h`/`c`/`cm`/`rt`, even sizes) and the
//!   filter chain text it becomes.
//! * `probe`: FFmpeg's stream facts → [`VideoInfo`], pure so it is tested from recorded values.
//! * `blocking`: [`run_blocking`], the only file that touches tokio.
//! * Layers (`l-video`, `l-subtitles`): `overlay` ([`OverlaySpec`] and the composing graph
//!   text), `subtitle` (SRT/WebVTT → [`Cue`]s), `ass` (cues → the ASS script libass renders),
//!   `font` (a subtitles font file → [`SubtitleFont`], its family name read with ttf-parser),
//!   all pure.
//! * `wire`: what one helper call sends and answers; `process`: [`ProcessBackend`], which
//!   finds the helper, runs one call per process and kills it on cancellation.
//! * The FFmpeg side lives in the helper binary: open and probe, cut (copy or re-encode),
//!   layers, thumbnails.

pub mod ass;
mod blocking;
pub mod error;
mod font;
pub mod geometry;
pub mod overlay;
pub mod probe;
mod process;
mod subtitle;
mod window;
pub mod wire;

use std::path::Path;
use std::sync::atomic::AtomicBool;

pub use self::ass::SubtitleSpec;
pub use self::blocking::run_blocking;
pub use self::error::VideoError;
pub use self::font::{SubtitleFont, MAX_FONT_BYTES};
pub(crate) use self::geometry::{filter_chain, plan_geometry};
pub use self::overlay::OverlaySpec;
pub use self::process::{helper_path, ProcessBackend, HELPER, HELPER_ENV};
pub use self::subtitle::{parse_subtitles, Cue, Span, MAX_SUBTITLE_BYTES};
pub use self::window::{check_offsets, check_thumbnail_time, resolve_window};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::media::Frame;

/// What FFmpeg reports about a source video, read from the container without decoding.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct VideoInfo {
    /// Container duration in seconds (the longest stream).
    pub duration_secs: f64,
    /// Timestamp of the container's first packet in seconds (MPEG-PS usually starts at 0.5).
    /// `so`, `eo` and thumbnail times count from here, as the FFmpeg CLI's `-ss` does.
    pub start_secs: f64,
    /// Coded width in pixels, before [`VideoInfo::rotation`] is applied.
    pub width: u32,
    /// Coded height in pixels, before [`VideoInfo::rotation`] is applied.
    pub height: u32,
    /// Clockwise rotation in degrees (0, 90, 180 or 270) that the container's display matrix
    /// asks a player to apply; cuts and thumbnails apply it, as the FFmpeg CLI does.
    pub rotation: i32,
    /// FFmpeg's short name of the video codec, e.g. `h264`.
    pub video_codec: String,
    /// The audio stream that a cut would keep, if any.
    pub audio: Option<AudioInfo>,
    /// FFmpeg's short name of the container format, e.g. `mov,mp4,m4a,3gp,3g2,mj2`.
    pub container: String,
    /// Average frame rate in frames per second, when the container knows it.
    pub frame_rate: Option<f64>,
    /// True when the stream's base rate and average rate disagree by more than 1 %, the
    /// same hint FFmpeg uses; a heuristic, since proving constant rate needs a full scan.
    pub variable_frame_rate: bool,
}

impl VideoInfo {
    /// Width as displayed, after rotation.
    pub fn display_width(&self) -> u32 {
        if self.rotation % 180 == 0 {
            self.width
        } else {
            self.height
        }
    }

    /// Height as displayed, after rotation.
    pub fn display_height(&self) -> u32 {
        if self.rotation % 180 == 0 {
            self.height
        } else {
            self.width
        }
    }
}

/// The audio stream of a source.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AudioInfo {
    /// FFmpeg's short name of the audio codec, e.g. `aac`.
    pub codec: String,
    /// Number of channels (6 for 5.1).
    pub channels: u16,
    /// Samples per second.
    pub sample_rate: u32,
}

/// How `w` and `h` fit the source when both are given (spec §3, video subset of §9.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum VideoFit {
    /// `c-force`: exactly w×h, ratio ignored.
    Force,
    /// `c-at_max`: fit inside w×h keeping the ratio; never enlarges.
    AtMax,
    /// `c-at_least`: cover w×h keeping the ratio; nothing is cropped.
    AtLeast,
    /// `c-maintain_ratio` (default): cover w×h keeping the ratio, then cut w×h from the centre.
    #[default]
    MaintainRatio,
    /// `cm-pad_resize`: fit inside w×h keeping the ratio, centred on a w×h canvas of `bg`.
    PadResize {
        /// Canvas colour, RGB.
        background: [u8; 3],
    },
    /// `cm-extract`: cut w×h from the centre without scaling; black where the source is
    /// smaller than the request.
    Extract,
}

/// Output container and, with it, the codecs (spec §9.2 `f`, `ac`, `vc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum VideoFormat {
    /// MP4 with H.264 (libx264) video and AAC audio.
    #[default]
    Mp4,
    /// WebM with VP9 (libvpx-vp9) video and Opus (libopus) audio.
    Webm,
}

impl VideoFormat {
    /// The usual file extension, which is also FFmpeg's muxer name.
    pub fn extension(self) -> &'static str {
        match self {
            VideoFormat::Mp4 => "mp4",
            VideoFormat::Webm => "webm",
        }
    }
}

/// A cut request: trim window, geometry and output encoding, already parsed from the URL.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CutSpec {
    /// `so`: start offset in seconds.
    pub start: Option<f64>,
    /// `eo`: end offset in seconds.
    pub end: Option<f64>,
    /// `du`: duration in seconds, counted from `so`.
    pub duration: Option<f64>,
    /// `w`: output width in pixels.
    pub width: Option<u32>,
    /// `h`: output height in pixels.
    pub height: Option<u32>,
    /// `c` / `cm`: how `w` and `h` fit the source.
    pub fit: VideoFit,
    /// `f`: output container and codecs.
    pub format: VideoFormat,
    /// `q`: 1–100, default 50; mapped to a constant-quality factor and an audio bit rate.
    pub quality: u8,
    /// `rt`: clockwise rotation, 0, 90, 180, 270 (360 means 0).
    pub rotate: u32,
    /// False for `ac-none`: drop the audio.
    pub audio: bool,
    /// False for `vc-none`: audio only.
    pub video: bool,
    /// `l-video` layers drawn over the picture, in URL order.
    pub overlays: Vec<OverlaySpec>,
    /// `l-subtitles`: cues burned in over everything else.
    pub subtitles: Option<SubtitleSpec>,
}

impl Default for CutSpec {
    fn default() -> Self {
        CutSpec {
            start: None,
            end: None,
            duration: None,
            width: None,
            height: None,
            fit: VideoFit::default(),
            format: VideoFormat::default(),
            quality: 50,
            rotate: 0,
            audio: true,
            video: true,
            overlays: Vec::new(),
            subtitles: None,
        }
    }
}

impl CutSpec {
    /// Check the parameters that do not depend on the source; each failure names its key.
    pub fn validate(&self) -> Result<()> {
        if !(1..=100).contains(&self.quality) {
            return Err(Error::invalid("q", self.quality.to_string(), "must be 1 to 100"));
        }
        if !matches!(self.rotate, 0 | 90 | 180 | 270 | 360) {
            return Err(Error::invalid("rt", self.rotate.to_string(), "must be 0, 90, 180, 270"));
        }
        if self.width == Some(0) {
            return Err(Error::invalid("w", "0", "must be at least 1"));
        }
        if self.height == Some(0) {
            return Err(Error::invalid("h", "0", "must be at least 1"));
        }
        if !self.audio && !self.video {
            return Err(Error::invalid("vc", "none", "with ac-none nothing would be left"));
        }
        Ok(())
    }

    /// True when the request changes pixels, so a stream copy cannot satisfy it.
    pub fn changes_pixels(&self) -> bool {
        self.width.is_some()
            || self.height.is_some()
            || !self.rotate.is_multiple_of(360)
            || !self.overlays.is_empty()
            || self.subtitles.is_some()
    }
}

/// How a cut was produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CutMode {
    /// Packets were copied: `so` fell on a keyframe and nothing needed re-encoding.
    Copied,
    /// Frames were decoded, trimmed, filtered and encoded again.
    Reencoded,
}

/// What a finished cut produced.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CutReport {
    /// Copy or re-encode.
    pub mode: CutMode,
    /// Length of the trim window that was cut, in seconds.
    pub duration_secs: f64,
    /// Output width (0 for audio only).
    pub width: u32,
    /// Output height (0 for audio only).
    pub height: u32,
    /// Wall time of the cut in milliseconds.
    pub ms: u64,
}

/// The video operations the pipeline needs; blocking, so callers run them through
/// [`run_blocking`]. Implementations poll `cancel` between packets and stop early when set.
pub trait VideoBackend: Send + Sync {
    /// Describe `input` without decoding it.
    fn probe(&self, input: &Path) -> Result<VideoInfo>;

    /// Cut `input` as `spec` says and write the result to `output`, atomically: on any error
    /// or cancellation `output` is left untouched and no partial file remains.
    fn cut(&self, input: &Path, spec: &CutSpec, output: &Path, cancel: &AtomicBool) -> Result<CutReport>;

    /// The first frame whose time is at or after `at_secs`, upright, as RGBA.
    fn thumbnail(&self, input: &Path, at_secs: f64, limits: &Limits) -> Result<Frame>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_validation_names_the_key() {
        let bad = |s: CutSpec| s.validate().unwrap_err().key().map(str::to_owned);
        assert_eq!(bad(CutSpec { quality: 0, ..CutSpec::default() }).as_deref(), Some("q"));
        assert_eq!(bad(CutSpec { rotate: 45, ..CutSpec::default() }).as_deref(), Some("rt"));
        assert_eq!(bad(CutSpec { width: Some(0), ..CutSpec::default() }).as_deref(), Some("w"));
        let none = CutSpec { audio: false, video: false, ..CutSpec::default() };
        assert_eq!(bad(none).as_deref(), Some("vc"));
        assert!(CutSpec::default().validate().is_ok());
    }

    #[test]
    fn display_size_follows_rotation() {
        let info = VideoInfo {
            duration_secs: 1.0,
            start_secs: 0.0,
            width: 320,
            height: 240,
            rotation: 90,
            video_codec: "h264".into(),
            audio: None,
            container: "mp4".into(),
            frame_rate: Some(25.0),
            variable_frame_rate: false,
        };
        assert_eq!((info.display_width(), info.display_height()), (240, 320));
    }
}
