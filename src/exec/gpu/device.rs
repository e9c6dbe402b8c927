//! Adapter and device selection.
//!
//! Owns: [`open`]. Honours `WGPU_BACKEND` (e.g. `vulkan`) and `WGPU_ADAPTER_NAME` (a
//! case-insensitive substring of the adapter name), as wgpu's own tools do; requests the
//! adapter's full limits so large images fit in one storage buffer on real GPUs.

use crate::error::{Error, ErrorKind, Result};

/// An opened device with what was chosen.
pub struct Opened {
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// Adapter name, backend, driver.
    pub info: wgpu::AdapterInfo,
    /// Limits granted.
    pub limits: wgpu::Limits,
}

fn unavailable(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Unavailable, msg)
}

/// Open a GPU device; `Unavailable` when there is no (matching) adapter.
pub fn open() -> Result<Opened> {
    let backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all());
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends,
        ..wgpu::InstanceDescriptor::new_without_display_handle_from_env()
    });
    let adapter = match std::env::var("WGPU_ADAPTER_NAME") {
        Ok(want) => {
            let want = want.to_lowercase();
            pollster::block_on(instance.enumerate_adapters(backends))
                .into_iter()
                .find(|a| a.get_info().name.to_lowercase().contains(&want))
                .ok_or_else(|| unavailable(format!("no GPU adapter matches WGPU_ADAPTER_NAME={want}")))?
        }
        Err(_) => pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            ..Default::default()
        }))
        .map_err(|e| unavailable(format!("no GPU adapter: {e}")))?,
    };
    let info = adapter.get_info();
    let limits = adapter.limits();
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("xformd"),
        required_features: wgpu::Features::empty(),
        required_limits: limits.clone(),
        experimental_features: wgpu::ExperimentalFeatures::disabled(),
        memory_hints: wgpu::MemoryHints::Performance,
        trace: wgpu::Trace::Off,
    }))
    .map_err(|e| unavailable(format!("GPU device request failed on {}: {e}", info.name)))?;
    Ok(Opened { device, queue, info, limits })
}
