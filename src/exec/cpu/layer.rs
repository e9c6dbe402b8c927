//! Layer pixels on the CPU: image layers fetched through the run context, solid blocks,
//! then the layer's own steps.
//!
//! Owns: [`render`].

use crate::error::{Error, ErrorKind, Result};
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
        LayerKind::Text { .. } => {
            return Err(Error::new(ErrorKind::Unsupported, "text layers are not rendered yet").with_param("l", "text"));
        }
    };
    let nested = RunContext { depth: ctx.depth + 1, ..*ctx };
    let (frame, _) =
        ctx.executor.run_steps(&layer.steps, frame, Some(parent), Default::default(), BackendPref::Cpu, &nested)?;
    Ok(frame)
}
