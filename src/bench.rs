//! `xformd bench`: CPU vs GPU per kernel, for a realistic delivery chain, and for several
//! variants of one source, as a Markdown table and a self-contained SVG chart.
//!
//! Owns: [`BenchOptions`], [`BenchReport`], [`Row`], [`run`], [`from_cli`], [`BenchOp`];
//! children: `sizes` (input sizes, synthetic image), `stats` (timing series), `variants`
//! (the together-vs-one-by-one row), `report` (Markdown and SVG), `threshold` (the measured
//! `auto` threshold). Every measurement goes
//! through [`Backend::run`] (or the batched-variants call the daemon's executor makes), on
//! the same [`CpuBackend`] / `GpuBackend` types, so the numbers are the daemon's. For the GPU
//! a second, timed series (`GpuBackend::run_timed`) splits a run into upload, kernels and
//! readback; its phases end in a submit and a wait each, so their sum is a little above the
//! untimed median.
//!
//! May import: `exec`, `plan`, `job` (the chain's text layer), `media`, `limits`, `error`.
//! Writes files only under the chosen output folder.

#[cfg(feature = "gpu")]
pub mod calibrate;
mod json;
mod report;
pub mod sizes;
pub mod stats;
pub mod threshold;
pub mod variants;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, ErrorKind, Result};
use crate::exec::cpu::CpuBackend;
use crate::exec::{Backend, BackendKind, Executor, LayerSource, RunContext};
use crate::job::{Color, Dim, Focus, Layer, LayerKind, LayerPosition, TextStyle};
use crate::limits::Limits;
use crate::media::Frame;
use crate::plan::{Corners, Filter, PlanOp};
pub use sizes::{parse_sizes, synthetic, NamedSize};
use stats::series;
pub use stats::{Split, Stats};

/// A benchmarked operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchOp {
    /// Lanczos3 down-scale to half width and height.
    Resize,
    /// Gaussian blur, σ = 5.
    Blur,
    /// Unsharp mask, σ = 1, amount 1.
    Sharpen,
    /// Resize to half + sharpen + rounded corners + a text layer: a typical thumbnail URL.
    Chain,
    /// Four sizes (½, ⅓, ¼, ⅙) of one source, each resized and sharpened: run together (one
    /// GPU submission; in parallel on the CPU) against one by one.
    Variants,
}

impl BenchOp {
    /// Parse `resize`, `blur`, `sharpen`, `chain` or `variants`.
    pub fn parse(s: &str) -> Result<BenchOp> {
        Ok(match s.trim() {
            "resize" => BenchOp::Resize,
            "blur" => BenchOp::Blur,
            "sharpen" => BenchOp::Sharpen,
            "chain" => BenchOp::Chain,
            "variants" => BenchOp::Variants,
            other => {
                return Err(Error::invalid("ops", other, "expected resize, blur, sharpen, chain or variants"));
            }
        })
    }

    /// Name in reports.
    pub fn name(self) -> &'static str {
        match self {
            BenchOp::Resize => "resize",
            BenchOp::Blur => "blur",
            BenchOp::Sharpen => "sharpen",
            BenchOp::Chain => "chain",
            BenchOp::Variants => "variants",
        }
    }

    /// The plan ops for an input of `w` × `h` (for `variants`, the largest variant's; every
    /// variant is in [`variants::chains`]).
    pub fn ops(self, w: u32, h: u32) -> Vec<PlanOp> {
        let half = |v: u32| (v / 2).max(1);
        match self {
            BenchOp::Resize => vec![PlanOp::Resize { width: half(w), height: half(h), filter: Filter::Lanczos3 }],
            BenchOp::Blur => vec![PlanOp::Blur { sigma: 5.0 }],
            BenchOp::Sharpen => vec![PlanOp::Sharpen { sigma: 1.0, amount: 1.0, threshold: 0.0 }],
            BenchOp::Chain => vec![
                PlanOp::Resize { width: half(w), height: half(h), filter: Filter::Lanczos3 },
                PlanOp::Sharpen { sigma: 1.0, amount: 1.0, threshold: 0.0 },
                PlanOp::RoundCorners { corners: Corners::Radii([24.0; 4]), fill: None },
                PlanOp::Layer(Box::new(caption(half(h)))),
            ],
            BenchOp::Variants => variants::chains(w, h).into_iter().next().unwrap_or_default(),
        }
    }
}

