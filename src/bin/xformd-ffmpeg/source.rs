//! The FFmpeg side of reading a source: process-wide initialisation, opening and probing
//! (FFmpeg's structures copied into the pure `probe` types), keyframe-safe seeking, and the
//! time conversions every FFmpeg-side file shares.
//!
//! Owns: `init`, `ff`, `Source`, `probe`, `seek_before`, `ticks`/`micros`/`secs`. An
//! FFmpeg-side file (with `cut`, `copy`, `encode`, `picture`, `audio`, `thumbnail`): may import
//! ffmpeg-next, and in-crate `error`, `limits` and the parent's types. The `unsafe` blocks read
//! plain fields FFmpeg exposes no safe accessor for, each with its reason.

use std::path::Path;
use std::sync::OnceLock;

use ffmpeg::format::context::Input;
use ffmpeg::{codec, encoder, format, media, Packet, Rational};
use ffmpeg_next as ffmpeg;

use super::probe::{pick, video_info, RawProbe, RawStream, StreamKind};
use super::{VideoError, VideoInfo};
use crate::error::{Error, Result};
use crate::limits::Limits;

/// Encoders a cut may need; checked once so a missing one fails at startup, not per request.
const ENCODERS: [&str; 4] = ["libx264", "aac", "libvpx-vp9", "libopus"];

/// Initialise FFmpeg once per process and check the encoders.
pub(super) fn init() -> Result<()> {
    static INIT: OnceLock<Result<(), VideoError>> = OnceLock::new();
    let outcome = INIT.get_or_init(|| {
        ffmpeg::init().map_err(|e| VideoError::Ffmpeg { op: "initialising", message: e.to_string() })?;
        // Corrupt uploads would otherwise print decoder complaints per request on stderr;
        // every failure that matters is reported through our errors instead.
        ffmpeg::log::set_level(ffmpeg::log::Level::Fatal);
        match ENCODERS.into_iter().find(|name| encoder::find_by_name(name).is_none()) {
            Some(missing) => Err(VideoError::MissingEncoder(missing)),
            None => Ok(()),
        }
    });
    match outcome {
        Ok(()) => Ok(()),
        Err(e) => Err(Error::new(e.kind(), e.to_string())),
    }
}

/// Wrap an FFmpeg error that happened while doing `op` to a valid source (server's fault).
pub(super) fn ff(op: &'static str) -> impl Fn(ffmpeg::Error) -> Error {
    move |e| VideoError::Ffmpeg { op, message: e.to_string() }.into()
}

/// Seconds → FFmpeg's microsecond `AV_TIME_BASE` ticks.
#[expect(clippy::cast_possible_truncation, reason = "window times are ≤ a few hours")]
pub(super) fn micros(secs: f64) -> i64 {
    (secs * 1e6).round() as i64
}

/// Seconds → ticks of `tb`, rounded to nearest.
#[expect(clippy::cast_possible_truncation, reason = "window times are ≤ a few hours")]
pub(super) fn ticks(secs: f64, tb: Rational) -> i64 {
    (secs * f64::from(tb.denominator()) / f64::from(tb.numerator().max(1))).round() as i64
}

/// Ticks of `tb` → seconds.
pub(super) fn secs(ts: i64, tb: Rational) -> f64 {
    // Timestamps stay far below 2^52, where i64 → f64 is exact; dividing last keeps
    // 5312000 µs at exactly 5.312 s.
    ts as f64 * f64::from(tb.numerator()) / f64::from(tb.denominator().max(1))
}

/// An opened source: the demuxer, what it holds, and the streams a cut uses.
pub(super) struct Source {
    pub(super) ictx: Input,
    pub(super) info: VideoInfo,
    pub(super) video: usize,
    pub(super) audio: Option<usize>,
}

