//! The production CPU resize: fast_image_resize (SIMD, multi-threaded through rayon).
//!
//! Owns: [`resize`]. Maps [`Filter`] to fast_image_resize's filters; alpha is premultiplied
//! for the convolution and divided back afterwards (fast_image_resize's `use_alpha`).

use fast_image_resize::images::Image;
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use crate::error::{Error, Result};
use crate::limits::{try_alloc, Limits};
use crate::media::Frame;
use crate::plan::Filter;

fn filter_type(filter: Filter) -> FilterType {
    match filter {
        Filter::Lanczos3 => FilterType::Lanczos3,
        Filter::Cubic => FilterType::CatmullRom,
        Filter::Bilinear => FilterType::Bilinear,
    }
}

/// Resize `src` to exactly `width` × `height`.
pub fn resize(limits: &Limits, src: &Frame, width: u32, height: u32, filter: Filter) -> Result<Frame> {
    if (src.width, src.height) == (width, height) {
        return Ok(src.clone());
    }
    let data = try_alloc(limits, u64::from(width) * u64::from(height) * 4)?;
    let mut dst = Image::from_vec_u8(width, height, data, PixelType::U8x4)
        .map_err(|e| Error::internal(format!("resize buffer: {e}")))?;
    let src_img = fast_image_resize::images::ImageRef::new(src.width, src.height, &src.data, PixelType::U8x4)
        .map_err(|e| Error::internal(format!("resize source: {e}")))?;
    let opts = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(filter_type(filter))).use_alpha(true);
    Resizer::new().resize(&src_img, &mut dst, &opts).map_err(|e| Error::internal(format!("resize: {e}")))?;
    Frame::from_rgba(width, height, dst.into_vec())
}
