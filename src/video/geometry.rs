//! Output geometry of a re-encoded cut: the size arithmetic of `w`, `h`, `c`/`cm` and `rt`
//! (spec §2, §3, §9.2) on the upright source, the even-size rule of 4:2:0 encoders, and the
//! FFmpeg filter-chain text that performs it.
//!
//! Owns: [`Geometry`], [`plan_geometry`], [`filter_chain`], [`rotation_filter`]. Pure: no FFmpeg types (the chain
//! is text that `encode` hands to libavfilter); imports only the parent's types.

use super::{CutSpec, VideoFit};

/// A rectangle cut out of a frame, or a frame placed on a canvas: size and top-left offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Left edge in pixels.
    pub x: u32,
    /// Top edge in pixels.
    pub y: u32,
}

/// Concrete pixel steps for one cut, applied to the upright frame in this order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Geometry {
    /// Scale to this size first (`None`: keep the size).
    pub scale: Option<(u32, u32)>,
    /// Then cut this rectangle out.
    pub crop: Option<Placed>,
    /// Then place the frame at (x, y) on a canvas of this size and colour.
    pub pad: Option<(Placed, [u8; 3])>,
    /// Finally rotate clockwise by this many degrees (0, 90, 180, 270): the `rt` parameter.
    pub rotate: u32,
    /// Output width, always even.
    pub width: u32,
    /// Output height, always even.
    pub height: u32,
}

#[expect(clippy::cast_possible_truncation, reason = "clamped to 1..=u32::MAX before the cast")]
fn px(v: f64) -> u32 {
    v.round().clamp(1.0, f64::from(u32::MAX)) as u32
}

/// The largest even number ≤ `v`, at least 2: 4:2:0 chroma needs even edges.
fn even(v: u32) -> u32 {
    (v & !1).max(2)
}

fn centred(outer: (u32, u32), inner: (u32, u32)) -> Placed {
    Placed {
        width: inner.0,
        height: inner.1,
        x: outer.0.saturating_sub(inner.0) / 2,
        y: outer.1.saturating_sub(inner.1) / 2,
    }
}

/// Plan the pixel steps for `spec` on an upright source of `w0`×`h0` (both ≥ 1).
///
/// Rounding is to the nearest pixel, as the spec's published numbers imply. Every output
/// edge is then made even (rounded down, at least 2), because libx264 and libvpx reject odd
/// 4:2:0 sizes: an odd source kept at its size loses its last column or row rather than
/// being rescaled, so its pixels stay untouched; a requested odd `w`/`h` becomes one less.
pub fn plan_geometry(w0: u32, h0: u32, spec: &CutSpec) -> Geometry {
    let (w0, h0) = (w0.max(1), h0.max(1));
    let (fw0, fh0) = (f64::from(w0), f64::from(h0));
    let scaled = |s: f64| (px(fw0 * s), px(fh0 * s));
    let (mut size, mut crop, mut pad) = ((w0, h0), None, None);
    match (spec.width, spec.height) {
        (None, None) => {}
        (Some(w), None) => size = (w, px(fh0 * f64::from(w) / fw0)),
        (None, Some(h)) => size = (px(fw0 * f64::from(h) / fh0), h),
        (Some(w), Some(h)) => {
            let (sx, sy) = (f64::from(w) / fw0, f64::from(h) / fh0);
            match spec.fit {
                VideoFit::Force => size = (w, h),
                VideoFit::AtMax => size = if sx.min(sy) >= 1.0 { (w0, h0) } else { scaled(sx.min(sy)) },
                VideoFit::AtLeast => size = scaled(sx.max(sy)),
                VideoFit::MaintainRatio => {
                    size = scaled(sx.max(sy));
                    crop = Some((w.min(size.0), h.min(size.1)));
                }
                VideoFit::PadResize { background } => {
                    size = scaled(sx.min(sy));
                    pad = Some(((w, h), background));
                }
                VideoFit::Extract => {
                    crop = Some((w.min(w0), h.min(h0)));
                    if w > w0 || h > h0 {
                        pad = Some(((w, h), [0, 0, 0]));
                    }
                }
            }
        }
    }

    // Make the final edges even, shrinking whatever produces them.
    let (width, height);
    if let Some(((pw, ph), _)) = pad {
        (width, height) = (even(pw), even(ph));
        // What sits on the canvas (the crop, else the scaled frame) must fit on it.
        match crop.as_mut() {
            Some((cw, ch)) => (*cw, *ch) = ((*cw).min(width), (*ch).min(height)),
            None => size = (size.0.min(width), size.1.min(height)),
        }
    } else if let Some((cw, ch)) = crop {
        (width, height) = (even(cw), even(ch));
        crop = Some((width, height));
    } else if size == (w0, h0) && w0 >= 2 && h0 >= 2 {
        // Keep the pixels: cut the odd last column/row instead of rescaling everything.
        (width, height) = (even(w0), even(h0));
        if (width, height) != (w0, h0) {
            crop = Some((width, height));
        }
    } else {
        (width, height) = (even(size.0), even(size.1));
        size = (width, height);
    }
    // A crop can only be as large as what it cuts from (a 1-px source scales up to 2 first).
    if let Some((cw, ch)) = crop {
        size = (size.0.max(cw), size.1.max(ch));
    }

    let crop = crop.map(|inner| centred(size, inner));
    let content = crop.map_or(size, |c| (c.width, c.height));
    let pad = pad.map(|(_, bg)| (centred((width, height), content), bg)).map(|(mut p, bg)| {
        // `centred` gave the content's offset; the canvas is the output size.
        (p.width, p.height) = (width, height);
        (p, bg)
    });
    let rotate = spec.rotate % 360;
    let (width, height) = if rotate % 180 == 90 { (height, width) } else { (width, height) };
    Geometry { scale: (size != (w0, h0)).then_some(size), crop, pad, rotate, width, height }
}

