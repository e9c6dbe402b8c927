//! The GPU backend: plan ops as WGSL compute dispatches through wgpu.
//!
//! Owns: [`GpuBackend`]. A job's ops are recorded into one command encoder between one
//! upload (`unpack`) and one readback (`pack`), so intermediates never leave the device.
//! Every `PlanOp` has a kernel (one dispatcher per family in `kernels/`). Frames over the
//! device's buffer or workgroup limits and an unhealthy (lost) device make
//! [`Backend::unsupported`] name a reason; the executor then runs the CPU backend and records
//! that reason.
//!
//! Data-dependent inputs are resolved on the CPU with the CPU backend's own functions, so both
//! backends make the same choice: the dominant colour (`bg-dominant`), the contrast-stretch
//! matrix (a histogram), the blurred background of `bg-blurred`, and layer pixels. They read
//! `Chain::snapshot`: the uploaded frame when the op comes first (no round trip; the common
//! case), else a mid-chain readback. Layers are rendered by `exec::cpu::layer::render` (via
//! the executor), clipped to the frame, uploaded and composited on the device.
//!
//! Several variants of one source share one upload and one submission (`variants`, through
//! [`Backend::variants`]); [`GpuBackend::submissions`] counts queue submissions.
//!
//! Concurrency: the backend is shared by every job thread. wgpu's `Device` and `Queue` are
//! `Sync`; each chain has its own encoder and waits only for its own submission; the buffer
//! pool is a short-held mutex.
//!
//! May import: `plan`, `media`, `job`, `error`, `exec::cpu` (twins and analysis); wgpu,
//! bytemuck. Never `url`, `service`, tonic.

pub mod device;
pub mod kernels;
pub mod pipelines;
pub mod pool;
pub mod transfer;
pub mod variants;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};
use crate::exec::cpu::kernels as cpu_kernels;
use crate::exec::{Backend, BackendKind, RunContext};
use crate::job::LayerMode;
use crate::media::Frame;
use crate::plan::{Anchor, Corners, Fill, PlanOp};

use cpu_kernels::color_matrix::ColorMatrix;
use cpu_kernels::round_corners::Radii;
use pipelines::Pipelines;
use pool::BufferPool;
pub use transfer::GpuTimings;
use transfer::{Chain, Gpu, DEVICE_BPP};

/// Idle device buffers kept for reuse across jobs: a few 4K chains' worth.
const POOL_BUDGET: u64 = 512 << 20;

/// A wgpu device with every pipeline built.
pub struct GpuBackend {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    limits: wgpu::Limits,
    pipelines: Pipelines,
    /// Pixel, upload and staging buffers reused across jobs.
    pool: BufferPool,
    /// Cleared by the device-lost callback; the daemon keeps serving on the CPU.
    healthy: Arc<AtomicBool>,
    /// Queue submissions so far ([`GpuBackend::submissions`]).
    submissions: AtomicU64,
}

impl GpuBackend {
    /// Open the adapter, a software one included (tests, benches and `xformd check` run on
    /// lavapipe deliberately), and build every pipeline.
    pub fn new() -> Result<Self> {
        Self::open(true)
    }

