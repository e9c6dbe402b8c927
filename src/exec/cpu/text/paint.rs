//! Painting a text layer: the `bg` box with `r` rounded corners, then the coverage mask
//! composited over it in the text colour and opacity.
//!
//! Owns: [`paint`]. May import `job`, `media`, `limits`, `error`, the sibling `kernels`
//! and the sibling `raster` mask.

use super::raster::Canvas;
use crate::error::Result;
use crate::exec::cpu::kernels::composite::over_px;
use crate::exec::cpu::kernels::round_corners::{round_corners, Radii};
use crate::job::{Color, Radius, TextStyle};
use crate::limits::Limits;
use crate::media::Frame;

fn rgba(c: Color) -> [u8; 4] {
    [c.rgb[0], c.rgb[1], c.rgb[2], c.alpha()]
}

/// The `size` layer: the background box, then `canvas` pixels of `content` (`x0, y0, x1, y1`)
/// drawn in `style`'s colour, offset by the (top, right, bottom, left) padding `pad`.
pub(super) fn paint(
    limits: &Limits,
    canvas: &Canvas,
    content: (usize, usize, usize, usize),
    pad: [u32; 4],
    size: (u32, u32),
    style: &TextStyle,
) -> Result<Frame> {
    let (cov, cwu) = (&canvas.cov, canvas.w);
    let (cx0, cy0, cx1, cy1) = content;
    let (ow, oh) = size;
    let bg = style.background.map_or([0, 0, 0, 0], rgba);
    let mut frame = Frame::filled(limits, ow, oh, bg)?;
    if style.background.is_some() {
        if let Some(r) = style.radius {
            #[expect(clippy::cast_precision_loss, reason = "radii are pixel counts")]
            let radii = match r {
                Radius::Uniform(v) => Radii::Uniform(v as f32),
                Radius::Corners([tl, tr, br, bl]) => {
                    Radii::Corners { tl: tl as f32, tr: tr as f32, br: br as f32, bl: bl as f32 }
                }
                Radius::Max => Radii::Max,
            };
            round_corners(&mut frame, radii, None);
        }
    }
    let color = rgba(style.color.unwrap_or(Color::BLACK));
    let opacity = style.alpha.map_or(1.0, |a| f32::from(a.min(10)) / 10.0);
    let alpha = f32::from(color[3]) * opacity;
    let (pl, pt) = (pad[3] as usize, pad[0] as usize);
    let stride = frame.stride();
    for y in cy0..cy1 {
        let out_row = (y - cy0 + pt) * stride;
        for x in cx0..cx1 {
            let c = cov[y * cwu + x].min(1.0);
            if c <= 0.0 {
                continue;
            }
            let a = crate::exec::cpu::kernels::clamp_u8(alpha * c);
            let i = out_row + (x - cx0 + pl) * 4;
            let dst = [frame.data[i], frame.data[i + 1], frame.data[i + 2], frame.data[i + 3]];
            frame.data[i..i + 4].copy_from_slice(&over_px([color[0], color[1], color[2], a], dst, 1.0));
        }
    }
    Ok(frame)
}

#[cfg(test)]
mod tests {
    use super::super::render;
    use super::super::tests::style;
    use crate::job::{Color, Dim};
    use crate::limits::Limits;

    #[test]
    fn padding_and_background() {
        let mut s = style();
        s.padding = vec![Dim::Px(10), Dim::Px(20)];
        s.background = Some(Color { rgb: [0, 0, 255], opacity_pct: None });
        let f = render(&Limits::default(), "Hi", &s, (600, 400), None).unwrap();
        let plain = render(&Limits::default(), "Hi", &style(), (600, 400), None).unwrap();
        assert!(f.width >= plain.width + 40 && f.height >= plain.height + 20);
        assert_eq!(f.pixel(0, 0), [0, 0, 255, 255]);
        assert_eq!(f.pixel(f.width - 1, f.height - 1), [0, 0, 255, 255]);
        assert!(f.data.chunks_exact(4).any(|p| p == [255, 0, 0, 255]));
    }
}
