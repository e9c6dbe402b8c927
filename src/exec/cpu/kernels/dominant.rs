//! Dominant colour for `bg-dominant` (engine spec §5, rewriter D1).
//!
//! Owns: [`dominant_color`], [`dominant_colors`] (a palette, for `bg-gradient_dominant`), [`bin_of`]. Imports `media`, the parent's `Rgba`, rayon. A
//! whole-image reduction (histogram + arg-max), so it has no per-pixel shader twin; the GPU
//! backend computes it on the CPU from the frame it already holds, or from a downloaded one.
//!
//! The rule, as the spec states it: quantise each channel to its 5 high bits (32³ bins), take
//! the most frequent bin, return the centre of that bin, opaque. Ties go to the bin whose
//! first pixel comes first in raster order. One addition, on a point the spec leaves open
//! (an inference, tagged \[I\] in spec terms): fully transparent pixels are not counted (their
//! colour is invisible, and counting them would make every logo on a transparent canvas
//! "black"); an image with no visible pixel gives opaque black, the default `bg`.

use rayon::prelude::*;

use super::Rgba;
use crate::media::Frame;

/// Number of bins: 32 levels per channel.
const BINS: usize = 1 << 15;

/// The histogram bin of a colour: the 5 high bits of r, g, b packed as `r·1024 + g·32 + b`.
#[inline]
pub fn bin_of(r: u8, g: u8, b: u8) -> usize {
    (usize::from(r >> 3) << 10) | (usize::from(g >> 3) << 5) | usize::from(b >> 3)
}

/// Counts and first raster index per bin, for one band of rows.
struct Hist {
    count: Vec<u32>,
    first: Vec<u64>,
}

impl Hist {
    fn new() -> Hist {
        Hist { count: vec![0; BINS], first: vec![u64::MAX; BINS] }
    }

    fn merge(mut self, other: Hist) -> Hist {
        for i in 0..BINS {
            self.count[i] = self.count[i].saturating_add(other.count[i]);
            self.first[i] = self.first[i].min(other.first[i]);
        }
        self
    }
}

/// The most frequent 15-bit colour of `src` (see the module doc), as the centre of its bin
/// (`(level << 3) | 4` per channel), alpha 255.
pub fn dominant_color(src: &Frame) -> Rgba {
    dominant_colors(src, 1)[0]
}

/// Smallest distance, in 5-bit levels on the farthest channel, between two colours of a
/// palette: neighbouring bins of one colour (a photo's sky spans many) are not two colours.
const PALETTE_SEPARATION: usize = 4;

/// The `n` (≥ 1) most frequent 15-bit colours of `src`, each at least
/// [`PALETTE_SEPARATION`] levels from those before it, most frequent first (ties as in
/// [`dominant_color`]). When the image has fewer distinct colours, the last one repeats; an
/// image with no visible pixel gives opaque black.
pub fn dominant_colors(src: &Frame, n: usize) -> Vec<Rgba> {
    let hist = histogram(src);
    let mut order: Vec<usize> = (0..BINS).filter(|&k| hist.count[k] > 0).collect();
    order.sort_unstable_by(|&a, &b| hist.count[b].cmp(&hist.count[a]).then(hist.first[a].cmp(&hist.first[b])));
    let level = |k: usize, shift: usize| (k >> shift) & 31;
    let far = |a: usize, b: usize| [10, 5, 0].iter().any(|&s| level(a, s).abs_diff(level(b, s)) >= PALETTE_SEPARATION);
    let mut picked: Vec<usize> = Vec::with_capacity(n);
    for k in order {
        if picked.len() == n.max(1) {
            break;
        }
        if picked.iter().all(|&p| far(p, k)) {
            picked.push(k);
        }
    }
    let centre = |k: usize, shift: usize| u8::try_from((level(k, shift) << 3) | 4).unwrap_or(u8::MAX);
    let mut out: Vec<Rgba> = picked.iter().map(|&k| [centre(k, 10), centre(k, 5), centre(k, 0), 255]).collect();
    let last = out.last().copied().unwrap_or([0, 0, 0, 255]);
    out.resize(n.max(1), last);
    out
}

