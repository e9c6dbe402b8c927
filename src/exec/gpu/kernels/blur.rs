//! Dispatcher for `shaders/blur_h.wgsl` + `blur_v.wgsl`: separable Gaussian blur.
//!
//! Owns: [`encode`], [`encode_into`]. Weights are `exec::cpu::kernels::blur::gaussian_weights`,
//! the table the CPU twin convolves with.

use bytemuck::{Pod, Zeroable};

use crate::error::Result;
use crate::exec::cpu::kernels::blur::{gaussian_weights, kernel_radius};
use crate::exec::gpu::kernels::{BLUR_H, BLUR_V};
use crate::exec::gpu::transfer::{table, uniform, Chain};

/// Mirrors `Params` in `shaders/blur_h.wgsl` and `blur_v.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct BlurParams {
    width: u32,
    height: u32,
    radius: u32,
    pad: u32,
}

/// Record `PlanOp::Blur { sigma }`: radius `ceil(3σ)` as `gaussian_blur` does; σ ≤ 0 or NaN
/// records nothing (the twin returns a copy).
pub fn encode(chain: &mut Chain<'_>, sigma: f32) -> Result<()> {
    let weights = gaussian_weights(sigma, kernel_radius(sigma));
    if let Some(out) = encode_into(chain, &weights)? {
        let (w, h) = (chain.width, chain.height);
        chain.set_current(out, w, h);
    }
    Ok(())
}

/// Record both passes with `weights` (odd length, `2r + 1`) over the current frame into a new
/// buffer, leaving the current frame as it is; `None` for the identity kernel.
pub fn encode_into(chain: &mut Chain<'_>, weights: &[f32]) -> Result<Option<wgpu::Buffer>> {
    if weights.len() <= 1 {
        return Ok(None);
    }
    let radius = u32::try_from(weights.len() / 2).unwrap_or(0);
    let (w, h) = (chain.width, chain.height);
    let p = uniform(chain.device, &BlurParams { width: w, height: h, radius, pad: 0 });
    let wt = table(chain.device, weights);
    let mid = chain.pixel_buffer(w, h);
    let out = chain.pixel_buffer(w, h);
    let src = chain.pixels.clone();
    chain.dispatch(&BLUR_H, &[&p, &src, &mid, &wt], w, h)?;
    chain.dispatch(&BLUR_V, &[&p, &mid, &out, &wt], w, h)?;
    Ok(Some(out))
}
