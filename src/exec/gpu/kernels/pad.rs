//! Dispatcher for `shaders/pad.wgsl`: the frame placed on a canvas of a fill colour.
//!
//! Owns: [`encode`]. Twin: `exec::cpu::kernels::composite::pad`. `Fill::Dominant` and
//! `Fill::Blurred` are resolved by the backend before this is called (see `exec::gpu`).

use bytemuck::{Pod, Zeroable};

use super::{clamp_offset, premultiplied};
use crate::error::{Error, Result};
use crate::exec::gpu::kernels::PAD;
use crate::exec::gpu::transfer::{uniform, Chain};

/// Mirrors `Params` in `shaders/pad.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct PadParams {
    src_width: u32,
    src_height: u32,
    dst_width: u32,
    dst_height: u32,
    x: i32,
    y: i32,
    pad: [u32; 2],
    fill: [f32; 4],
}

/// Record the frame placed at (`x`, `y`) on a `width` × `height` canvas of `fill`
/// (straight RGBA8). A zero canvas side is an error, as on the CPU.
pub fn encode(chain: &mut Chain<'_>, width: u32, height: u32, x: i64, y: i64, fill: [u8; 4]) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::invalid("pad", format!("{width}x{height}"), "canvas would be empty"));
    }
    let p = uniform(
        chain.device,
        &PadParams {
            src_width: chain.width,
            src_height: chain.height,
            dst_width: width,
            dst_height: height,
            x: clamp_offset(x),
            y: clamp_offset(y),
            pad: [0; 2],
            fill: premultiplied(fill),
        },
    );
    let out = chain.pixel_buffer(width, height);
    let src = chain.pixels.clone();
    chain.dispatch(&PAD, &[&p, &src, &out], width, height)?;
    chain.set_current(out, width, height);
    Ok(())
}
