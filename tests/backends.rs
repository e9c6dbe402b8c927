//! Backend parity: every kernel on every available backend against the CPU reference, with
//! the tolerance written next to each case and why.
//!
//! GPU cases run when an adapter exists; with `XFORMD_GPU_TESTS=1` (as `make test` sets, on
//! Mesa lavapipe in CI) a missing adapter fails them instead of skipping.

use std::sync::OnceLock;

use xformd::exec::compare::{diff, FrameDiff};
use xformd::exec::cpu::CpuBackend;
use xformd::exec::{Backend, Executor, LayerSource, RunContext};
use xformd::limits::Limits;
use xformd::media::Frame;
use xformd::plan::{Anchor, Corners, Fill, Filter, PlanOp};

use crate::common::{decode, gpu_tests_required, media_dir, NoLayers};

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
fn gpu_reports_only_device_limits() {
    let Some(gpu) = gpu() else { return };
    // Every op has a kernel now: nothing small is refused.
    let all = every_op_case().into_iter().flat_map(|c| c.ops).collect::<Vec<_>>();
    assert_eq!(gpu.unsupported(&all, (640, 400)), None);
    // A frame no storage buffer can hold (and no workgroup grid can cover) still falls back.
    let huge = [PlanOp::Resize { width: 5, height: 5, filter: Filter::Cubic }];
    assert_eq!(gpu.unsupported(&huge, (1 << 20, 1 << 20)).as_deref(), Some("over_device_limits"));
    // …also when only an op's output is over the limits.
    let grow = [PlanOp::Border { width: 1 << 19, color: [0; 4] }];
    assert_eq!(gpu.unsupported(&grow, (10, 10)).as_deref(), Some("over_device_limits"));
}

/// A frame with real transparency: the photo with alpha from a radial ramp (fully transparent
/// corners, an anti-aliased rim, an opaque centre) and a hard-edged transparent stripe, so
/// every kernel sees alpha 0, intermediate alphas and 255 next to each other.
fn alpha_photo() -> Frame {
    let mut f = photo();
    let (w, h) = (f.width, f.height);
    for y in 0..h {
        for x in 0..w {
            let dx = (f64::from(x) - f64::from(w) / 2.0) / (f64::from(w) / 2.0);
            let dy = (f64::from(y) - f64::from(h) / 2.0) / (f64::from(h) / 2.0);
            let r = (dx * dx + dy * dy).sqrt();
            let mut a = ((1.15 - r) * 400.0).clamp(0.0, 255.0);
            if (300..316).contains(&x) {
                a = 0.0;
            }
            let i = ((y * w + x) * 4 + 3) as usize;
            #[expect(clippy::cast_possible_truncation, reason = "a is clamped to 0..=255")]
            let a = a.round() as u8;
            f.data[i] = a;
        }
    }
    f
}

/// One parity case: ops, and the tolerance with the reason for it.
struct Case {
    name: &'static str,
    ops: Vec<PlanOp>,
    /// Largest channel difference allowed on the opaque photo.
    max_delta: u8,
    /// Largest channel difference allowed on the alpha frame (colour of nearly transparent
    /// pixels is divided by a tiny alpha on readback, so rounding is magnified there).
    max_delta_alpha: u8,
    /// Minimum PSNR in dB on both frames.
    psnr: f64,
}

