//! Upload, dispatch recording and readback for one chain of ops.
//!
//! Owns: [`Chain`], [`Pending`] and [`GpuTimings`]. Pixels go up once as RGBA8 (`unpack`
//! turns them into premultiplied `vec4<f32>`), every op records dispatches into the same
//! encoder, and `pack` + one buffer copy bring the result back. Buffer-to-buffer copies need
//! no 256-byte row padding (that rule is for texture copies), so rows stay packed.
//!
//! Two escapes from "one upload, one readback", both explicit:
//! * [`Chain::snapshot`]: an op that needs a whole-image statistic (dominant colour, contrast
//!   histogram, blurred background, salient anchor) gets the current pixels on the CPU. Before
//!   any op has run that is the uploaded frame itself (no GPU round trip); later it is a
//!   mid-chain readback (one extra submit and wait).
//! * [`Chain::upload_frame`]: extra pixels made on the CPU (layers, blurred backgrounds) go up
//!   into the same encoder.
//!
//! For several variants of one source (child `outputs`: `Chain::restart`,
//! `Chain::record_output`, `Chain::finish_outputs`): one upload, every variant's ops recorded
//! into the same encoder from the shared source pixels, one submit, one readback per output
//! (`gpu::variants`).
//!
//! With timing on ([`Chain::upload`]'s `timed`), the chain submits and waits after the upload
//! and again after the op dispatches, so [`GpuTimings`] splits upload / kernels / readback.
//! That costs two extra syncs; the daemon never asks for it, only `xformd bench` does.
//!
//! Every buffer comes from, and goes back to, the backend's [`BufferPool`] once the chain's
//! last submission completed.

pub mod outputs;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use super::kernels::{self, Kernel};
use super::pipelines::Pipelines;
use super::pool::BufferPool;
use crate::error::{Error, ErrorKind, Result};
use crate::media::Frame;

/// Bytes per device pixel (`vec4<f32>`).
pub const DEVICE_BPP: u64 = 16;

/// Params of `unpack.wgsl` / `pack.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct PackParams {
    width: u32,
    height: u32,
    out_stride: u32,
    pad: u32,
}

/// Where the time of one timed chain went.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GpuTimings {
    /// Buffer write + `unpack` dispatch, until the device finished it.
    pub upload: Duration,
    /// Every op's dispatches (including mid-chain snapshots and layer uploads).
    pub kernels: Duration,
    /// `pack` + copy to the staging buffer + map + copy out.
    pub readback: Duration,
}

/// The device objects a chain records against.
#[derive(Clone, Copy)]
pub struct Gpu<'a> {
    /// The device.
    pub device: &'a wgpu::Device,
    /// Its queue.
    pub queue: &'a wgpu::Queue,
    /// Every pipeline.
    pub pipelines: &'a Pipelines,
    /// Reusable buffers.
    pub pool: &'a BufferPool,
    /// Queue submissions made so far (`GpuBackend::submissions`).
    pub submissions: &'a AtomicU64,
}

/// A chain being recorded: the encoder and the current device frame.
pub struct Chain<'a> {
    /// The device.
    pub device: &'a wgpu::Device,
    gpu: Gpu<'a>,
    encoder: wgpu::CommandEncoder,
    /// Current pixels (`vec4<f32>` premultiplied).
    pub pixels: wgpu::Buffer,
    /// Current width.
    pub width: u32,
    /// Current height.
    pub height: u32,
    /// The uploaded frame while no op has changed the pixels yet (a free snapshot).
    pristine: Option<Frame>,
    /// Every pooled buffer this chain used; back to the pool after the last submission.
    used: Vec<wgpu::Buffer>,
    timing: Option<(Instant, GpuTimings)>,
}

/// A submitted chain whose result is being copied back.
pub struct Pending<'a> {
    gpu: Gpu<'a>,
    staging: wgpu::Buffer,
    submission: wgpu::SubmissionIndex,
    used: Vec<wgpu::Buffer>,
    width: u32,
    height: u32,
    timing: Option<(Instant, GpuTimings)>,
}

const PIXEL_USAGE: wgpu::BufferUsages =
    wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_SRC).union(wgpu::BufferUsages::COPY_DST);

/// A uniform buffer holding `params`.
pub fn uniform<T: Pod>(device: &wgpu::Device, params: &T) -> wgpu::Buffer {
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("params"),
        contents: bytemuck::bytes_of(params),
        usage: wgpu::BufferUsages::UNIFORM,
    })
}

