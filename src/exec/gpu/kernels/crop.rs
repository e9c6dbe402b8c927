//! Dispatcher for `shaders/crop.wgsl`: copy a window of the current frame.
//!
//! Owns: [`encode`]. Twin: `exec::cpu::kernels::composite::crop` (same bounds rule and error).

use bytemuck::{Pod, Zeroable};

use crate::error::{Error, Result};
use crate::exec::gpu::kernels::CROP;
use crate::exec::gpu::transfer::{uniform, Chain};

/// Mirrors `Params` in `shaders/crop.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct CropParams {
    src_width: u32,
    src_height: u32,
    dst_width: u32,
    dst_height: u32,
    x: u32,
    y: u32,
    pad: [u32; 2],
}

/// Record a crop to the `w` × `h` window at (`x`, `y`); the window must be non-empty and
/// inside the frame (an invalid-argument error naming `crop` otherwise, as on the CPU).
pub fn encode(chain: &mut Chain<'_>, x: u32, y: u32, w: u32, h: u32) -> Result<()> {
    let (sw, sh) = (chain.width, chain.height);
    let fits = |o: u32, len: u32, max: u32| len > 0 && u64::from(o) + u64::from(len) <= u64::from(max);
    if !fits(x, w, sw) || !fits(y, h, sh) {
        return Err(Error::invalid(
            "crop",
            format!("{w}x{h}+{x}+{y}"),
            format_args!("rectangle is empty or leaves the {sw}x{sh} image"),
        ));
    }
    if (x, y, w, h) == (0, 0, sw, sh) {
        return Ok(());
    }
    let p = uniform(
        chain.device,
        &CropParams { src_width: sw, src_height: sh, dst_width: w, dst_height: h, x, y, pad: [0; 2] },
    );
    let out = chain.pixel_buffer(w, h);
    let src = chain.pixels.clone();
    chain.dispatch(&CROP, &[&p, &src, &out], w, h)?;
    chain.set_current(out, w, h);
    Ok(())
}
