//! Solid border for ImageKit `b-<width>_<colour>`: CPU twin of the pad path of
//! `shaders/composite.wgsl`.
//!
//! Owns: [`border`]. Imports `media`, `limits`, `error`, the parent's helpers, rayon.
//! Per output pixel: the source pixel at `(x − width, y − width)` when that lies inside the
//! source, otherwise `color`. The source is copied, not composited: a transparent pixel of
//! the image stays transparent inside the frame.

use rayon::prelude::*;

use super::{copy_frame, require_frame, Rgba};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::media::Frame;

/// `src` framed by `width` pixels of `color` on every side: output
/// `(w + 2·width) × (h + 2·width)`. Width 0 returns a copy; a size that overflows `u32` is
/// an invalid-argument error naming `b`, and a buffer over the limits a `TooLarge` error.
pub fn border(limits: &Limits, src: &Frame, width: u32, color: Rgba) -> Result<Frame> {
    require_frame(src)?;
    if width == 0 {
        return copy_frame(limits, src);
    }
    let grow = |side: u32| {
        u32::try_from(u64::from(side) + 2 * u64::from(width))
            .map_err(|_| Error::invalid("b", width.to_string(), "border makes the image too large"))
    };
    let (ow, oh) = (grow(src.width)?, grow(src.height)?);
    let mut out = Frame::filled(limits, ow, oh, color)?;
    let (b, stride, ostride) = (width as usize, src.stride(), out.stride());
    let inner = &mut out.data[b * ostride..(b + src.height as usize) * ostride];
    inner.par_chunks_mut(ostride).zip(src.data.par_chunks(stride)).for_each(|(o, s)| {
        o[b * 4..b * 4 + stride].copy_from_slice(s);
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::cpu::kernels::tests::noise;

    #[test]
    fn border_size_colour_and_placement() {
        let l = Limits::default();
        let src = noise(7, 4, 3);
        let red = [255, 0, 0, 255];
        let out = border(&l, &src, 3, red).unwrap();
        assert_eq!((out.width, out.height), (13, 10));
        for (x, y) in [(0, 0), (12, 9), (2, 5), (10, 5), (6, 2), (6, 7)] {
            assert_eq!(out.pixel(x, y), red, "({x},{y})");
        }
        assert_eq!(out.pixel(3, 3), src.pixel(0, 0));
        assert_eq!(out.pixel(9, 6), src.pixel(6, 3));
        assert_eq!(border(&l, &src, 0, red).unwrap(), src);
    }

    #[test]
    fn huge_widths_are_errors() {
        let l = Limits::default();
        let src = noise(2, 2, 1);
        assert_eq!(border(&l, &src, u32::MAX, [0; 4]).unwrap_err().key(), Some("b"));
        assert!(border(&l, &src, 1 << 20, [0; 4]).is_err(), "over max_alloc");
    }
}