    /// Open the adapter (see `device::open`; a software adapter only when `allow_software`)
    /// and build every pipeline.
    pub fn open(allow_software: bool) -> Result<Self> {
        let opened = device::open(allow_software)?;
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
            pool: BufferPool::new(POOL_BUDGET),
            healthy,
            submissions: AtomicU64::new(0),
        })
    }

    /// Adapter name as the driver reports it.
    pub fn adapter_name(&self) -> &str {
        &self.info.name
    }

    /// The adapter's kind as wgpu reports it (`DiscreteGpu`, `IntegratedGpu`, `Cpu`, …).
    pub fn device_type(&self) -> String {
        format!("{:?}", self.info.device_type)
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

    /// Destroy the device as a driver reset would (fault drills, `tests/faults.rs`): the
    /// device-lost callback marks the backend unhealthy and every later job falls back to the
    /// CPU with `device_lost`. Irreversible for this backend.
    pub fn lose_device(&self) {
        self.device.destroy();
        // Some drivers report the loss at the next poll, not inside `destroy`.
        let _ = self.device.poll(wgpu::PollType::Poll);
        self.healthy.store(false, Ordering::SeqCst);
    }

    /// False once the device was lost.
    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::SeqCst)
    }

    /// Largest frame (in pixels) one storage buffer holds on this device.
    fn max_pixels(&self) -> u64 {
        self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size) / DEVICE_BPP
    }

    fn gpu(&self) -> Gpu<'_> {
        Gpu {
            device: &self.device,
            queue: &self.queue,
            pipelines: &self.pipelines,
            pool: &self.pool,
            submissions: &self.submissions,
        }
    }

    /// Queue submissions made so far by every chain: a plain job makes one; a timed run, a
    /// mid-chain snapshot and a batch of variants say how many they make where they happen.
    pub fn submissions(&self) -> u64 {
        self.submissions.load(Ordering::Relaxed)
    }

    /// Bytes of idle device buffers kept for reuse.
    pub fn pooled_bytes(&self) -> u64 {
        self.pool.idle_bytes()
    }

    /// [`Backend::run`] with the chain split into measured phases (upload, kernels,
    /// readback). Each phase ends with a submit and a wait, so the total is a little slower
    /// than an untimed run; `xformd bench` reports both.
    pub fn run_timed(&self, ops: &[PlanOp], frame: Frame, ctx: &RunContext<'_>) -> Result<(Frame, GpuTimings)> {
        let (out, t) = self.run_chain(ops, &frame, ctx, true)?;
        Ok((out, t.unwrap_or_default()))
    }

    fn run_chain(
        &self,
        ops: &[PlanOp],
        frame: &Frame,
        ctx: &RunContext<'_>,
        timed: bool,
    ) -> Result<(Frame, Option<GpuTimings>)> {
        // Error scopes are per thread in wgpu, so concurrent jobs on other threads do not see
        // each other's errors. The guards pop in reverse order when dropped on an early return.
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let mut chain = Chain::upload(self.gpu(), frame, timed)?;
        for op in ops {
            encode_op(&mut chain, op, ctx)?;
        }
        let out = chain.finish()?.wait();
        if let Some(e) = pollster::block_on(oom.pop()) {
            return Err(Error::new(ErrorKind::TooLarge, format!("GPU out of memory: {e}")));
        }
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::internal(format!("GPU validation error: {e}")));
        }
        out
    }
}

/// Top-left corner of a `width` × `height` crop window for `anchor` in the current frame.
/// `Salient` and `Face` run the CPU backend's own analysis (`exec::cpu::analysis`) on
/// `chain.snapshot()`, so both backends cut the same window.
fn crop_origin(chain: &mut Chain<'_>, width: u32, height: u32, anchor: Anchor) -> Result<(u32, u32)> {
    Ok(match anchor {
        Anchor::At { x, y } => (x, y),
        Anchor::Salient | Anchor::Face { .. } => {
            crate::exec::cpu::analysis::resolve_anchor(&chain.snapshot()?, width, height, anchor)
        }
    })
}

