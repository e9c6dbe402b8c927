//! Dispatcher for `shaders/flip.wgsl`. Owns: [`encode`]. Twin: `exec::cpu::kernels::flip`.

use bytemuck::{Pod, Zeroable};

use crate::error::Result;
use crate::exec::gpu::kernels::FLIP;
use crate::exec::gpu::transfer::{uniform, Chain};

/// Mirrors `Params` in `shaders/flip.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct FlipParams {
    width: u32,
    height: u32,
    horizontal: u32,
    vertical: u32,
}

/// Record a mirror; neither direction records nothing.
pub fn encode(chain: &mut Chain<'_>, horizontal: bool, vertical: bool) -> Result<()> {
    if !horizontal && !vertical {
        return Ok(());
    }
    let (w, h) = (chain.width, chain.height);
    let p = uniform(
        chain.device,
        &FlipParams { width: w, height: h, horizontal: u32::from(horizontal), vertical: u32::from(vertical) },
    );
    let out = chain.pixel_buffer(w, h);
    let src = chain.pixels.clone();
    chain.dispatch(&FLIP, &[&p, &src, &out], w, h)?;
    chain.set_current(out, w, h);
    Ok(())
}