fn every_op_case() -> Vec<Case> {
    let op = |name, ops, max_delta, max_delta_alpha, psnr| Case { name, ops, max_delta, max_delta_alpha, psnr };
    vec![
        // Pure pixel moves: bit-exact after the u8 → f32 → u8 round trip (unpack premultiplies,
        // pack divides by the same f32 alpha and rounds; the CPU never leaves u8), except that
        // a colour under alpha 1..3 can move by the f32 rounding of c·a/a: allow 1 level, and
        // on alpha frames a few levels on those near-invisible pixels.
        op("crop", vec![PlanOp::Crop { width: 301, height: 177, anchor: Anchor::At { x: 17, y: 99 } }], 1, 3, 60.0),
        op("crop_salient", vec![PlanOp::Crop { width: 200, height: 200, anchor: Anchor::Salient }], 1, 3, 60.0),
        op("flip_h", vec![PlanOp::Flip { horizontal: true, vertical: false }], 1, 3, 60.0),
        op("flip_hv", vec![PlanOp::Flip { horizontal: true, vertical: true }], 1, 3, 60.0),
        op("rotate_90", vec![PlanOp::Rotate { degrees: 90.0, fill: [0; 4] }], 1, 3, 60.0),
        op("rotate_180", vec![PlanOp::Rotate { degrees: 180.0, fill: [0; 4] }], 1, 3, 60.0),
        op("rotate_270", vec![PlanOp::Rotate { degrees: -90.0, fill: [0; 4] }], 1, 3, 60.0),
        op("border", vec![PlanOp::Border { width: 7, color: [200, 30, 40, 255] }], 1, 3, 60.0),
        // Source-over with f32 on both sides; the CPU rounds straight colour through `over_px`
        // once, the GPU on readback: ≤ 1 level, more only under tiny alpha.
        op(
            "pad_colour",
            vec![PlanOp::Pad { width: 800, height: 500, x: 80, y: -20, fill: Fill::Color([20, 40, 220, 255]) }],
            1,
            3,
            55.0,
        ),
        op(
            "pad_dominant",
            vec![PlanOp::Pad { width: 700, height: 700, x: 30, y: 150, fill: Fill::Dominant }],
            1,
            3,
            55.0,
        ),
        // The gradient canvas is made on the CPU by the same function on both backends; the
        // frame goes over it by source-over as for pad_colour.
        op(
            "pad_gradient_dominant_2",
            vec![PlanOp::Pad { width: 700, height: 700, x: 30, y: 150, fill: Fill::GradientDominant { colors: 2 } }],
            1,
            3,
            55.0,
        ),
        op(
            "pad_gradient_dominant_4",
            vec![PlanOp::Pad { width: 900, height: 450, x: 130, y: 25, fill: Fill::GradientDominant { colors: 4 } }],
            1,
            3,
            55.0,
        ),
        // The background is made by the same CPU function on both backends; only the
        // composite of the frame on it differs (as for pad_colour).
        op(
            "pad_blurred",
            vec![PlanOp::Pad {
                width: 700,
                height: 700,
                x: 30,
                y: 150,
                fill: Fill::Blurred { sigma: 8.0, brightness: -30 },
            }],
            1,
            3,
            55.0,
        ),
        op("flatten", vec![PlanOp::Flatten { background: [250, 240, 10, 255] }], 1, 1, 55.0),
        // Bilinear sampling in f32 on both sides, same formula; the CPU computes weights and
        // sums on a 0..255 scale, the GPU on 0..1, and `floor` vs the CPU's integer floor can
        // pick the other texel pair at exact .0 boundaries: a couple of levels at most on
        // edges, ≥ 45 dB overall.
        op("rotate_30", vec![PlanOp::Rotate { degrees: 30.0, fill: [255, 255, 255, 255] }], 3, 6, 45.0),
        op("rotate_n17_clear", vec![PlanOp::Rotate { degrees: -17.5, fill: [0, 0, 0, 0] }], 3, 6, 45.0),
        // Separable Gaussian with the same weight table. The CPU stores the horizontal pass in
        // a u16 plane (value × 257) and the GPU keeps f32: ≤ 1 level after rounding.
        op("blur", vec![PlanOp::Blur { sigma: 3.0 }], 1, 3, 50.0),
        op("blur_big", vec![PlanOp::Blur { sigma: 20.0 }], 1, 3, 50.0),
        // Unsharp mask multiplies the blur's difference by `amount`: the blur's ≤ 1-level
        // rounding difference (CPU rounds the blurred frame to u8 first) grows to ≤ amount + 1
        // levels, and a pixel right at the threshold can flip between kept and sharpened.
        op("sharpen", vec![PlanOp::Sharpen { sigma: 1.0, amount: 1.0, threshold: 0.0 }], 3, 6, 45.0),
        // With a threshold, a pixel whose |2·d| sits right at the threshold can be kept on one
        // backend and sharpened on the other: at most amount × threshold × 255 / 2 + 1 =
        // 2 × 0.05 × 255 / 2 + 1 ≈ 14 levels, on a few pixels (PSNR stays ≥ 50 dB).
        op("sharpen_threshold", vec![PlanOp::Sharpen { sigma: 2.0, amount: 2.0, threshold: 0.05 }], 14, 14, 50.0),
        // Colour matrix on straight values in f32 on both sides: ≤ 1 level (rounding), a few
        // under tiny alpha.
        op("grayscale", vec![PlanOp::Grayscale], 1, 3, 55.0),
        op("contrast", vec![PlanOp::Contrast], 1, 3, 55.0),
        op("opacity", vec![PlanOp::Opacity { opacity: 0.4, background: None }], 1, 3, 55.0),
        op("opacity_bg", vec![PlanOp::Opacity { opacity: 0.4, background: Some([0, 90, 0, 255]) }], 1, 2, 55.0),
        // Same coverage function in f32; the CPU rounds alpha·coverage to u8, the GPU keeps it
        // until readback: ≤ 1 level.
        op(
            "round_corners",
            vec![PlanOp::RoundCorners { corners: Corners::Radii([40.0, 0.0, 90.0, 12.5]), fill: None }],
            1,
            3,
            55.0,
        ),
        op(
            "round_corners_fill",
            vec![PlanOp::RoundCorners { corners: Corners::Ellipse, fill: Some([255, 255, 255, 255]) }],
            1,
            3,
            55.0,
        ),
        // e-shadow: the same mask, the same Gaussian weights, the same composite. The CPU
        // rounds the mask's alpha to u8 before blurring and the blurred mask again after it;
        // the GPU keeps f32 throughout: ≤ 2 levels, a few more only under tiny alpha. (On the
        // opaque photo the shadow is hidden: both must return the photo.) Measured on
        // lavapipe: max 1 level, 60 dB.
        op("shadow", vec![PlanOp::Shadow { sigma: 6.0, opacity: 0.4, dx: 25, dy: -12 }], 1, 4, 50.0),
        op("shadow_hard", vec![PlanOp::Shadow { sigma: 0.0, opacity: 1.0, dx: -40, dy: 30 }], 1, 3, 50.0),
        // e-gradient: one f32 blend per pixel on both sides (0..255 scale on the CPU, 0..1 on
        // the GPU): ≤ 1 level after rounding, a few under tiny alpha.
        op(
            "gradient",
            vec![PlanOp::Gradient { degrees: 30.0, from: [250, 20, 20, 200], to: [0, 0, 0, 0], stop: 500.0 }],
            1,
            3,
            55.0,
        ),
        op(
            "gradient_default",
            vec![PlanOp::Gradient { degrees: 180.0, from: [255, 255, 255, 255], to: [0, 0, 0, 0], stop: 400.0 }],
            1,
            3,
            55.0,
        ),
        // e-distort: bilinear sampling written identically on both sides (as for rotate_*);
        // the perspective's f32 matrix product and divide, and the arc's atan2 / sqrt (the
        // GPU's may differ from Rust's by an ulp or two), can move a sample position by a
        // hair and so pick a slightly different blend on sharp edges: a few levels on edge
        // pixels. Measured on lavapipe: max 1 level, ≥ 81 dB; allowed 2 (4 under alpha) and
        // 55 dB, so a GPU with a coarser atan2 still passes but a wrong mapping does not.
        op("perspective", vec![PlanOp::Perspective { corners: [40, 10, 600, 40, 560, 390, -10, 360] }], 2, 4, 55.0),
        op("perspective_identity", vec![PlanOp::Perspective { corners: [0, 0, 640, 0, 640, 400, 0, 400] }], 1, 3, 60.0),
        op("arc", vec![PlanOp::Arc { degrees: 120.0 }], 2, 4, 55.0),
        op("arc_smile", vec![PlanOp::Arc { degrees: -200.0 }], 2, 4, 55.0),
    ]
}

