//! Dispatcher for `shaders/blend.wgsl`: the layer modes other than source-over.
//!
//! Owns: [`encode`]. Twin: `exec::cpu::kernels::blend`.

use bytemuck::{Pod, Zeroable};

use super::clamp_offset;
use super::composite::upload_visible;
use crate::error::{Error, Result};
use crate::exec::gpu::kernels::BLEND;
use crate::exec::gpu::transfer::{uniform, Chain};
use crate::job::LayerMode;
use crate::limits::Limits;
use crate::media::Frame;

/// Mirrors `Params` in `shaders/blend.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct BlendParams {
    width: u32,
    height: u32,
    layer_width: u32,
    layer_height: u32,
    x: i32,
    y: i32,
    mode: u32,
    pad0: u32,
    amount_x: f32,
    amount_y: f32,
    pad1: [u32; 2],
}

/// Record the layer `pixels` at (`x`, `y`) combined with the current frame by `mode` (not
/// [`LayerMode::Normal`]: that is `composite::layer`). `amount` is the displacement strength
/// of [`LayerMode::Displace`]. [`LayerMode::Cutter`] leaves the frame cut to the part of the
/// layer's rectangle that lies on it, and is an error naming `lm` when none does, as on the CPU.
pub fn encode(
    chain: &mut Chain<'_>,
    limits: &Limits,
    pixels: &Frame,
    (x, y): (i64, i64),
    mode: LayerMode,
    amount: (f32, f32),
) -> Result<()> {
    let code = match mode {
        LayerMode::Multiply => 0,
        LayerMode::Cutout => 1,
        LayerMode::Cutter => 2,
        LayerMode::Displace => 3,
        LayerMode::Normal => return Err(Error::internal("blend::encode called for a source-over layer")),
    };
    let Some(part) = upload_visible(chain, limits, pixels, x, y)? else {
        return match mode {
            LayerMode::Cutter => Err(crate::exec::cpu::kernels::blend::cutter_misses()),
            _ => Ok(()),
        };
    };
    let (w, h) = (chain.width, chain.height);
    let p = uniform(
        chain.device,
        &BlendParams {
            width: w,
            height: h,
            layer_width: part.size.0,
            layer_height: part.size.1,
            x: clamp_offset(part.x),
            y: clamp_offset(part.y),
            mode: code,
            pad0: 0,
            amount_x: amount.0,
            amount_y: amount.1,
            pad1: [0; 2],
        },
    );
    let out = chain.pixel_buffer(w, h);
    let src = chain.pixels.clone();
    chain.dispatch(&BLEND, &[&p, &src, &out, &part.buffer], w, h)?;
    chain.set_current(out, w, h);
    if mode == LayerMode::Cutter {
        // The visible part lies inside the frame, so these are exact.
        let u = |v: i64| u32::try_from(v).unwrap_or(0);
        super::crop::encode(chain, u(part.x), u(part.y), part.size.0, part.size.1)?;
    }
    Ok(())
}
