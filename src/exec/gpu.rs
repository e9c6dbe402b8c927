//! The GPU backend: plan ops as WGSL compute dispatches through wgpu.
//!
//! Owns: [`GpuBackend`]. A job's ops are recorded into one command encoder between one
//! upload (`unpack`) and one readback (`pack`), so intermediates never leave the device.
//! Ops without a kernel, frames over the device's buffer limits, and an unhealthy (lost)
//! device make [`Backend::unsupported`] name a reason; the executor then runs the CPU
//! backend and records that reason.
//!
//! May import: `plan`, `media`, `job`, `error`; wgpu, bytemuck. Never `url`, `service`, tonic.

pub mod device;
pub mod kernels;
pub mod pipelines;
pub mod transfer;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};
use crate::exec::{Backend, BackendKind, RunContext};
use crate::media::Frame;
use crate::plan::PlanOp;

use pipelines::Pipelines;
use transfer::Chain;

/// Bytes per pixel on the device (`vec4<f32>`).
const DEVICE_BPP: u64 = 16;

/// A wgpu device with every pipeline built.
pub struct GpuBackend {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    pipelines: Pipelines,
    /// Cleared by the device-lost callback; the daemon keeps serving on the CPU.
    healthy: Arc<AtomicBool>,
}

impl GpuBackend {
    /// Open the adapter (see `device::open`) and build every pipeline.
    pub fn new() -> Result<Self> {
        let opened = device::open()?;
        let pipelines = Pipelines::build(&opened.device)?;
        let healthy = Arc::new(AtomicBool::new(true));
        let flag = Arc::clone(&healthy);
        opened.device.set_device_lost_callback(move |reason, msg| {
            flag.store(false, Ordering::SeqCst);
            tracing::error!(?reason, %msg, "GPU device lost; jobs fall back to the CPU");
        });
        Ok(GpuBackend {
            device: opened.device,
            queue: opened.queue,
            info: opened.info,
            limits: opened.limits,
            pipelines,
            healthy,
        })
    }

    /// Adapter name as the driver reports it.
    pub fn adapter_name(&self) -> &str {
        &self.info.name
    }

    /// Graphics API in use (`Vulkan`, `Metal`, …).
    pub fn api(&self) -> String {
        format!("{:?}", self.info.backend)
    }

    /// Driver name and version.
    pub fn driver(&self) -> String {
        format!("{} {}", self.info.driver, self.info.driver_info)
    }

    /// Number of compute pipelines built.
    pub fn pipeline_count(&self) -> usize {
        self.pipelines.len()
    }

    /// False once the device was lost.
    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::SeqCst)
    }

    fn op_name(op: &PlanOp) -> Option<&'static str> {
        match op {
            PlanOp::Resize { .. } => None,
            PlanOp::Crop { .. } => Some("crop"),
            PlanOp::Pad { .. } => Some("pad"),
            PlanOp::Rotate { .. } => Some("rotate"),
            PlanOp::Flip { .. } => Some("flip"),
            PlanOp::Blur { .. } => Some("blur"),
            PlanOp::Sharpen { .. } => Some("sharpen"),
            PlanOp::Grayscale => Some("grayscale"),
            PlanOp::Contrast => Some("contrast"),
            PlanOp::Opacity { .. } => Some("opacity"),
            PlanOp::RoundCorners { .. } => Some("round_corners"),
            PlanOp::Border { .. } => Some("border"),
            PlanOp::Flatten { .. } => Some("flatten"),
            PlanOp::Layer(_) => Some("layer"),
        }
    }

    /// Largest frame (in pixels) one storage buffer holds on this device.
    fn max_pixels(&self) -> u64 {
        self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size) / DEVICE_BPP
    }

    fn run_chain(&self, ops: &[PlanOp], frame: &Frame) -> Result<Frame> {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let mut chain = Chain::upload(&self.device, &self.pipelines, frame)?;
        for op in ops {
            match op {
                PlanOp::Resize { width, height, filter } => {
                    kernels::resize::encode(&mut chain, *width, *height, *filter)?;
                }
                other => return Err(Error::internal(format!("GPU has no kernel for {other:?}"))),
            }
        }
        let pending = chain.finish(&self.queue)?;
        let out = pending.wait(&self.device);
        if let Some(e) = pollster::block_on(oom.pop()) {
            return Err(Error::new(ErrorKind::TooLarge, format!("GPU out of memory: {e}")));
        }
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::internal(format!("GPU validation error: {e}")));
        }
        out
    }
}

impl Backend for GpuBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Gpu
    }

    fn unsupported(&self, ops: &[PlanOp], frame: (u32, u32)) -> Option<String> {
        if !self.is_healthy() {
            return Some("device_lost".into());
        }
        if let Some(name) = ops.iter().find_map(Self::op_name) {
            return Some(format!("no_kernel:{name}"));
        }
        let mut sizes = vec![frame];
        sizes.extend(ops.iter().filter_map(|op| match op {
            PlanOp::Resize { width, height, .. } => Some((*width, *height)),
            _ => None,
        }));
        let max_groups = self.limits.max_compute_workgroups_per_dimension;
        let too_big = sizes.iter().any(|&(w, h)| {
            u64::from(w) * u64::from(h) > self.max_pixels()
                || w.div_ceil(16) > max_groups
                || h.div_ceil(16) > max_groups
        });
        too_big.then(|| "over_device_limits".into())
    }

    fn run(&self, ops: &[PlanOp], frame: Frame, _ctx: &RunContext<'_>) -> Result<Frame> {
        self.run_chain(ops, &frame)
    }
}
