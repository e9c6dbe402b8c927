//! Dispatcher for `shaders/arc.wgsl`. Owns: [`encode`]. Twin: `exec::cpu::kernels::arc`,
//! whose [`ArcParams`] are reused unchanged.

use bytemuck::{Pod, Zeroable};

use crate::error::Result;
use crate::exec::cpu::kernels::arc::ArcParams;
use crate::exec::gpu::kernels::ARC;
use crate::exec::gpu::transfer::{uniform, Chain};

/// Mirrors `Params` in `shaders/arc.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Params {
    src_width: u32,
    src_height: u32,
    dst_width: u32,
    dst_height: u32,
    centre: [f32; 2],
    angle: f32,
    width: f32,
    top_radius: f32,
    sign: f32,
    pad: [u32; 2],
}

/// Record `PlanOp::Arc`.
pub fn encode(chain: &mut Chain<'_>, degrees: f64) -> Result<()> {
    let (w, h) = (chain.width, chain.height);
    let a = ArcParams::new((w, h), degrees);
    let (ow, oh) = a.size;
    let p = uniform(
        chain.device,
        &Params {
            src_width: w,
            src_height: h,
            dst_width: ow,
            dst_height: oh,
            centre: a.centre,
            angle: a.angle,
            width: a.width,
            top_radius: a.top_radius,
            sign: a.sign,
            pad: [0; 2],
        },
    );
    let out = chain.pixel_buffer(ow, oh);
    let src = chain.pixels.clone();
    chain.dispatch(&ARC, &[&p, &src, &out], ow, oh)?;
    chain.set_current(out, ow, oh);
    Ok(())
}
