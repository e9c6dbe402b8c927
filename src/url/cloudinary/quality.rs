//! Quality `q_` ⇒ `q-` (spec §4.2 row 8, §4.5).
//!
//! Owns: the integer range 1–100 and the fixed `q_auto[:level]` table, whose numbers depend
//! on the media kind (image or video), and how that kind is decided (AMB-7). Imports only
//! sibling modules.

use super::decimal::uint_at_most;
use super::sink::Sink;
use super::DropReason;

/// Media kind of the requested asset; decides the `q_auto` numbers (spec §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Media {
    /// Image column of the `q_auto` table.
    Image,
    /// Video column of the `q_auto` table.
    Video,
}

/// `video` or `image` from the prefix; `raw` or no prefix: from the public-ID extension,
/// case-insensitive (AMB-7).
pub(super) fn media_kind(prefix: Option<(&str, &str)>, public_id: &str) -> Media {
    match prefix {
        Some(("video", _)) => return Media::Video,
        Some(("image", _)) => return Media::Image,
        _ => {}
    }
    let last = public_id.rsplit('/').next().unwrap_or(public_id);
    let Some((_, ext)) = last.rsplit_once('.') else {
        return Media::Image;
    };
    const VIDEO: [&str; 10] = ["mp4", "webm", "mov", "mkv", "avi", "m4v", "ogv", "flv", "m3u8", "mpd"];
    if VIDEO.iter().any(|v| v.eq_ignore_ascii_case(ext)) {
        Media::Video
    } else {
        Media::Image
    }
}

/// Translates one `q_` value for an asset of kind `media`.
pub(super) fn quality(value: &str, media: Media, sink: &mut Sink) -> Result<(), DropReason> {
    if uint_at_most(value, 100).is_some_and(|q| q >= 1) {
        sink.put("q", value);
        return Ok(());
    }
    // (image, video) per level; plain `auto` is Cloudinary's default level, good.
    let (image, video) = match value {
        "auto" | "auto:good" => ("70", "50"),
        "auto:low" => ("50", "40"),
        "auto:eco" => ("60", "45"),
        "auto:best" => ("86", "60"),
        _ => return Err(DropReason::Invalid),
    };
    sink.put("q", if media == Media::Video { video } else { image });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(v: &str, media: Media) -> Result<String, DropReason> {
        let mut s = Sink::new();
        quality(v, media, &mut s)?;
        Ok(s.finish().0)
    }

    #[test]
    fn numbers() {
        assert_eq!(run("60", Media::Image).as_deref(), Ok("q-60"));
        assert_eq!(run("1", Media::Video).as_deref(), Ok("q-1"));
        assert_eq!(run("100", Media::Image).as_deref(), Ok("q-100"));
        for bad in ["0", "101", "80:420", "auto:sensitive", "jpegmini", "", "50.5", "AUTO"] {
            assert_eq!(run(bad, Media::Image), Err(DropReason::Invalid), "{bad}");
        }
    }

    #[test]
    fn media_kind_rules() {
        assert_eq!(media_kind(Some(("video", "upload")), "a.jpg"), Media::Video);
        assert_eq!(media_kind(Some(("image", "upload")), "a.mp4"), Media::Image);
        assert_eq!(media_kind(Some(("raw", "upload")), "clips/intro.MOV"), Media::Video);
        assert_eq!(media_kind(None, "a.mp4/b.jpg"), Media::Image);
        assert_eq!(media_kind(None, "x.m3u8"), Media::Video);
        assert_eq!(media_kind(None, "noext"), Media::Image);
        assert_eq!(media_kind(None, "mp4"), Media::Image);
    }

    #[test]
    fn auto_table() {
        let rows = [
            ("auto", "q-70", "q-50"),
            ("auto:low", "q-50", "q-40"),
            ("auto:eco", "q-60", "q-45"),
            ("auto:good", "q-70", "q-50"),
            ("auto:best", "q-86", "q-60"),
        ];
        for (v, image, video) in rows {
            assert_eq!(run(v, Media::Image).as_deref(), Ok(image), "{v}");
            assert_eq!(run(v, Media::Video).as_deref(), Ok(video), "{v}");
        }
    }

    fn e2e(input: &str) -> String {
        super::super::translate(input, &super::super::Options::default()).tr
    }

    #[test]
    fn media_kind_for_quality() {
        assert_eq!(e2e("/q_auto:best/clip.MP4"), "q-60");
        assert_eq!(e2e("/raw/upload/q_auto:best/clips/intro.mov"), "q-60");
        assert_eq!(e2e("/raw/upload/q_auto:best/doc.pdf"), "q-86");
        assert_eq!(e2e("/q_auto/a.mp4.jpg"), "q-70");
        assert_eq!(e2e("/image/upload/q_auto/a.mp4"), "q-70");
        assert_eq!(e2e("/video/upload/q_auto/a.jpg"), "q-50");
        assert_eq!(e2e("/q_auto/noext"), "q-70");
        assert_eq!(e2e("/q_auto/a.mp4?x.jpg"), "q-50");
    }
}
