//! Every compute pipeline, built once at start-up inside an error scope.
//!
//! Owns: [`Pipelines`]. A shader that the driver rejects fails start-up (the backend is then
//! absent and jobs run on the CPU with the reason recorded), never a request.

use std::collections::HashMap;

use super::kernels::{self, Kernel};
use crate::error::{Error, ErrorKind, Result};

/// Compiled pipelines by kernel name.
pub struct Pipelines {
    by_name: HashMap<&'static str, wgpu::ComputePipeline>,
}

impl Pipelines {
    /// Build a pipeline for every kernel in `kernels::ALL`.
    pub fn build(device: &wgpu::Device) -> Result<Self> {
        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let mut by_name = HashMap::new();
        for k in kernels::ALL {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(k.name),
                source: wgpu::ShaderSource::Wgsl(k.source.into()),
            });
            let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(k.name),
                layout: None,
                module: &module,
                entry_point: Some("main"),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                cache: None,
            });
            by_name.insert(k.name, pipeline);
        }
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::new(ErrorKind::Unavailable, format!("GPU pipeline build failed: {e}")));
        }
        Ok(Pipelines { by_name })
    }

    /// The pipeline of `kernel`.
    pub fn get(&self, kernel: &Kernel) -> Result<&wgpu::ComputePipeline> {
        self.by_name.get(kernel.name).ok_or_else(|| Error::internal(format!("no pipeline for {}", kernel.name)))
    }

    /// Number of pipelines built.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// True when no pipeline was built.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}