/// A read-only storage buffer holding `data`.
pub fn table<T: Pod>(device: &wgpu::Device, data: &[T]) -> wgpu::Buffer {
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("table"),
        contents: bytemuck::cast_slice(data),
        usage: wgpu::BufferUsages::STORAGE,
    })
}

fn wait_for(device: &wgpu::Device, submission: wgpu::SubmissionIndex) -> Result<()> {
    device
        .poll(wgpu::PollType::Wait { submission_index: Some(submission), timeout: None })
        .map(|_| ())
        .map_err(|e| Error::new(ErrorKind::Unavailable, format!("GPU poll failed: {e}")))
}

/// Bytes of a `width` × `height` frame at `bpp` bytes per pixel.
fn frame_bytes(width: u32, height: u32, bpp: u64) -> u64 {
    u64::from(width) * u64::from(height) * bpp
}

impl<'a> Chain<'a> {
    /// Upload `frame` and record its conversion to device pixels; `timed` splits the run
    /// into measured phases (see the module doc).
    pub fn upload(gpu: Gpu<'a>, frame: &Frame, timed: bool) -> Result<Self> {
        let start = Instant::now();
        let encoder = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("chain") });
        let placeholder = gpu.pool.take(gpu.device, "pixels", DEVICE_BPP, PIXEL_USAGE);
        let mut chain = Chain {
            device: gpu.device,
            gpu,
            encoder,
            pixels: placeholder.clone(),
            width: frame.width,
            height: frame.height,
            pristine: Some(frame.clone()),
            used: vec![placeholder],
            timing: timed.then(|| (start, GpuTimings::default())),
        };
        chain.pixels = chain.upload_frame(frame)?;
        if let Some((t0, mut t)) = chain.timing {
            chain.sync()?;
            t.upload = t0.elapsed();
            chain.timing = Some((Instant::now(), t));
        }
        Ok(chain)
    }

    /// A pooled storage buffer for `width` × `height` device pixels.
    pub fn pixel_buffer(&mut self, width: u32, height: u32) -> wgpu::Buffer {
        let b = self.gpu.pool.take(self.device, "pixels", frame_bytes(width, height, DEVICE_BPP), PIXEL_USAGE);
        self.used.push(b.clone());
        b
    }

    /// Upload another frame (a layer, a background made on the CPU) and record its
    /// conversion; returns its device pixels.
    pub fn upload_frame(&mut self, frame: &Frame) -> Result<wgpu::Buffer> {
        crate::exec::cpu::kernels::require_frame(frame)?;
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
        let src = self.gpu.pool.take(self.device, "upload", frame_bytes(frame.width, frame.height, 4), usage);
        self.used.push(src.clone());
        // Ordered before the next submit of this queue, so before this chain's dispatches.
        self.gpu.queue.write_buffer(&src, 0, &frame.data);
        let dst = self.pixel_buffer(frame.width, frame.height);
        let params =
            uniform(self.device, &PackParams { width: frame.width, height: frame.height, out_stride: 0, pad: 0 });
        self.dispatch(&kernels::UNPACK, &[&params, &src, &dst], frame.width, frame.height)?;
        Ok(dst)
    }

    /// Replace the current frame (after an op wrote `pixels` of `width` × `height`).
    pub fn set_current(&mut self, pixels: wgpu::Buffer, width: u32, height: u32) {
        self.pixels = pixels;
        self.width = width;
        self.height = height;
        self.pristine = None;
    }

    /// The current pixels on the CPU, for ops that need a whole-image statistic: the
    /// uploaded frame when nothing has changed it yet, otherwise a mid-chain readback.
    pub fn snapshot(&mut self) -> Result<Frame> {
        if let Some(f) = &self.pristine {
            return Ok(f.clone());
        }
        let (staging, bytes) = self.record_pack()?;
        let submission = self.submit();
        let frame = read_staging(self.device, &staging, submission, bytes, self.width, self.height)?;
        self.gpu.pool.give([staging]);
        Ok(frame)
    }

    /// Record one dispatch of `kernel` over `width` × `height` invocations with `buffers`
    /// bound at 0, 1, 2, … in order.
    pub fn dispatch(&mut self, kernel: &Kernel, buffers: &[&wgpu::Buffer], width: u32, height: u32) -> Result<()> {
        let pipeline = self.gpu.pipelines.get(kernel)?;
        let layout = pipeline.get_bind_group_layout(0);
        let entries: Vec<wgpu::BindGroupEntry<'_>> = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: u32::try_from(i).unwrap_or(u32::MAX),
                resource: b.as_entire_binding(),
            })
            .collect();
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(kernel.name),
            layout: &layout,
            entries: &entries,
        });
        let (gx, gy) = kernel.groups(width, height);
        let mut pass = self
            .encoder
            .begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(kernel.name), timestamp_writes: None });
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(gx.max(1), gy.max(1), 1);
        Ok(())
    }

    /// Submit what is recorded so far and start a new encoder.
    fn submit(&mut self) -> wgpu::SubmissionIndex {
        let next = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("chain") });
        let done = std::mem::replace(&mut self.encoder, next);
        self.gpu.submissions.fetch_add(1, Ordering::Relaxed);
        self.gpu.queue.submit([done.finish()])
    }

    /// Submit and wait (timing only).
    fn sync(&mut self) -> Result<()> {
        let s = self.submit();
        wait_for(self.device, s)
    }

    /// Record `pack` of the current pixels and the copy into a staging buffer.
    fn record_pack(&mut self) -> Result<(wgpu::Buffer, u64)> {
        let (w, h) = (self.width, self.height);
        let bytes = frame_bytes(w, h, 4);
        let out = self.gpu.pool.take(
            self.device,
            "packed",
            bytes,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        );
        self.used.push(out.clone());
        let params = uniform(self.device, &PackParams { width: w, height: h, out_stride: w, pad: 0 });
        let pixels = self.pixels.clone();
        self.dispatch(&kernels::PACK, &[&params, &pixels, &out], w, h)?;
        let staging = self.gpu.pool.take(
            self.device,
            "staging",
            bytes,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        );
        self.encoder.copy_buffer_to_buffer(&out, 0, &staging, 0, bytes);
        Ok((staging, bytes))
    }

    /// Record the conversion back to RGBA8 and the copy to a mappable buffer, and submit.
    pub fn finish(mut self) -> Result<Pending<'a>> {
        if let Some((t0, mut t)) = self.timing {
            self.sync()?;
            t.kernels = t0.elapsed();
            self.timing = Some((Instant::now(), t));
        }
        let (staging, _) = self.record_pack()?;
        let submission = self.submit();
        Ok(Pending {
            gpu: self.gpu,
            staging,
            submission,
            used: std::mem::take(&mut self.used),
            width: self.width,
            height: self.height,
            timing: self.timing,
        })
    }
}

