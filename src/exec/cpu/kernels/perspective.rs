//! Perspective distortion (`e-distort-p`): the CPU twin of `shaders/perspective.wgsl`.
//!
//! Owns: [`perspective`], [`perspective_params`]. Imports `plan::warp` (the geometry), `media`,
//! `limits`, `error`, the parent's helpers, rayon.
//!
//! The output is the bounding box of the four corners (`warp::perspective_box`). Each output
//! pixel centre goes through the inverse homography (`warp::perspective_matrix`, computed in
//! `f64`, applied in `f32` as the shader does) to a source position, sampled bilinearly on
//! premultiplied alpha ([`super::sample_bilinear`]); positions outside the source, or
//! behind the horizon, are transparent.

use rayon::prelude::*;

use super::{blank_frame, require_frame, sample_bilinear, unpremultiply_px};
use crate::error::Result;
use crate::limits::Limits;
use crate::media::Frame;
use crate::plan::warp::{perspective_box, perspective_matrix};

/// The inverse homography as the kernels use it (`f32`, row-major) and the output size.
pub fn perspective_params(src: (u32, u32), corners: &[i32; 8]) -> ([f32; 9], (u32, u32)) {
    let m = perspective_matrix(src, corners);
    #[expect(clippy::cast_possible_truncation, reason = "f32 is the shader's precision")]
    let m = m.map(|v| v as f32);
    (m, perspective_box(corners).1)
}

/// Map the corners of `src` onto `corners` (`[x1, y1, …, x4, y4]`: top-left, top-right,
/// bottom-right, bottom-left); see the module doc.
pub fn perspective(limits: &Limits, src: &Frame, corners: &[i32; 8]) -> Result<Frame> {
    require_frame(src)?;
    let (m, (ow, oh)) = perspective_params((src.width, src.height), corners);
    let mut out = blank_frame(limits, ow, oh)?;
    let stride = ow as usize * 4;
    out.data.par_chunks_mut(stride).enumerate().for_each(|(y, row)| {
        for (x, o) in row.chunks_exact_mut(4).enumerate() {
            o.copy_from_slice(&perspective_px(&m, src, x, y));
        }
    });
    Ok(out)
}

/// One output pixel: `main` of `perspective.wgsl`.
#[inline]
fn perspective_px(m: &[f32; 9], src: &Frame, x: usize, y: usize) -> [u8; 4] {
    #[expect(clippy::cast_precision_loss, reason = "pixel indices are far below 2^24")]
    let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
    let wp = m[6] * px + m[7] * py + m[8];
    if wp.is_nan() || wp <= 0.0 {
        return [0; 4];
    }
    let u = (m[0] * px + m[1] * py + m[2]) / wp;
    let v = (m[3] * px + m[4] * py + m[5]) / wp;
    unpremultiply_px(sample_bilinear(src, u - 0.5, v - 0.5))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::cpu::kernels::tests::noise;

    #[test]
    fn identity_corners_return_the_input() {
        let l = Limits::default();
        let src = noise(37, 23, 4);
        assert_eq!(perspective(&l, &src, &[0, 0, 37, 0, 37, 23, 0, 23]).unwrap(), src);
    }

    #[test]
    fn a_translated_quad_moves_pixels_and_a_known_point_lands_where_expected() {
        let l = Limits::default();
        let src = noise(20, 10, 9);
        // A 3× scale: the centre of output pixel (3x + 1, 3y + 1) is (3x + 1.5, 3y + 1.5),
        // which maps to (x + 0.5, y + 0.5), the centre of source pixel (x, y): its colour.
        let out = perspective(&l, &src, &[0, 0, 60, 0, 60, 30, 0, 30]).unwrap();
        for (x, y) in [(0, 0), (5, 3), (19, 9)] {
            assert_eq!(out.pixel(3 * x + 1, 3 * y + 1), src.pixel(x, y), "({x}, {y})");
        }
        // A trapezoid: the top edge shrinks to the middle half, the bottom keeps its width.
        let flat = Frame::filled(&l, 40, 20, [200, 10, 10, 255]).unwrap();
        let out = perspective(&l, &flat, &[10, 0, 30, 0, 40, 20, 0, 20]).unwrap();
        assert_eq!((out.width, out.height), (40, 20));
        assert_eq!(out.pixel(0, 0)[3], 0, "outside the top-left corner");
        assert_eq!(out.pixel(20, 1), [200, 10, 10, 255]);
        assert_eq!(out.pixel(1, 19)[0], 200, "bottom-left is covered");
    }
}
