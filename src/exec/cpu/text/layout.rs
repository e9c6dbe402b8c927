//! Text layout: lengths resolved against the parent, line measurement and wrapping, and
//! `pa` padding.
//!
//! Owns: [`resolve`], [`lines`], [`padding`]. May import `job`, `error`, the parent's
//! pixel-rounding helpers and the sibling `shape` (every width is a shaped width).

use super::round_px;
use super::shape::{Fonts, Line};
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

/// Split `text` into shaped lines: `\n` always breaks; with `wrap`, words wrap greedily (a
/// word joins the line while the line still fits) and a word wider than `wrap` is broken
/// between shaping clusters, never inside one (at least one cluster per line). Candidate
/// lines are measured word by word, each word shaped with the space before it, so the cost
/// stays linear in the text; every finished line is shaped whole for drawing.
pub(super) fn lines(fonts: &Fonts<'_>, text: &str, wrap: Option<f32>) -> Vec<Line> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let para = para.strip_suffix('\r').unwrap_or(para);
        let Some(wrap) = wrap else {
            out.push(fonts.shape(para));
            continue;
        };
        let (mut line, mut width) = (String::new(), 0.0);
        for word in para.split_whitespace() {
            if !line.is_empty() {
                let more = fonts.shape(&format!(" {word}")).width;
                if width + more <= wrap {
                    (line, width) = (format!("{line} {word}"), width + more);
                    continue;
                }
                out.push(fonts.shape(&std::mem::take(&mut line)));
            }
            let shaped = fonts.shape(word);
            if shaped.width <= wrap {
                (line, width) = (word.to_owned(), shaped.width);
                continue;
            }
            // Break the long word: grow a chunk cluster by cluster while it fits, measured
            // with the advances of the word shaped whole.
            let clusters = shaped.clusters(word);
            width = 0.0;
            for (i, &(start, w)) in clusters.iter().enumerate() {
                let end = clusters.get(i + 1).map_or(word.len(), |c| c.0);
                if !line.is_empty() && width + w > wrap {
                    out.push(fonts.shape(&std::mem::take(&mut line)));
                    width = 0.0;
                }
                line.push_str(&word[start..end]);
                width += w;
            }
        }
        out.push(fonts.shape(&line));
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
    use super::super::shape::Fonts;
    use super::super::tests::style;
    use super::lines;
    use crate::job::Dim;
    use crate::limits::Limits;

    #[test]
    fn a_long_devanagari_word_breaks_between_syllables() {
        let fonts = Fonts::new(None, 40.0).unwrap();
        // नमस्तेनमस्ते: न म स्ते न म स्ते; at ~1.5 syllables per line, each line holds one
        // syllable and स्ते (a half form of स joined to ते) is never split after its virama.
        let word = "नमस्तेनमस्ते";
        let one = fonts.shape("न").width;
        let out = lines(&fonts, word, Some(one * 1.5));
        assert!(out.len() >= 4, "{}", out.len());
        let mut glyphs = 0;
        for l in &out {
            assert!(!l.glyphs.is_empty() && l.glyphs.iter().all(|g| g.id.0 != 0), "{l:?}");
            glyphs += l.glyphs.len();
        }
        // Shaped per line, the glyphs are those of the word shaped whole: no broken conjunct
        // (which would add a visible virama glyph).
        assert_eq!(glyphs, fonts.shape(word).glyphs.len());
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
}
