//! Dispatcher for `shaders/composite.wgsl`: a layer over a frame, in place.
//!
//! Owns: [`over`], [`layer`], [`onto`], [`upload_visible`]. Twin: `exec::cpu::kernels::composite::overlay`.

use bytemuck::{Pod, Zeroable};

use super::clamp_offset;
use crate::error::Result;
use crate::exec::gpu::kernels::COMPOSITE;
use crate::exec::gpu::transfer::{uniform, Chain};
use crate::media::Frame;

/// Mirrors `Params` in `shaders/composite.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct CompositeParams {
    layer_width: u32,
    layer_height: u32,
    dst_width: u32,
    dst_height: u32,
    x: i32,
    y: i32,
    opacity: f32,
    pad: u32,
}

/// Record `layer` (device pixels of `layer_size`) composited over `dst` (of `dst_size`) at
/// (`x`, `y`) with `opacity` (clamped to 0..=1, NaN = 1).
#[expect(clippy::too_many_arguments, reason = "mirrors the shader's params one to one")]
pub fn over(
    chain: &mut Chain<'_>,
    dst: &wgpu::Buffer,
    dst_size: (u32, u32),
    layer: &wgpu::Buffer,
    layer_size: (u32, u32),
    x: i64,
    y: i64,
    opacity: f32,
) -> Result<()> {
    let opacity = if opacity.is_nan() { 1.0 } else { opacity.clamp(0.0, 1.0) };
    let p = uniform(
        chain.device,
        &CompositeParams {
            layer_width: layer_size.0,
            layer_height: layer_size.1,
            dst_width: dst_size.0,
            dst_height: dst_size.1,
            x: clamp_offset(x),
            y: clamp_offset(y),
            opacity,
            pad: 0,
        },
    );
    chain.dispatch(&COMPOSITE, &[&p, layer, dst], layer_size.0, layer_size.1)
}

/// Upload the CPU-rendered `pixels` and composite them over the current frame at (`x`, `y`),
/// opacity 1.
pub fn layer(chain: &mut Chain<'_>, limits: &crate::limits::Limits, pixels: &Frame, x: i64, y: i64) -> Result<()> {
    let Some(part) = upload_visible(chain, limits, pixels, x, y)? else {
        return Ok(());
    };
    let dst = chain.pixels.clone();
    let size = (chain.width, chain.height);
    over(chain, &dst, size, &part.buffer, part.size, part.x, part.y, 1.0)?;
    chain.set_current(dst, size.0, size.1);
    Ok(())
}

/// The part of a layer that lies on the current frame, on the device.
pub struct Visible {
    /// Its pixels.
    pub buffer: wgpu::Buffer,
    /// Its size.
    pub size: (u32, u32),
    /// Its top-left corner on the frame (inside it).
    pub x: i64,
    /// See `x`.
    pub y: i64,
}

/// Upload the part of `pixels` (placed at `x`, `y`) that lies on the current frame; `None`
/// when none does. Only that part goes up: a big layer mostly off-canvas costs nothing, and
/// never trips the device's buffer limits.
pub fn upload_visible(
    chain: &mut Chain<'_>,
    limits: &crate::limits::Limits,
    pixels: &Frame,
    x: i64,
    y: i64,
) -> Result<Option<Visible>> {
    let (fw, fh) = (i64::from(chain.width), i64::from(chain.height));
    let (lw, lh) = (i64::from(pixels.width), i64::from(pixels.height));
    let (x0, y0) = (x.clamp(0, fw), y.clamp(0, fh));
    let (x1, y1) = (x.saturating_add(lw).clamp(0, fw), y.saturating_add(lh).clamp(0, fh));
    if x0 >= x1 || y0 >= y1 {
        return Ok(None);
    }
    // All four are within 0..=frame size (a u32), so the conversions cannot fail.
    let u = |v: i64| u32::try_from(v).unwrap_or(0);
    let visible = if (x0, y0, x1, y1) == (x, y, x + lw, y + lh) {
        None
    } else {
        Some(crate::exec::cpu::kernels::composite::crop(limits, pixels, u(x0 - x), u(y0 - y), u(x1 - x0), u(y1 - y0))?)
    };
    let part = visible.as_ref().unwrap_or(pixels);
    let buffer = chain.upload_frame(part)?;
    Ok(Some(Visible { buffer, size: (part.width, part.height), x: x0, y: y0 }))
}

/// Composite the current frame at (`x`, `y`) over `background` (a CPU-made frame, e.g. the
/// blurred background of `bg-blurred`), which becomes the current frame.
pub fn onto(chain: &mut Chain<'_>, background: &Frame, x: i64, y: i64) -> Result<()> {
    let bg = chain.upload_frame(background)?;
    let src = chain.pixels.clone();
    let (w, h) = (chain.width, chain.height);
    let size = (background.width, background.height);
    over(chain, &bg, size, &src, (w, h), x, y, 1.0)?;
    chain.set_current(bg, size.0, size.1);
    Ok(())
}
