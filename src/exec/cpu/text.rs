//! Text layers on the CPU (spec §7.3): `l-text` with `fs ff co ia w pa al tg bg r lh`.
//!
//! Owns: [`render`] (the pipeline: fonts, size, layout, canvas, trim), [`FontChoice`],
//! [`MAX_TEXT_SIDE`], [`DEFAULT_FONT`], [`DEVANAGARI_FONT`]. Fonts, runs and shaping live in
//! `shape`, layout and wrapping in `layout`, rasterising in `raster`, the box and
//! compositing in `paint`.
//!
//! May import: `job`, `media`, `limits`, `error`, the sibling `kernels`; outside: ab_glyph,
//! rustybuzz, unicode-properties. Never wgpu, tokio, tonic.
//!
//! # Rules this renderer follows
//! * **Fonts.** A fallback chain, embedded in the binary so it never depends on the host's
//!   fonts: DejaVu Sans (`media/font/DejaVuSans.ttf`: Latin, Greek, Cyrillic, symbols such
//!   as `©®™`), then Noto Sans Devanagari (`media/font/NotoSansDevanagari-Regular.ttf`).
//!   `ff-<path>` with an extension (the parser keeps those as origin paths starting with
//!   `/`) is fetched from the origin through
//!   [`LayerSource::font`](crate::exec::LayerSource::font) and put first in the chain
//!   (TrueType or OpenType outlines; anything else is `Undecodable` naming `ff`). Built-in
//!   names (`ff-DejaVuSans`, `ff-Roboto`, …) all mean the default chain: no other family is
//!   bundled.
//! * **Fallback.** Each line is split into runs of one font: a character goes to the first
//!   font in the chain whose character map has it; combining marks and ZWJ/ZWNJ stay with
//!   the run before them when its font has them (so a cluster is never split between
//!   fonts); a character no font has stays in the current run and draws as that font's
//!   `.notdef` box.
//! * **Shaping.** Each run is shaped with rustybuzz (HarfBuzz's OpenType shaping: script
//!   and direction guessed from the run, the text around it as context, the font's default
//!   features), so kerning, ligatures, Devanagari conjuncts (क्ष), half forms, reph and the
//!   i-matra drawn before its consonant (कि) come from the font's GSUB/GPOS tables. The
//!   shaped glyph ids and positions are rasterised with ab_glyph; every font is scaled to
//!   the same em size. Runs are laid out left to right in text order (no bidi reordering).
//! * **Size.** `fs` is the em size in pixels (CSS `font-size`), default 45. Expressions see
//!   the parent as `bw bh bar`; `iw ih cw ch` are the parent's size as well, since a text
//!   layer has no input image of its own.
//! * **Bold / italic** (`tg-b`, `tg-i`): DejaVu Sans Bold and Oblique are not bundled, so
//!   bold is synthesised by dilating the coverage mask (1 px horizontally per 24 px of size,
//!   at least 1, half that vertically) and italic by shearing each glyph 0.2 px right per
//!   pixel above the baseline (about 11°, the slant of DejaVu Sans Oblique).
//! * **Lines.** `\n` starts a new line. With `w`, words (split at whitespace) wrap greedily
//!   at the width (the text width, padding excluded), measured as shaped; a word longer
//!   than a line is broken between shaping clusters, never inside one, and a cluster ending
//!   in a virama stays with the next (a conjunct is not split). `ia` aligns lines inside the
//!   widest one. Line spacing is the fonts' own (the highest ascent − the lowest descent +
//!   the largest line gap of the fonts the text uses) unless `lh` is given, which
//!   multiplies the font size (CSS `line-height: <number>`); glyphs sit vertically centred
//!   in their line box.
//! * **Box.** Without `pa`, the layer is trimmed to the ink bounding box of the text (spec:
//!   "empty space around rendered text is trimmed by default"). With `pa` (1–4 values, CSS
//!   order) the layout box (line boxes, united with the ink) is kept and padded. `bg` fills
//!   the box, `r` rounds its corners (the round-corners kernel).
//! * **Colour.** `co` (default black, its own alpha kept), `al-N` multiplies the text's
//!   opacity by N × 10 % (the parser drops `al` when `co` carries an alpha). Coverage is
//!   anti-aliased; text is composited over the box with the straight-alpha source-over of
//!   the composite kernel, so the result is a straight-alpha RGBA frame.
//! * A box wider or taller than [`MAX_TEXT_SIDE`] is `InvalidArgument` (spec §7.1).

mod layout;
mod paint;
mod raster;
mod shape;

use self::layout::{lines, padding, resolve};
use self::raster::{Canvas, ITALIC_SHEAR};
use self::shape::{Face, Fonts};
use crate::error::{Error, ErrorKind, Result};
use crate::job::{TextAlign, TextStyle};
use crate::limits::Limits;
use crate::media::Frame;

