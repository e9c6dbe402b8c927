//! Rasterising text into an anti-aliased coverage mask: glyph outlines (with the italic
//! shear), synthetic bold by dilation, and the ink bounding box.
//!
//! Owns: [`Canvas`], [`ITALIC_SHEAR`]. May import `limits`, `error`, the sibling `kernels`
//! and the sibling `shape` (shaped lines, faces); ab_glyph outside.

use ab_glyph::{point, Font};

use super::shape::{Fonts, Line};
use crate::error::Result;
use crate::exec::cpu::kernels::try_alloc_vec;
use crate::limits::Limits;

/// Shear of synthesised italics: x offset per pixel above the baseline.
pub(super) const ITALIC_SHEAR: f32 = 0.2;

/// A coverage mask (0 = no ink, 1 = full ink; overlapping glyphs may sum above 1), row-major.
pub(super) struct Canvas {
    /// `w * h` coverage values.
    pub(super) cov: Vec<f32>,
    /// Width in pixels.
    pub(super) w: usize,
    /// Height in pixels.
    pub(super) h: usize,
}

impl Canvas {
    /// An empty `w` × `h` mask, allocated under `limits`.
    pub(super) fn new(limits: &Limits, w: usize, h: usize) -> Result<Canvas> {
        Ok(Canvas { cov: try_alloc_vec(limits, w.saturating_mul(h), 0.0f32)?, w, h })
    }

    /// Draw one shaped line with its pen starting at `x` on `baseline`, each glyph from its
    /// own face, sheared by [`ITALIC_SHEAR`] when `italic`.
    pub(super) fn draw_line(&mut self, fonts: &Fonts<'_>, line: &Line, x: f32, baseline: f32, italic: bool) {
        for g in &line.glyphs {
            let (font, scale) = fonts.face(g.face);
            let glyph = g.id.with_scale_and_position(scale, point(x + g.x, baseline + g.y));
            let Some(og) = font.outline_glyph(glyph) else { continue };
            let b = og.px_bounds();
            og.draw(|gx, gy, c| {
                #[expect(clippy::cast_precision_loss, reason = "glyph pixel offsets are small")]
                let (px, py) = (b.min.x + gx as f32, b.min.y + gy as f32);
                let shift = if italic { ITALIC_SHEAR * (baseline - (py + 0.5)) } else { 0.0 };
                #[expect(clippy::cast_possible_truncation, reason = "row inside the canvas or rejected by deposit")]
                let row = py.round() as i64;
                deposit(&mut self.cov, self.w, self.h, px + shift, row, c);
            });
        }
    }

    /// Synthetic bold: dilate the mask by `rx` along rows and `ry` along columns.
    pub(super) fn dilate(&mut self, limits: &Limits, rx: usize, ry: usize) -> Result<()> {
        dilate(limits, &mut self.cov, self.w, self.h, rx, ry)
    }

    /// Ink bounding box `(x0, y0, x1, y1)` (exclusive ends): pixels that stay visible after
    /// quantisation to 8 bits. `None` when nothing is visible.
    pub(super) fn ink_box(&self) -> Option<(usize, usize, usize, usize)> {
        let (cwu, chu, cov) = (self.w, self.h, &self.cov);
        let visible = 0.5 / 255.0;
        let (mut x0, mut y0, mut x1, mut y1) = (usize::MAX, usize::MAX, 0usize, 0usize);
        for y in 0..chu {
            for (x, &c) in cov[y * cwu..(y + 1) * cwu].iter().enumerate() {
                if c > visible {
                    (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
                }
            }
        }
        (x0 < x1).then_some((x0, y0, x1, y1))
    }
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

#[cfg(test)]
mod tests {
    use super::super::render;
    use super::super::tests::{ink_rows, style};
    use crate::limits::Limits;
    use crate::media::Frame;

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
}
