//! CPU twin of `shaders/resize_h.wgsl` + `resize_v.wgsl`: the same weight tables
//! (`exec::weights`), the same premultiplied f32 arithmetic, horizontal pass then vertical.
//! It is the reference the GPU is checked against; production CPU resizing uses
//! fast_image_resize (`exec::cpu::resize`).

use rayon::prelude::*;

use crate::error::Result;
use crate::exec::weights::weights;
use crate::limits::Limits;
use crate::media::Frame;
use crate::plan::Filter;

/// `unpack.wgsl`: RGBA8 straight → premultiplied f32 in 0..1.
fn unpack(src: &Frame) -> Vec<[f32; 4]> {
    src.data
        .chunks_exact(4)
        .map(|p| {
            let a = f32::from(p[3]) / 255.0;
            [f32::from(p[0]) / 255.0 * a, f32::from(p[1]) / 255.0 * a, f32::from(p[2]) / 255.0 * a, a]
        })
        .collect()
}

/// `pack.wgsl`: premultiplied f32 → RGBA8 straight, rounded to nearest.
#[expect(clippy::cast_possible_truncation, reason = "values are clamped to 0..=255 first")]
fn pack(px: &[[f32; 4]], width: u32, height: u32) -> Result<Frame> {
    let mut data = Vec::with_capacity(px.len() * 4);
    for p in px {
        let a = p[3].clamp(0.0, 1.0);
        for v in &p[..3] {
            let v = if a > 0.0 { (v / a).clamp(0.0, 1.0) } else { 0.0 };
            data.push((v * 255.0).round() as u8);
        }
        data.push((a * 255.0).round() as u8);
    }
    Frame::from_rgba(width, height, data)
}

/// Resize `src` to `width` × `height` exactly as the GPU kernels do.
pub fn resize(limits: &Limits, src: &Frame, width: u32, height: u32, filter: Filter) -> Result<Frame> {
    limits.check_output("w", width, height)?;
    let (sw, sh) = (src.width as usize, src.height as usize);
    let input = unpack(src);
    let wh = weights(src.width, width, filter);
    let mut mid = vec![[0f32; 4]; width as usize * sh];
    // resize_h.wgsl: one invocation per (ox, y).
    mid.par_chunks_mut(width as usize).enumerate().for_each(|(y, row)| {
        for (o, out) in row.iter_mut().enumerate() {
            let [first, count] = wh.bounds[o];
            let mut acc = [0f32; 4];
            for k in 0..count as usize {
                let w = wh.weights[o * wh.taps as usize + k];
                let p = input[y * sw + first as usize + k];
                for c in 0..4 {
                    acc[c] += w * p[c];
                }
            }
            *out = acc;
        }
    });
    let wv = weights(src.height, height, filter);
    let mut out = vec![[0f32; 4]; width as usize * height as usize];
    // resize_v.wgsl: one invocation per (x, oy).
    out.par_chunks_mut(width as usize).enumerate().for_each(|(o, row)| {
        let [first, count] = wv.bounds[o];
        for (x, px) in row.iter_mut().enumerate() {
            let mut acc = [0f32; 4];
            for k in 0..count as usize {
                let w = wv.weights[o * wv.taps as usize + k];
                let p = mid[(first as usize + k) * width as usize + x];
                for c in 0..4 {
                    acc[c] += w * p[c];
                }
            }
            *px = acc;
        }
    });
    pack(&out, width, height)
}