/// Record one plan op. Whole-image statistics (dominant colour, contrast histogram, the
/// blurred background) and layer pixels are computed on the CPU by the same functions the CPU
/// backend calls, on `chain.snapshot()`; the per-pixel work stays on the device.
fn encode_op(chain: &mut Chain<'_>, op: &PlanOp, ctx: &RunContext<'_>) -> Result<()> {
    match op {
        PlanOp::Resize { width, height, filter } => kernels::resize::encode(chain, *width, *height, *filter),
        PlanOp::Crop { width, height, anchor } => {
            let (x, y) = crop_origin(chain, *width, *height, *anchor)?;
            kernels::crop::encode(chain, x, y, *width, *height)
        }
        PlanOp::Pad { width, height, x, y, fill } => match fill {
            Fill::Color(c) => kernels::pad::encode(chain, *width, *height, *x, *y, *c),
            Fill::Dominant => {
                let c = cpu_kernels::dominant::dominant_color(&chain.snapshot()?);
                kernels::pad::encode(chain, *width, *height, *x, *y, c)
            }
            Fill::Blurred { sigma, brightness } => {
                let bg = cpu_kernels::blurred_background::blurred_background_sigma(
                    ctx.limits,
                    &chain.snapshot()?,
                    *width,
                    *height,
                    *sigma,
                    i32::from(*brightness),
                )?;
                kernels::composite::onto(chain, &bg, *x, *y)
            }
            Fill::GradientDominant { colors } => {
                let snapshot = chain.snapshot()?;
                let bg = cpu_kernels::palette_gradient::behind(ctx.limits, &snapshot, (*width, *height), *colors)?;
                kernels::composite::onto(chain, &bg, *x, *y)
            }
        },
        PlanOp::Rotate { degrees, fill } => kernels::rotate::encode(chain, *degrees, *fill),
        PlanOp::Flip { horizontal, vertical } => kernels::flip::encode(chain, *horizontal, *vertical),
        PlanOp::Blur { sigma } => kernels::blur::encode(chain, *sigma),
        PlanOp::Sharpen { sigma, amount, threshold } => kernels::sharpen::encode(chain, *sigma, *amount, *threshold),
        PlanOp::Grayscale => kernels::color_matrix::encode(chain, &ColorMatrix::grayscale()),
        PlanOp::Contrast => {
            let m = cpu_kernels::color_matrix::contrast_stretch_matrix(&chain.snapshot()?);
            kernels::color_matrix::encode(chain, &m)
        }
        PlanOp::Opacity { opacity, background } => {
            kernels::color_matrix::encode(chain, &ColorMatrix::opacity(*opacity))?;
            match background {
                Some(bg) => kernels::flatten::encode(chain, *bg),
                None => Ok(()),
            }
        }
        PlanOp::RoundCorners { corners, fill } => {
            let radii = match corners {
                Corners::Ellipse => Radii::Max,
                Corners::Radii([tl, tr, br, bl]) => Radii::Corners { tl: *tl, tr: *tr, br: *br, bl: *bl },
            };
            kernels::round_corners::encode(chain, radii, *fill)
        }
        PlanOp::Border { width, color } => kernels::border::encode(chain, *width, *color),
        PlanOp::Flatten { background } => kernels::flatten::encode(chain, *background),
        PlanOp::Shadow { sigma, opacity, dx, dy } => kernels::shadow::encode(chain, *sigma, *opacity, *dx, *dy),
        PlanOp::Gradient { degrees, from, to, stop } => kernels::gradient::encode(chain, *degrees, *from, *to, *stop),
        PlanOp::Perspective { corners } => kernels::perspective::encode(chain, corners),
        PlanOp::Arc { degrees } => kernels::arc::encode(chain, *degrees),
        PlanOp::Layer(layer) => {
            let parent = (chain.width, chain.height);
            let pixels = ctx.executor.render_layer(layer, parent, ctx)?;
            // `lfo-face` needs pixels: the same detector as the CPU backend, on a snapshot of
            // the chain; no face means the layer is not drawn (spec §7.2).
            let (x, y) = if layer.position.focus == Some(crate::job::Focus::Face) {
                match crate::exec::cpu::analysis::largest_face_centre(&chain.snapshot()?) {
                    Some(c) => crate::exec::cpu::analysis::centred_layer(c, (pixels.width, pixels.height)),
                    None => return Ok(()),
                }
            } else {
                crate::plan::place_layer(layer, (pixels.width, pixels.height), parent)?
            };
            match layer.mode {
                LayerMode::Normal => kernels::composite::layer(chain, ctx.limits, &pixels, x, y),
                mode => {
                    let amount = match mode {
                        LayerMode::Displace => {
                            crate::plan::layer_displacement(layer, (pixels.width, pixels.height), parent)?
                        }
                        _ => (0.0, 0.0),
                    };
                    kernels::blend::encode(chain, ctx.limits, &pixels, (x, y), mode, amount)
                }
            }
        }
    }
}

impl Backend for GpuBackend {
    fn kind(&self) -> BackendKind {
        BackendKind::Gpu
    }

    fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    fn unsupported(&self, ops: &[PlanOp], frame: (u32, u32)) -> Option<String> {
        if !self.is_healthy() {
            return Some("device_lost".into());
        }
        // Every frame size the chain holds: the input and each op's output (layers are
        // clipped to the frame before upload, so they never exceed it).
        let mut sizes = vec![frame];
        let mut cur = frame;
        for op in ops {
            cur = op.output_size(cur);
            sizes.push(cur);
        }
        let max_groups = u64::from(self.limits.max_compute_workgroups_per_dimension);
        let too_big = sizes.iter().any(|&(w, h)| {
            u64::from(w) * u64::from(h) > self.max_pixels()
                || u64::from(w.div_ceil(16)) > max_groups
                || u64::from(h.div_ceil(16)) > max_groups
        });
        too_big.then(|| "over_device_limits".into())
    }

    fn run(&self, ops: &[PlanOp], frame: Frame, ctx: &RunContext<'_>) -> Result<Frame> {
        self.run_chain(ops, &frame, ctx, false).map(|(f, _)| f)
    }

    fn variants(&self) -> Option<&dyn crate::exec::variants::VariantBackend> {
        Some(self)
    }
}
