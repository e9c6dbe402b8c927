//! Text layers on the CPU (spec §7.3): `l-text` with `fs ff co ia w pa al tg bg r lh`.
//!
//! Owns: [`render`], [`FontChoice`], [`MAX_TEXT_SIDE`], [`DEFAULT_FONT`].
//!
//! May import: `job`, `media`, `limits`, `error`, the sibling `kernels`; outside: ab_glyph.
//! Never wgpu, tokio, tonic.
//!
//! # Rules this renderer follows
//! * **Font.** DejaVu Sans, embedded in the binary (`media/font/DejaVuSans.ttf`), so the
//!   default never depends on the host's fonts. `ff-<path>` with an extension (the parser
//!   keeps those as origin paths starting with `/`) is fetched from the origin through
//!   [`LayerSource::font`](crate::exec::LayerSource::font) and parsed with ab_glyph (TrueType
//!   or OpenType outlines; anything else is `Undecodable` naming `ff`). Built-in names
//!   (`ff-DejaVuSans`, `ff-Roboto`, …) all map to DejaVu Sans: no other family is bundled.
//! * **Size.** `fs` is the em size in pixels (CSS `font-size`), default 45. Expressions see
//!   the parent as `bw bh bar`; `iw ih cw ch` are the parent's size as well, since a text
//!   layer has no input image of its own.
//! * **Bold / italic** (`tg-b`, `tg-i`): DejaVu Sans Bold and Oblique are not bundled, so
//!   bold is synthesised by dilating the coverage mask (1 px horizontally per 24 px of size,
//!   at least 1, half that vertically) and italic by shearing each glyph 0.2 px right per
//!   pixel above the baseline (about 11°, the slant of DejaVu Sans Oblique).
//! * **Lines.** `\n` starts a new line. With `w`, words wrap greedily at the width (the
//!   text width, padding excluded); a word longer than a line is broken between characters.
//!   `ia` aligns lines inside the widest one. Line spacing is the font's own
//!   (ascent − descent + line gap) unless `lh` is given, which multiplies the font size
//!   (CSS `line-height: <number>`); glyphs sit vertically centred in their line box.
//! * **Box.** Without `pa`, the layer is trimmed to the ink bounding box of the text (spec:
//!   "empty space around rendered text is trimmed by default"). With `pa` (1–4 values, CSS
//!   order) the layout box (line boxes, united with the ink) is kept and padded. `bg` fills
//!   the box, `r` rounds its corners (the round-corners kernel).
//! * **Colour.** `co` (default black, its own alpha kept), `al-N` multiplies the text's
//!   opacity by N × 10 % (the parser drops `al` when `co` carries an alpha). Coverage is
//!   anti-aliased; text is composited over the box with the straight-alpha source-over of
//!   the composite kernel, so the result is a straight-alpha RGBA frame.
//! * A box wider or taller than [`MAX_TEXT_SIDE`] is `InvalidArgument` (spec §7.1).

use ab_glyph::{point, Font, FontArc, GlyphId, PxScale, ScaleFont};

use super::kernels::composite::over_px;
use super::kernels::round_corners::{round_corners, Radii};
use super::kernels::try_alloc_vec;
use crate::error::{Error, ErrorKind, Result};
use crate::job::{Color, Dim, Radius, TextAlign, TextStyle, Var};
use crate::limits::Limits;
use crate::media::Frame;

/// DejaVu Sans (Bitstream Vera licence), the default and the only built-in font.
pub static DEFAULT_FONT: &[u8] = include_bytes!("../../../media/font/DejaVuSans.ttf");

/// Largest side of a text layer in pixels (spec §7.1).
pub const MAX_TEXT_SIDE: u32 = 16383;

/// Default font size (`fs`).
const DEFAULT_SIZE: f64 = 45.0;

/// Shear of synthesised italics: x offset per pixel above the baseline.
const ITALIC_SHEAR: f32 = 0.2;

/// Which font a text layer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FontChoice<'a> {
    /// The embedded DejaVu Sans (no `ff`, or a built-in name).
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

/// Parse font bytes; `None` = the embedded default.
fn load_font(bytes: Option<Vec<u8>>, path: &str) -> Result<FontArc> {
    match bytes {
        None => FontArc::try_from_slice(DEFAULT_FONT).map_err(|e| Error::internal(format!("embedded font: {e}"))),
        Some(b) => FontArc::try_from_vec(b).map_err(|e| {
            Error::new(ErrorKind::Undecodable, format!("font file is not a TrueType/OpenType font: {e}"))
                .with_param("ff", path)
        }),
    }
}

