//! Limits on untrusted sizes, checked before anything is allocated.
//!
//! Owns: [`Limits`] and [`try_alloc`]. Imports only `error` in-crate.

use crate::error::{Error, ErrorKind, Result};

/// Ceilings applied to every source and output. Defaults suit a 24 GiB machine serving
/// photos: 100 MP in, 8192 px out per edge, 1 GiB per buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Largest accepted source, in pixels (width × height), checked from the header.
    pub max_input_pixels: u64,
    /// Largest output edge, in pixels.
    pub max_output_dim: u32,
    /// Largest single pixel buffer, in bytes.
    pub max_alloc: u64,
    /// Largest accepted source file, in bytes.
    pub max_source_bytes: u64,
    /// Longest accepted video, in seconds.
    pub max_video_secs: u32,
    /// Most frames accepted in an animated GIF or WebP, counted from the container before
    /// any frame is decoded (the frames together also stay under `max_alloc`).
    pub max_frames: u32,
    /// Most chain steps in one job, layers' own steps included (`:`-separated ImageKit steps).
    pub max_steps: u32,
    /// Most layers in one job, nested layers included.
    pub max_layers: u32,
    /// Most work one render may cost, in the units of `plan::cost` (about one multiply-add per
    /// pixel), estimated from the plan and the source's header before anything is decoded.
    pub max_work: u64,
    /// Refuse damaged sources (a JPEG whose data stops early or carries corrupt segments)
    /// instead of rendering what decodes, as libvips' `fail=false` and browsers do.
    pub strict_decode: bool,
    /// Largest output, in pixels, that `f-auto` encodes as AVIF; a larger one goes out as the
    /// next format the client takes (WebP, else JPEG/PNG). AVIF is the slowest encoder by far
    /// (docs/benchmarks.md, "AVIF and f-auto"); 0 never negotiates AVIF. `f-avif` is not
    /// affected.
    pub max_auto_avif_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_input_pixels: 100_000_000,
            max_output_dim: 8192,
            max_alloc: 1 << 30,
            max_source_bytes: 256 << 20,
            max_video_secs: 3600,
            max_frames: 1000,
            max_steps: 20,
            max_layers: 20,
            // About 20 s of the CPU blur on one core of the 2-core CI machine (2e9 units/s
            // measured, docs/security.md): a 20 MP photo takes a few `bl-100`, not 250.
            max_work: 40_000_000_000,
            strict_decode: false,
            max_auto_avif_pixels: 250_000,
        }
    }
}

impl Limits {
    /// Refuse a source of `width` × `height` before decoding it.
    pub fn check_input(&self, width: u32, height: u32) -> Result<()> {
        let pixels = u64::from(width) * u64::from(height);
        if width == 0 || height == 0 {
            return Err(Error::new(ErrorKind::Undecodable, "source has a zero dimension"));
        }
        if pixels > self.max_input_pixels {
            return Err(Error::new(
                ErrorKind::TooLarge,
                format!("source is {width}x{height} = {pixels} pixels, over the limit of {}", self.max_input_pixels),
            ));
        }
        Ok(())
    }

    /// Refuse an output edge over the limit; `key` names the parameter that asked for it.
    pub fn check_output(&self, key: &str, width: u32, height: u32) -> Result<()> {
        if width == 0 || height == 0 {
            return Err(Error::invalid(key, format!("{width}x{height}"), "output would be empty"));
        }
        if width > self.max_output_dim || height > self.max_output_dim {
            return Err(Error::invalid(
                key,
                format!("{width}x{height}"),
                format_args!("output edge over the limit of {} px", self.max_output_dim),
            ));
        }
        Ok(())
    }
}

/// Allocate a zeroed buffer of `len` bytes after checking it against `limits.max_alloc`,
/// and report allocation failure as an error instead of aborting.
pub fn try_alloc(limits: &Limits, len: u64) -> Result<Vec<u8>> {
    if len > limits.max_alloc {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!("buffer of {len} bytes over the limit of {}", limits.max_alloc),
        ));
    }
    let len = usize::try_from(len).map_err(|_| Error::new(ErrorKind::TooLarge, "buffer too large"))?;
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|e| Error::new(ErrorKind::TooLarge, format!("cannot allocate {len} bytes: {e}")))?;
    v.resize(len, 0);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bomb_is_refused_from_dimensions() {
        let l = Limits::default();
        let e = l.check_input(60_000, 60_000).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLarge);
        assert!(l.check_input(6000, 4000).is_ok());
    }

    #[test]
    fn alloc_over_limit_fails() {
        let l = Limits { max_alloc: 10, ..Limits::default() };
        assert!(try_alloc(&l, 11).is_err());
        assert_eq!(try_alloc(&l, 10).unwrap().len(), 10);
    }
}
