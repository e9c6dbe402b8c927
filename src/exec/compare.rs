//! Frame comparison for backend parity tests and shadow mode.
//!
//! Owns: [`FrameDiff`], [`diff`], [`visible`] and [`visible_diff`].

use crate::media::Frame;

/// How far two frames of the same size are apart, over all RGBA channels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameDiff {
    /// Largest absolute channel difference (0–255).
    pub max_delta: u8,
    /// Mean absolute channel difference.
    pub mean: f64,
    /// Fraction of channel values that differ at all.
    pub changed_fraction: f64,
    /// Peak signal-to-noise ratio in dB (infinite when identical).
    pub psnr: f64,
}

/// `f` with colour premultiplied by alpha (rounded to u8): what a viewer sees of each pixel.
/// The CPU keeps straight RGBA8 between ops, so a pixel that becomes fully transparent keeps
/// its old, invisible colour there, while the GPU holds premultiplied pixels where such a
/// pixel is (0, 0, 0, 0); likewise the colour of a pixel with alpha 1 is one level of
/// information blown up ×255 by unpremultiplying. Comparing premultiplied values ignores
/// exactly that invisible part and nothing else.
pub fn visible(f: &Frame) -> Frame {
    let mut out = f.clone();
    for p in out.data.chunks_exact_mut(4) {
        let a = u32::from(p[3]);
        for c in &mut p[..3] {
            *c = u8::try_from((u32::from(*c) * a + 127) / 255).unwrap_or(255);
        }
    }
    out
}

/// [`diff`] of what is visible (see [`visible`]); `None` when the sizes differ. Backend
/// parity (tests, `xformd bench`'s PSNR column) is judged on this.
pub fn visible_diff(a: &Frame, b: &Frame) -> Option<FrameDiff> {
    diff(&visible(a), &visible(b))
}

/// Compare two frames; `None` when their sizes differ.
pub fn diff(a: &Frame, b: &Frame) -> Option<FrameDiff> {
    if (a.width, a.height) != (b.width, b.height) {
        return None;
    }
    let (mut max, mut sum, mut sq, mut changed) = (0u8, 0u64, 0u64, 0u64);
    for (x, y) in a.data.iter().zip(&b.data) {
        let d = x.abs_diff(*y);
        max = max.max(d);
        sum += u64::from(d);
        sq += u64::from(d) * u64::from(d);
        changed += u64::from(d != 0);
    }
    let n = a.data.len().max(1) as f64;
    let mse = sq as f64 / n;
    let psnr = if mse == 0.0 { f64::INFINITY } else { 10.0 * (255.0f64 * 255.0 / mse).log10() };
    Some(FrameDiff { max_delta: max, mean: sum as f64 / n, changed_fraction: changed as f64 / n, psnr })
}
