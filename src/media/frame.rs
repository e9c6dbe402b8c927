//! The in-memory image every backend and kernel works on.
//!
//! Owns: [`Frame`]. Imports `limits` and `error` only.

use crate::error::{Error, ErrorKind, Result};
use crate::limits::{try_alloc, Limits};

/// An RGBA8 image with straight (not premultiplied) alpha, rows packed top to bottom,
/// `stride == width * 4`. Kernels that need premultiplied alpha convert internally.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    /// Width in pixels (≥ 1).
    pub width: u32,
    /// Height in pixels (≥ 1).
    pub height: u32,
    /// `width * height * 4` bytes, RGBA order.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Frame({}x{})", self.width, self.height)
    }
}

impl Frame {
    /// A frame filled with one RGBA colour, allocated under `limits`.
    pub fn filled(limits: &Limits, width: u32, height: u32, rgba: [u8; 4]) -> Result<Frame> {
        // 2^32 · 2^32 · 4 does not fit a u64: saturate, so try_alloc refuses it by size.
        let len = (u64::from(width) * u64::from(height)).saturating_mul(4);
        let mut data = try_alloc(limits, len)?;
        if rgba != [0, 0, 0, 0] {
            for px in data.chunks_exact_mut(4) {
                px.copy_from_slice(&rgba);
            }
        }
        Ok(Frame { width, height, data })
    }

    /// Wrap an RGBA8 buffer, checking its length.
    pub fn from_rgba(width: u32, height: u32, data: Vec<u8>) -> Result<Frame> {
        let want = u64::from(width) * u64::from(height) * 4;
        if width == 0 || height == 0 || data.len() as u64 != want {
            return Err(Error::new(
                ErrorKind::Internal,
                format!("frame {width}x{height} needs {want} bytes, got {}", data.len()),
            ));
        }
        Ok(Frame { width, height, data })
    }

    /// Bytes per row.
    pub fn stride(&self) -> usize {
        self.width as usize * 4
    }

    /// The RGBA value at (x, y); panics when out of bounds (callers index inside the frame).
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = (y as usize * self.width as usize + x as usize) * 4;
        [self.data[i], self.data[i + 1], self.data[i + 2], self.data[i + 3]]
    }

    /// True when any pixel is not fully opaque.
    pub fn has_alpha(&self) -> bool {
        self.data.chunks_exact(4).any(|p| p[3] != 255)
    }
}
