//! Dispatcher for `shaders/perspective.wgsl`. Owns: [`encode`]. Twin:
//! `exec::cpu::kernels::perspective`, whose [`perspective_params`] (matrix and output size)
//! are reused unchanged.

use bytemuck::{Pod, Zeroable};

use crate::error::Result;
use crate::exec::cpu::kernels::perspective::perspective_params;
use crate::exec::gpu::kernels::PERSPECTIVE;
use crate::exec::gpu::transfer::{uniform, Chain};

/// Mirrors `Params` in `shaders/perspective.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Params {
    src_width: u32,
    src_height: u32,
    dst_width: u32,
    dst_height: u32,
    m: [f32; 9],
    pad: [u32; 3],
}

/// Record `PlanOp::Perspective`.
pub fn encode(chain: &mut Chain<'_>, corners: &[i32; 8]) -> Result<()> {
    let (w, h) = (chain.width, chain.height);
    let (m, (ow, oh)) = perspective_params((w, h), corners);
    let p =
        uniform(chain.device, &Params { src_width: w, src_height: h, dst_width: ow, dst_height: oh, m, pad: [0; 3] });
    let out = chain.pixel_buffer(ow, oh);
    let src = chain.pixels.clone();
    chain.dispatch(&PERSPECTIVE, &[&p, &src, &out], ow, oh)?;
    chain.set_current(out, ow, oh);
    Ok(())
}
