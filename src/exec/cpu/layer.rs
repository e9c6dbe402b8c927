//! Layer pixels on the CPU: image layers fetched through the run context, solid blocks,
//! text (rendered by `cpu::text`, custom fonts fetched through the run context), then the
//! layer's own steps.
//!
//! Owns: [`render`].

use super::text::{self, FontChoice};
use crate::error::{Error, Result};
use crate::exec::RunContext;
use crate::job::{BackendPref, Layer, LayerKind};
use crate::media::Frame;

/// The spec allows layers nested three deep.
const MAX_DEPTH: u32 = 3;

/// Render a layer's pixels (before placement) on a parent of size `parent`.
pub fn render(layer: &Layer, parent: (u32, u32), ctx: &RunContext<'_>) -> Result<Frame> {
    if ctx.depth >= MAX_DEPTH {
        return Err(Error::invalid("l", "nested", "layers nest at most 3 levels"));
    }
    let frame = match &layer.kind {
        LayerKind::Image { path } => ctx.layers.image(path)?,
        // A solid block starts as a 1×1 pixel; its step (`w h bg`) sizes and colours it.
        LayerKind::Solid => Frame::filled(ctx.limits, 1, 1, [0, 0, 0, 0])?,
        LayerKind::Text { text, style } => {
            let bytes = match FontChoice::of(style.font.as_deref()) {
                FontChoice::Default => None,
                FontChoice::File(path) => Some(ctx.layers.font(path)?),
            };
            text::render(ctx.limits, text, style, parent, bytes)?
        }
        // The pipeline refuses these before fetching (`job::layer::check_image_layers`); a
        // job reaching here through another door gets the same 400.
        LayerKind::Video { path } | LayerKind::Subtitles { path, .. } => {
            return Err(Error::invalid(layer.kind.key(), path.as_str(), "needs a video source"))
        }
    };
    let nested = RunContext { depth: ctx.depth + 1, ..*ctx };
    let (frame, _) =
        ctx.executor.run_steps(&layer.steps, frame, Some(parent), Default::default(), BackendPref::Cpu, &nested)?;
    Ok(frame)
}