/// Resolve a length against the parent: pixels, a fraction of `axis`, or an expression in
/// which every size variable is the parent's.
fn resolve(key: &str, d: &Dim, axis: u32, parent: (u32, u32)) -> Result<f64> {
    let (w, h) = (f64::from(parent.0), f64::from(parent.1));
    let v = match d {
        Dim::Px(n) => f64::from(*n),
        Dim::Fraction(f) => f * f64::from(axis),
        Dim::Expr(e) => e.eval(key, |v| match v {
            Var::Bw | Var::Iw | Var::Cw => Some(w),
            Var::Bh | Var::Ih | Var::Ch => Some(h),
            Var::Bar | Var::Iar | Var::Car => Some(w / h),
            Var::Idu | Var::Bdu => None,
        })?,
        Dim::Auto => return Err(Error::invalid(key, "auto", "auto is not a text size")),
    };
    if !v.is_finite() || v < 0.0 {
        return Err(Error::invalid(key, format!("{v}"), "must be a non-negative number of pixels"));
    }
    Ok(v)
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

/// Width of `s` laid out on one line: advances plus kerning.
fn advance<F: Font, S: ScaleFont<F>>(font: &S, s: &str) -> f32 {
    let mut width = 0.0;
    let mut prev: Option<GlyphId> = None;
    for c in s.chars() {
        let id = font.glyph_id(c);
        if let Some(p) = prev {
            width += font.kern(p, id);
        }
        width += font.h_advance(id);
        prev = Some(id);
    }
    width
}

/// Split `text` into lines: `\n` always breaks; with `wrap`, words wrap greedily and a word
/// wider than `wrap` is broken between characters (at least one character per line).
fn lines<F: Font, S: ScaleFont<F>>(font: &S, text: &str, wrap: Option<f32>) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let para = para.strip_suffix('\r').unwrap_or(para);
        let Some(wrap) = wrap else {
            out.push(para.to_owned());
            continue;
        };
        let mut line = String::new();
        for word in para.split_whitespace() {
            let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if advance(font, &candidate) <= wrap {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            if advance(font, word) <= wrap {
                line = word.to_owned();
                continue;
            }
            // Break the long word: grow a chunk while it fits, measured incrementally.
            let mut width = 0.0;
            for c in word.chars() {
                let w = font.h_advance(font.glyph_id(c));
                if !line.is_empty() && width + w > wrap {
                    out.push(std::mem::take(&mut line));
                    width = 0.0;
                }
                line.push(c);
                width += w;
            }
        }
        out.push(line);
    }
    out
}

/// Add coverage `c` at fractional x `fx` on row `y`, split linearly between the two
/// neighbouring pixels (used by the italic shear).
fn deposit(cov: &mut [f32], w: usize, h: usize, fx: f32, y: i64, c: f32) {
    let Ok(y) = usize::try_from(y) else { return };
    if y >= h {
        return;
    }
    let x0 = fx.floor();
    let t = fx - x0;
    #[expect(clippy::cast_possible_truncation, reason = "canvas coordinates are far below 2^31")]
    let xi = x0 as i64;
    for (x, k) in [(xi, 1.0 - t), (xi + 1, t)] {
        if let Ok(x) = usize::try_from(x) {
            if x < w && k > 0.0 {
                cov[y * w + x] += c * k;
            }
        }
    }
}

/// Separable max filter: radius `rx` along rows, `ry` along columns (synthetic bold).
fn dilate(limits: &Limits, cov: &mut [f32], w: usize, h: usize, rx: usize, ry: usize) -> Result<()> {
    let mut tmp = try_alloc_vec(limits, cov.len(), 0.0f32)?;
    for y in 0..h {
        let row = &cov[y * w..(y + 1) * w];
        for x in 0..w {
            let (a, b) = (x.saturating_sub(rx), (x + rx).min(w - 1));
            tmp[y * w + x] = row[a..=b].iter().copied().fold(0.0, f32::max);
        }
    }
    for y in 0..h {
        let (a, b) = (y.saturating_sub(ry), (y + ry).min(h - 1));
        for x in 0..w {
            cov[y * w + x] = (a..=b).map(|yy| tmp[yy * w + x]).fold(0.0, f32::max);
        }
    }
    Ok(())
}

