//! Several chains of one source in one GPU submission.
//!
//! Owns: the [`VariantBackend`] impl of [`GpuBackend`]. The source goes up once; each
//! variant restarts the chain from the shared source pixels (`Chain::restart`), records its
//! ops with the same `encode_op` as a single job (intermediates from the buffer pool), and
//! records its own `pack` + staging copy (`Chain::record_output`). One submit covers every
//! variant; each output is then mapped and read back on its own.
//!
//! Why the shared source stays intact: every kernel writes a new pooled buffer except the
//! layer composite, which draws onto the current pixels in place; a variant with a layer
//! therefore starts from a device copy of the source (`Chain::copy_current`).
//!
//! What cannot join (see [`unbatchable`]): an op that needs the current pixels on the CPU
//! (dominant colour, contrast histogram, blurred background, salient / face anchor, `lfo-face`)
//! anywhere but first. First, it reads the decoded source itself (no round trip); later, it
//! would need a mid-chain readback, i.e. a submit and a wait inside the batch.
//!
//! May import: `exec` (the variant trait), `plan`, `media`, `error`; wgpu. Never `url`,
//! `service`, tonic, rayon.

use super::transfer::Chain;
use super::{encode_op, GpuBackend};
use crate::error::{Error, ErrorKind, Result};
use crate::exec::variants::VariantBackend;
use crate::exec::RunContext;
use crate::job::Focus;
use crate::media::Frame;
use crate::plan::{Anchor, Fill, PlanOp};

/// True for an op that reads the current pixels on the CPU (`Chain::snapshot`).
fn needs_snapshot(op: &PlanOp) -> bool {
    match op {
        PlanOp::Crop { anchor, .. } => matches!(anchor, Anchor::Salient | Anchor::Face { .. }),
        PlanOp::Pad { fill, .. } => {
            matches!(fill, Fill::Dominant | Fill::Blurred { .. } | Fill::GradientDominant { .. })
        }
        PlanOp::Contrast => true,
        PlanOp::Layer(layer) => layer.position.focus == Some(Focus::Face),
        _ => false,
    }
}

/// Why `ops` cannot join a batch: an op needing a snapshot after the first.
pub fn unbatchable(ops: &[PlanOp]) -> Option<String> {
    ops.iter().skip(1).any(needs_snapshot).then(|| "mid_chain_readback".to_string())
}

impl VariantBackend for GpuBackend {
    fn unbatchable(&self, ops: &[PlanOp]) -> Option<String> {
        unbatchable(ops)
    }

    fn run_batch(&self, source: &Frame, chains: &[Vec<PlanOp>], ctx: &RunContext<'_>) -> Result<Vec<Frame>> {
        if let Some(why) = chains.iter().find_map(|ops| unbatchable(ops)) {
            return Err(Error::internal(format!("a variant that cannot be batched reached the batch: {why}")));
        }
        // Per-thread error scopes, as in `run_chain`; popped in reverse order on early return.
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let mut chain = Chain::upload(self.gpu(), source, false)?;
        let shared = chain.pixels.clone();
        let (w, h) = (source.width, source.height);
        let mut outputs = Vec::with_capacity(chains.len());
        for ops in chains {
            // The uploaded frame is a free snapshot only for a first op that asks for one.
            let pristine = ops.first().filter(|op| needs_snapshot(op)).map(|_| source.clone());
            chain.restart(shared.clone(), w, h, pristine);
            if ops.iter().any(|op| matches!(op, PlanOp::Layer(_))) {
                chain.copy_current();
            }
            for op in ops {
                encode_op(&mut chain, op, ctx)?;
            }
            outputs.push(chain.record_output()?);
        }
        let frames = chain.finish_outputs(outputs).wait();
        if let Some(e) = pollster::block_on(oom.pop()) {
            return Err(Error::new(ErrorKind::TooLarge, format!("GPU out of memory: {e}")));
        }
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::internal(format!("GPU validation error: {e}")));
        }
        frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Filter;

    #[test]
    fn snapshot_ops_batch_only_when_first() {
        let resize = PlanOp::Resize { width: 10, height: 10, filter: Filter::Lanczos3 };
        assert_eq!(unbatchable(&[PlanOp::Contrast, resize.clone()]), None);
        assert_eq!(unbatchable(&[resize.clone(), PlanOp::Contrast]).as_deref(), Some("mid_chain_readback"));
        assert_eq!(unbatchable(&[resize, PlanOp::Grayscale]), None);
    }
}
