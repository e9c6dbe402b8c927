//! Dispatcher for the separable resize (`shaders/resize_h.wgsl` then `resize_v.wgsl`).
//!
//! Owns: [`encode`] and the `#[repr(C)]` params struct shared by both passes. Weights come
//! from `exec::weights`, the same table the CPU twin uses.

use bytemuck::{Pod, Zeroable};

use crate::error::Result;
use crate::exec::gpu::kernels::{RESIZE_H, RESIZE_V};
use crate::exec::gpu::transfer::{table, uniform, Chain};
use crate::exec::weights::weights;
use crate::plan::Filter;

/// Mirrors `Params` in `shaders/resize_h.wgsl` and `resize_v.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct ResizeParams {
    src_width: u32,
    src_height: u32,
    dst_width: u32,
    dst_height: u32,
    taps: u32,
    pad: [u32; 3],
}

/// Record a resize of the chain's frame to `width` × `height`: a horizontal pass into a
/// `width` × src-height buffer, then a vertical pass.
pub fn encode(chain: &mut Chain<'_>, width: u32, height: u32, filter: Filter) -> Result<()> {
    let (sw, sh) = (chain.width, chain.height);
    if (sw, sh) == (width, height) {
        return Ok(());
    }
    let device = chain.device;
    let wh = weights(sw, width, filter);
    let mid = chain.pixel_buffer(width, sh);
    let p = uniform(
        device,
        &ResizeParams { src_width: sw, src_height: sh, dst_width: width, dst_height: sh, taps: wh.taps, pad: [0; 3] },
    );
    let (b, w) = (table(device, &wh.bounds), table(device, &wh.weights));
    let src = chain.pixels.clone();
    chain.dispatch(&RESIZE_H, &[&p, &src, &mid, &b, &w], width, sh)?;

    let wv = weights(sh, height, filter);
    let out = chain.pixel_buffer(width, height);
    let p = uniform(
        device,
        &ResizeParams {
            src_width: width,
            src_height: sh,
            dst_width: width,
            dst_height: height,
            taps: wv.taps,
            pad: [0; 3],
        },
    );
    let (b, w) = (table(device, &wv.bounds), table(device, &wv.weights));
    chain.dispatch(&RESIZE_V, &[&p, &mid, &out, &b, &w], width, height)?;
    chain.set_current(out, width, height);
    Ok(())
}
