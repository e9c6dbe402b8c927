//! Upload, dispatch recording and readback for one chain of ops.
//!
//! Owns: [`Chain`] and [`Pending`]. Pixels go up once as RGBA8 (`unpack` turns them into
//! premultiplied `vec4<f32>`), every op records dispatches into the same encoder, and
//! `pack` + one buffer copy bring the result back. Buffer-to-buffer copies need no 256-byte
//! row padding (that rule is for texture copies), so rows stay packed.

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use super::kernels::{self, Kernel};
use super::pipelines::Pipelines;
use crate::error::{Error, ErrorKind, Result};
use crate::media::Frame;

/// Params of `unpack.wgsl` / `pack.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct PackParams {
    width: u32,
    height: u32,
    out_stride: u32,
    pad: u32,
}

/// A chain being recorded: the encoder and the current device frame.
pub struct Chain<'a> {
    /// The device.
    pub device: &'a wgpu::Device,
    pipelines: &'a Pipelines,
    encoder: wgpu::CommandEncoder,
    /// Current pixels (`vec4<f32>` premultiplied).
    pub pixels: wgpu::Buffer,
    /// Current width.
    pub width: u32,
    /// Current height.
    pub height: u32,
}

/// A submitted chain whose result is being copied back.
pub struct Pending {
    staging: wgpu::Buffer,
    width: u32,
    height: u32,
}

/// A storage buffer for `pixels` device pixels.
pub fn pixel_buffer(device: &wgpu::Device, width: u32, height: u32) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("pixels"),
        size: u64::from(width) * u64::from(height) * 16,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

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

impl<'a> Chain<'a> {
    /// Upload `frame` and record its conversion to device pixels.
    pub fn upload(device: &'a wgpu::Device, pipelines: &'a Pipelines, frame: &Frame) -> Result<Self> {
        let src = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("upload"),
            contents: &frame.data,
            usage: wgpu::BufferUsages::STORAGE,
        });
        let pixels = pixel_buffer(device, frame.width, frame.height);
        let encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("chain") });
        let mut chain = Chain { device, pipelines, encoder, pixels, width: frame.width, height: frame.height };
        let params = uniform(device, &PackParams { width: frame.width, height: frame.height, out_stride: 0, pad: 0 });
        let dst = pixel_buffer(device, frame.width, frame.height);
        chain.dispatch(&kernels::UNPACK, &[&params, &src, &dst], frame.width, frame.height)?;
        chain.pixels = dst;
        Ok(chain)
    }

    /// Record one dispatch of `kernel` over `width` × `height` invocations with `buffers`
    /// bound at 0, 1, 2, … in order.
    pub fn dispatch(&mut self, kernel: &Kernel, buffers: &[&wgpu::Buffer], width: u32, height: u32) -> Result<()> {
        let pipeline = self.pipelines.get(kernel)?;
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
        pass.dispatch_workgroups(gx, gy, 1);
        Ok(())
    }

    /// Record the conversion back to RGBA8 and the copy to a mappable buffer, and submit.
    pub fn finish(mut self, queue: &wgpu::Queue) -> Result<Pending> {
        let (w, h) = (self.width, self.height);
        let bytes = u64::from(w) * u64::from(h) * 4;
        let out = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("packed"),
            size: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let params = uniform(self.device, &PackParams { width: w, height: h, out_stride: w, pad: 0 });
        let pixels = self.pixels.clone();
        self.dispatch(&kernels::PACK, &[&params, &pixels, &out], w, h)?;
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("staging"),
            size: bytes,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.encoder.copy_buffer_to_buffer(&out, 0, &staging, 0, bytes);
        queue.submit([self.encoder.finish()]);
        Ok(Pending { staging, width: w, height: h })
    }
}

impl Pending {
    /// Block until the copy is done and return the frame.
    pub fn wait(self, device: &wgpu::Device) -> Result<Frame> {
        let (tx, rx) = std::sync::mpsc::channel();
        self.staging.map_async(wgpu::MapMode::Read, .., move |r| {
            // The receiver lives until after poll() returns; a failed send cannot happen.
            let _ = tx.send(r);
        });
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::new(ErrorKind::Unavailable, format!("GPU poll failed: {e}")))?;
        rx.recv()
            .map_err(|_| Error::internal("GPU readback callback dropped"))?
            .map_err(|e| Error::internal(format!("GPU readback failed: {e}")))?;
        let data = {
            let view = self.staging.get_mapped_range(..).map_err(|e| Error::internal(format!("GPU map: {e}")))?;
            view.to_vec()
        };
        self.staging.unmap();
        Frame::from_rgba(self.width, self.height, data)
    }
}