/// libavfilter text turning a decoded frame into the output frame: first the source's
/// display rotation (`auto_rotation`, clockwise degrees, as the FFmpeg CLI's autorotate
/// does), then `geometry`. `"null"` when nothing changes.
pub fn filter_chain(auto_rotation: i32, geometry: &Geometry) -> String {
    let mut steps: Vec<String> = Vec::new();
    push_rotation(&mut steps, auto_rotation.rem_euclid(360).unsigned_abs());
    if let Some((w, h)) = geometry.scale {
        // Bicubic is the FFmpeg CLI's default, so cuts match its frames.
        steps.push(format!("scale={w}:{h}:flags=bicubic"));
    }
    if let Some(c) = geometry.crop {
        steps.push(format!("crop={}:{}:{}:{}", c.width, c.height, c.x, c.y));
    }
    if let Some((p, [r, g, b])) = geometry.pad {
        steps.push(format!("pad={}:{}:{}:{}:color=0x{r:02x}{g:02x}{b:02x}", p.width, p.height, p.x, p.y));
    }
    push_rotation(&mut steps, geometry.rotate);
    if steps.is_empty() {
        "null".to_owned()
    } else {
        steps.join(",")
    }
}

fn push_rotation(steps: &mut Vec<String>, clockwise: u32) {
    if let Some(step) = rotation_filter(clockwise) {
        steps.push(step.to_owned());
    }
}

/// The filter that turns a frame `clockwise` degrees (a right angle), `None` for 0.
pub fn rotation_filter(clockwise: u32) -> Option<&'static str> {
    match clockwise % 360 {
        90 => Some("transpose=clock"),
        180 => Some("hflip,vflip"),
        270 => Some("transpose=cclock"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(w: Option<u32>, h: Option<u32>, fit: VideoFit) -> CutSpec {
        CutSpec { width: w, height: h, fit, ..CutSpec::default() }
    }

    #[test]
    fn published_plant_numbers_made_even() {
        // Spec §3: 640×865, w-300,h-200, at_max ⇒ 148×200.
        let g = plan_geometry(640, 865, &spec(Some(300), Some(200), VideoFit::AtMax));
        assert_eq!((g.width, g.height, g.scale), (148, 200, Some((148, 200))));
        // maintain_ratio ⇒ scale to 300×405, centre crop 300×200 at y = 102.
        let g = plan_geometry(640, 865, &spec(Some(300), Some(200), VideoFit::MaintainRatio));
        assert_eq!(g.scale, Some((300, 405)));
        assert_eq!(g.crop, Some(Placed { width: 300, height: 200, x: 0, y: 102 }));
        // at_least ⇒ 300×405 would be odd: 300×404.
        let g = plan_geometry(640, 865, &spec(Some(300), Some(200), VideoFit::AtLeast));
        assert_eq!((g.width, g.height), (300, 404));
    }

    #[test]
    fn odd_source_loses_an_edge_not_its_pixels() {
        let g = plan_geometry(321, 241, &CutSpec::default());
        assert_eq!(g.scale, None);
        assert_eq!(g.crop, Some(Placed { width: 320, height: 240, x: 0, y: 0 }));
        assert_eq!(filter_chain(0, &g), "crop=320:240:0:0");
        let g = plan_geometry(320, 240, &CutSpec::default());
        assert_eq!(filter_chain(0, &g), "null");
    }

    #[test]
    fn one_edge_keeps_ratio_and_pad_centres() {
        let g = plan_geometry(1280, 720, &spec(Some(641), None, VideoFit::default()));
        assert_eq!((g.width, g.height), (640, 360));
        let bg = [0xf3, 0xf3, 0xf3];
        let g = plan_geometry(1280, 720, &spec(Some(400), Some(400), VideoFit::PadResize { background: bg }));
        assert_eq!(g.scale, Some((400, 225)));
        assert_eq!(filter_chain(0, &g), "scale=400:225:flags=bicubic,pad=400:400:0:87:color=0xf3f3f3");
    }

    #[test]
    fn extract_and_rotation() {
        let g = plan_geometry(320, 240, &spec(Some(100), Some(300), VideoFit::Extract));
        assert_eq!(g.crop, Some(Placed { width: 100, height: 240, x: 110, y: 0 }));
        assert_eq!(g.pad.map(|p| p.0), Some(Placed { width: 100, height: 300, x: 0, y: 30 }));
        let g = plan_geometry(320, 240, &CutSpec { rotate: 90, ..CutSpec::default() });
        assert_eq!((g.width, g.height), (240, 320));
        assert_eq!(filter_chain(270, &g), "transpose=cclock,transpose=clock");
        assert_eq!(filter_chain(180, &plan_geometry(2, 2, &CutSpec::default())), "hflip,vflip");
    }

    #[test]
    fn tiny_sources_stay_valid() {
        let g = plan_geometry(1, 1, &CutSpec::default());
        assert_eq!((g.width, g.height, g.scale), (2, 2, Some((2, 2))));
        let g = plan_geometry(3, 1, &spec(Some(1), Some(1), VideoFit::MaintainRatio));
        assert!(g.width >= 2 && g.height >= 2);
        let (sw, sh) = g.scale.unwrap_or((3, 1));
        let c = g.crop.unwrap();
        assert!(c.x + c.width <= sw && c.y + c.height <= sh);
    }
}