/// [`xformd::exec::compare::visible_diff`] (parity is judged on what a viewer sees);
/// panics when the sizes differ.
fn visible_diff(a: &Frame, b: &Frame) -> FrameDiff {
    assert_eq!((a.width, a.height), (b.width, b.height), "sizes differ");
    xformd::exec::compare::visible_diff(a, b).unwrap()
}

/// Run `ops` on both backends on `frame` and check the declared tolerance.
#[cfg(feature = "gpu")]
fn check(gpu: &dyn Backend, case: &Case, frame: &Frame, max_delta: u8) -> Result<(), String> {
    let cpu = CpuBackend::new(2).unwrap();
    let want = run(&cpu, &case.ops, frame.clone());
    let got = run(gpu, &case.ops, frame.clone());
    if (want.width, want.height) != (got.width, got.height) {
        return Err(format!(
            "{}: size {}x{} on the GPU, {}x{} on the CPU",
            case.name, got.width, got.height, want.width, want.height
        ));
    }
    let d = visible_diff(&want, &got);
    if d.max_delta > max_delta || d.psnr < case.psnr {
        return Err(format!("{}: {d:?} (allowed max {max_delta}, PSNR ≥ {})", case.name, case.psnr));
    }
    Ok(())
}

#[cfg(feature = "gpu")]
#[test]
fn gpu_every_op_matches_cpu_on_a_photo_and_an_alpha_frame() {
    let Some(gpu) = gpu() else { return };
    let (opaque, alpha) = (photo(), alpha_photo());
    let mut failures = Vec::new();
    for case in every_op_case() {
        assert_eq!(gpu.unsupported(&case.ops, (opaque.width, opaque.height)), None, "{}", case.name);
        for (frame, max) in [(&opaque, case.max_delta), (&alpha, case.max_delta_alpha)] {
            if let Err(e) = check(gpu, &case, frame, max) {
                failures.push(e);
            }
        }
    }
    assert!(failures.is_empty(), "GPU vs CPU out of tolerance:\n{}", failures.join("\n"));
}

