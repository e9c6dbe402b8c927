//! Several outputs from one chain: the variants of one source in one submission.
//!
//! Owns: [`Output`], [`PendingOutputs`] and the `Chain` methods `restart`, `copy_current`,
//! `record_output`, `finish_outputs`. `gpu::variants` records each variant from the shared
//! source pixels (`restart`), records its `pack` + staging copy (`record_output`), and submits
//! once for all of them (`finish_outputs`); every output is then mapped and read on its own.
//!
//! May import: the parent `transfer`, `media`, `error`; wgpu.

use super::{frame_bytes, read_staging, Chain, Gpu, DEVICE_BPP};
use crate::error::Result;
use crate::media::Frame;

/// One output of a multi-output chain, recorded but not yet read back.
pub struct Output {
    staging: wgpu::Buffer,
    width: u32,
    height: u32,
}

/// A submitted multi-output chain ([`Chain::finish_outputs`]).
pub struct PendingOutputs<'a> {
    gpu: Gpu<'a>,
    outputs: Vec<Output>,
    submission: wgpu::SubmissionIndex,
    used: Vec<wgpu::Buffer>,
}

impl<'a> Chain<'a> {
    /// Make `pixels` (`width` × `height`, recorded earlier in this encoder and never written
    /// in place since) the current frame again, to record another variant from it. `pristine`
    /// is the frame those pixels hold, when an op of the variant needs it as a snapshot.
    pub fn restart(&mut self, pixels: wgpu::Buffer, width: u32, height: u32, pristine: Option<Frame>) {
        self.set_current(pixels, width, height);
        self.pristine = pristine;
    }

    /// Replace the current pixels by a private device copy, so an op that writes in place
    /// (a layer composite) leaves shared pixels alone.
    pub fn copy_current(&mut self) {
        let (w, h) = (self.width, self.height);
        let copy = self.pixel_buffer(w, h);
        self.encoder.copy_buffer_to_buffer(&self.pixels, 0, &copy, 0, frame_bytes(w, h, DEVICE_BPP));
        let pristine = self.pristine.take();
        self.restart(copy, w, h, pristine);
    }

    /// Record the conversion of the current pixels back to RGBA8 and the copy to a mappable
    /// buffer, without submitting; read back by [`PendingOutputs::wait`].
    pub fn record_output(&mut self) -> Result<Output> {
        let (staging, _) = self.record_pack()?;
        Ok(Output { staging, width: self.width, height: self.height })
    }

    /// Submit everything recorded, once, for the `outputs` recorded with
    /// [`record_output`](Self::record_output).
    pub fn finish_outputs(mut self, outputs: Vec<Output>) -> PendingOutputs<'a> {
        let submission = self.submit();
        PendingOutputs { gpu: self.gpu, outputs, submission, used: std::mem::take(&mut self.used) }
    }
}

impl PendingOutputs<'_> {
    /// Block until the submission is done and read every output back, in recording order.
    pub fn wait(self) -> Result<Vec<Frame>> {
        let mut frames = Vec::new();
        let mut failed = None;
        for o in &self.outputs {
            let bytes = frame_bytes(o.width, o.height, 4);
            match read_staging(self.gpu.device, &o.staging, self.submission.clone(), bytes, o.width, o.height) {
                Ok(f) => frames.push(f),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        // The submission is complete (or failed): every buffer is free again.
        self.gpu.pool.give(self.used);
        self.gpu.pool.give(self.outputs.into_iter().map(|o| o.staging));
        match failed {
            Some(e) => Err(e),
            None => Ok(frames),
        }
    }
}
