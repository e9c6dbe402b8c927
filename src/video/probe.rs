//! Turning the facts FFmpeg reports about a container and its streams into [`VideoInfo`].
//!
//! Owns: [`RawProbe`] / [`RawStream`] (plain copies of FFmpeg's fields, filled by `cut`),
//! [`video_info`], and the display-matrix arithmetic ([`rotation_from_matrix`]). Pure: no
//! FFmpeg types, so the parsing is unit-tested from values recorded with ffprobe 5.1.
//! Imports only the parent's types and `error`.

use super::{AudioInfo, VideoError, VideoInfo};

/// Kind of a stream, as far as a cut cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// Moving pictures.
    Video,
    /// A still picture attached to the file (cover art); never treated as video.
    AttachedPicture,
    /// Sound.
    Audio,
    /// Subtitles, data, anything else: ignored.
    Other,
}

/// The fields of one `AVStream` / `AVCodecParameters` that a cut needs.
#[derive(Debug, Clone, PartialEq)]
pub struct RawStream {
    /// Video, audio or other.
    pub kind: StreamKind,
    /// `avcodec_get_name(codec_id)`.
    pub codec: String,
    /// Coded width (video).
    pub width: u32,
    /// Coded height (video).
    pub height: u32,
    /// Channel count (audio).
    pub channels: u16,
    /// Samples per second (audio).
    pub sample_rate: u32,
    /// Stream duration in seconds, when the container knows it.
    pub duration_secs: Option<f64>,
    /// `avg_frame_rate` as (num, den); (0, 0) when unknown.
    pub avg_frame_rate: (i32, i32),
    /// `r_frame_rate` as (num, den); (0, 0) when unknown.
    pub base_frame_rate: (i32, i32),
    /// `AV_PKT_DATA_DISPLAYMATRIX` stream side data, if any.
    pub display_matrix: Option<[i32; 9]>,
}

/// The container-level facts plus every stream, in stream order.
#[derive(Debug, Clone, PartialEq)]
pub struct RawProbe {
    /// `AVInputFormat.name`, e.g. `mov,mp4,m4a,3gp,3g2,mj2`.
    pub container: String,
    /// `AVFormatContext.duration` in seconds, when known.
    pub duration_secs: Option<f64>,
    /// `AVFormatContext.start_time` in seconds, when known.
    pub start_secs: Option<f64>,
    /// Every stream, in stream order.
    pub streams: Vec<RawStream>,
    /// Index of the stream FFmpeg picks as best video (`av_find_best_stream`).
    pub best_video: Option<usize>,
    /// Index of the stream FFmpeg picks as best audio.
    pub best_audio: Option<usize>,
}

/// Image "demuxers" that open a single still picture as a one-frame video; refused as
/// non-video so that a PNG renamed `.mp4` gets 422, not a one-frame clip.
fn is_still_image_demuxer(name: &str) -> bool {
    name.ends_with("_pipe") || name == "image2" || name == "gif"
}

/// The index of the stream of `kind` a cut uses: FFmpeg's `best` pick when it has that kind
/// (it is not cover art, say), else the first stream of that kind.
pub fn pick(raw: &RawProbe, best: Option<usize>, kind: StreamKind) -> Option<usize> {
    best.filter(|&i| raw.streams.get(i).is_some_and(|s| s.kind == kind))
        .or_else(|| raw.streams.iter().position(|s| s.kind == kind))
}

/// Build [`VideoInfo`] from a probe.
///
/// # Errors
/// [`VideoError::NotVideo`] for audio-only files, still images and files whose only picture
/// is cover art; [`VideoError::Undecodable`] for a video stream without size or duration.
pub fn video_info(raw: &RawProbe) -> Result<VideoInfo, VideoError> {
    if is_still_image_demuxer(&raw.container) {
        return Err(VideoError::NotVideo(format!("'{}' is a still-image format", raw.container)));
    }
    let video = pick(raw, raw.best_video, StreamKind::Video)
        .and_then(|i| raw.streams.get(i))
        .ok_or_else(|| VideoError::NotVideo("no video stream".to_owned()))?;
    if video.width == 0 || video.height == 0 {
        return Err(VideoError::Undecodable("video stream has no frame size".to_owned()));
    }
    let audio = pick(raw, raw.best_audio, StreamKind::Audio).and_then(|i| raw.streams.get(i)).map(|a| AudioInfo {
        codec: a.codec.clone(),
        channels: a.channels,
        sample_rate: a.sample_rate,
    });
    let duration_secs = raw
        .duration_secs
        .filter(|d| d.is_finite() && *d > 0.0)
        .or_else(|| raw.streams.iter().filter_map(|s| s.duration_secs).reduce(f64::max))
        .filter(|d| d.is_finite() && *d > 0.0)
        // A single-frame still in a video container (AVIF through the mov demuxer) has no
        // duration: it has one frame at 0, which thumbnails can read; cuts then refuse `so`.
        .unwrap_or(0.0);
    let rate = |(n, d): (i32, i32)| (n > 0 && d > 0).then(|| f64::from(n) / f64::from(d));
    let frame_rate = rate(video.avg_frame_rate);
    let variable_frame_rate = match (frame_rate, rate(video.base_frame_rate)) {
        (Some(avg), Some(base)) => (avg - base).abs() / avg > 0.01,
        _ => false,
    };
    Ok(VideoInfo {
        duration_secs,
        start_secs: raw.start_secs.filter(|s| s.is_finite()).unwrap_or(0.0),
        width: video.width,
        height: video.height,
        rotation: video.display_matrix.map_or(0, |m| rotation_from_matrix(&m)),
        video_codec: video.codec.clone(),
        audio,
        container: raw.container.clone(),
        frame_rate,
        variable_frame_rate,
    })
}