#[cfg(feature = "gpu")]
#[test]
fn gpu_whole_chain_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    // The realistic delivery chain: down-scale, sharpen, rounded corners, border, then a
    // rotation and a flatten to cross more kernels. One upload, one readback on the GPU; the
    // CPU rounds to u8 between ops. Resize alone differs by up to ~10 levels from
    // fast_image_resize at a few edge pixels (see gpu_resize_matches_cpu) and sharpening
    // amplifies differences by (1 + amount): a bounded max delta and PSNR ≥ 38 dB.
    let ops = vec![
        PlanOp::Resize { width: 480, height: 300, filter: Filter::Lanczos3 },
        PlanOp::Sharpen { sigma: 1.0, amount: 1.0, threshold: 0.0 },
        PlanOp::RoundCorners { corners: Corners::Radii([24.0; 4]), fill: None },
        PlanOp::Border { width: 6, color: [10, 20, 30, 255] },
        PlanOp::Flatten { background: [255, 255, 255, 255] },
    ];
    let case = Case { name: "chain", ops, max_delta: 40, max_delta_alpha: 40, psnr: 38.0 };
    check(gpu, &case, &photo(), case.max_delta).unwrap();
    check(gpu, &case, &alpha_photo(), case.max_delta_alpha).unwrap();
    // Mid-chain analysis: contrast after a resize reads the device frame back once.
    let case = Case {
        name: "chain_contrast",
        ops: vec![PlanOp::Resize { width: 320, height: 200, filter: Filter::Cubic }, PlanOp::Contrast],
        max_delta: 30,
        max_delta_alpha: 30,
        psnr: 38.0,
    };
    check(gpu, &case, &photo(), case.max_delta).unwrap();
}

