//! Dispatcher for `shaders/rotate.wgsl`: quarter turns and arbitrary angles.
//!
//! Owns: [`encode`]. Twin: `exec::cpu::kernels::rotate::rotate`, whose angle handling (error on
//! a non-finite angle, `rem_euclid(360)`, right angles exact) and output size
//! ([`rotated_size`]) are reused here unchanged.

use bytemuck::{Pod, Zeroable};

use super::premultiplied;
use crate::error::{Error, Result};
use crate::exec::cpu::kernels::rotate::rotated_size;
use crate::exec::gpu::kernels::ROTATE;
use crate::exec::gpu::transfer::{uniform, Chain};

/// Mirrors `Params` in `shaders/rotate.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct RotateParams {
    src_width: u32,
    src_height: u32,
    dst_width: u32,
    dst_height: u32,
    cos_t: f32,
    sin_t: f32,
    src_cx: f32,
    src_cy: f32,
    dst_cx: f32,
    dst_cy: f32,
    quarter: u32,
    pad: u32,
    bg: [f32; 4],
}

/// Record a clockwise rotation by `degrees` with `bg` (straight RGBA8) in uncovered corners.
pub fn encode(chain: &mut Chain<'_>, degrees: f64, bg: [u8; 4]) -> Result<()> {
    if !degrees.is_finite() {
        return Err(Error::invalid("rt", degrees.to_string(), "angle must be a finite number"));
    }
    let (w, h) = (chain.width, chain.height);
    let d = degrees.rem_euclid(360.0);
    let mut p = RotateParams {
        src_width: w,
        src_height: h,
        dst_width: w,
        dst_height: h,
        cos_t: 1.0,
        sin_t: 0.0,
        src_cx: 0.0,
        src_cy: 0.0,
        dst_cx: 0.0,
        dst_cy: 0.0,
        quarter: 0,
        pad: 0,
        bg: premultiplied(bg),
    };
    if d % 90.0 == 0.0 {
        #[expect(clippy::cast_possible_truncation, reason = "d / 90 is a whole number in 0..=3")]
        let q = (d / 90.0) as u32 % 4;
        if q == 0 {
            return Ok(());
        }
        p.quarter = q;
        if q != 2 {
            (p.dst_width, p.dst_height) = (h, w);
        }
    } else {
        let (bw, bh) = rotated_size(w, h, d);
        if bw > f64::from(u32::MAX) || bh > f64::from(u32::MAX) {
            return Err(Error::invalid("rt", degrees.to_string(), "rotated image too large"));
        }
        let t = d.to_radians();
        #[expect(clippy::cast_possible_truncation, reason = "checked above; f32 is the shader's precision")]
        {
            (p.dst_width, p.dst_height) = (bw as u32, bh as u32);
            (p.cos_t, p.sin_t) = (t.cos() as f32, t.sin() as f32);
            (p.src_cx, p.src_cy) = ((f64::from(w) / 2.0) as f32, (f64::from(h) / 2.0) as f32);
            (p.dst_cx, p.dst_cy) = ((bw / 2.0) as f32, (bh / 2.0) as f32);
        }
    }
    let (ow, oh) = (p.dst_width, p.dst_height);
    let params = uniform(chain.device, &p);
    let out = chain.pixel_buffer(ow, oh);
    let src = chain.pixels.clone();
    chain.dispatch(&ROTATE, &[&params, &src, &out], ow, oh)?;
    chain.set_current(out, ow, oh);
    Ok(())
}