/// The chain's text layer: a white caption in the built-in font, a twentieth of the frame
/// height (at least 12 px), bottom right. It is rendered on the CPU on every run (as the
/// daemon does) and composited by the backend under test.
fn caption(frame_height: u32) -> Layer {
    let style = TextStyle {
        size: Some(Dim::Px((frame_height / 20).max(12))),
        color: Some(Color { rgb: [255, 255, 255], opacity_pct: None }),
        ..TextStyle::default()
    };
    Layer {
        kind: LayerKind::Text { text: "© xformd bench".to_string(), style },
        steps: Vec::new(),
        position: LayerPosition { focus: Some(Focus::BottomRight), ..LayerPosition::default() },
        mode: Default::default(),
    }
}

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Backends to run.
    pub backends: Vec<BackendKind>,
    /// Input sizes.
    pub sizes: Vec<NamedSize>,
    /// Operations.
    pub ops: Vec<BenchOp>,
    /// Measured runs per (op, size, backend), after one warm-up run.
    pub runs: usize,
    /// CPU worker threads (0 = one per core).
    pub cpu_threads: usize,
    /// A photo to scale to each size instead of the synthetic image.
    pub image: Option<Frame>,
    /// Limits for allocations.
    pub limits: Limits,
}

/// One measured (op, size, backend).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Operation.
    pub op: BenchOp,
    /// Input size.
    pub size: NamedSize,
    /// Backend.
    pub backend: BackendKind,
    /// Timings, or why the backend did not run it (e.g. `over_device_limits`).
    pub result: std::result::Result<Stats, String>,
    /// GPU phase split.
    pub split: Option<Split>,
    /// `variants` only: median seconds of the same variants run one by one (each its own
    /// upload, submission and readback on the GPU; sequential on the CPU).
    pub separate: Option<f64>,
    /// GPU rows: PSNR (dB, premultiplied RGBA: what a viewer sees) of the GPU output against
    /// the CPU backend's for the same input, so a fast number that renders something else
    /// shows.
    pub psnr_vs_cpu: Option<f64>,
}

impl Row {
    /// Input megapixels per second at the median.
    pub fn mpx_per_s(&self) -> Option<f64> {
        let s = self.result.as_ref().ok()?;
        let mp = f64::from(self.size.width) * f64::from(self.size.height) / 1e6;
        (s.median > 0.0).then(|| mp / s.median)
    }
}

/// Everything measured, plus the machine it ran on.
#[derive(Debug, Clone)]
pub struct BenchReport {
    /// Rows in (op, size, backend) order.
    pub rows: Vec<Row>,
    /// GPU adapter, API and driver, or why there is none.
    pub adapter: String,
    /// CPU worker threads.
    pub cpu_threads: usize,
    /// Measured runs per row.
    pub runs: usize,
    /// Input description.
    pub input: String,
}

struct NoLayers;
impl LayerSource for NoLayers {
    fn image(&self, path: &str) -> Result<Frame> {
        Err(Error::new(ErrorKind::NotFound, format!("bench has no layer images ({path})")))
    }
    fn font(&self, path: &str) -> Result<Vec<u8>> {
        Err(Error::new(ErrorKind::NotFound, format!("bench has no fonts ({path})")))
    }
}

/// The GPU backend a bench measures, or why there is none.
#[cfg(feature = "gpu")]
pub(crate) type Gpu = std::result::Result<Arc<crate::exec::gpu::GpuBackend>, Error>;

/// Measure every (op, size, backend) of `opts`. Progress lines go to `progress`.
pub fn run(opts: &BenchOptions, progress: impl FnMut(&str)) -> Result<BenchReport> {
    let cpu = Arc::new(CpuBackend::new(opts.cpu_threads)?);
    #[cfg(feature = "gpu")]
    let gpu: Option<Gpu> =
        opts.backends.contains(&BackendKind::Gpu).then(|| crate::exec::gpu::GpuBackend::new().map(Arc::new));
    #[cfg(feature = "gpu")]
    return run_on(opts, &cpu, gpu.as_ref(), progress);
    #[cfg(not(feature = "gpu"))]
    run_on(opts, &cpu, progress)
}