// The default font (first in the chain unless `ff` names a file) and the built-in fallback
// for what it lacks (Devanagari); embedded once in `media::fonts`, shared with subtitles.
pub use crate::media::fonts::{DEJAVU_SANS as DEFAULT_FONT, NOTO_SANS_DEVANAGARI as DEVANAGARI_FONT};

/// Largest side of a text layer in pixels (spec §7.1).
pub const MAX_TEXT_SIDE: u32 = 16383;

/// Default font size (`fs`).
const DEFAULT_SIZE: f64 = 45.0;

/// Which font a text layer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FontChoice<'a> {
    /// The embedded chain, DejaVu Sans first (no `ff`, or a built-in name).
    Default,
    /// A font file at this origin path.
    File(&'a str),
}

impl<'a> FontChoice<'a> {
    /// Classify `ff`: origin paths start with `/` (the parser adds it to every value with
    /// an extension); anything else is a built-in name, all of which map to the default.
    pub fn of(font: Option<&'a str>) -> FontChoice<'a> {
        match font {
            Some(p) if p.starts_with('/') => FontChoice::File(p),
            _ => FontChoice::Default,
        }
    }
}

/// Parse the `ff` file at origin path `path`.
fn load_font<'a>(bytes: &'a [u8], path: &str) -> Result<Face<'a>> {
    Face::parse(bytes).map_err(|e| {
        Error::new(ErrorKind::Undecodable, format!("font file is not a TrueType/OpenType font: {e}"))
            .with_param("ff", path)
    })
}

/// `f64` → `f32` for pixel geometry (values are already checked to be small).
#[expect(clippy::cast_possible_truncation, reason = "pixel geometry well inside the f32 range")]
fn f32_of(v: f64) -> f32 {
    v as f32
}

/// A non-negative float rounded up to a pixel count, saturating.
fn ceil_px(v: f32) -> u32 {
    #[expect(clippy::cast_possible_truncation, reason = "saturating float-to-int cast; NaN ⇒ 0")]
    let r = v.max(0.0).ceil() as u32;
    r
}

/// Rounded, saturating.
fn round_px(v: f64) -> u32 {
    #[expect(clippy::cast_possible_truncation, reason = "saturating float-to-int cast; NaN ⇒ 0")]
    let r = v.max(0.0).round() as u32;
    r
}

fn too_large(w: u64, h: u64) -> Error {
    Error::invalid("l-text", format!("{w}x{h}"), format_args!("a text layer is at most {MAX_TEXT_SIDE} px per side"))
}

