//! Dispatcher for `shaders/border.wgsl`. Owns: [`encode`]. Twin: `exec::cpu::kernels::border`.

use bytemuck::{Pod, Zeroable};

use super::premultiplied;
use crate::error::{Error, Result};
use crate::exec::gpu::kernels::BORDER;
use crate::exec::gpu::transfer::{uniform, Chain};

/// Mirrors `Params` in `shaders/border.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct BorderParams {
    src_width: u32,
    src_height: u32,
    dst_width: u32,
    dst_height: u32,
    width: u32,
    pad: [u32; 3],
    color: [f32; 4],
}

/// Record a `width`-pixel border of `color` (straight RGBA8) on every side.
pub fn encode(chain: &mut Chain<'_>, width: u32, color: [u8; 4]) -> Result<()> {
    if width == 0 {
        return Ok(());
    }
    let (sw, sh) = (chain.width, chain.height);
    let grow = |side: u32| {
        u32::try_from(u64::from(side) + 2 * u64::from(width))
            .map_err(|_| Error::invalid("b", width.to_string(), "border makes the image too large"))
    };
    let (ow, oh) = (grow(sw)?, grow(sh)?);
    let p = uniform(
        chain.device,
        &BorderParams {
            src_width: sw,
            src_height: sh,
            dst_width: ow,
            dst_height: oh,
            width,
            pad: [0; 3],
            color: premultiplied(color),
        },
    );
    let out = chain.pixel_buffer(ow, oh);
    let src = chain.pixels.clone();
    chain.dispatch(&BORDER, &[&p, &src, &out], ow, oh)?;
    chain.set_current(out, ow, oh);
    Ok(())
}