/// [`run`] on backends the caller already has (the daemon's start-up calibration measures
/// the devices it serves with, `bench::calibrate`).
pub(crate) fn run_on(
    opts: &BenchOptions,
    cpu: &Arc<CpuBackend>,
    #[cfg(feature = "gpu")] gpu: Option<&Gpu>,
    mut progress: impl FnMut(&str),
) -> Result<BenchReport> {
    let exec = Executor::new(Arc::clone(cpu), None, 0);
    let ctx = RunContext { limits: &opts.limits, layers: &NoLayers, executor: &exec, depth: 0 };
    #[cfg(not(feature = "gpu"))]
    let want_gpu = opts.backends.contains(&BackendKind::Gpu);
    #[cfg(feature = "gpu")]
    let adapter = match gpu {
        Some(Ok(g)) => format!("{} ({}, {})", g.adapter_name(), g.api(), g.driver()),
        Some(Err(e)) => format!("none: {}", e.message()),
        None => "not measured".to_string(),
    };
    #[cfg(not(feature = "gpu"))]
    let adapter = if want_gpu { "none: built without the gpu feature".to_string() } else { "not measured".to_string() };

    let mut rows = Vec::new();
    for size in &opts.sizes {
        opts.limits.check_input(size.width, size.height)?;
        let frame = match &opts.image {
            Some(img) => {
                crate::exec::cpu::resize::resize(&opts.limits, img, size.width, size.height, Filter::Lanczos3)?
            }
            None => synthetic(&opts.limits, size.width, size.height)?,
        };
        for &op in &opts.ops {
            let ops = op.ops(size.width, size.height);
            for &backend in &opts.backends {
                progress(&format!("{} {} {}", op.name(), size.name, backend));
                let mut row = Row {
                    op,
                    size: size.clone(),
                    backend,
                    result: Err(String::new()),
                    split: None,
                    separate: None,
                    psnr_vs_cpu: None,
                };
                match (backend, op) {
                    (BackendKind::Cpu, BenchOp::Variants) => {
                        let (together, separate) =
                            variants::measure(cpu.as_ref(), cpu.as_ref(), &frame, &ctx, opts.runs)?;
                        (row.result, row.separate) = (Ok(together), Some(separate));
                    }
                    (BackendKind::Cpu, _) => {
                        row.result = Ok(series(opts.runs, || cpu.run(&ops, frame.clone(), &ctx).map(drop))?)
                    }
                    (BackendKind::Gpu, _) => {
                        #[cfg(feature = "gpu")]
                        match gpu {
                            Some(Ok(g)) if op == BenchOp::Variants => match variants::unsupported(g.as_ref(), &frame) {
                                Some(why) => row.result = Err(why),
                                None => {
                                    let (together, separate) =
                                        variants::measure(g.as_ref(), cpu.as_ref(), &frame, &ctx, opts.runs)?;
                                    (row.result, row.separate) = (Ok(together), Some(separate));
                                }
                            },
                            Some(Ok(g)) => {
                                (row.result, row.split) = measure_gpu(g, &ops, &frame, &ctx, opts.runs)?;
                                if row.result.is_ok() {
                                    let ours = g.run(&ops, frame.clone(), &ctx)?;
                                    let reference = cpu.run(&ops, frame.clone(), &ctx)?;
                                    row.psnr_vs_cpu =
                                        crate::exec::compare::visible_diff(&ours, &reference).map(|d| d.psnr);
                                }
                            }
                            Some(Err(e)) => row.result = Err(format!("no adapter: {}", e.message())),
                            None => row.result = Err("not requested".into()),
                        }
                        #[cfg(not(feature = "gpu"))]
                        {
                            row.result = Err("built without the gpu feature".to_string());
                        }
                    }
                }
                rows.push(row);
            }
        }
    }
    let input = if opts.image.is_some() { "photo scaled to each size" } else { "synthetic gradient + texture" };
    Ok(BenchReport { rows, adapter, cpu_threads: cpu.threads(), runs: opts.runs, input: input.to_string() })
}

