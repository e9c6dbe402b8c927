//! CPU vs GPU per kernel at named sizes, throughput in pixels. The same input goes to every
//! backend and to plain `image` resizing as a competitor. Groups: `resize_to_1000w`, `blur`,
//! `sharpen`, `chain` (the ops of `xformd bench`).

use criterion::{BenchmarkId, Criterion, Throughput};
use xformd::exec::cpu::CpuBackend;
use xformd::exec::{Backend, Executor, LayerSource, RunContext};
use xformd::limits::Limits;
use xformd::media::Frame;
use xformd::plan::{Filter, PlanOp};

struct NoLayers;
impl LayerSource for NoLayers {
    fn image(&self, path: &str) -> xformd::Result<Frame> {
        Err(xformd::Error::new(xformd::ErrorKind::NotFound, path))
    }
    fn font(&self, path: &str) -> xformd::Result<Vec<u8>> {
        Err(xformd::Error::new(xformd::ErrorKind::NotFound, path))
    }
}

fn synthetic(width: u32, height: u32) -> Frame {
    // A smooth gradient with some texture: representative work for convolutions.
    let mut data = Vec::with_capacity(width as usize * height as usize * 4);
    for y in 0..height {
        for x in 0..width {
            let v = ((x ^ y) & 0xFF) as u8;
            data.extend_from_slice(&[v, (x % 251) as u8, (y % 241) as u8, 255]);
        }
    }
    Frame::from_rgba(width, height, data).expect("valid frame")
}

/// Register the kernel benches.
pub fn benches(c: &mut Criterion) {
    let sizes = [("1080p", 1920u32, 1080u32), ("4k", 3840, 2160)];
    let cpu = std::sync::Arc::new(CpuBackend::new(0).expect("cpu backend"));
    let exec = Executor::new(cpu.clone(), None, 0);
    let limits = Limits::default();
    #[cfg(feature = "gpu")]
    let gpu = xformd::exec::gpu::GpuBackend::new().ok();
    let mut group = c.benchmark_group("resize_to_1000w");
    group.sample_size(10);
    for (name, w, h) in sizes {
        let frame = synthetic(w, h);
        let ops = [PlanOp::Resize { width: 1000, height: 1000 * h / w, filter: Filter::Lanczos3 }];
        group.throughput(Throughput::Elements(u64::from(w) * u64::from(h)));
        let ctx = RunContext { limits: &limits, layers: &NoLayers, executor: &exec, depth: 0 };
        group.bench_with_input(BenchmarkId::new("cpu", name), &frame, |b, f| {
            b.iter(|| cpu.run(&ops, f.clone(), &ctx).expect("cpu run"));
        });
        #[cfg(feature = "gpu")]
        if let Some(gpu) = &gpu {
            group.bench_with_input(BenchmarkId::new("gpu", name), &frame, |b, f| {
                b.iter(|| gpu.run(&ops, f.clone(), &ctx).expect("gpu run"));
            });
        }
        group.bench_with_input(BenchmarkId::new("image_crate", name), &frame, |b, f| {
            let img = image::RgbaImage::from_raw(f.width, f.height, f.data.clone()).expect("image");
            b.iter(|| image::imageops::resize(&img, 1000, 1000 * h / w, image::imageops::FilterType::Lanczos3));
        });
    }
    group.finish();

    // Blur, sharpen and the thumbnail chain through the same `Backend::run` the daemon calls;
    // the ops are the ones `xformd bench` measures, so the two agree.
    for op in [xformd::bench::BenchOp::Blur, xformd::bench::BenchOp::Sharpen, xformd::bench::BenchOp::Chain] {
        let mut group = c.benchmark_group(op.name());
        group.sample_size(10);
        for (name, w, h) in sizes {
            let frame = synthetic(w, h);
            let ops = op.ops(w, h);
            group.throughput(Throughput::Elements(u64::from(w) * u64::from(h)));
            let ctx = RunContext { limits: &limits, layers: &NoLayers, executor: &exec, depth: 0 };
            group.bench_with_input(BenchmarkId::new("cpu", name), &frame, |b, f| {
                b.iter(|| cpu.run(&ops, f.clone(), &ctx).expect("cpu run"));
            });
            #[cfg(feature = "gpu")]
            if let Some(gpu) = gpu.as_ref().filter(|g| g.unsupported(&ops, (w, h)).is_none()) {
                group.bench_with_input(BenchmarkId::new("gpu", name), &frame, |b, f| {
                    b.iter(|| gpu.run(&ops, f.clone(), &ctx).expect("gpu run"));
                });
            }
        }
        group.finish();
    }
}
