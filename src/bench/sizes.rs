//! Input sizes and the synthetic input of `xformd bench`.
//!
//! Owns: [`NamedSize`], [`parse_sizes`], [`synthetic`].
//!
//! May import: `media`, `limits`, `error`.

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::media::Frame;

/// A named input size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedSize {
    /// `1080p`, `4k`, `20mp`, or `WxH`.
    pub name: String,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// Parse a comma-separated list of sizes: `720p`, `1080p`, `4k`, `8k`, `20mp`, or `WxH`.
pub fn parse_sizes(list: &str) -> Result<Vec<NamedSize>> {
    list.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let s = s.trim().to_ascii_lowercase();
            let (width, height) = match s.as_str() {
                "720p" => (1280, 720),
                "1080p" => (1920, 1080),
                "4k" => (3840, 2160),
                "8k" => (7680, 4320),
                // 5472 × 3648: a 20 MP 3:2 camera sensor.
                "20mp" => (5472, 3648),
                other => {
                    let bad = || Error::invalid("sizes", other, "expected 720p, 1080p, 4k, 8k, 20mp or WxH");
                    let (w, h) = other.split_once('x').ok_or_else(bad)?;
                    let w: u32 = w.parse().map_err(|_| bad())?;
                    let h: u32 = h.parse().map_err(|_| bad())?;
                    if w == 0 || h == 0 {
                        return Err(bad());
                    }
                    (w, h)
                }
            };
            Ok(NamedSize { name: s, width, height })
        })
        .collect()
}

/// A deterministic photo-like test image: smooth gradients plus fine texture, opaque.
pub fn synthetic(limits: &Limits, width: u32, height: u32) -> Result<Frame> {
    let mut f = Frame::filled(limits, width, height, [0, 0, 0, 255])?;
    let stride = f.stride();
    let (w, h) = (u64::from(width), u64::from(height));
    for (y, row) in (0u64..).zip(f.data.chunks_exact_mut(stride)) {
        for (x, p) in (0u64..).zip(row.chunks_exact_mut(4)) {
            let tex = ((x * 7 + y * 13) ^ (x * y)) & 31;
            let c = |v: u64| u8::try_from(v + tex).unwrap_or(255);
            p[0] = c(x * 220 / w);
            p[1] = c(y * 220 / h);
            p[2] = c(220 - (x * 110 / w + y * 110 / h));
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_reject_nonsense() {
        let s = parse_sizes("1080p, 4k,20mp,640x400").unwrap();
        assert_eq!(
            s.iter().map(|s| (s.width, s.height)).collect::<Vec<_>>(),
            [(1920, 1080), (3840, 2160), (5472, 3648), (640, 400)]
        );
        for bad in ["huge", "0x5", "12x", "x9"] {
            assert!(parse_sizes(bad).is_err(), "{bad}");
        }
    }
}