fn histogram(src: &Frame) -> Hist {
    // Bands of 64 rows: few enough per-band histograms (256 KiB each) to merge cheaply, and
    // u32 counts cannot overflow inside a band of a frame that fits in memory.
    let band = src.stride() * 64;
    src.data
        .par_chunks(band.max(4))
        .enumerate()
        .fold(Hist::new, |mut h, (bi, rows)| {
            let base = (bi * band / 4) as u64;
            for (i, p) in (base..).zip(rows.chunks_exact(4)) {
                if p[3] != 0 {
                    let k = bin_of(p[0], p[1], p[2]);
                    h.count[k] += 1;
                    h.first[k] = h.first[k].min(i);
                }
            }
            h
        })
        .reduce(Hist::new, Hist::merge)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    fn paint(f: &mut Frame, from: usize, n: usize, px: Rgba) {
        for p in f.data.chunks_exact_mut(4).skip(from).take(n) {
            p.copy_from_slice(&px);
        }
    }

    #[test]
    fn most_frequent_bin_wins_and_centre_is_returned() {
        let l = Limits::default();
        let mut f = Frame::filled(&l, 10, 10, [200, 10, 10, 255]).unwrap();
        paint(&mut f, 0, 30, [0, 0, 250, 255]);
        // 41 greens spread over one bin (64..=71, 128..=135, 0..=7) beat 30 reds and 29 blues.
        for (i, p) in f.data.chunks_exact_mut(4).enumerate().skip(30).take(41) {
            let j = u8::try_from(i % 8).unwrap();
            p.copy_from_slice(&[64 + j, 128 + j, j, 255]);
        }
        assert_eq!(dominant_color(&f), [68, 132, 4, 255]);
    }

    #[test]
    fn ties_go_to_the_bin_seen_first() {
        let l = Limits::default();
        let mut f = Frame::filled(&l, 4, 100, [255, 255, 255, 255]).unwrap();
        paint(&mut f, 0, 200, [0, 0, 0, 255]);
        assert_eq!(dominant_color(&f), [4, 4, 4, 255], "black starts at pixel 0");
        // Reverse the pixel order (reverse all bytes, then each pixel's bytes back): now
        // white comes first.
        f.data.reverse();
        for p in f.data.chunks_exact_mut(4) {
            p.reverse();
        }
        assert_eq!(dominant_color(&f), [252, 252, 252, 255]);
    }

    #[test]
    fn transparent_pixels_are_ignored() {
        let l = Limits::default();
        let mut f = Frame::filled(&l, 10, 10, [0, 0, 0, 0]).unwrap();
        paint(&mut f, 50, 3, [255, 0, 0, 40]);
        assert_eq!(dominant_color(&f), [252, 4, 4, 255]);
        assert_eq!(dominant_color(&Frame::filled(&l, 2, 2, [9, 9, 9, 0]).unwrap()), [0, 0, 0, 255]);
    }

    #[test]
    fn palette_skips_neighbouring_bins_and_repeats_when_short() {
        let l = Limits::default();
        let mut f = Frame::filled(&l, 10, 10, [200, 10, 10, 255]).unwrap();
        // 30 near-reds one bin away from the 50 reds, then 20 blues: the palette is red, blue.
        paint(&mut f, 0, 30, [208, 10, 10, 255]);
        paint(&mut f, 30, 20, [0, 0, 250, 255]);
        assert_eq!(dominant_colors(&f, 2), vec![[204, 12, 12, 255], [4, 4, 252, 255]]);
        assert_eq!(dominant_colors(&f, 4)[2..], [[4, 4, 252, 255], [4, 4, 252, 255]], "the last repeats");
        assert_eq!(dominant_colors(&f, 1), vec![dominant_color(&f)]);
        let clear = Frame::filled(&l, 2, 2, [9, 9, 9, 0]).unwrap();
        assert_eq!(dominant_colors(&clear, 2), vec![[0, 0, 0, 255]; 2]);
    }
}
