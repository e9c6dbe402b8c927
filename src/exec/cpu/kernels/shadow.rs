//! Drop shadow (`e-shadow`): the CPU twin of `shaders/shadow.wgsl` (the mask) followed by the
//! blur and composite twins.
//!
//! Owns: [`shadow_mask`], [`drop_shadow`]. Imports `media`, `limits`, `error`, the sibling
//! `blur` and `composite` kernels, rayon.
//!
//! The shadow is the frame's alpha, moved by (`dx`, `dy`), as black at `opacity`; it is
//! blurred with the Gaussian of `blur` and the frame is drawn over it (source-over). The
//! canvas keeps its size: shadow moved past an edge is clipped, and where the frame is
//! opaque the shadow does not show.

use rayon::prelude::*;

use super::{blank_frame, blur, clamp_u8, composite, require_frame};
use crate::error::Result;
use crate::limits::Limits;
use crate::media::Frame;

/// Black pixels whose alpha is `opacity ×` the alpha of `src` at (`x − dx`, `y − dy`), 0
/// outside `src`.
pub fn shadow_mask(limits: &Limits, src: &Frame, dx: i32, dy: i32, opacity: f32) -> Result<Frame> {
    require_frame(src)?;
    let (w, h) = (i64::from(src.width), i64::from(src.height));
    let opacity = if opacity.is_nan() { 0.0 } else { opacity.clamp(0.0, 1.0) };
    let mut out = blank_frame(limits, src.width, src.height)?;
    let stride = src.stride();
    out.data.par_chunks_mut(stride).enumerate().for_each(|(y, row)| {
        let sy = i64::try_from(y).unwrap_or(0) - i64::from(dy);
        for (x, o) in row.chunks_exact_mut(4).enumerate() {
            let sx = i64::try_from(x).unwrap_or(0) - i64::from(dx);
            if (0..w).contains(&sx) && (0..h).contains(&sy) {
                let a = src.pixel(u32::try_from(sx).unwrap_or(0), u32::try_from(sy).unwrap_or(0))[3];
                o[3] = clamp_u8(f32::from(a) * opacity);
            }
        }
    });
    Ok(out)
}

/// `e-shadow`: mask ([`shadow_mask`]) → Gaussian blur of `sigma` → `src` over it.
pub fn drop_shadow(limits: &Limits, src: &Frame, sigma: f32, opacity: f32, dx: i32, dy: i32) -> Result<Frame> {
    let mask = shadow_mask(limits, src, dx, dy, opacity)?;
    let mut out = blur::gaussian_blur(limits, &mask, sigma)?;
    composite::overlay(&mut out, src, 0, 0, 1.0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 60×40 transparent frame with an opaque red 20×10 block at (10, 10).
    fn object() -> Frame {
        let l = Limits::default();
        let mut f = Frame::filled(&l, 60, 40, [0, 0, 0, 0]).unwrap();
        for y in 10..20u32 {
            for x in 10..30u32 {
                let i = ((y * 60 + x) * 4) as usize;
                f.data[i..i + 4].copy_from_slice(&[255, 0, 0, 255]);
            }
        }
        f
    }

    #[test]
    fn the_offset_lands_where_expected() {
        let l = Limits::default();
        let out = drop_shadow(&l, &object(), 0.0, 0.5, 12, -4).unwrap();
        assert_eq!((out.width, out.height), (60, 40));
        // The object is unchanged on top.
        assert_eq!(out.pixel(10, 10), [255, 0, 0, 255]);
        assert_eq!(out.pixel(29, 19), [255, 0, 0, 255]);
        // Unblurred shadow: the block moved 12 right and 4 up, black at half opacity, where
        // the object does not cover it.
        assert_eq!(out.pixel(41, 6), [0, 0, 0, 128], "shadow's top-right corner");
        assert_eq!(out.pixel(30, 15), [0, 0, 0, 128]);
        assert_eq!(out.pixel(42, 6)[3], 0, "one past it");
        assert_eq!(out.pixel(21, 5)[3], 0, "above the moved block");
        assert_eq!(out.pixel(5, 30), [0, 0, 0, 0]);
    }

    #[test]
    fn blur_softens_and_opaque_frames_are_unchanged() {
        let l = Limits::default();
        let out = drop_shadow(&l, &object(), 3.0, 0.3, 5, 5).unwrap();
        let a = |x, y| out.pixel(x, y)[3];
        assert!(a(32, 22) > 0 && a(32, 22) < 77, "soft edge {}", a(32, 22));
        assert!(a(26, 22) > a(26, 27), "fades away from the block");
        let opaque = crate::exec::cpu::kernels::tests::noise(30, 20, 2);
        assert_eq!(drop_shadow(&l, &opaque, 4.0, 1.0, 3, 3).unwrap(), opaque);
    }
}
