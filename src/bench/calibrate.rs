//! The `auto` threshold measured where it applies: at daemon start-up, the bench chain
//! (resize, sharpen, rounded corners, a text layer) on the CPU backend and on the GPU the
//! daemon serves with, at a few sizes; the smallest size from which the GPU keeps winning
//! becomes `backend.gpu_min_pixels` ([`Threshold`]'s rule, the same as `xformd bench`
//! prints). A fixed number cannot be right for both a laptop iGPU and an H100 next to
//! a 64-core CPU, and no single machine can measure it for the others.
//!
//! Owns: [`calibrate`], [`SIZES`], [`RUNS`]. May import: `exec` (backends).

use std::sync::Arc;

use super::sizes::NamedSize;
use super::threshold::Threshold;
use super::{run_on, BenchOp, BenchOptions};
use crate::error::Result;
use crate::exec::cpu::CpuBackend;
use crate::exec::gpu::GpuBackend;
use crate::exec::BackendKind;
use crate::limits::Limits;

/// Sizes measured at start-up: from a thumbnail's source to a phone photo. Three runs of
/// each after a warm-up, on both backends, take a few seconds on a GPU node.
pub const SIZES: [(&str, u32, u32); 4] =
    [("0.25mp", 512, 512), ("1mp", 1024, 1024), ("4mp", 2048, 2048), ("12mp", 4000, 3000)];

/// Measured runs per size and backend.
pub const RUNS: usize = 3;

/// Time the bench chain on `cpu` and `gpu` at `sizes` (`runs` each after a warm-up) and
/// return the threshold the timings support.
///
/// # Errors
/// A size over `limits`, or a backend failing to run the chain.
pub fn calibrate(
    cpu: &Arc<CpuBackend>,
    gpu: &Arc<GpuBackend>,
    limits: &Limits,
    sizes: &[(&str, u32, u32)],
    runs: usize,
) -> Result<Threshold> {
    let opts = BenchOptions {
        backends: vec![BackendKind::Cpu, BackendKind::Gpu],
        sizes: sizes.iter().map(|&(name, width, height)| NamedSize { name: name.to_string(), width, height }).collect(),
        ops: vec![BenchOp::Chain],
        runs,
        cpu_threads: 0,
        image: None,
        limits: *limits,
    };
    let report = run_on(&opts, cpu, Some(&Ok(Arc::clone(gpu))), |_| {})?;
    Ok(report.gpu_threshold())
}
