//! `fo-auto`: an attention crop in the spirit of libvips' `attention` interesting-area
//! strategy.
//!
//! Owns: [`score_map`], [`best_window`]. May import the parent's [`Small`], `media`.
//!
//! The frame is area-downscaled to at most [`ANALYSIS_SIDE`] px. Each pixel scores
//! `edge + 0.7·skin + 0.5·saturation`: `edge` is the Sobel gradient magnitude of luma
//! normalised by the image's largest gradient (detail draws the eye), `skin` is 1 for pixels
//! inside the Kovač RGB skin-tone rule (people), `saturation` is HSV saturation (vivid
//! subjects on dull backgrounds). The crop window of the requested aspect, mapped to the
//! small image, is slid over every position; a summed-area table makes each position O(1).
//! The highest total wins; ties go to the position nearest the centre, so the result is
//! deterministic and a featureless image gives a centre crop.

use super::Small;
use crate::media::Frame;

/// Longest side of the analysed copy.
pub const ANALYSIS_SIDE: u32 = 256;

/// Per-pixel saliency of `s`, row-major, same size.
pub fn score_map(s: &Small) -> Vec<f64> {
    let (w, h) = (s.width, s.height);
    let luma = s.luma();
    let at = |x: isize, y: isize| {
        let xi = x.clamp(0, w as isize - 1) as usize;
        let yi = y.clamp(0, h as isize - 1) as usize;
        f64::from(luma[yi * w + xi])
    };
    let mut edge = Vec::new();
    edge.resize(w * h, 0.0f64);
    let mut max_edge = 0.0f64;
    for y in 0..h {
        for x in 0..w {
            let (xi, yi) = (x as isize, y as isize);
            let gx = at(xi + 1, yi - 1) + 2.0 * at(xi + 1, yi) + at(xi + 1, yi + 1)
                - at(xi - 1, yi - 1)
                - 2.0 * at(xi - 1, yi)
                - at(xi - 1, yi + 1);
            let gy = at(xi - 1, yi + 1) + 2.0 * at(xi, yi + 1) + at(xi + 1, yi + 1)
                - at(xi - 1, yi - 1)
                - 2.0 * at(xi, yi - 1)
                - at(xi + 1, yi - 1);
            let m = (gx * gx + gy * gy).sqrt();
            edge[y * w + x] = m;
            max_edge = max_edge.max(m);
        }
    }
    let norm = if max_edge > 0.0 { 1.0 / max_edge } else { 0.0 };
    edge.iter()
        .zip(&s.rgb)
        .map(|(e, p)| {
            let [r, g, b] = p.map(f64::from);
            let (mx, mn) = (r.max(g).max(b), r.min(g).min(b));
            let sat = if mx > 0.0 { (mx - mn) / mx } else { 0.0 };
            let skin = r > 95.0 && g > 40.0 && b > 20.0 && mx - mn > 15.0 && (r - g).abs() > 15.0 && r > g && r > b;
            e * norm + if skin { 0.7 } else { 0.0 } + 0.5 * sat
        })
        .collect()
}

/// Top-left corner, in `frame` pixels, of the `width` × `height` window with the highest
/// saliency; `None` when the frame cannot be analysed. The result lies inside the frame.
pub fn best_window(frame: &Frame, width: u32, height: u32) -> Option<(u32, u32)> {
    if width >= frame.width && height >= frame.height {
        return Some((0, 0));
    }
    let s = Small::new(frame, ANALYSIS_SIDE)?;
    let (w, h) = (s.width, s.height);
    let score = score_map(&s);
    // Summed-area table with a zero row and column in front.
    let mut sat = Vec::new();
    sat.resize((w + 1) * (h + 1), 0.0f64);
    for y in 0..h {
        let mut row = 0.0;
        for x in 0..w {
            row += score[y * w + x];
            sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1] + row;
        }
    }
    let side = |len: u32, full: usize| -> usize {
        #[expect(clippy::cast_possible_truncation, reason = "clamped to the small side")]
        let v = (f64::from(len) / s.scale).round().clamp(1.0, full as f64) as usize;
        v
    };
    let (ww, wh) = (side(width, w), side(height, h));
    let (cx, cy) = ((w - ww) as f64 / 2.0, (h - wh) as f64 / 2.0);
    let total_at = |x: usize, y: usize| {
        let (x1, y1) = (x + ww, y + wh);
        sat[y1 * (w + 1) + x1] - sat[y * (w + 1) + x1] - sat[y1 * (w + 1) + x] + sat[y * (w + 1) + x]
    };
    let mut best: Option<(f64, f64, usize, usize)> = None;
    for y in 0..=(h - wh) {
        for x in 0..=(w - ww) {
            let total = total_at(x, y);
            let dist = (x as f64 - cx).powi(2) + (y as f64 - cy).powi(2);
            let better = match best {
                None => true,
                Some((bt, bd, _, _)) => {
                    let tol = 1e-9 * bt.abs().max(1.0);
                    total > bt + tol || ((total - bt).abs() <= tol && dist < bd)
                }
            };
            if better {
                best = Some((total, dist, x, y));
            }
        }
    }
    let (bt, _, bx, by) = best?;
    // Nothing beats the centre (a featureless image): the exact centre crop, free of the
    // rounding of the small grid.
    #[expect(clippy::cast_possible_truncation, reason = "floor of a small non-negative offset")]
    let centre_total = total_at(cx.floor() as usize, cy.floor() as usize);
    if bt <= centre_total + 1e-9 * bt.abs().max(1.0) {
        let (fw, fh) = (f64::from(frame.width), f64::from(frame.height));
        return Some(super::centred_window(fw / 2.0, fh / 2.0, width, height, frame.width, frame.height));
    }
    // Map the window's centre back to frame pixels and place the full-size window on it.
    let centre = |b: usize, len: usize| (b as f64 + len as f64 / 2.0) * s.scale;
    Some(super::centred_window(centre(bx, ww), centre(by, wh), width, height, frame.width, frame.height))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    /// A flat grey 400×300 frame with a bright checkered square at (`sx`, `sy`), 60 px.
    fn frame_with_square(sx: u32, sy: u32) -> Frame {
        let mut f = Frame::filled(&Limits::default(), 400, 300, [90, 90, 90, 255]).unwrap();
        for y in sy..sy + 60 {
            for x in sx..sx + 60 {
                let v = if (x / 6 + y / 6) % 2 == 0 { 255 } else { 160 };
                let i = ((y * 400 + x) * 4) as usize;
                f.data[i..i + 4].copy_from_slice(&[v, v / 2, 20, 255]);
            }
        }
        f
    }

    #[test]
    fn window_contains_the_salient_square() {
        for (sx, sy) in [(20, 30), (320, 220), (200, 10)] {
            let f = frame_with_square(sx, sy);
            let (x, y) = best_window(&f, 120, 100).unwrap();
            assert!(x <= sx && x + 120 >= sx + 60, "x {x} for square at {sx}");
            assert!(y <= sy && y + 100 >= sy + 60, "y {y} for square at {sy}");
        }
    }

    #[test]
    fn flat_image_is_centred_and_whole_frame_is_origin() {
        let f = Frame::filled(&Limits::default(), 300, 200, [10, 10, 10, 255]).unwrap();
        assert_eq!(best_window(&f, 100, 100), Some((100, 50)));
        assert_eq!(best_window(&f, 300, 200), Some((0, 0)));
        let thin = Frame::filled(&Limits::default(), 5000, 1, [10, 200, 10, 255]).unwrap();
        let (x, y) = best_window(&thin, 10, 1).unwrap();
        assert!(x <= 4990 && y == 0);
    }
}
