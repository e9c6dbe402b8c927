//! The canvas of `bg-gradient_dominant`: a gradient between the image's dominant colours,
//! drawn behind a padded image.
//!
//! Owns: [`palette_gradient`], [`behind`]. Imports `media`, `limits`, `error`, the parent's helpers, rayon.
//!
//! Two colours run along the axis the padding is on (top → bottom when the bars are above
//! and below the image, left → right when they are beside it), so each bar takes the colour
//! nearest to it; four colours sit in the corners (top-left, top-right, bottom-right,
//! bottom-left) and blend bilinearly. Interpolation is in sRGB, as CSS gradients do, from
//! pixel centre to pixel centre.

use rayon::prelude::*;

use super::{clamp_u8, Rgba};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::media::Frame;

/// A `width` × `height` opaque gradient of `colors` (2: along the vertical axis when
/// `vertical`, else horizontal; 4: corners). Other palette sizes are an internal error.
pub fn palette_gradient(limits: &Limits, width: u32, height: u32, colors: &[Rgba], vertical: bool) -> Result<Frame> {
    let corners = match *colors {
        [a, b] if vertical => [a, a, b, b],
        [a, b] => [a, b, b, a],
        [a, b, c, d] => [a, b, c, d],
        _ => return Err(Error::internal(format!("a gradient of {} colours", colors.len()))),
    };
    let mut out = Frame::filled(limits, width, height, [0, 0, 0, 255])?;
    let t = |i: u32, n: u32| if n <= 1 { 0.5 } else { i as f32 / (n - 1) as f32 };
    let mix = |a: Rgba, b: Rgba, t: f32| -> [f32; 3] {
        [0, 1, 2].map(|c| f32::from(a[c]) + (f32::from(b[c]) - f32::from(a[c])) * t)
    };
    let [tl, tr, br, bl] = corners;
    let stride = out.stride();
    out.data.par_chunks_mut(stride).enumerate().for_each(|(y, row)| {
        let ty = t(u32::try_from(y).unwrap_or(u32::MAX), height);
        for (x, p) in row.chunks_exact_mut(4).enumerate() {
            let tx = t(u32::try_from(x).unwrap_or(u32::MAX), width);
            let (top, bottom) = (mix(tl, tr, tx), mix(bl, br, tx));
            for c in 0..3 {
                p[c] = clamp_u8(top[c] + (bottom[c] - top[c]) * ty);
            }
        }
    });
    Ok(out)
}

/// The `bg-gradient_dominant` canvas of `canvas` size for `image` (the step's resized image,
/// before padding): its `colors` dominant colours, two of them along the axis with the larger
/// share of padding (vertical on a tie).
pub fn behind(limits: &Limits, image: &Frame, canvas: (u32, u32), colors: u8) -> Result<Frame> {
    let palette = super::dominant::dominant_colors(image, usize::from(colors));
    let share = |img: u32, c: u32| f64::from(c.saturating_sub(img)) / f64::from(c.max(1));
    let vertical = share(image.height, canvas.1) >= share(image.width, canvas.0);
    palette_gradient(limits, canvas.0, canvas.1, &palette, vertical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_colours_follow_the_padding_axis_and_four_sit_in_the_corners() {
        let l = Limits::default();
        let (red, blue) = ([255, 0, 0, 255], [0, 0, 255, 255]);
        let v = palette_gradient(&l, 4, 5, &[red, blue], true).unwrap();
        assert_eq!(v.pixel(3, 0), red);
        assert_eq!(v.pixel(0, 4), blue);
        assert_eq!(v.pixel(1, 2), [128, 0, 128, 255], "halfway down");
        let h = palette_gradient(&l, 5, 2, &[red, blue], false).unwrap();
        assert_eq!((h.pixel(0, 1), h.pixel(4, 0)), (red, blue));
        let (g, w) = ([0, 255, 0, 255], [255, 255, 255, 255]);
        let q = palette_gradient(&l, 3, 3, &[red, blue, g, w], false).unwrap();
        assert_eq!([q.pixel(0, 0), q.pixel(2, 0), q.pixel(2, 2), q.pixel(0, 2)], [red, blue, g, w]);
        assert!(palette_gradient(&l, 3, 3, &[red], false).is_err());
        assert!(palette_gradient(&l, u32::MAX, u32::MAX, &[red, blue], false).is_err(), "checked against limits");
    }
}