/// Clockwise degrees (0, 90, 180, 270) a player turns a picture carrying display matrix `m`.
///
/// This is the FFmpeg CLI's `get_rotation`: `-av_display_rotation_get(m)` rounded and
/// wrapped into [0, 360), then snapped to the nearest right angle (odd angles do not occur
/// in camera files, and the CLI also only handles right angles).
pub fn rotation_from_matrix(m: &[i32; 9]) -> i32 {
    // 16.16 fixed point, as in libavutil/display.c.
    let fp = |v: i32| f64::from(v) / 65536.0;
    let scale0 = fp(m[0]).hypot(fp(m[3]));
    let scale1 = fp(m[1]).hypot(fp(m[4]));
    if scale0 == 0.0 || scale1 == 0.0 {
        return 0;
    }
    // av_display_rotation_get is the counter-clockwise angle; the CLI negates it.
    let ccw = -(fp(m[1]) / scale1).atan2(fp(m[0]) / scale0).to_degrees();
    let clockwise = (-ccw).rem_euclid(360.0);
    #[expect(clippy::cast_possible_truncation, reason = "a value in 0..=4 after rounding")]
    let quarter = (clockwise / 90.0).round() as i32;
    match quarter.rem_euclid(4) {
        1 => 90,
        2 => 180,
        3 => 270,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded with ffprobe 5.1.9 from ../shared/media/video/VID_20191220_170832.mp4.
    fn phone_clip() -> RawProbe {
        RawProbe {
            container: "mov,mp4,m4a,3gp,3g2,mj2".into(),
            duration_secs: Some(1.6),
            start_secs: Some(0.0),
            streams: vec![
                RawStream {
                    kind: StreamKind::Video,
                    codec: "h264".into(),
                    width: 1920,
                    height: 1080,
                    channels: 0,
                    sample_rate: 0,
                    duration_secs: Some(1.517444),
                    avg_frame_rate: (369_000, 13_657),
                    base_frame_rate: (90_000, 2_999),
                    display_matrix: Some([65536, 0, 0, 0, 65536, 0, 0, 0, 1 << 30]),
                },
                RawStream {
                    kind: StreamKind::Audio,
                    codec: "aac".into(),
                    width: 0,
                    height: 0,
                    channels: 2,
                    sample_rate: 48_000,
                    duration_secs: Some(1.599979),
                    avg_frame_rate: (0, 0),
                    base_frame_rate: (0, 0),
                    display_matrix: None,
                },
            ],
            best_video: Some(0),
            best_audio: Some(1),
        }
    }

    #[test]
    fn phone_clip_is_variable_rate_stereo() {
        let info = video_info(&phone_clip()).unwrap();
        assert_eq!((info.width, info.height, info.rotation), (1920, 1080, 0));
        assert_eq!(info.duration_secs, 1.6);
        assert!(info.variable_frame_rate, "r 30.01 vs avg 27.02 fps");
        let audio = info.audio.unwrap();
        assert_eq!((audio.codec.as_str(), audio.channels, audio.sample_rate), ("aac", 2, 48_000));
    }

    #[test]
    fn constant_rate_and_missing_container_duration() {
        // bigbuckbunny.mp4: 25/1 both ways, 5.1 audio.
        let mut raw = phone_clip();
        raw.duration_secs = None;
        raw.streams[0].avg_frame_rate = (25, 1);
        raw.streams[0].base_frame_rate = (25, 1);
        raw.streams[1].channels = 6;
        let info = video_info(&raw).unwrap();
        assert!(!info.variable_frame_rate);
        assert_eq!(info.frame_rate, Some(25.0));
        assert_eq!(info.duration_secs, 1.599979, "longest stream stands in");
    }

    #[test]
    fn not_video() {
        let mut raw = phone_clip();
        raw.streams[0].kind = StreamKind::AttachedPicture;
        assert!(matches!(video_info(&raw), Err(VideoError::NotVideo(_))));
        let mut raw = phone_clip();
        raw.container = "png_pipe".into();
        assert!(matches!(video_info(&raw), Err(VideoError::NotVideo(_))));
        let mut raw = phone_clip();
        raw.streams.truncate(1);
        raw.streams[0].width = 0;
        assert!(matches!(video_info(&raw), Err(VideoError::Undecodable(_))));
    }

    #[test]
    fn display_matrices() {
        // Clockwise, as the CLI's autorotate turns the picture. ffprobe prints the opposite
        // (counter-clockwise) angle: the last matrix, which `-metadata:s:v rotate=90` writes
        // in FFmpeg 5.1, is its "rotation=90" and our 270.
        let one = 65536;
        assert_eq!(rotation_from_matrix(&[one, 0, 0, 0, one, 0, 0, 0, 1 << 30]), 0);
        assert_eq!(rotation_from_matrix(&[0, one, 0, -one, 0, 0, 0, 0, 1 << 30]), 90);
        assert_eq!(rotation_from_matrix(&[-one, 0, 0, 0, -one, 0, 0, 0, 1 << 30]), 180);
        assert_eq!(rotation_from_matrix(&[0, -one, 0, one, 0, 0, 0, 0, 1 << 30]), 270);
        assert_eq!(rotation_from_matrix(&[0; 9]), 0);
    }
}
