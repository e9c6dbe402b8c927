//! `f-svg`: the rendered raster delivered as an SVG document.
//!
//! Owns: [`wrap_png`]. Pure; imports base64.
//!
//! This engine rasterises (an SVG source is not read), so an SVG output is the finished
//! picture, PNG-encoded (lossless, alpha kept), embedded as a `data:` URI in an `<image>` that
//! fills an SVG of the same pixel size. Every browser and SVG tool displays it, and it can be
//! scaled or placed like any SVG.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// An SVG document of `width` × `height` user units showing `png`.
pub fn wrap_png(png: &[u8], width: u32, height: u32) -> Vec<u8> {
    let b64 = STANDARD.encode(png);
    let mut out = String::with_capacity(b64.len() + 256);
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\"><image width=\"{width}\" height=\"{height}\" \
         href=\"data:image/png;base64,"
    ));
    out.push_str(&b64);
    out.push_str("\"/></svg>\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_carries_the_size_and_the_png_unchanged() {
        let png = [0x89, b'P', b'N', b'G', 1, 2, 3];
        let svg = String::from_utf8(wrap_png(&png, 30, 20)).unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"30\" height=\"20\""));
        let b64 = svg.split("base64,").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!(STANDARD.decode(b64).unwrap(), png);
        assert!(svg.trim_end().ends_with("</svg>"));
    }
}
