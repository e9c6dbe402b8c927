//! Backend parity: every kernel on every available backend against the CPU reference, with
//! the tolerance written next to each case and why.
//!
//! GPU cases run when an adapter exists; with `XFORMD_GPU_TESTS=1` (as `make test` sets, on
//! Mesa lavapipe in CI) a missing adapter fails them instead of skipping.

use std::sync::OnceLock;

use xformd::exec::compare::diff;
use xformd::exec::cpu::CpuBackend;
use xformd::exec::{Backend, Executor, LayerSource, RunContext};
use xformd::limits::Limits;
use xformd::media::Frame;
use xformd::plan::{Filter, PlanOp};

use crate::common::{decode, gpu_tests_required, media_dir};

struct NoLayers;
impl LayerSource for NoLayers {
    fn image(&self, path: &str) -> xformd::Result<Frame> {
        Err(xformd::Error::new(xformd::ErrorKind::NotFound, path))
    }
}

/// The GPU backend, opened once per test binary; `None` when absent and not required.
#[cfg(feature = "gpu")]
fn gpu() -> Option<&'static xformd::exec::gpu::GpuBackend> {
    static GPU: OnceLock<Option<xformd::exec::gpu::GpuBackend>> = OnceLock::new();
    GPU.get_or_init(|| match xformd::exec::gpu::GpuBackend::new() {
        Ok(g) => Some(g),
        Err(e) if gpu_tests_required() => panic!("XFORMD_GPU_TESTS is set but no GPU backend: {e}"),
        Err(e) => {
            eprintln!("skipping GPU parity: {e}");
            None
        }
    })
    .as_ref()
}

fn photo() -> Frame {
    static PHOTO: OnceLock<Frame> = OnceLock::new();
    PHOTO
        .get_or_init(|| {
            let f = decode(&std::fs::read(media_dir().join("photos/LadyBird.jpg")).unwrap());
            // A quarter-size copy keeps lavapipe (software Vulkan) runs short while keeping
            // real photographic detail.
            xformd::exec::cpu::resize::resize(&Limits::default(), &f, 640, 400, Filter::Lanczos3).unwrap()
        })
        .clone()
}

fn run(backend: &dyn Backend, ops: &[PlanOp], frame: Frame) -> Frame {
    let cpu = std::sync::Arc::new(CpuBackend::new(2).unwrap());
    let exec = Executor::new(cpu, None, 0);
    let limits = Limits::default();
    let ctx = RunContext { limits: &limits, layers: &NoLayers, executor: &exec, depth: 0 };
    backend.run(ops, frame, &ctx).unwrap()
}

#[cfg(feature = "gpu")]
#[test]
fn gpu_resize_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let cpu = CpuBackend::new(2).unwrap();
    for (w, h) in [(300, 200), (1000, 625), (97, 61)] {
        for filter in [Filter::Lanczos3, Filter::Cubic, Filter::Bilinear] {
            let ops = [PlanOp::Resize { width: w, height: h, filter }];
            let production = run(&cpu, &ops, photo());
            let on_gpu = run(gpu, &ops, photo());
            let twin = xformd::exec::cpu::kernels::resize::resize(&Limits::default(), &photo(), w, h, filter).unwrap();
            assert_eq!((on_gpu.width, on_gpu.height), (w, h));
            // The GPU and its CPU twin do the same f32 arithmetic on the same weight table;
            // only summation order and rounding at the last bit may differ: at most 1 level.
            let d = diff(&twin, &on_gpu).unwrap();
            assert!(d.max_delta <= 1, "{w}x{h} {filter:?} GPU vs twin: {d:?}");
            // Against the production path (fast_image_resize, 8-bit fixed point with its own
            // clamping of Lanczos overshoot) a handful of edge pixels differ by up to ~10
            // levels; on average nothing visible: PSNR ≥ 45 dB, mean ≤ 0.5.
            let d = diff(&production, &on_gpu).unwrap();
            assert!(d.max_delta <= 12 && d.mean <= 0.5 && d.psnr >= 45.0, "{w}x{h} {filter:?} GPU vs CPU: {d:?}");
        }
    }
}

#[cfg(feature = "gpu")]
#[test]
fn gpu_reports_unsupported_ops_instead_of_failing() {
    let Some(gpu) = gpu() else { return };
    let reason = gpu.unsupported(&[PlanOp::Grayscale], (10, 10));
    assert_eq!(reason.as_deref(), Some("no_kernel:grayscale"));
    assert_eq!(gpu.unsupported(&[PlanOp::Resize { width: 5, height: 5, filter: Filter::Cubic }], (10, 10)), None);
}

#[test]
fn cpu_twin_resize_matches_fast_image_resize() {
    let src = photo();
    let a = xformd::exec::cpu::resize::resize(&Limits::default(), &src, 300, 200, Filter::Lanczos3).unwrap();
    let b = xformd::exec::cpu::kernels::resize::resize(&Limits::default(), &src, 300, 200, Filter::Lanczos3).unwrap();
    let d = diff(&a, &b).unwrap();
    // The twin is the f32 reference of the WGSL passes; same tolerance as GPU vs CPU.
    assert!(d.max_delta <= 12 && d.mean <= 0.5 && d.psnr >= 45.0, "{d:?}");
}
