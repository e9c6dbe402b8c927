//! Font files of `l-subtitles` layers (`ff-fonts@@Lacquer.ttf`): checked to be TrueType or
//! OpenType, and their family name read, since libass picks a font by the family name an ASS
//! style gives, never by file.
//!
//! Owns: [`SubtitleFont`], [`MAX_FONT_BYTES`]. Pure: imports `error`; outside, ttf-parser
//! (the parser ab_glyph uses for text layers, so a file that draws text there reads here).
//!
//! # Which name
//! libass (0.17, `ass_fontselect.c` `get_font_info`) matches a style's `Fontname` against a
//! font's *Windows-platform* family (name ID 1) and full name (ID 4) entries; only when a font
//! has no Windows family entry does it use FreeType's family name, which is the typographic
//! family (ID 16) when there is one, else ID 1. The name given to libass follows the same
//! order, so that it is one libass will find: a Windows ID 1 entry (US English first), else
//! ID 16, else ID 1 from the Unicode or Mac Roman entries. A typographic family is *not*
//! preferred over a Windows ID 1 entry: for a weight such as "Noto Sans SemiBold" (ID 1) of
//! the family "Noto Sans" (ID 16), libass knows the file only by ID 1.
//!
//! # What an ASS style can hold
//! A style line is comma-separated with no escape, and `Fontname` is trimmed; a leading `@`
//! asks for vertical text. So a family name is refused (422 naming `ff`) when it is empty,
//! starts with `@`, or holds a control character or one of `\ { }` (which would end the
//! `\fn` override a comma needs, see [`SubtitleFont::needs_override`]).

use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};

/// Largest font file accepted (checked before it is read when the origin is local). Large
/// CJK families are 16–20 MB; libass keeps the whole file in memory for the cut.
pub const MAX_FONT_BYTES: u64 = 32 * 1024 * 1024;

/// Name table IDs (OpenType `name` table).
const FAMILY: u16 = 1;
const TYPOGRAPHIC_FAMILY: u16 = 16;
/// Windows language ID of US English, the entry fonts are written in first.
const EN_US: u16 = 0x0409;

/// A checked font file and the family name libass knows it by.
#[derive(Clone, PartialEq)]
pub struct SubtitleFont {
    /// Family name for the ASS style (trimmed).
    pub family: String,
    /// The file's bytes, shared: a cut spec is cloned, the font is not.
    pub data: Arc<[u8]>,
}

impl std::fmt::Debug for SubtitleFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubtitleFont").field("family", &self.family).field("bytes", &self.data.len()).finish()
    }
}

/// On the helper's wire ([`super::wire`]) the bytes travel as base64 text: a font is up to
/// [`MAX_FONT_BYTES`], which as a JSON array of numbers would be four times that.
#[derive(serde::Serialize, serde::Deserialize)]
struct WireFont {
    family: String,
    data: String,
}

impl serde::Serialize for SubtitleFont {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use base64::Engine as _;
        let data = base64::engine::general_purpose::STANDARD.encode(&self.data);
        WireFont { family: self.family.clone(), data }.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for SubtitleFont {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use base64::Engine as _;
        let w = WireFont::deserialize(d)?;
        let data = base64::engine::general_purpose::STANDARD.decode(w.data).map_err(serde::de::Error::custom)?;
        Ok(SubtitleFont { family: w.family, data: Arc::from(data) })
    }
}

/// One `name` table entry as the selection needs it.
struct NameEntry {
    windows: bool,
    language: u16,
    id: u16,
    text: String,
}

impl SubtitleFont {
    /// Check `data` (the file at origin path `path`) and read its family name. Not a font, or
    /// a font without outlines or without a usable family name: `Undecodable` naming `ff`.
    pub fn read(path: &str, data: Vec<u8>) -> Result<SubtitleFont> {
        let bad = |why: String| Error::new(ErrorKind::Undecodable, why).with_param("ff", path);
        let face = ttf_parser::Face::parse(&data, 0)
            .map_err(|e| bad(format!("font file is not a TrueType/OpenType font: {e}")))?;
        // libass draws outlines only (it drops faces that are not scalable).
        let t = face.tables();
        if t.glyf.is_none() && t.cff.is_none() && t.cff2.is_none() {
            return Err(bad("font file has no glyph outlines (glyf, CFF or CFF2)".into()));
        }
        let names = face.names().into_iter().filter_map(|n| {
            let text = match n.platform_id {
                ttf_parser::PlatformId::Macintosh if n.encoding_id == 0 => mac_roman_ascii(n.name)?,
                _ => n.to_string()?,
            };
            let windows = n.platform_id == ttf_parser::PlatformId::Windows;
            Some(NameEntry { windows, language: n.language_id, id: n.name_id, text })
        });
        let family = pick_family(names).ok_or_else(|| bad("font file has no family name".into()))?;
        check_ass_name(&family).map_err(|why| bad(format!("the font's family name '{family}' {why}")))?;
        Ok(SubtitleFont { family, data: data.into() })
    }

    /// True when the family cannot sit in a style line (it holds a comma) and must be set by
    /// an `\fn` override on each line instead, whose argument runs to the next `\` or `}`.
    pub fn needs_override(&self) -> bool {
        self.family.contains(',')
    }