impl Source {
    /// Open and probe `path`; a file FFmpeg cannot read or that holds no video is the
    /// client's fault (422), a file that is not there is ours (500).
    pub(super) fn open(path: &Path) -> Result<Source> {
        let ictx = open_input(path)?;
        let raw = raw_probe(&ictx);
        let info = video_info(&raw)?;
        let video = pick(&raw, raw.best_video, StreamKind::Video)
            .ok_or_else(|| VideoError::NotVideo("no video stream".into()))?;
        let audio = pick(&raw, raw.best_audio, StreamKind::Audio);
        Ok(Source { ictx, info, video, audio })
    }

    /// Refuse sources over the configured duration and pixel limits.
    pub(super) fn check_limits(&self, limits: &Limits) -> Result<()> {
        if self.info.duration_secs > f64::from(limits.max_video_secs) {
            let msg =
                format!("video lasts {:.1} s, over the limit of {} s", self.info.duration_secs, limits.max_video_secs);
            return Err(VideoError::TooLarge(msg).into());
        }
        limits.check_input(self.info.width, self.info.height)
    }

    pub(super) fn time_base(&self, index: usize) -> Rational {
        self.ictx.stream(index).map_or(Rational(1, 90_000), |s| s.time_base())
    }
}

/// Demuxers a source may be read with: self-contained container formats. Left out on purpose:
/// those whose input names other resources (`hls`, `dash`, `concat`, `image2` patterns,
/// `tee`, `data`, `ffmetadata` …), which would make FFmpeg read files outside the media root
/// or fetch URLs past the origin's SSRF checks when a playlist is uploaded under a video name.
/// FFmpeg matches this list against each comma-separated name of the probed demuxer.
const DEMUXERS: &str = "mov,matroska,mpeg,mpegts,avi,flv,ogg,asf,ivf,h264,hevc,m4v,mpegvideo,nut,gif,yuv4mpegpipe";

/// Open `path` for reading, with FFmpeg restricted to the local file it names (no network
/// or other protocols, no nested protocols) and to the [`DEMUXERS`]. A demuxer outside the
/// list fails the open with `EINVAL`, which [`open_error`] reports as undecodable (422).
pub(super) fn open_input(path: &Path) -> Result<Input> {
    let mut options = ffmpeg::Dictionary::new();
    options.set("protocol_whitelist", "file");
    options.set("format_whitelist", DEMUXERS);
    format::input_with_dictionary(&path, options).map_err(open_error)
}

fn open_error(e: ffmpeg::Error) -> Error {
    use ffmpeg::error::{EACCES, EISDIR, ENOENT};
    match e {
        ffmpeg::Error::Other { errno } if [ENOENT, EACCES, EISDIR].contains(&errno) => {
            VideoError::Io { op: "opening the source", source: std::io::Error::from_raw_os_error(errno) }.into()
        }
        // Not the path: it is absolute (media folder, or a temporary file named after the
        // PID) and this message reaches the client; the request already names the source.
        other => VideoError::Undecodable(other.to_string()).into(),
    }
}

