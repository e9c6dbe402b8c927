//! Dominant colour for `bg-dominant` (engine spec §5, rewriter D1).
//!
//! Owns: [`dominant_color`], [`bin_of`]. Imports `media`, the parent's `Rgba`, rayon. A
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
    // Bands of 64 rows: few enough per-band histograms (256 KiB each) to merge cheaply, and
    // u32 counts cannot overflow inside a band of a frame that fits in memory.
    let band = src.stride() * 64;
    let hist = src
        .data
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
        .reduce(Hist::new, Hist::merge);
    let best = (0..BINS)
        .filter(|&k| hist.count[k] > 0)
        .max_by(|&a, &b| hist.count[a].cmp(&hist.count[b]).then(hist.first[b].cmp(&hist.first[a])));
    let Some(k) = best else {
        return [0, 0, 0, 255];
    };
    let level = |shift: usize| u8::try_from((((k >> shift) & 31) << 3) | 4).unwrap_or(u8::MAX);
    [level(10), level(5), level(0), 255]
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
}
