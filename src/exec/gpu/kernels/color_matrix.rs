//! Dispatcher for `shaders/color_matrix.wgsl`: grayscale, opacity and contrast stretch.
//!
//! Owns: [`encode`]. The matrix is the twin's `ColorMatrix` (for `e-contrast` computed from
//! the frame's histogram on the CPU by the backend).

use bytemuck::{Pod, Zeroable};

use crate::error::Result;
use crate::exec::cpu::kernels::color_matrix::ColorMatrix;
use crate::exec::gpu::kernels::COLOR_MATRIX;
use crate::exec::gpu::transfer::{uniform, Chain};

/// Mirrors `Params` in `shaders/color_matrix.wgsl`: the 4×5 matrix split into four
/// coefficient rows and the offset column.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct MatrixParams {
    rows: [[f32; 4]; 4],
    offset: [f32; 4],
    width: u32,
    height: u32,
    pad: [u32; 2],
}

/// Record `m` applied to every pixel; the identity records nothing.
pub fn encode(chain: &mut Chain<'_>, m: &ColorMatrix) -> Result<()> {
    if *m == ColorMatrix::IDENTITY {
        return Ok(());
    }
    let (w, h) = (chain.width, chain.height);
    let row = |r: &[f32; 5]| [r[0], r[1], r[2], r[3]];
    let p = MatrixParams {
        rows: [row(&m.m[0]), row(&m.m[1]), row(&m.m[2]), row(&m.m[3])],
        offset: [m.m[0][4], m.m[1][4], m.m[2][4], m.m[3][4]],
        width: w,
        height: h,
        pad: [0; 2],
    };
    let params = uniform(chain.device, &p);
    let out = chain.pixel_buffer(w, h);
    let src = chain.pixels.clone();
    chain.dispatch(&COLOR_MATRIX, &[&params, &src, &out], w, h)?;
    chain.set_current(out, w, h);
    Ok(())
}
