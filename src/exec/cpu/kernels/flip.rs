//! Mirroring for ImageKit `fl-h`, `fl-v`, `fl-h_v` / `fl-v_h`.
//!
//! Owns: [`flip`]. Imports `media`, rayon. Exact pixel moves, in place; the GPU twin is a
//! copy with mirrored indices (`dst[x, y] = src[w−1−x, y]` and/or `src[x, h−1−y]`).

use rayon::prelude::*;

use super::frame_ok;
use crate::media::Frame;

/// Mirror `src` in place: `horizontal` swaps left and right (`fl-h`), `vertical` swaps top
/// and bottom (`fl-v`); both is a half turn. Neither leaves the frame untouched.
pub fn flip(src: &mut Frame, horizontal: bool, vertical: bool) {
    if !frame_ok(src) {
        return;
    }
    let stride = src.stride();
    let h = src.height as usize;
    if vertical {
        // Pair row y with row h−1−y: split at the middle row and walk the bottom half upwards.
        let (top, bottom) = src.data.split_at_mut(stride * (h / 2));
        let bottom = &mut bottom[stride * (h % 2)..];
        top.par_chunks_mut(stride).zip(bottom.par_chunks_mut(stride).rev()).for_each(|(a, b)| {
            a.swap_with_slice(b);
            if horizontal {
                mirror_row(a);
                mirror_row(b);
            }
        });
        if horizontal && h % 2 == 1 {
            let mid = stride * (h / 2);
            mirror_row(&mut src.data[mid..mid + stride]);
        }
    } else if horizontal {
        src.data.par_chunks_mut(stride).for_each(mirror_row);
    }
}

/// Reverse the order of the RGBA pixels of one row.
fn mirror_row(row: &mut [u8]) {
    let n = row.len() / 4;
    for i in 0..n / 2 {
        let (l, r) = row.split_at_mut((n - 1 - i) * 4);
        l[i * 4..i * 4 + 4].swap_with_slice(&mut r[..4]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::cpu::kernels::tests::noise;

    #[test]
    fn flips_move_pixels_to_mirrored_positions() {
        for (w, h) in [(5, 3), (4, 4), (1, 7), (6, 1)] {
            let src = noise(w, h, w + h);
            let mut fh = src.clone();
            flip(&mut fh, true, false);
            let mut fv = src.clone();
            flip(&mut fv, false, true);
            let mut fb = src.clone();
            flip(&mut fb, true, true);
            for y in 0..h {
                for x in 0..w {
                    assert_eq!(fh.pixel(x, y), src.pixel(w - 1 - x, y));
                    assert_eq!(fv.pixel(x, y), src.pixel(x, h - 1 - y));
                    assert_eq!(fb.pixel(x, y), src.pixel(w - 1 - x, h - 1 - y));
                }
            }
        }
    }

    #[test]
    fn flipping_twice_and_not_at_all_is_identity() {
        let src = noise(9, 6, 1);
        let mut f = src.clone();
        flip(&mut f, false, false);
        assert_eq!(f, src);
        flip(&mut f, true, true);
        assert_ne!(f, src);
        flip(&mut f, true, true);
        assert_eq!(f, src);
    }
}
