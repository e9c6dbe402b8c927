//! Fonts and shaping: the fallback chain of a text layer, its split of a line into runs by
//! font coverage, and the shaping of each run into positioned glyph ids.
//!
//! Owns: [`Face`], [`Fonts`], [`Glyph`], [`Line`]. May import `error` and the parent's
//! embedded font bytes; outside: ab_glyph (outlines,
//! metrics), rustybuzz (shaping), unicode-properties (which characters are marks).
//!
//! Each face is parsed twice over the same bytes: rustybuzz shapes (GSUB substitutions such
//! as conjuncts and ligatures, reordering such as the Devanagari i-matra, GPOS kerning and
//! mark placement) and ab_glyph draws the resulting glyph ids. Shaped positions are in font
//! units and scaled by `fs / units_per_em`, so every face in a line has the same em size.

use std::ops::Range;
use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, GlyphId, PxScale};
use rustybuzz::UnicodeBuffer;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

use super::{DEFAULT_FONT, DEVANAGARI_FONT};
use crate::error::{Error, Result};

/// One font file, parsed for outlines and for shaping.
pub(super) struct Face<'a> {
    /// Outlines and vertical metrics.
    pub(super) outlines: FontRef<'a>,
    /// GSUB/GPOS shaping and the character map.
    shaper: rustybuzz::Face<'a>,
}

impl<'a> Face<'a> {
    /// Parse `bytes` (TrueType or OpenType, first face of a collection).
    pub(super) fn parse(bytes: &'a [u8]) -> std::result::Result<Face<'a>, String> {
        let outlines = FontRef::try_from_slice(bytes).map_err(|e| e.to_string())?;
        let shaper = rustybuzz::Face::from_slice(bytes, 0).ok_or("no font face at index 0")?;
        Ok(Face { outlines, shaper })
    }

    /// Whether the character map has a real glyph (not `.notdef`) for `c`.
    fn covers(&self, c: char) -> bool {
        self.shaper.glyph_index(c).is_some_and(|g| g.0 != 0)
    }
}

/// The embedded faces, parsed once per process: DejaVu Sans, then Noto Sans Devanagari.
fn builtin() -> Result<&'static [Face<'static>; 2]> {
    static FACES: OnceLock<Option<[Face<'static>; 2]>> = OnceLock::new();
    FACES
        .get_or_init(|| Some([Face::parse(DEFAULT_FONT).ok()?, Face::parse(DEVANAGARI_FONT).ok()?]))
        .as_ref()
        .ok_or_else(|| Error::internal("an embedded font does not parse"))
}

/// The fallback chain at one em size: the `ff` file (when given), DejaVu Sans, Noto Sans
/// Devanagari. Faces are named by their index in the chain.
pub(super) struct Fonts<'a> {
    chain: Vec<&'a Face<'a>>,
    /// Pixels per font unit, per face.
    unit: Vec<f32>,
    /// ab_glyph's scale for the same em size, per face.
    scale: Vec<PxScale>,
}

/// One shaped glyph: face, glyph id, position relative to the pen start on the baseline
/// (y grows downwards), and the byte offset of its cluster in the shaped text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Glyph {
    pub(super) face: usize,
    pub(super) id: GlyphId,
    pub(super) x: f32,
    pub(super) y: f32,
    pub(super) advance: f32,
    pub(super) cluster: usize,
}

/// A shaped line: glyphs in visual order and the total advance.
#[derive(Debug, Default)]
pub(super) struct Line {
    pub(super) glyphs: Vec<Glyph>,
    pub(super) width: f32,
}

impl Line {
    /// `(byte offset, advance)` of each breakable cluster of `text` (the text this line was
    /// shaped from), in text order: the places where a long word may break. A shaping
    /// cluster that ends in a virama joins the next one (a conjunct such as स्ते is one
    /// orthographic syllable even where the font draws a half form: UAX #29 rule GB9c).
    pub(super) fn clusters(&self, text: &str) -> Vec<(usize, f32)> {
        let mut glyphs: Vec<&Glyph> = self.glyphs.iter().collect();
        glyphs.sort_by_key(|g| g.cluster);
        let mut out: Vec<(usize, f32)> = Vec::new();
        for g in glyphs {
            let linked = |c: usize| text.get(c..g.cluster).and_then(|s| s.chars().next_back()).is_some_and(linker);
            match out.last_mut() {
                Some((c, w)) if *c == g.cluster || linked(*c) => *w += g.advance,
                _ => out.push((g.cluster, g.advance)),
            }
        }
        out
    }
}