#[cfg(feature = "gpu")]
type Measured = (std::result::Result<Stats, String>, Option<Split>);

#[cfg(feature = "gpu")]
fn measure_gpu(
    g: &crate::exec::gpu::GpuBackend,
    ops: &[PlanOp],
    frame: &Frame,
    ctx: &RunContext<'_>,
    runs: usize,
) -> Result<Measured> {
    if let Some(reason) = g.unsupported(ops, (frame.width, frame.height)) {
        return Ok((Err(format!("falls back to the CPU: {reason}")), None));
    }
    let stats = series(runs, || g.run(ops, frame.clone(), ctx).map(drop))?;
    // The split needs extra syncs; a few runs are enough for a median of each phase.
    let mut phases = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs.clamp(1, 3) {
        let (_, t) = g.run_timed(ops, frame.clone(), ctx)?;
        phases.0.push(t.upload);
        phases.1.push(t.kernels);
        phases.2.push(t.readback);
    }
    let split = Split {
        upload: Stats::of(&phases.0).median,
        kernels: Stats::of(&phases.1).median,
        readback: Stats::of(&phases.2).median,
    };
    Ok((Ok(stats), Some(split)))
}

/// `xformd bench` from its command-line strings: parse, measure (progress on stderr), write
/// the report into `out`. `image` is a photo to scale to each size (decoded under `limits`).
#[expect(clippy::too_many_arguments, reason = "one argument per command-line flag")]
pub fn from_cli(
    backends: &str,
    sizes: &str,
    ops: &str,
    runs: usize,
    out: &Path,
    image: Option<&Path>,
    limits: Limits,
    cpu_threads: usize,
) -> Result<(PathBuf, PathBuf)> {
    let backends = backends
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|b| match b.trim() {
            "cpu" => Ok(BackendKind::Cpu),
            "gpu" => Ok(BackendKind::Gpu),
            other => Err(Error::invalid("backend", other, "expected cpu or gpu")),
        })
        .collect::<Result<Vec<_>>>()?;
    let ops = ops.split(',').filter(|s| !s.trim().is_empty()).map(BenchOp::parse).collect::<Result<Vec<_>>>()?;
    let image = match image {
        Some(p) => {
            let bytes =
                std::fs::read(p).map_err(|e| Error::new(ErrorKind::NotFound, format!("{}: {e}", p.display())))?;
            Some(crate::media::decode::decode(&bytes, &limits)?.frame)
        }
        None => None,
    };
    let opts = BenchOptions { backends, sizes: parse_sizes(sizes)?, ops, runs, cpu_threads, image, limits };
    let report = run(&opts, |what| eprintln!("bench: {what}"))?;
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    report.write(out, &command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_parse() {
        assert!(BenchOp::parse("blur").is_ok() && BenchOp::parse("zoom").is_err());
        assert_eq!(BenchOp::parse("variants").unwrap().name(), "variants");
        // The chain ends with the text layer the realistic URL carries.
        assert!(matches!(BenchOp::Chain.ops(640, 400).last(), Some(PlanOp::Layer(_))));
    }

    #[test]
    fn cpu_only_report_has_rows_table_and_chart() {
        let opts = BenchOptions {
            backends: vec![BackendKind::Cpu],
            sizes: parse_sizes("64x48").unwrap(),
            ops: vec![BenchOp::Resize, BenchOp::Chain, BenchOp::Variants],
            runs: 2,
            cpu_threads: 1,
            image: None,
            limits: Limits::default(),
        };
        let report = run(&opts, |_| {}).unwrap();
        assert_eq!(report.rows.len(), 3);
        assert!(report.rows.iter().all(|r| r.result.as_ref().is_ok_and(|s| s.min <= s.median && s.median <= s.max)));
        assert!(report.rows[2].separate.is_some_and(|s| s > 0.0));
        let md = report.markdown("xformd bench");
        assert!(md.contains("| chain | 64x48 (64×48) | cpu |"), "{md}");
        assert!(md.contains("| variants | 64x48 (64×48) | cpu |") && md.contains("one by one: "), "{md}");
        let svg = report.svg();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<rect x=").count(), 3 + 2, "three bars and two legend boxes");
    }
}
