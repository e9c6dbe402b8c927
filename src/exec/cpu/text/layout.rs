//! Text layout: lengths resolved against the parent, line measurement and wrapping, and
//! `pa` padding.
//!
//! Owns: [`resolve`], [`advance`], [`lines`], [`padding`]. May import `job`, `error` and the
//! parent's pixel-rounding helpers; ab_glyph outside.

use ab_glyph::{Font, GlyphId, ScaleFont};

use super::round_px;
use crate::error::{Error, Result};
use crate::job::{Dim, Var};

/// Resolve a length against the parent: pixels, a fraction of `axis`, or an expression in
/// which every size variable is the parent's.
pub(super) fn resolve(key: &str, d: &Dim, axis: u32, parent: (u32, u32)) -> Result<f64> {
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

/// Width of `s` laid out on one line: advances plus kerning.
pub(super) fn advance<F: Font, S: ScaleFont<F>>(font: &S, s: &str) -> f32 {
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
pub(super) fn lines<F: Font, S: ScaleFont<F>>(font: &S, text: &str, wrap: Option<f32>) -> Vec<String> {
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

/// Padding in CSS shorthand order → (top, right, bottom, left) pixels.
pub(super) fn padding(pa: &[Dim], parent: (u32, u32)) -> Result<[u32; 4]> {
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

#[cfg(test)]
mod tests {
    use super::super::render;
    use super::super::tests::style;
    use crate::job::Dim;
    use crate::limits::Limits;

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
}
