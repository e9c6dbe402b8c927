//! Dispatcher for `e-shadow`: `shaders/shadow.wgsl` (the mask), then the Gaussian of
//! `blur_h` + `blur_v` and `composite` (the frame over the blurred mask), all on the device.
//!
//! Owns: [`encode`]. Twin: `exec::cpu::kernels::shadow::drop_shadow`, whose blur weights
//! (`gaussian_weights`) are uploaded unchanged.

use bytemuck::{Pod, Zeroable};

use super::{blur, clamp_offset, composite};
use crate::error::Result;
use crate::exec::cpu::kernels::blur::{gaussian_weights, kernel_radius};
use crate::exec::gpu::kernels::SHADOW;
use crate::exec::gpu::transfer::{uniform, Chain};

/// Mirrors `Params` in `shaders/shadow.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct ShadowParams {
    width: u32,
    height: u32,
    dx: i32,
    dy: i32,
    opacity: f32,
    pad: [u32; 3],
}

/// Record `PlanOp::Shadow`.
pub fn encode(chain: &mut Chain<'_>, sigma: f32, opacity: f32, dx: i32, dy: i32) -> Result<()> {
    let (w, h) = (chain.width, chain.height);
    let opacity = if opacity.is_nan() { 0.0 } else { opacity.clamp(0.0, 1.0) };
    let p = uniform(
        chain.device,
        &ShadowParams {
            width: w,
            height: h,
            dx: clamp_offset(i64::from(dx)),
            dy: clamp_offset(i64::from(dy)),
            opacity,
            pad: [0; 3],
        },
    );
    let src = chain.pixels.clone();
    let mask = chain.pixel_buffer(w, h);
    chain.dispatch(&SHADOW, &[&p, &src, &mask], w, h)?;
    // `encode_into` blurs the current frame: make it the mask while the source buffer stays
    // alive (the chain keeps every buffer it used until its last submission completes).
    chain.set_current(mask.clone(), w, h);
    let shadow = blur::encode_into(chain, &gaussian_weights(sigma, kernel_radius(sigma)))?.unwrap_or(mask);
    composite::over(chain, &shadow, (w, h), &src, (w, h), 0, 0, 1.0)?;
    chain.set_current(shadow, w, h);
    Ok(())
}
