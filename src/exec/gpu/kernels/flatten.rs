//! Dispatcher for `shaders/flatten.wgsl`. Owns: [`encode`]. Twin:
//! `exec::cpu::kernels::composite::flatten`.

use bytemuck::{Pod, Zeroable};

use crate::error::Result;
use crate::exec::gpu::kernels::FLATTEN;
use crate::exec::gpu::transfer::{uniform, Chain};

/// Mirrors `Params` in `shaders/flatten.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct FlattenParams {
    width: u32,
    height: u32,
    pad: [u32; 2],
    bg: [f32; 4],
}

/// Record the frame flattened over `bg` (its alpha ignored): every pixel becomes opaque.
pub fn encode(chain: &mut Chain<'_>, bg: [u8; 4]) -> Result<()> {
    let (w, h) = (chain.width, chain.height);
    let c = |v: u8| f32::from(v) / 255.0;
    let p = uniform(
        chain.device,
        &FlattenParams { width: w, height: h, pad: [0; 2], bg: [c(bg[0]), c(bg[1]), c(bg[2]), 1.0] },
    );
    let out = chain.pixel_buffer(w, h);
    let src = chain.pixels.clone();
    chain.dispatch(&FLATTEN, &[&p, &src, &out], w, h)?;
    chain.set_current(out, w, h);
    Ok(())
}
