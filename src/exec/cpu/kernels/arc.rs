//! Arc distortion (`e-distort-a`): the CPU twin of `shaders/arc.wgsl`.
//!
//! Owns: [`arc`], [`ArcParams`]. Imports `plan::warp` (the geometry, ImageMagick's `-distort
//! Arc`), `media`, `limits`, `error`, the parent's helpers, rayon.
//!
//! Each output pixel centre is turned into an angle φ from the arc's axis and a radius ρ
//! about the circle centre; φ picks the source column linearly (`u = (φ/a + ½)·w`) and ρ the
//! row (`v = r_top − ρ` for a frown, `ρ − r_top` for a smile, r_top being the top edge's
//! radius). The point is sampled bilinearly ([`super::sample_bilinear`]); outside the
//! source it is transparent. All in `f32`, as in the shader.

use rayon::prelude::*;

use super::{blank_frame, require_frame, sample_bilinear, unpremultiply_px};
use crate::error::Result;
use crate::limits::Limits;
use crate::media::Frame;
use crate::plan::warp::ArcGeometry;

/// The shader's parameters, in `f32`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ArcParams {
    /// Output size.
    pub size: (u32, u32),
    /// Circle centre in output pixels.
    pub centre: [f32; 2],
    /// |angle| in radians.
    pub angle: f32,
    /// Source width.
    pub width: f32,
    /// Radius of the source's top edge.
    pub top_radius: f32,
    /// 1 for a frown (centre below), −1 for a smile (centre above).
    pub sign: f32,
}

impl ArcParams {
    /// Parameters for a source of `size` arced by `degrees`.
    pub fn new(size: (u32, u32), degrees: f64) -> Self {
        let g = ArcGeometry::new(size, degrees);
        let h = f64::from(size.1);
        let top = if g.frown { g.mid_radius + h / 2.0 } else { g.mid_radius - h / 2.0 };
        #[expect(clippy::cast_possible_truncation, reason = "f32 is the shader's precision")]
        ArcParams {
            size: g.size,
            centre: [g.centre[0] as f32, g.centre[1] as f32],
            angle: g.angle as f32,
            width: f64::from(size.0) as f32,
            top_radius: top as f32,
            sign: if g.frown { 1.0 } else { -1.0 },
        }
    }
}

/// Bend `src` over an arc of `degrees` (positive = frown, negative = smile).
pub fn arc(limits: &Limits, src: &Frame, degrees: f64) -> Result<Frame> {
    require_frame(src)?;
    let p = ArcParams::new((src.width, src.height), degrees);
    let mut out = blank_frame(limits, p.size.0, p.size.1)?;
    let stride = p.size.0 as usize * 4;
    out.data.par_chunks_mut(stride).enumerate().for_each(|(y, row)| {
        for (x, o) in row.chunks_exact_mut(4).enumerate() {
            o.copy_from_slice(&arc_px(&p, src, x, y));
        }
    });
    Ok(out)
}

/// One output pixel: `main` of `arc.wgsl`.
#[inline]
fn arc_px(p: &ArcParams, src: &Frame, x: usize, y: usize) -> [u8; 4] {
    #[expect(clippy::cast_precision_loss, reason = "pixel indices are far below 2^24")]
    let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
    let dx = px - p.centre[0];
    // Upwards from the centre for a frown, downwards for a smile.
    let dy = (p.centre[1] - py) * p.sign;
    let phi = dx.atan2(dy);
    let rho = (dx * dx + dy * dy).sqrt();
    let u = (phi / p.angle + 0.5) * p.width;
    let v = (p.top_radius - rho) * p.sign;
    unpremultiply_px(sample_bilinear(src, u - 0.5, v - 0.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frown_and_smile_geometry() {
        let l = Limits::default();
        // Top half red, bottom half blue: the arc keeps red outside (frown) / inside (smile).
        let mut src = Frame::filled(&l, 314, 40, [0, 0, 255, 255]).unwrap();
        for y in 0..20 {
            for x in 0..314 {
                let i = ((y * 314 + x) * 4) as usize;
                src.data[i..i + 4].copy_from_slice(&[255, 0, 0, 255]);
            }
        }
        let out = arc(&l, &src, 180.0).unwrap();
        let g = ArcGeometry::new((314, 40), 180.0);
        assert_eq!((out.width, out.height), g.size);
        let cx = out.width / 2;
        assert_eq!(out.pixel(cx, 2), [255, 0, 0, 255], "top of the arc is the source's top");
        assert_eq!(out.pixel(cx, 37), [0, 0, 255, 255], "then its bottom");
        assert_eq!(out.pixel(cx, out.height - 1)[3], 0, "the circle's centre is empty");
        assert_eq!(out.pixel(0, 0)[3], 0, "corners outside the annulus are transparent");
        let smile = arc(&l, &src, -180.0).unwrap();
        assert_eq!((smile.width, smile.height), g.size);
        let h = smile.height;
        assert_eq!(smile.pixel(cx, h - 3), [0, 0, 255, 255], "the bottom of a smile is the source's bottom");
        assert_eq!(smile.pixel(cx, h - 38), [255, 0, 0, 255]);
        assert_eq!(smile.pixel(cx, 0)[3], 0);
    }

    #[test]
    fn columns_keep_their_order() {
        let l = Limits::default();
        // Left half green, right half white: the left end of the arc is green.
        let mut src = Frame::filled(&l, 200, 20, [255, 255, 255, 255]).unwrap();
        for y in 0..20u32 {
            for x in 0..100u32 {
                let i = ((y * 200 + x) * 4) as usize;
                src.data[i..i + 4].copy_from_slice(&[0, 255, 0, 255]);
            }
        }
        let out = arc(&l, &src, 90.0).unwrap();
        let row = out.height / 2;
        let first = (0..out.width).find(|&x| out.pixel(x, row)[3] == 255).unwrap();
        let last = (0..out.width).rev().find(|&x| out.pixel(x, row)[3] == 255).unwrap();
        assert_eq!(out.pixel(first, row), [0, 255, 0, 255]);
        assert_eq!(out.pixel(last, row), [255, 255, 255, 255]);
    }
}
