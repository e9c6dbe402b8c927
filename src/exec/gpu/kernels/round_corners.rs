//! Dispatcher for `shaders/round_corners.wgsl`.
//!
//! Owns: [`encode`]. Radii are resolved by the twin's `CornerParams::new` (clamping, NaN,
//! `r-max`), so both backends round the same corners.

use bytemuck::{Pod, Zeroable};

use super::premultiplied;
use crate::error::Result;
use crate::exec::cpu::kernels::round_corners::{CornerParams, Radii};
use crate::exec::gpu::kernels::ROUND_CORNERS;
use crate::exec::gpu::transfer::{uniform, Chain};

/// Mirrors `Params` in `shaders/round_corners.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct RoundParams {
    width: f32,
    height: f32,
    has_fill: u32,
    pad0: u32,
    tl_tr: [f32; 4],
    br_bl: [f32; 4],
    fill: [f32; 4],
    size: [u32; 2],
    pad1: [u32; 2],
}

/// Record rounded corners with `radii`; outside pixels become `fill` or transparent.
pub fn encode(chain: &mut Chain<'_>, radii: Radii, fill: Option<[u8; 4]>) -> Result<()> {
    let (w, h) = (chain.width, chain.height);
    let c = CornerParams::new(radii, w, h);
    let [tl, tr, br, bl] = c.radii;
    let p = RoundParams {
        width: c.size[0],
        height: c.size[1],
        has_fill: u32::from(fill.is_some()),
        pad0: 0,
        tl_tr: [tl[0], tl[1], tr[0], tr[1]],
        br_bl: [br[0], br[1], bl[0], bl[1]],
        fill: premultiplied(fill.unwrap_or([0; 4])),
        size: [w, h],
        pad1: [0; 2],
    };
    let params = uniform(chain.device, &p);
    let out = chain.pixel_buffer(w, h);
    let src = chain.pixels.clone();
    chain.dispatch(&ROUND_CORNERS, &[&params, &src, &out], w, h)?;
    chain.set_current(out, w, h);
    Ok(())
}