/// Map `staging` after `submission`, copy `bytes` out as a frame, unmap.
fn read_staging(
    device: &wgpu::Device,
    staging: &wgpu::Buffer,
    submission: wgpu::SubmissionIndex,
    bytes: u64,
    width: u32,
    height: u32,
) -> Result<Frame> {
    let (tx, rx) = std::sync::mpsc::channel();
    staging.map_async(wgpu::MapMode::Read, ..bytes, move |r| {
        // The receiver lives until after poll() returns; a failed send cannot happen.
        let _ = tx.send(r);
    });
    wait_for(device, submission)?;
    // The map callback fires in the poll that sees its submission done; one more
    // non-blocking poll covers a callback queued by another thread's poll.
    let res = match rx.try_recv() {
        Ok(r) => r,
        Err(_) => {
            let _ = device.poll(wgpu::PollType::wait_indefinitely());
            rx.recv().map_err(|_| Error::internal("GPU readback callback dropped"))?
        }
    };
    res.map_err(|e| Error::internal(format!("GPU readback failed: {e}")))?;
    // Unmap on every path, so a pooled buffer never goes back mapped.
    let data = staging.get_mapped_range(..bytes).map(|view| view.to_vec());
    staging.unmap();
    let data = data.map_err(|e| Error::internal(format!("GPU map: {e}")))?;
    Frame::from_rgba(width, height, data)
}

impl Pending<'_> {
    /// Block until the copy is done and return the frame (and the timings of a timed chain).
    pub fn wait(self) -> Result<(Frame, Option<GpuTimings>)> {
        let bytes = frame_bytes(self.width, self.height, 4);
        let frame = read_staging(self.gpu.device, &self.staging, self.submission, bytes, self.width, self.height);
        // The chain's last submission is complete (or failed): its buffers are free again.
        self.gpu.pool.give(self.used);
        self.gpu.pool.give([self.staging]);
        let timings = self.timing.map(|(t0, mut t)| {
            t.readback = t0.elapsed();
            t
        });
        Ok((frame?, timings))
    }
}