/// Copy out the stream facts `probe` needs.
fn raw_probe(ictx: &Input) -> RawProbe {
    let streams = ictx
        .streams()
        .map(|st| {
            let par = st.parameters();
            // SAFETY: `par` borrows the stream's live AVCodecParameters; these are plain
            // integer fields that ffmpeg-next has no getter for.
            let (width, height, channels, sample_rate) = unsafe {
                let p = &*par.as_ptr();
                (p.width, p.height, p.channels, p.sample_rate)
            };
            let kind = match par.medium() {
                media::Type::Video if st.disposition().contains(format::stream::Disposition::ATTACHED_PIC) => {
                    StreamKind::AttachedPicture
                }
                media::Type::Video => StreamKind::Video,
                media::Type::Audio => StreamKind::Audio,
                _ => StreamKind::Other,
            };
            let display_matrix = st
                .side_data()
                .find(|sd| sd.kind() == codec::packet::side_data::Type::DisplayMatrix)
                .and_then(|sd| matrix(sd.data()));
            let rate = |r: Rational| (r.numerator(), r.denominator());
            RawStream {
                kind,
                codec: par.id().name().to_owned(),
                width: u32::try_from(width).unwrap_or(0),
                height: u32::try_from(height).unwrap_or(0),
                channels: u16::try_from(channels).unwrap_or(0),
                sample_rate: u32::try_from(sample_rate).unwrap_or(0),
                duration_secs: (st.duration() > 0).then(|| secs(st.duration(), st.time_base())),
                avg_frame_rate: rate(st.avg_frame_rate()),
                base_frame_rate: rate(st.rate()),
                display_matrix,
            }
        })
        .collect();
    let duration = ictx.duration();
    // SAFETY: a plain field of the live format context, which ffmpeg-next does not expose.
    let start = unsafe { (*ictx.as_ptr()).start_time };
    let micro = Rational(1, 1_000_000);
    RawProbe {
        container: ictx.format().name().to_owned(),
        duration_secs: (duration > 0).then(|| secs(duration, micro)),
        start_secs: (start != ffmpeg::ffi::AV_NOPTS_VALUE).then(|| secs(start, micro)),
        streams,
        best_video: ictx.streams().best(media::Type::Video).map(|s| s.index()),
        best_audio: ictx.streams().best(media::Type::Audio).map(|s| s.index()),
    }
}

/// Nine native-endian i32s, as FFmpeg stores a display matrix.
fn matrix(bytes: &[u8]) -> Option<[i32; 9]> {
    let mut m = [0i32; 9];
    for (v, chunk) in m.iter_mut().zip(bytes.get(..36)?.chunks_exact(4)) {
        *v = i32::from_ne_bytes(chunk.try_into().ok()?);
    }
    Some(m)
}

/// Probe `path` into [`VideoInfo`].
pub(super) fn probe(path: &Path) -> Result<VideoInfo> {
    init()?;
    Ok(Source::open(path)?.info)
}

/// Seek so that decoding can start at a keyframe at or before `t` seconds, and return the
/// timestamp (in the video stream's time base) of that keyframe.
///
/// `avformat_seek_file` asks for a keyframe ≤ t, but demuxers without an index (MPEG-PS,
/// raw streams) only find a *timestamp* ≤ t, which may be mid-GOP. So we read packets up to
/// the first video keyframe; if it lies after `t` we seek further back, doubling the margin,
/// and finally fall back to the start of the file.
pub(super) fn seek_before(ictx: &mut Input, video: usize, tb: Rational, t: f64) -> Result<Option<i64>> {
    let want = ticks(t, tb);
    let mut back = 0.0;
    loop {
        let target = (t - back).max(0.0);
        let ts = micros(target);
        if ictx.seek(ts, ..ts).is_err() {
            // Unseekable: on the first try we are still at the start of the freshly opened
            // file, which decodes fine (frames before `t` are dropped). Later tries already
            // moved; going back to 0 is the best left.
            if back > 0.0 {
                ictx.seek(0, ..0).ok();
            }
            return Ok(None);
        }
        let key = first_video_key(ictx, video)?;
        if key.is_none_or(|k| k <= want) || target <= 0.0 {
            // Rewind over the packets the probe read.
            ictx.seek(ts, ..ts).ok();
            return Ok(key);
        }
        back = if back == 0.0 { 1.0 } else { back * 2.0 };
    }
}

/// The pts of the first video keyframe from the current position, reading at most a few
/// thousand packets (a GOP longer than that is treated as having no keyframe in reach).
fn first_video_key(ictx: &mut Input, video: usize) -> Result<Option<i64>> {
    let mut packet = Packet::empty();
    for _ in 0..5000 {
        match packet.read(ictx) {
            Ok(()) if packet.stream() == video && packet.is_key() => return Ok(packet.pts().or(packet.dts())),
            Ok(()) | Err(ffmpeg::Error::InvalidData) => {}
            Err(_) => return Ok(None),
        }
    }
    Ok(None)
}