    /// The file name it gets in the private fonts folder: fixed, so nothing of the origin
    /// path reaches the file system; the extension only tells a reader what it is.
    pub fn file_name(&self) -> &'static str {
        match self.data.get(..4) {
            Some(b"OTTO") => "layer-font.otf",
            Some(b"ttcf") => "layer-font.ttc",
            _ => "layer-font.ttf",
        }
    }
}

/// The family name libass matches (see the module doc), trimmed as libass trims it.
fn pick_family(names: impl Iterator<Item = NameEntry>) -> Option<String> {
    let names: Vec<NameEntry> =
        names.filter(|n| !n.text.trim().is_empty() && matches!(n.id, FAMILY | TYPOGRAPHIC_FAMILY)).collect();
    let windows_family = |n: &&NameEntry| n.windows && n.id == FAMILY;
    let pick = names
        .iter()
        .filter(windows_family)
        .find(|n| n.language == EN_US)
        .or_else(|| names.iter().find(windows_family))
        .or_else(|| names.iter().find(|n| n.id == TYPOGRAPHIC_FAMILY))
        .or_else(|| names.iter().find(|n| n.id == FAMILY))?;
    Some(pick.text.trim().to_owned())
}

/// A Mac Roman name that is plain ASCII (Mac Roman and ASCII agree below 0x80); other
/// bytes are left out rather than mapped, as no font keeps its only family name there.
fn mac_roman_ascii(bytes: &[u8]) -> Option<String> {
    bytes.is_ascii().then(|| String::from_utf8_lossy(bytes).into_owned())
}

/// Why `family` cannot be an ASS `Fontname`, if it cannot.
fn check_ass_name(family: &str) -> std::result::Result<(), &'static str> {
    if family.is_empty() {
        return Err("is empty");
    }
    if family.starts_with('@') {
        return Err("starts with '@', which ASS reads as vertical text");
    }
    if family.chars().any(|c| c.is_control() || matches!(c, '\\' | '{' | '}')) {
        return Err("holds a control character or one of \\ { }, which an ASS style cannot hold");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::media::fonts::DEJAVU_SANS as DEJAVU;

    fn entry(windows: bool, language: u16, id: u16, text: &str) -> NameEntry {
        NameEntry { windows, language, id, text: text.into() }
    }

    #[test]
    fn reads_the_bundled_font() {
        let f = SubtitleFont::read("/font/DejaVuSans.ttf", DEJAVU.to_vec()).unwrap();
        assert_eq!(f.family, "DejaVu Sans");
        assert_eq!(f.file_name(), "layer-font.ttf");
        assert!(!f.needs_override());
        assert_eq!(format!("{f:?}"), format!("SubtitleFont {{ family: \"DejaVu Sans\", bytes: {} }}", DEJAVU.len()));
    }

    #[test]
    fn what_is_not_a_font_is_undecodable_naming_ff() {
        for data in [b"1\n00:00:01,000 --> 00:00:02,000\nHi\n".to_vec(), Vec::new(), DEJAVU[..2000].to_vec()] {
            let e = SubtitleFont::read("/subs/a.srt", data).unwrap_err();
            assert_eq!((e.kind(), e.key(), e.value()), (ErrorKind::Undecodable, Some("ff"), Some("/subs/a.srt")));
        }
    }

    #[test]
    fn the_name_libass_matches_is_picked() {
        // A Windows family entry wins over a typographic family, US English first.
        let names = vec![
            entry(false, 0, FAMILY, "Mac Name"),
            entry(true, 0x0407, FAMILY, "Deutsch"),
            entry(true, EN_US, TYPOGRAPHIC_FAMILY, "Noto Sans"),
            entry(true, EN_US, FAMILY, " Noto Sans SemiBold "),
        ];
        assert_eq!(pick_family(names.into_iter()).as_deref(), Some("Noto Sans SemiBold"));
        let names = vec![entry(true, 0x0407, FAMILY, "Deutsch"), entry(false, 0, FAMILY, "Mac")];
        assert_eq!(pick_family(names.into_iter()).as_deref(), Some("Deutsch"));
        // No Windows family: FreeType's order, typographic family first.
        let names = vec![entry(false, 0, FAMILY, "Fam SemiBold"), entry(false, 0, TYPOGRAPHIC_FAMILY, "Fam")];
        assert_eq!(pick_family(names.into_iter()).as_deref(), Some("Fam"));
        assert_eq!(pick_family(vec![entry(true, EN_US, 4, "Full Name")].into_iter()), None);
        assert_eq!(pick_family(vec![entry(true, EN_US, FAMILY, "  ")].into_iter()), None);
        assert_eq!(mac_roman_ascii(b"Geneva").as_deref(), Some("Geneva"));
        assert_eq!(mac_roman_ascii(b"Caf\x8e"), None);
    }

    #[test]
    fn names_an_ass_style_cannot_hold_are_refused() {
        assert!(check_ass_name("Noto Sans, Display").is_ok(), "a comma goes in an override");
        for bad in ["", "@Vertical", "Bad\nName", "a\\b", "a{b", "a}b", "nul\0"] {
            assert!(check_ass_name(bad).is_err(), "{bad:?}");
        }
        let f = SubtitleFont { family: "A, B".into(), data: Arc::from(&b"OTTO"[..]) };
        assert!(f.needs_override());
        assert_eq!(f.file_name(), "layer-font.otf");
    }
}
