//! Linear gradient overlay (`e-gradient`): the CPU twin of `shaders/gradient.wgsl`.
//!
//! Owns: [`gradient`], [`GradientParams`]. Imports `plan::warp` (the CSS gradient line),
//! `media`, the parent's helpers, rayon.
//!
//! For each pixel centre `p`, `t = clamp(position(p) / stop, 0, 1)` along the gradient line;
//! the gradient colour is `from + (to − from)·t` on premultiplied values (CSS interpolates
//! premultiplied, so a transparent end fades without a grey fringe), drawn over the pixel
//! source-over. In `f32` on a 0..=255 scale, as the shader does on 0..1.

use rayon::prelude::*;

use super::{frame_ok, premultiply_px, unpremultiply_px};
use crate::media::Frame;
use crate::plan::warp::GradientLine;

/// The shader's parameters, in `f32`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradientParams {
    /// Start of the gradient line.
    pub start: [f32; 2],
    /// Unit direction.
    pub dir: [f32; 2],
    /// Pixels along the line where `to` is reached (> 0).
    pub stop: f32,
    /// Premultiplied `from`, 0..=255.
    pub from: [f32; 4],
    /// Premultiplied `to`, 0..=255.
    pub to: [f32; 4],
}

impl GradientParams {
    /// Parameters for a frame of `size`.
    pub fn new(size: (u32, u32), degrees: f32, from: [u8; 4], to: [u8; 4], stop: f32) -> Self {
        let line = GradientLine::new(size, f64::from(degrees));
        #[expect(clippy::cast_possible_truncation, reason = "f32 is the shader's precision")]
        let f = |v: f64| v as f32;
        GradientParams {
            start: line.start.map(f),
            dir: line.dir.map(f),
            stop: if stop > 0.0 { stop } else { 0.01 },
            from: premultiply_px(from),
            to: premultiply_px(to),
        }
    }
}

/// Draw the gradient over `frame` in place (an unusable frame is left alone).
pub fn gradient(frame: &mut Frame, degrees: f32, from: [u8; 4], to: [u8; 4], stop: f32) {
    if !frame_ok(frame) {
        return;
    }
    let p = GradientParams::new((frame.width, frame.height), degrees, from, to, stop);
    let stride = frame.stride();
    frame.data.par_chunks_mut(stride).enumerate().for_each(|(y, row)| {
        for (x, px) in row.chunks_exact_mut(4).enumerate() {
            let out = gradient_px(&p, [px[0], px[1], px[2], px[3]], x, y);
            px.copy_from_slice(&out);
        }
    });
}

/// One pixel: `main` of `gradient.wgsl`.
#[inline]
fn gradient_px(p: &GradientParams, src: [u8; 4], x: usize, y: usize) -> [u8; 4] {
    #[expect(clippy::cast_precision_loss, reason = "pixel indices are far below 2^24")]
    let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
    let d = (px - p.start[0]) * p.dir[0] + (py - p.start[1]) * p.dir[1];
    let t = (d / p.stop).clamp(0.0, 1.0);
    let s = premultiply_px(src);
    let mut out = [0.0f32; 4];
    let ga = p.from[3] + (p.to[3] - p.from[3]) * t;
    for i in 0..4 {
        let g = p.from[i] + (p.to[i] - p.from[i]) * t;
        out[i] = g + s[i] * (1.0 - ga / 255.0);
    }
    unpremultiply_px(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Limits;

    #[test]
    fn endpoints_have_the_from_and_to_colours_at_the_right_rows() {
        let l = Limits::default();
        // `ld-bottom`, opaque red → opaque blue over the full height of a 40×100 grey frame.
        let mut f = Frame::filled(&l, 40, 100, [128, 128, 128, 255]).unwrap();
        gradient(&mut f, 180.0, [255, 0, 0, 255], [0, 0, 255, 255], 100.0);
        let top = f.pixel(20, 0);
        assert!(top[0] >= 252 && top[2] <= 3, "row 0 is from: {top:?}");
        let bottom = f.pixel(20, 99);
        assert!(bottom[2] >= 252 && bottom[0] <= 3, "last row is to: {bottom:?}");
        let mid = f.pixel(5, 49);
        assert!(mid[0].abs_diff(mid[2]) <= 4, "half way at the middle row: {mid:?}");
        // `ld-top` with a stop at 30 %: the bottom row is `from`, everything from 30 rows up is `to`.
        let mut f = Frame::filled(&l, 40, 100, [128, 128, 128, 255]).unwrap();
        gradient(&mut f, 0.0, [255, 0, 0, 255], [0, 255, 0, 255], 30.0);
        assert!(f.pixel(0, 99)[0] >= 247, "{:?}", f.pixel(0, 99));
        for y in [0, 50, 69] {
            assert_eq!(f.pixel(7, y), [0, 255, 0, 255], "row {y} is past the stop point");
        }
    }

    #[test]
    fn a_transparent_end_leaves_the_image() {
        let l = Limits::default();
        let mut f = Frame::filled(&l, 10, 10, [10, 200, 30, 255]).unwrap();
        // The documented default: opaque white → transparent black, towards the bottom.
        gradient(&mut f, 180.0, [255, 255, 255, 255], [0, 0, 0, 0], 10.0);
        assert!(f.pixel(3, 0)[0] > 200, "near-white at the top: {:?}", f.pixel(3, 0));
        let b = f.pixel(3, 9);
        assert!(b[1] >= 190 && b[0] < 40, "the image shows through at the bottom: {b:?}");
        // Over transparency the gradient keeps its own alpha.
        let mut t = Frame::filled(&l, 10, 10, [0, 0, 0, 0]).unwrap();
        gradient(&mut t, 90.0, [0, 0, 0, 0], [0, 0, 255, 255], 10.0);
        assert!(t.pixel(0, 5)[3] < 20 && t.pixel(9, 5)[3] > 235);
    }
}
