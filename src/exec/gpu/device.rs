//! Adapter and device selection.
//!
//! Owns: [`open`], [`probe`]. Honours `WGPU_BACKEND` (e.g. `vulkan`) and `WGPU_ADAPTER_NAME` (a
//! case-insensitive substring of the adapter name), as wgpu's own tools do; requests the
//! adapter's full limits so large images fit in one storage buffer on real GPUs. A software
//! adapter (llvmpipe, lavapipe: `DeviceType::Cpu`) is taken only when allowed: on a GPU node
//! whose driver is not visible to Vulkan it is the only adapter, and serving on it would be
//! slower than the CPU backend while health said the GPU was up.

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

/// Preference among hardware adapters (lower first); `None` for a software one.
fn rank(t: wgpu::DeviceType) -> Option<u8> {
    match t {
        wgpu::DeviceType::DiscreteGpu => Some(0),
        wgpu::DeviceType::IntegratedGpu => Some(1),
        wgpu::DeviceType::VirtualGpu => Some(2),
        wgpu::DeviceType::Other => Some(3),
        wgpu::DeviceType::Cpu => None,
    }
}

fn unavailable(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Unavailable, msg)
}

/// Open a GPU device; `Unavailable` when there is no (matching) adapter, or only a software
/// one and `allow_software` is false. An adapter named in `WGPU_ADAPTER_NAME` is taken
/// whatever its kind (an explicit choice).
pub fn open(allow_software: bool) -> Result<Opened> {
    let adapter = pick(allow_software)?;
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

/// The adapter [`open`] would take, without opening a device: its name, or why there is
/// none. `xformd gpu-probe` answers with this in a child process, so that a daemon which
/// ends up on the CPU never maps a Vulkan driver (app::open_gpu says why).
///
/// # Errors
/// As [`open`], before the device request.
pub fn probe(allow_software: bool) -> Result<String> {
    pick(allow_software).map(|a| a.get_info().name)
}

fn pick(allow_software: bool) -> Result<wgpu::Adapter> {
    let backends = wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all());
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends,
        ..wgpu::InstanceDescriptor::new_without_display_handle_from_env()
    });
    let adapters = || pollster::block_on(instance.enumerate_adapters(backends));
    let adapter = match std::env::var("WGPU_ADAPTER_NAME") {
        Ok(want) => {
            let want = want.to_lowercase();
            adapters()
                .into_iter()
                .find(|a| a.get_info().name.to_lowercase().contains(&want))
                .ok_or_else(|| unavailable(format!("no GPU adapter matches WGPU_ADAPTER_NAME={want}")))?
        }
        Err(_) if !allow_software => {
            let all = adapters();
            let names: Vec<String> = all.iter().map(|a| a.get_info().name).collect();
            all.into_iter()
                .filter(|a| rank(a.get_info().device_type).is_some())
                .min_by_key(|a| rank(a.get_info().device_type))
                .ok_or_else(|| {
                    if names.is_empty() {
                        unavailable("no GPU adapter")
                    } else {
                        unavailable(format!(
                            "only a software adapter ({}) is present: not used unless backend.allow_software_adapter \
                         is set (on an NVIDIA node, NVIDIA_DRIVER_CAPABILITIES must include graphics and the \
                         Vulkan ICD manifest must be installed)",
                            names.join(", ")
                        ))
                    }
                })?
        }
        Err(_) => pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
            ..Default::default()
        }))
        .map_err(|e| unavailable(format!("no GPU adapter: {e}")))?,
    };
    Ok(adapter)
}