/// `Indic_Conjunct_Break=Linker` (Unicode 15.1): the viramas that join consonants into one
/// grapheme cluster (Devanagari, Bengali, Gujarati, Oriya, Telugu, Malayalam).
fn linker(c: char) -> bool {
    matches!(c, '\u{094D}' | '\u{09CD}' | '\u{0ACD}' | '\u{0B4D}' | '\u{0C4D}' | '\u{0D4D}')
}

/// Characters that stay in the current run when its face has them, even if a face earlier
/// in the chain has them too: combining marks and the joiners, which shape with their base.
fn attaches(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}') || c.general_category_group() == GeneralCategoryGroup::Mark
}

impl<'a> Fonts<'a> {
    /// The chain for `custom` (the `ff` file) at `size` px per em.
    pub(super) fn new(custom: Option<&'a Face<'a>>, size: f32) -> Result<Fonts<'a>> {
        let builtin = builtin()?;
        let chain: Vec<&'a Face<'a>> = custom.into_iter().chain(builtin.iter()).collect();
        let unit: Vec<f32> = chain.iter().map(|f| size / f.outlines.units_per_em().unwrap_or(2048.0)).collect();
        // ab_glyph scales by (ascent − descent); fs is the em size, so convert.
        let scale = chain.iter().zip(&unit).map(|(f, u)| PxScale::from(u * f.outlines.height_unscaled())).collect();
        Ok(Fonts { chain, unit, scale })
    }

    /// Face `i` of the chain and its ab_glyph scale.
    pub(super) fn face(&self, i: usize) -> (&FontRef<'a>, PxScale) {
        (&self.chain[i].outlines, self.scale[i])
    }

    /// `(ascent, descent, line gap)` in pixels of the faces `used` (the first face when none):
    /// the highest ascent, the lowest descent and the largest gap, so every face fits.
    pub(super) fn metrics(&self, used: impl IntoIterator<Item = usize>) -> (f32, f32, f32) {
        let m = |i: usize| {
            let (f, u) = (&self.chain[i].outlines, self.unit[i]);
            (f.ascent_unscaled() * u, f.descent_unscaled() * u, f.line_gap_unscaled() * u)
        };
        let mut used = used.into_iter();
        let first = m(used.next().unwrap_or(0));
        used.map(m).fold(first, |(a, d, g), (a2, d2, g2)| (a.max(a2), d.min(d2), g.max(g2)))
    }

    /// Split `text` into runs of one face each. A character goes to the first face that has
    /// it, except that marks and joiners stay with the run before them when its face has
    /// them; a character no face has stays in the current run (the first face at the start)
    /// and is drawn as that face's `.notdef`.
    pub(super) fn runs(&self, text: &str) -> Vec<(usize, Range<usize>)> {
        let mut runs: Vec<(usize, Range<usize>)> = Vec::new();
        for (i, c) in text.char_indices() {
            let current = runs.last().map(|r| r.0);
            let face = match current {
                Some(f) if attaches(c) && self.chain[f].covers(c) => f,
                _ => self.chain.iter().position(|f| f.covers(c)).or(current).unwrap_or(0),
            };
            let end = i + c.len_utf8();
            match runs.last_mut() {
                Some((f, r)) if *f == face => r.end = end,
                _ => runs.push((face, i..end)),
            }
        }
        runs
    }

    /// Shape one line of text: each run with its face, the text around it as context.
    pub(super) fn shape(&self, text: &str) -> Line {
        let mut line = Line::default();
        for (face, range) in self.runs(text) {
            let mut buf = UnicodeBuffer::new();
            buf.push_str(&text[range.clone()]);
            buf.set_pre_context(&text[..range.start]);
            buf.set_post_context(&text[range.end..]);
            let shaped = rustybuzz::shape(&self.chain[face].shaper, &[], buf);
            let u = self.unit[face];
            #[expect(clippy::cast_precision_loss, reason = "font-unit positions are far below 2^24")]
            for (info, pos) in shaped.glyph_infos().iter().zip(shaped.glyph_positions()) {
                let advance = pos.x_advance as f32 * u;
                line.glyphs.push(Glyph {
                    face,
                    id: GlyphId(u16::try_from(info.glyph_id).unwrap_or(0)),
                    x: line.width + pos.x_offset as f32 * u,
                    y: -(pos.y_offset as f32) * u,
                    advance,
                    cluster: range.start + info.cluster as usize,
                });
                line.width += advance;
            }
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in chain at 40 px per em: DejaVu Sans is face 0, Noto Sans Devanagari 1.
    fn fonts() -> Fonts<'static> {
        Fonts::new(None, 40.0).unwrap()
    }

    #[test]
    fn i_matra_is_drawn_before_its_consonant() {
        // कि = KA + VOWEL SIGN I: the matra comes second in memory, first on the page.
        let line = fonts().shape("कि");
        assert_eq!(line.glyphs.len(), 2, "{line:?}");
        assert!(line.glyphs.iter().all(|g| g.face == 1 && g.cluster == 0), "one cluster: {line:?}");
        let ka = fonts().shape("क").glyphs[0].id;
        let (matra, consonant) = (line.glyphs[0], line.glyphs[1]);
        assert_eq!(consonant.id, ka);
        assert_ne!(matra.id, ka);
        assert!(matra.x < consonant.x, "{line:?}");
    }

    #[test]
    fn conjunct_is_one_glyph() {
        // क्ष = KA + VIRAMA + SSA: three code points, one conjunct glyph.
        let line = fonts().shape("क्ष");
        assert_eq!(line.glyphs.len(), 1, "{line:?}");
        assert!(line.glyphs[0].id.0 != 0 && line.glyphs[0].face == 1);
        // स्ते has a half form: fewer glyphs than its four code points, one cluster.
        let ste = fonts().shape("स्ते");
        assert!(ste.glyphs.len() < 4, "{ste:?}");
        assert_eq!(ste.clusters("स्ते").len(), 1);
    }

    #[test]
    fn symbols_come_from_dejavu_and_devanagari_from_noto() {
        let f = fonts();
        let text = "©®™ नमस्ते";
        assert_eq!(f.runs(text), vec![(0, 0..8), (1, 8..text.len())]);
        let line = f.shape(text);
        assert!(line.glyphs.iter().all(|g| g.id.0 != 0), "no .notdef: {line:?}");
        assert!(line.glyphs.iter().any(|g| g.face == 0) && line.glyphs.iter().any(|g| g.face == 1));
        // Glyphs advance left to right and the clusters are न म स्ते after the symbols.
        assert!(line.glyphs.windows(2).all(|w| w[0].x <= w[1].x + 1.0), "{line:?}");
        let starts: Vec<usize> = line.clusters(text).iter().map(|c| c.0).collect();
        assert_eq!(starts, vec![0, 2, 4, 7, 8, 11, 14]);
    }

    #[test]
    fn devanagari_has_no_notdef_and_marks_stay_with_their_base() {
        let f = fonts();
        for text in ["नमस्ते दुनिया", "हिन्दी", "र्क", "क्\u{200D}ष"] {
            let line = f.shape(text);
            assert!(line.glyphs.iter().all(|g| g.id.0 != 0), "{text}: {line:?}");
            assert!(line.width > 20.0, "{text}");
        }
        // The space between the words is DejaVu's; the ZWJ stays in the Devanagari run.
        assert_eq!(f.runs("नमस्ते दुनिया").len(), 3);
        assert_eq!(f.runs("क्\u{200D}ष").len(), 1);
        // A combining acute after Latin stays with DejaVu; a character no face has is .notdef.
        assert_eq!(f.runs("e\u{301}").len(), 1);
        assert!(f.shape("\u{FFFF}").glyphs.iter().all(|g| g.id.0 == 0 && g.face == 0));
    }

    #[test]
    fn a_custom_face_comes_first_and_falls_back() {
        let custom = Face::parse(DEFAULT_FONT).unwrap();
        let f = Fonts::new(Some(&custom), 40.0).unwrap();
        assert_eq!(f.runs("Hi नमस्ते"), vec![(0, 0..3), (2, 3..21)]);
        assert!(Face::parse(&[1, 2, 3]).is_err());
    }
}
