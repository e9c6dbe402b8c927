//! Subtitles-layer styling (ImageKit "styling controls for subtitles layer"; SDK
//! `SubtitleOverlayTransformation` and its URL keys): `fs ff co bg tg fol fsh`, and the input
//! rule that a subtitles file is SRT or WebVTT.
//!
//! Owns: [`apply`], [`check_input`]. May import `job`, `error`.
//!
//! # Format
//! ```text
//! l-subtitles,i-subs@@en.srt,fs-24,ff-DejaVuSans,co-yellow,bg-00000060,tg-b_i,fol-2_black,fsh-333333_2,l-end
//! ```
//! `fol-<width>_<colour>` is the text outline, `fsh-<colour>_<offset>` the drop shadow
//! (width/offset in pixels, 0–100). `ff` takes a built-in font name or, as for text layers, a
//! font file's path with `@@` for `/` (`ff-fonts@@Lacquer.ttf`: it has an extension), kept as
//! an origin path starting with `/`; the daemon fetches it and reads its family name.

use super::{color, media_path, number};
use crate::error::{Error, Result};
use crate::job::{Color, SubtitleStyle};

/// Largest outline width and shadow offset accepted, in pixels.
const MAX_EDGE_PX: u32 = 100;
/// Font sizes accepted, in pixels of the output frame.
const FONT_SIZES: (u32, u32) = (1, 500);

/// Apply one subtitles-layer key. Returns `Ok(false)` when `key` is not one of them.
pub(super) fn apply(key: &str, value: &str, s: &mut SubtitleStyle) -> Result<bool> {
    match key {
        "fs" => s.size = Some(number::integer(key, value, FONT_SIZES.0, FONT_SIZES.1)?),
        "ff" => {
            if value.contains('.') {
                s.font = Some(media_path(key, value)?);
            } else if value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
                s.font = Some(value.to_owned());
            } else {
                return Err(Error::invalid(key, value, "font is a built-in name or a font file path with extension"));
            }
        }
        "co" => s.color = Some(color::color(key, value)?),
        "bg" => s.background = Some(color::color(key, value)?),
        "tg" => {
            (s.bold, s.italic) = match value {
                "b" => (true, false),
                "i" => (false, true),
                "b_i" | "i_b" => (true, true),
                _ => return Err(Error::invalid(key, value, "typography is b, i or b_i")),
            }
        }
        "fol" => {
            let (w, c) =
                value.split_once('_').ok_or_else(|| Error::invalid(key, value, "outline is <width>_<colour>"))?;
            s.outline = Some((edge(key, value, w)?, colour(key, value, c)?));
        }
        "fsh" => {
            let (c, d) =
                value.split_once('_').ok_or_else(|| Error::invalid(key, value, "shadow is <colour>_<offset>"))?;
            s.shadow = Some((colour(key, value, c)?, edge(key, value, d)?));
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// An outline width or shadow offset, errors naming the whole value.
fn edge(key: &str, value: &str, n: &str) -> Result<u32> {
    number::integer(key, n, 0, MAX_EDGE_PX).map_err(|e| number::rewrap(e, key, value))
}

fn colour(key: &str, value: &str, c: &str) -> Result<Color> {
    color::color(key, c).map_err(|e| number::rewrap(e, key, value))
}

/// A subtitles file must be SRT or WebVTT, told by its extension (as ImageKit's docs list
/// them); anything else is a 400 naming `key` before anything is fetched.
pub(super) fn check_input(key: &str, raw: &str, path: &str) -> Result<()> {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("srt" | "vtt") => Ok(()),
        _ => Err(Error::invalid(key, raw, "a subtitles file is .srt or .vtt")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(pairs: &[(&str, &str)]) -> Result<SubtitleStyle> {
        let mut s = SubtitleStyle::default();
        for (k, v) in pairs {
            assert!(apply(k, v, &mut s)?, "{k} not a subtitle key");
        }
        Ok(s)
    }

    #[test]
    fn documented_values() {
        let s = style(&[("fs", "24"), ("co", "yellow"), ("bg", "00000060"), ("tg", "b_i")]).unwrap();
        assert_eq!(s.size, Some(24));
        assert_eq!(s.color.map(|c| c.rgb), Some([255, 255, 0]));
        assert_eq!(s.background, Some(Color { rgb: [0, 0, 0], opacity_pct: Some(60) }));
        assert!(s.bold && s.italic);
        let s = style(&[("fol", "2_A1CCDD50"), ("fsh", "blue_3"), ("ff", "DejaVuSans")]).unwrap();
        assert_eq!(s.outline, Some((2, Color { rgb: [0xA1, 0xCC, 0xDD], opacity_pct: Some(50) })));
        assert_eq!(s.shadow, Some((Color { rgb: [0, 0, 255], opacity_pct: None }, 3)));
        assert_eq!(s.font.as_deref(), Some("DejaVuSans"));
        let s = style(&[("ff", "fonts@@Lacquer-Regular.ttf")]).unwrap();
        assert_eq!(s.font.as_deref(), Some("/fonts/Lacquer-Regular.ttf"), "a font file is an origin path");
    }

    #[test]
    fn bad_values_name_the_key() {
        for (k, v) in [
            ("fs", "0"),
            ("fs", "big"),
            ("co", "nocolour"),
            ("tg", "u"),
            ("fol", "2"),
            ("fol", "x_red"),
            ("fol", "500_red"),
            ("fsh", "red"),
            ("fsh", "red_N2"),
            ("ff", "a b"),
        ] {
            let e = style(&[(k, v)]).unwrap_err();
            assert_eq!(e.key(), Some(k), "{k}-{v}: {e}");
        }
        let e = style(&[("ff", "@@..@@x.ttf")]).unwrap_err();
        assert_eq!(e.key(), Some("ff"), "{e}");
        let mut s = SubtitleStyle::default();
        assert!(!apply("w", "10", &mut s).unwrap());
    }

    #[test]
    fn inputs_are_srt_or_vtt() {
        assert!(check_input("i", "a.srt", "/a.srt").is_ok());
        assert!(check_input("i", "b.VTT", "/b.VTT").is_ok());
        assert_eq!(check_input("i", "c.ass", "/c.ass").unwrap_err().key(), Some("i"));
        assert_eq!(check_input("i", "noext", "/noext").unwrap_err().key(), Some("i"));
    }
}
