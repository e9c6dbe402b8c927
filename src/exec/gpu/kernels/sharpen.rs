//! Dispatcher for `shaders/sharpen.wgsl`: unsharp mask (blur passes, then the combine pass).
//!
//! Owns: [`encode`]. The parameter mapping is `exec::cpu::kernels::sharpen::unsharp_mask`'s
//! for `radius = 0` (what `PlanOp::Sharpen` runs on the CPU): σ clamped to
//! `0..=MAX_SIGMA`, radius `ceil(3σ)`, amount clamped to `0..=MAX_AMOUNT`, threshold to 0..=1.

use bytemuck::{Pod, Zeroable};

use crate::error::Result;
use crate::exec::cpu::kernels::blur::{gaussian_weights, kernel_radius, MAX_SIGMA};
use crate::exec::cpu::kernels::sharpen::MAX_AMOUNT;
use crate::exec::gpu::kernels::SHARPEN;
use crate::exec::gpu::transfer::{uniform, Chain};

/// Mirrors `Params` in `shaders/sharpen.wgsl` (and the twin's `UsmParams`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct UsmParams {
    width: u32,
    height: u32,
    amount: f32,
    threshold_255: f32,
}

/// Record `PlanOp::Sharpen { sigma, amount, threshold }`.
pub fn encode(chain: &mut Chain<'_>, sigma: f32, amount: f32, threshold: f32) -> Result<()> {
    let non_neg = |v: f32, cap: f32| if v.is_nan() { 0.0 } else { v.clamp(0.0, cap) };
    let sigma = non_neg(sigma, MAX_SIGMA);
    let radius = kernel_radius(sigma);
    let amount = non_neg(amount, MAX_AMOUNT);
    if amount == 0.0 || sigma == 0.0 || radius == 0 {
        return Ok(());
    }
    let Some(blurred) = super::blur::encode_into(chain, &gaussian_weights(sigma, radius))? else {
        return Ok(());
    };
    let (w, h) = (chain.width, chain.height);
    let p = uniform(
        chain.device,
        &UsmParams { width: w, height: h, amount, threshold_255: non_neg(threshold, 1.0) * 255.0 },
    );
    let out = chain.pixel_buffer(w, h);
    let src = chain.pixels.clone();
    chain.dispatch(&SHARPEN, &[&p, &src, &out, &blurred], w, h)?;
    chain.set_current(out, w, h);
    Ok(())
}