/// Padding in CSS shorthand order → (top, right, bottom, left) pixels.
fn padding(pa: &[Dim], parent: (u32, u32)) -> Result<[u32; 4]> {
    let v = |i: usize, axis: u32| -> Result<u32> { Ok(round_px(resolve("pa", &pa[i], axis, parent)?)) };
    let (pw, ph) = parent;
    Ok(match pa.len() {
        0 => [0; 4],
        1 => {
            let a = v(0, pw)?;
            [a; 4]
        }
        2 => {
            let (tb, lr) = (v(0, ph)?, v(1, pw)?);
            [tb, lr, tb, lr]
        }
        3 => {
            let lr = v(1, pw)?;
            [v(0, ph)?, lr, v(2, ph)?, lr]
        }
        _ => [v(0, ph)?, v(1, pw)?, v(2, ph)?, v(3, pw)?],
    })
}

fn too_large(w: u64, h: u64) -> Error {
    Error::invalid("l-text", format!("{w}x{h}"), format_args!("a text layer is at most {MAX_TEXT_SIDE} px per side"))
}

fn rgba(c: Color) -> [u8; 4] {
    [c.rgb[0], c.rgb[1], c.rgb[2], c.alpha()]
}

/// Render `text` in `style` for a parent of size `parent`. `font_bytes` holds the file
/// named by `ff` (when [`FontChoice::File`]); `None` = the embedded default.
pub fn render(
    limits: &Limits,
    text: &str,
    style: &TextStyle,
    parent: (u32, u32),
    font_bytes: Option<Vec<u8>>,
) -> Result<Frame> {
    let font = load_font(font_bytes, style.font.as_deref().unwrap_or_default())?;
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
    let upem = font.units_per_em().unwrap_or(2048.0);
    // ab_glyph scales by (ascent − descent); fs is the em size, so convert.
    let scale = PxScale::from(f32_of(size) * font.height_unscaled() / upem);
    let sf = font.as_scaled(scale);
    let (ascent, descent) = (sf.ascent(), sf.descent());
    let natural = ascent - descent + sf.line_gap();
    let line_h = style.line_height.map_or(natural, |m| f32_of(m * size)).max(1.0);
    let pad = padding(&style.padding, parent)?;
    let wrap = match &style.max_width {
        Some(d) => {
            let w = resolve("w", d, parent.0, parent)?;
            Some(f32_of((w - f64::from(pad[1]) - f64::from(pad[3])).max(1.0)))
        }
        None => None,
    };
    let lines = lines(&sf, text, wrap);
    let widths: Vec<f32> = lines.iter().map(|l| advance(&sf, l)).collect();
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
    let mut cov = try_alloc_vec(limits, cwu.saturating_mul(chu), 0.0f32)?;

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
        let mut x = mf + (lwf - width) * align;
        let mut prev: Option<GlyphId> = None;
        for c in line.chars() {
            let id = sf.glyph_id(c);
            if let Some(p) = prev {
                x += sf.kern(p, id);
            }
            let glyph = id.with_scale_and_position(scale, point(x, baseline));
            x += sf.h_advance(id);
            prev = Some(id);
            let Some(og) = font.outline_glyph(glyph) else { continue };
            let b = og.px_bounds();
            og.draw(|gx, gy, c| {
                #[expect(clippy::cast_precision_loss, reason = "glyph pixel offsets are small")]
                let (px, py) = (b.min.x + gx as f32, b.min.y + gy as f32);
                let shift = if style.italic { ITALIC_SHEAR * (baseline - (py + 0.5)) } else { 0.0 };
                #[expect(clippy::cast_possible_truncation, reason = "row inside the canvas or rejected by deposit")]
                let row = py.round() as i64;
                deposit(&mut cov, cwu, chu, px + shift, row, c);
            });
        }
    }
    if bold_r > 0 {
        dilate(limits, &mut cov, cwu, chu, bold_r as usize, bold_r.div_ceil(2) as usize)?;
    }

    // Ink bounding box: pixels that stay visible after quantisation to 8 bits.
    let visible = 0.5 / 255.0;
    let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0usize, 0usize);
    for y in 0..chu {
        for (x, &c) in cov[y * cwu..(y + 1) * cwu].iter().enumerate() {
            if c > visible {
                (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
            }
        }
    }
    let ink = (x0 < x1).then_some((x0, y0, x1, y1));
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

    let bg = style.background.map_or([0, 0, 0, 0], rgba);
    let mut frame = Frame::filled(limits, ow, oh, bg)?;
    if style.background.is_some() {
        if let Some(r) = style.radius {
            #[expect(clippy::cast_precision_loss, reason = "radii are pixel counts")]
            let radii = match r {
                Radius::Uniform(v) => Radii::Uniform(v as f32),
                Radius::Corners([tl, tr, br, bl]) => {
                    Radii::Corners { tl: tl as f32, tr: tr as f32, br: br as f32, bl: bl as f32 }
                }
                Radius::Max => Radii::Max,
            };
            round_corners(&mut frame, radii, None);
        }
    }
    let color = rgba(style.color.unwrap_or(Color::BLACK));
    let opacity = style.alpha.map_or(1.0, |a| f32::from(a.min(10)) / 10.0);
    let alpha = f32::from(color[3]) * opacity;
    let (pl, pt) = (pad[3] as usize, pad[0] as usize);
    let stride = frame.stride();
    for y in cy0..cy1 {
        let out_row = (y - cy0 + pt) * stride;
        for x in cx0..cx1 {
            let c = cov[y * cwu + x].min(1.0);
            if c <= 0.0 {
                continue;
            }
            let a = super::kernels::clamp_u8(alpha * c);
            let i = out_row + (x - cx0 + pl) * 4;
            let dst = [frame.data[i], frame.data[i + 1], frame.data[i + 2], frame.data[i + 3]];
            frame.data[i..i + 4].copy_from_slice(&over_px([color[0], color[1], color[2], a], dst, 1.0));
        }
    }
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style() -> TextStyle {
        TextStyle {
            size: Some(Dim::Px(40)),
            color: Some(Color { rgb: [255, 0, 0], opacity_pct: None }),
            ..TextStyle::default()
        }
    }

    fn ink_rows(f: &Frame) -> usize {
        (0..f.height).filter(|&y| (0..f.width).any(|x| f.pixel(x, y)[3] > 0)).count()
    }

    #[test]
    fn trimmed_to_ink() {
        let f = render(&Limits::default(), "Hello", &style(), (600, 400), None).unwrap();
        // "Hello" at a 40 px em: cap/ascender height ≈ 0.76 em ≈ 30 px; 5 glyphs ≈ 0.6 em each.
        assert!((25..=36).contains(&f.height), "{}", f.height);
        assert!((80..=130).contains(&f.width), "{}", f.width);
        // Trimmed: the first and last rows and columns carry ink.
        assert_eq!(ink_rows(&f), f.height as usize);
        assert!((0..f.height).any(|y| f.pixel(0, y)[3] > 0));
        assert!((0..f.height).any(|y| f.pixel(f.width - 1, y)[3] > 0));
        // Opaque red somewhere (stem of H), colour straight.
        assert!(f.data.chunks_exact(4).any(|p| p == [255, 0, 0, 255]));
    }

    #[test]
    fn padding_and_background() {
        let mut s = style();
        s.padding = vec![Dim::Px(10), Dim::Px(20)];
        s.background = Some(Color { rgb: [0, 0, 255], opacity_pct: None });
        let f = render(&Limits::default(), "Hi", &s, (600, 400), None).unwrap();
        let plain = render(&Limits::default(), "Hi", &style(), (600, 400), None).unwrap();
        assert!(f.width >= plain.width + 40 && f.height >= plain.height + 20);
        assert_eq!(f.pixel(0, 0), [0, 0, 255, 255]);
        assert_eq!(f.pixel(f.width - 1, f.height - 1), [0, 0, 255, 255]);
        assert!(f.data.chunks_exact(4).any(|p| p == [255, 0, 0, 255]));
    }

    #[test]
    fn wraps_at_width_and_breaks_long_words() {
        let mut s = style();
        s.max_width = Some(Dim::Px(120));
        let f = render(&Limits::default(), "one two three four", &s, (600, 400), None).unwrap();
        assert!(f.width <= 125, "{}", f.width);
        assert!(f.height > 80, "several lines: {}", f.height);
        let long = render(&Limits::default(), "abcdefghijklmnopqrstuvwxyz", &s, (600, 400), None).unwrap();
        assert!(long.width <= 125 && long.height > 80, "{long:?}");
    }

    #[test]
    fn bold_and_italic_change_the_ink() {
        let plain = render(&Limits::default(), "Il", &style(), (600, 400), None).unwrap();
        let mut b = style();
        b.bold = true;
        let bold = render(&Limits::default(), "Il", &b, (600, 400), None).unwrap();
        let ink = |f: &Frame| f.data.chunks_exact(4).map(|p| u32::from(p[3])).sum::<u32>();
        assert!(ink(&bold) > ink(&plain) * 5 / 4, "{} vs {}", ink(&bold), ink(&plain));
        let mut i = style();
        i.italic = true;
        let italic = render(&Limits::default(), "Il", &i, (600, 400), None).unwrap();
        assert!(italic.width > plain.width + 3, "{} vs {}", italic.width, plain.width);
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
