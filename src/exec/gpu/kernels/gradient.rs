//! Dispatcher for `shaders/gradient.wgsl`. Owns: [`encode`]. Twin:
//! `exec::cpu::kernels::gradient`, whose [`GradientParams`] (the CSS gradient line) are
//! reused here, rescaled from 0..=255 to the device's 0..1.

use bytemuck::{Pod, Zeroable};

use crate::error::Result;
use crate::exec::cpu::kernels::gradient::GradientParams;
use crate::exec::gpu::kernels::GRADIENT;
use crate::exec::gpu::transfer::{uniform, Chain};

/// Mirrors `Params` in `shaders/gradient.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct Params {
    width: u32,
    height: u32,
    stop: f32,
    pad: u32,
    start: [f32; 2],
    dir: [f32; 2],
    from: [f32; 4],
    to: [f32; 4],
}

/// Record `PlanOp::Gradient`.
pub fn encode(chain: &mut Chain<'_>, degrees: f32, from: [u8; 4], to: [u8; 4], stop: f32) -> Result<()> {
    let (w, h) = (chain.width, chain.height);
    let g = GradientParams::new((w, h), degrees, from, to, stop);
    let unit = |c: [f32; 4]| c.map(|v| v / 255.0);
    let p = uniform(
        chain.device,
        &Params {
            width: w,
            height: h,
            stop: g.stop,
            pad: 0,
            start: g.start,
            dir: g.dir,
            from: unit(g.from),
            to: unit(g.to),
        },
    );
    let out = chain.pixel_buffer(w, h);
    let src = chain.pixels.clone();
    chain.dispatch(&GRADIENT, &[&p, &src, &out], w, h)?;
    chain.set_current(out, w, h);
    Ok(())
}