/// Serves one synthetic alpha logo for every image-layer path.
struct LogoLayers(Frame);
impl LayerSource for LogoLayers {
    fn image(&self, _path: &str) -> xformd::Result<Frame> {
        Ok(self.0.clone())
    }
    fn font(&self, path: &str) -> xformd::Result<Vec<u8>> {
        Err(xformd::Error::new(xformd::ErrorKind::NotFound, path))
    }
}

#[cfg(feature = "gpu")]
#[test]
fn gpu_layers_match_cpu() {
    use xformd::job::{Dim, Layer, LayerKind, LayerPosition};
    let Some(gpu) = gpu() else { return };
    let logo = xformd::exec::cpu::resize::resize(&Limits::default(), &alpha_photo(), 200, 125, Filter::Cubic).unwrap();
    let layers = LogoLayers(logo);
    let layer = |position| {
        PlanOp::Layer(Box::new(Layer {
            kind: LayerKind::Image { path: "/logo.png".into() },
            steps: Vec::new(),
            position,
            mode: Default::default(),
        }))
    };
    // Centred, and hanging off the bottom-right corner (clipped before upload).
    let ops = [
        layer(LayerPosition::default()),
        layer(LayerPosition { x: Some(Dim::Px(560)), y: Some(Dim::Px(330)), ..LayerPosition::default() }),
    ];
    let cpu = std::sync::Arc::new(CpuBackend::new(2).unwrap());
    let exec = Executor::new(cpu.clone(), None, 0);
    let limits = Limits::default();
    let ctx = RunContext { limits: &limits, layers: &layers, executor: &exec, depth: 0 };
    for frame in [photo(), alpha_photo()] {
        let want = cpu.run(&ops, frame.clone(), &ctx).unwrap();
        let got = gpu.run(&ops, frame, &ctx).unwrap();
        // Source-over in f32 on both sides; ≤ 1 level except colour under tiny alpha.
        let d = visible_diff(&want, &got);
        assert!(d.max_delta <= 3 && d.psnr >= 50.0, "layers: {d:?}");
        assert!(d.changed_fraction < 0.5, "{d:?}");
    }
}

#[cfg(feature = "gpu")]
#[test]
fn gpu_runs_jobs_from_many_threads_at_once() {
    let Some(gpu) = gpu() else { return };
    // The backend is shared by every job thread: chains in flight together must not mix up
    // buffers (the pool hands a buffer to one chain at a time) or submissions.
    let cases = every_op_case();
    let cpu = CpuBackend::new(2).unwrap();
    let src = xformd::exec::cpu::resize::resize(&Limits::default(), &alpha_photo(), 360, 280, Filter::Cubic).unwrap();
    let expected: Vec<Frame> = cases.iter().map(|c| run(&cpu, &c.ops, src.clone())).collect();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (cases, expected, src) = (&cases, &expected, &src);
            s.spawn(move || {
                for round in 0..3 {
                    for (i, (case, want)) in cases.iter().zip(expected).enumerate() {
                        if (i + t + round) % 2 == 1 {
                            continue;
                        }
                        let got = run(gpu, &case.ops, src.clone());
                        let d = visible_diff(want, &got);
                        assert!(d.max_delta <= case.max_delta_alpha.max(3) + 3, "thread {t} {}: {d:?}", case.name);
                    }
                }
            });
        }
    });
    assert!(gpu.pooled_bytes() > 0, "finished chains return their buffers to the pool");
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
