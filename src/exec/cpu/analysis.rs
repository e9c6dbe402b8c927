//! Pixel analysis behind the plan's data-dependent placeholders: the salient region
//! (`fo-auto`, [`saliency`]) and faces (`fo-face` with `z`, `lfo-face`, [`face`]).
//!
//! Owns: [`resolve_anchor`] (the one place a [`plan::Anchor`](Anchor) becomes a window
//! position; the GPU backend calls it too, on a downloaded frame), [`largest_face_centre`]
//! and [`centred_layer`] (`lfo-face` placement, for both backends), and the shared
//! [`Small`] downscaled RGB image.
//!
//! May import: `plan`, `media`, `job`; rayon. Both analyses run on a bounded downscaled copy
//! (≤ 256 px for saliency, ≤ 640 px for faces), so their scratch memory is bounded by
//! constants, not by the untrusted input size. Both are deterministic.

pub mod face;
pub mod saliency;

use crate::media::Frame;
use crate::plan::Anchor;

/// A downscaled RGB copy of a frame (area average; transparent pixels count as black, i.e.
/// colours are premultiplied by alpha), values on a 0..=255 scale.
#[derive(Debug, Clone)]
pub struct Small {
    /// Width (≥ 1).
    pub width: usize,
    /// Height (≥ 1).
    pub height: usize,
    /// `width * height` RGB pixels, row-major.
    pub rgb: Vec<[f32; 3]>,
    /// Source pixels per small pixel (≥ 1; 1 when the frame was already small enough).
    pub scale: f64,
}

impl Small {
    /// Downscale `frame` so that its longest side is at most `max_side` (never upscales).
    /// `None` for an empty or inconsistent frame.
    pub fn new(frame: &Frame, max_side: u32) -> Option<Small> {
        let (fw, fh) = (frame.width as usize, frame.height as usize);
        if fw == 0 || fh == 0 || frame.data.len() != fw * fh * 4 || max_side == 0 {
            return None;
        }
        let longest = frame.width.max(frame.height);
        let scale = (f64::from(longest) / f64::from(max_side)).max(1.0);
        let dim = |v: u32| {
            #[expect(clippy::cast_possible_truncation, reason = "≤ max_side after division")]
            let d = (f64::from(v) / scale).round().max(1.0) as usize;
            d
        };
        let (width, height) = (dim(frame.width), dim(frame.height));
        // Source ranges per small pixel: [floor(i·fw/w), floor((i+1)·fw/w)), never empty.
        let range = |i: usize, n: usize, full: usize| {
            let a = i * full / n;
            let b = ((i + 1) * full / n).max(a + 1).min(full);
            (a, b)
        };
        let mut rgb = Vec::new();
        rgb.resize(width * height, [0.0f32; 3]);
        for y in 0..height {
            let (y0, y1) = range(y, height, fh);
            for x in 0..width {
                let (x0, x1) = range(x, width, fw);
                let mut acc = [0.0f32; 3];
                for sy in y0..y1 {
                    let row = &frame.data[(sy * fw + x0) * 4..(sy * fw + x1) * 4];
                    for p in row.chunks_exact(4) {
                        let a = f32::from(p[3]) / 255.0;
                        acc[0] += f32::from(p[0]) * a;
                        acc[1] += f32::from(p[1]) * a;
                        acc[2] += f32::from(p[2]) * a;
                    }
                }
                #[expect(clippy::cast_precision_loss, reason = "block areas are small")]
                let n = ((y1 - y0) * (x1 - x0)) as f32;
                rgb[y * width + x] = [acc[0] / n, acc[1] / n, acc[2] / n];
            }
        }
        Some(Small { width, height, rgb, scale })
    }

    /// Rec. 601 luma (what OpenCV's cascades were trained on).
    pub fn luma(&self) -> Vec<f32> {
        self.rgb.iter().map(|p| 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]).collect()
    }
}

/// Top-left corner of a window of `width` × `height` centred on (`cx`, `cy`) in a frame of
/// `frame_w` × `frame_h`, clamped so that the window lies inside.
pub fn centred_window(cx: f64, cy: f64, width: u32, height: u32, frame_w: u32, frame_h: u32) -> (u32, u32) {
    let axis = |c: f64, len: u32, full: u32| -> u32 {
        let max = full.saturating_sub(len);
        let v = (c - f64::from(len) / 2.0).round();
        if v.is_nan() || v <= 0.0 {
            0
        } else if v >= f64::from(max) {
            max
        } else {
            #[expect(clippy::cast_possible_truncation, reason = "strictly between 0 and a u32")]
            let r = v as u32;
            r
        }
    };
    (axis(cx, width, frame_w), axis(cy, height, frame_h))
}

/// Where a `width` × `height` crop window goes in `frame` for `anchor`; always inside the
/// frame (clamped). `Salient`: the window of that size with the highest saliency score.
/// `Face`: centred on the detected faces (see [`face::window_centre`]); centred in the
/// frame when no face is found (the documented fallback).
pub fn resolve_anchor(frame: &Frame, width: u32, height: u32, anchor: Anchor) -> (u32, u32) {
    let clamp = |x: u32, y: u32| (x.min(frame.width.saturating_sub(width)), y.min(frame.height.saturating_sub(height)));
    let centre = || {
        centred_window(
            f64::from(frame.width) / 2.0,
            f64::from(frame.height) / 2.0,
            width,
            height,
            frame.width,
            frame.height,
        )
    };
    match anchor {
        Anchor::At { x, y } => clamp(x, y),
        Anchor::Salient => saliency::best_window(frame, width, height).map_or_else(centre, |(x, y)| clamp(x, y)),
        Anchor::Face { zoom } => {
            let faces = face::detect(frame);
            match face::window_centre(&faces, zoom, (width, height)) {
                Some((cx, cy)) => centred_window(cx, cy, width, height, frame.width, frame.height),
                None => centre(),
            }
        }
    }
}

/// Centre of the largest detected face in `frame`, for `lfo-face` placement; `None` when
/// no face is found (the layer is then not drawn).
pub fn largest_face_centre(frame: &Frame) -> Option<(f64, f64)> {
    face::detect(frame).first().map(face::Face::centre)
}

/// Top-left corner of a `size` layer whose centre goes on `centre` (`lfo-face` placement,
/// with the centre from [`largest_face_centre`]); parts outside the parent are clipped by
/// the composite.
pub fn centred_layer(centre: (f64, f64), size: (u32, u32)) -> (i64, i64) {
    let corner = |c: f64, len: u32| {
        #[expect(clippy::cast_possible_truncation, reason = "float-to-int casts saturate; c is inside the parent")]
        let v = (c - f64::from(len) / 2.0).round() as i64;
        v
    };
    (corner(centre.0, size.0), corner(centre.1, size.1))
}