/// Render `text` in `style` for a parent of size `parent`. `font_bytes` holds the file
/// named by `ff` (when [`FontChoice::File`]), put first in the chain; `None` = the embedded
/// chain only.
pub fn render(
    limits: &Limits,
    text: &str,
    style: &TextStyle,
    parent: (u32, u32),
    font_bytes: Option<Vec<u8>>,
) -> Result<Frame> {
    let custom = match &font_bytes {
        Some(b) => Some(load_font(b, style.font.as_deref().unwrap_or_default())?),
        None => None,
    };
    let size = match &style.size {
        Some(d) => resolve("fs", d, parent.1, parent)?,
        None => DEFAULT_SIZE,
    };
    if size > f64::from(MAX_TEXT_SIDE) {
        let s = round_px(size);
        return Err(Error::invalid("fs", s.to_string(), format_args!("a text layer is at most {MAX_TEXT_SIDE} px")));
    }
    if size < 1.0 {
        return Err(Error::invalid("fs", format!("{size}"), "font size must be at least 1 px"));
    }
    let fonts = Fonts::new(custom.as_ref(), f32_of(size))?;
    let pad = padding(&style.padding, parent)?;
    let wrap = match &style.max_width {
        Some(d) => {
            let w = resolve("w", d, parent.0, parent)?;
            Some(f32_of((w - f64::from(pad[1]) - f64::from(pad[3])).max(1.0)))
        }
        None => None,
    };
    let lines = lines(&fonts, text, wrap);
    // Line metrics: the union over the faces the text uses (the first face for empty text).
    let mut used: Vec<usize> = lines.iter().flat_map(|l| l.glyphs.iter().map(|g| g.face)).collect();
    used.sort_unstable();
    used.dedup();
    let (ascent, descent, gap) = fonts.metrics(used);
    let line_h = style.line_height.map_or(ascent - descent + gap, |m| f32_of(m * size)).max(1.0);
    let widths: Vec<f32> = lines.iter().map(|l| l.width).collect();
    let layout_w = ceil_px(widths.iter().copied().fold(0.0, f32::max));
    #[expect(clippy::cast_precision_loss, reason = "line count ≤ 2001 (text is capped at 2000 chars)")]
    let layout_h = ceil_px(line_h * lines.len() as f32);
    let check = |w: u64, h: u64| {
        if w > u64::from(MAX_TEXT_SIDE) || h > u64::from(MAX_TEXT_SIDE) {
            Err(too_large(w, h))
        } else {
            Ok(())
        }
    };
    check(u64::from(layout_w), u64::from(layout_h))?;

    // Canvas: the layout box plus a margin for overhanging glyphs, bold and italic.
    let bold_r = if style.bold { ceil_px((f32_of(size) / 24.0).round()).max(1) } else { 0 };
    let margin = ceil_px(f32_of(size) * 0.5) + bold_r + 2;
    let slant = if style.italic { ceil_px(ITALIC_SHEAR * (ascent - descent)) } else { 0 };
    let cw = layout_w + 2 * margin + slant;
    let ch = layout_h + 2 * margin;
    let (cwu, chu) = (cw as usize, ch as usize);
    let mut canvas = Canvas::new(limits, cwu, chu)?;

    let align = match style.align {
        TextAlign::Left => 0.0,
        TextAlign::Center => 0.5,
        TextAlign::Right => 1.0,
    };
    #[expect(clippy::cast_precision_loss, reason = "canvas sides ≤ 16383 + margins")]
    let (mf, lwf) = (margin as f32, layout_w as f32);
    for (i, (line, width)) in lines.iter().zip(&widths).enumerate() {
        #[expect(clippy::cast_precision_loss, reason = "line index ≤ 2001")]
        let top = mf + line_h * i as f32;
        let baseline = top + (line_h - (ascent - descent)) / 2.0 + ascent;
        let x = mf + (lwf - width) * align;
        canvas.draw_line(&fonts, line, x, baseline, style.italic);
    }
    if bold_r > 0 {
        canvas.dilate(limits, bold_r as usize, bold_r.div_ceil(2) as usize)?;
    }

    let ink = canvas.ink_box();
    let (m, lw, lh) = (margin as usize, layout_w as usize, layout_h as usize);
    let content = match (ink, style.padding.is_empty()) {
        (Some(i), true) => i,
        (Some((a, b, c, d)), false) => (a.min(m), b.min(m), c.max(m + lw), d.max(m + lh)),
        // Nothing visible (spaces, empty text): keep the layout box, at least one pixel.
        (None, _) => (m, m, m + lw.max(1), m + lh.max(1)),
    };
    let (cx0, cy0, cx1, cy1) = content;
    let out_w = (cx1 - cx0) as u64 + u64::from(pad[1]) + u64::from(pad[3]);
    let out_h = (cy1 - cy0) as u64 + u64::from(pad[0]) + u64::from(pad[2]);
    check(out_w, out_h)?;
    let (ow, oh) = (
        u32::try_from(out_w).map_err(|_| too_large(out_w, out_h))?,
        u32::try_from(out_h).map_err(|_| too_large(out_w, out_h))?,
    );
    paint::paint(limits, &canvas, content, pad, (ow, oh), style)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Color, Dim};

    pub(super) fn style() -> TextStyle {
        TextStyle {
            size: Some(Dim::Px(40)),
            color: Some(Color { rgb: [255, 0, 0], opacity_pct: None }),
            ..TextStyle::default()
        }
    }

    pub(super) fn ink_rows(f: &Frame) -> usize {
        (0..f.height).filter(|&y| (0..f.width).any(|x| f.pixel(x, y)[3] > 0)).count()
    }

    #[test]
    fn alpha_and_limits() {
        let mut s = style();
        s.alpha = Some(5);
        let f = render(&Limits::default(), "H", &s, (600, 400), None).unwrap();
        let max_a = f.data.chunks_exact(4).map(|p| p[3]).max().unwrap();
        assert!((125..=130).contains(&max_a), "{max_a}");
        s.size = Some(Dim::Px(20_000));
        assert_eq!(render(&Limits::default(), "H", &s, (600, 400), None).unwrap_err().key(), Some("fs"));
        let long = "W".repeat(2000);
        let e = render(&Limits::default(), &long, &style(), (600, 400), None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let bad = render(&Limits::default(), "H", &style(), (600, 400), Some(vec![1, 2, 3])).unwrap_err();
        assert_eq!(bad.kind(), ErrorKind::Undecodable);
        // Nothing to draw: a transparent layout box, no error.
        let empty = render(&Limits::default(), " ", &style(), (600, 400), None).unwrap();
        assert!(empty.data.chunks_exact(4).all(|p| p[3] == 0));
    }
}
