//! `xformd bench`: CPU vs GPU per kernel and for a realistic delivery chain, as a Markdown
//! table and a self-contained SVG chart.
//!
//! Owns: [`BenchOptions`], [`BenchReport`], [`run`], [`parse_sizes`], [`BenchOp`]. Every
//! measurement goes through [`Backend::run`], the call the daemon's executor makes, on the
//! same [`CpuBackend`] / `GpuBackend` types, so the numbers are the daemon's. For the GPU a
//! second, timed series (`GpuBackend::run_timed`) splits a run into upload, kernels and
//! readback; its phases end in a submit and a wait each, so their sum is a little above the
//! untimed median.
//!
//! May import: `exec`, `plan`, `media`, `limits`, `error`. Writes files only under the chosen
//! output folder.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};
use crate::exec::cpu::CpuBackend;
use crate::exec::{Backend, BackendKind, Executor, LayerSource, RunContext};
use crate::limits::Limits;
use crate::media::Frame;
use crate::plan::{Corners, Filter, PlanOp};

/// A benchmarked operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchOp {
    /// Lanczos3 down-scale to half width and height.
    Resize,
    /// Gaussian blur, σ = 5.
    Blur,
    /// Unsharp mask, σ = 1, amount 1.
    Sharpen,
    /// Resize to half + sharpen + rounded corners + border: a typical thumbnail URL.
    Chain,
}

impl BenchOp {
    /// Parse `resize`, `blur`, `sharpen` or `chain`.
    pub fn parse(s: &str) -> Result<BenchOp> {
        Ok(match s.trim() {
            "resize" => BenchOp::Resize,
            "blur" => BenchOp::Blur,
            "sharpen" => BenchOp::Sharpen,
            "chain" => BenchOp::Chain,
            other => {
                return Err(Error::invalid("ops", other, "expected resize, blur, sharpen or chain"));
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
        }
    }

    /// The plan ops for an input of `w` × `h`.
    pub fn ops(self, w: u32, h: u32) -> Vec<PlanOp> {
        let half = |v: u32| (v / 2).max(1);
        match self {
            BenchOp::Resize => vec![PlanOp::Resize { width: half(w), height: half(h), filter: Filter::Lanczos3 }],
            BenchOp::Blur => vec![PlanOp::Blur { sigma: 5.0 }],
            BenchOp::Sharpen => vec![PlanOp::Sharpen { sigma: 1.0, amount: 1.0, threshold: 0.0 }],
            // Text layers are not rendered yet (exec::cpu::layer), so the chain ends with a
            // border, which crosses the same "grow the frame" path a layer-free URL takes.
            BenchOp::Chain => vec![
                PlanOp::Resize { width: half(w), height: half(h), filter: Filter::Lanczos3 },
                PlanOp::Sharpen { sigma: 1.0, amount: 1.0, threshold: 0.0 },
                PlanOp::RoundCorners { corners: Corners::Radii([24.0; 4]), fill: None },
                PlanOp::Border { width: 8, color: [255, 255, 255, 255] },
            ],
        }
    }
}

/// A named input size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedSize {
    /// `1080p`, `4k`, `20mp`, or `WxH`.
    pub name: String,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// Parse a comma-separated list of sizes: `720p`, `1080p`, `4k`, `8k`, `20mp`, or `WxH`.
pub fn parse_sizes(list: &str) -> Result<Vec<NamedSize>> {
    list.split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            let s = s.trim().to_ascii_lowercase();
            let (width, height) = match s.as_str() {
                "720p" => (1280, 720),
                "1080p" => (1920, 1080),
                "4k" => (3840, 2160),
                "8k" => (7680, 4320),
                // 5472 × 3648: a 20 MP 3:2 camera sensor.
                "20mp" => (5472, 3648),
                other => {
                    let bad = || Error::invalid("sizes", other, "expected 720p, 1080p, 4k, 8k, 20mp or WxH");
                    let (w, h) = other.split_once('x').ok_or_else(bad)?;
                    let w: u32 = w.parse().map_err(|_| bad())?;
                    let h: u32 = h.parse().map_err(|_| bad())?;
                    if w == 0 || h == 0 {
                        return Err(bad());
                    }
                    (w, h)
                }
            };
            Ok(NamedSize { name: s, width, height })
        })
        .collect()
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

/// Statistics of one series, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Median.
    pub median: f64,
    /// Fastest.
    pub min: f64,
    /// Slowest.
    pub max: f64,
}

impl Stats {
    fn of(samples: &[Duration]) -> Stats {
        let mut s: Vec<f64> = samples.iter().map(Duration::as_secs_f64).collect();
        s.sort_by(f64::total_cmp);
        let median = match s.len() {
            0 => 0.0,
            n if n % 2 == 1 => s[n / 2],
            n => (s[n / 2 - 1] + s[n / 2]) / 2.0,
        };
        Stats { median, min: s.first().copied().unwrap_or(0.0), max: s.last().copied().unwrap_or(0.0) }
    }
}

/// Median phase split of the GPU's timed runs, in seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    /// Upload + unpack.
    pub upload: f64,
    /// Op dispatches.
    pub kernels: f64,
    /// Pack + readback.
    pub readback: f64,
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

/// A deterministic photo-like test image: smooth gradients plus fine texture, opaque.
pub fn synthetic(limits: &Limits, width: u32, height: u32) -> Result<Frame> {
    let mut f = Frame::filled(limits, width, height, [0, 0, 0, 255])?;
    let stride = f.stride();
    let (w, h) = (u64::from(width), u64::from(height));
    for (y, row) in (0u64..).zip(f.data.chunks_exact_mut(stride)) {
        for (x, p) in (0u64..).zip(row.chunks_exact_mut(4)) {
            let tex = ((x * 7 + y * 13) ^ (x * y)) & 31;
            let c = |v: u64| u8::try_from(v + tex).unwrap_or(255);
            p[0] = c(x * 220 / w);
            p[1] = c(y * 220 / h);
            p[2] = c(220 - (x * 110 / w + y * 110 / h));
        }
    }
    Ok(f)
}

/// Measure every (op, size, backend) of `opts`. Progress lines go to `progress`.
pub fn run(opts: &BenchOptions, mut progress: impl FnMut(&str)) -> Result<BenchReport> {
    let cpu = Arc::new(CpuBackend::new(opts.cpu_threads)?);
    let exec = Executor::new(Arc::clone(&cpu), None, 0);
    let ctx = RunContext { limits: &opts.limits, layers: &NoLayers, executor: &exec, depth: 0 };
    let want_gpu = opts.backends.contains(&BackendKind::Gpu);
    #[cfg(feature = "gpu")]
    let gpu = if want_gpu { Some(crate::exec::gpu::GpuBackend::new()) } else { None };
    #[cfg(feature = "gpu")]
    let adapter = match &gpu {
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
                let (result, split) = match backend {
                    BackendKind::Cpu => (Ok(series(opts.runs, || cpu.run(&ops, frame.clone(), &ctx).map(drop))?), None),
                    BackendKind::Gpu => {
                        #[cfg(feature = "gpu")]
                        {
                            match &gpu {
                                Some(Ok(g)) => measure_gpu(g, &ops, &frame, &ctx, opts.runs)?,
                                Some(Err(e)) => (Err(format!("no adapter: {}", e.message())), None),
                                None => (Err("not requested".into()), None),
                            }
                        }
                        #[cfg(not(feature = "gpu"))]
                        {
                            (Err("built without the gpu feature".to_string()), None)
                        }
                    }
                };
                rows.push(Row { op, size: size.clone(), backend, result, split });
            }
        }
    }
    let input = if opts.image.is_some() { "photo scaled to each size" } else { "synthetic gradient + texture" };
    Ok(BenchReport { rows, adapter, cpu_threads: cpu.threads(), runs: opts.runs, input: input.to_string() })
}

/// One warm-up, then `runs` timed calls of `f`.
fn series(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<Stats> {
    f()?;
    let mut samples = Vec::new();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        f()?;
        samples.push(t.elapsed());
    }
    Ok(Stats::of(&samples))
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

fn ms(s: f64) -> String {
    format!("{:.1}", s * 1e3)
}

impl BenchReport {
    fn cpu_median(&self, op: BenchOp, size: &NamedSize) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| r.op == op && &r.size == size && r.backend == BackendKind::Cpu)
            .and_then(|r| r.result.as_ref().ok().map(|s| s.median))
    }

    /// The Markdown table (`bench.md`).
    pub fn markdown(&self, command: &str) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# xformd bench\n");
        let _ = writeln!(md, "- command: `{command}`");
        let _ = writeln!(md, "- GPU adapter: {}", self.adapter);
        let _ = writeln!(md, "- CPU threads: {}", self.cpu_threads);
        let _ = writeln!(md, "- input: {}; {} measured runs after one warm-up", self.input, self.runs);
        let _ = writeln!(
            md,
            "- times in ms (input decoded, output not encoded); MP/s = input megapixels / median; speed-up = CPU median / GPU median\n"
        );
        let _ = writeln!(
            md,
            "| op | size | backend | median | min | max | MP/s | speed-up | GPU upload / kernels / readback |"
        );
        let _ = writeln!(md, "|---|---|---|---:|---:|---:|---:|---:|---|");
        for r in &self.rows {
            let size = format!("{} ({}×{})", r.size.name, r.size.width, r.size.height);
            match &r.result {
                Ok(s) => {
                    let ratio = match (r.backend, self.cpu_median(r.op, &r.size)) {
                        (BackendKind::Gpu, Some(c)) if s.median > 0.0 => format!("{:.2}×", c / s.median),
                        _ => String::new(),
                    };
                    let split = r.split.map_or(String::new(), |p| {
                        format!("{} / {} / {}", ms(p.upload), ms(p.kernels), ms(p.readback))
                    });
                    let _ = writeln!(
                        md,
                        "| {} | {size} | {} | {} | {} | {} | {:.1} | {ratio} | {split} |",
                        r.op.name(),
                        r.backend,
                        ms(s.median),
                        ms(s.min),
                        ms(s.max),
                        r.mpx_per_s().unwrap_or(0.0),
                    );
                }
                Err(why) => {
                    let _ = writeln!(md, "| {} | {size} | {} | – | – | – | – | – | {why} |", r.op.name(), r.backend);
                }
            }
        }
        md
    }

    /// A self-contained SVG bar chart (`bench.svg`): megapixels per second per (op, size),
    /// one bar per backend.
    pub fn svg(&self) -> String {
        let groups: Vec<(BenchOp, &NamedSize)> = {
            let mut g: Vec<(BenchOp, &NamedSize)> = Vec::new();
            for r in &self.rows {
                if !g.iter().any(|(o, s)| *o == r.op && *s == &r.size) {
                    g.push((r.op, &r.size));
                }
            }
            g
        };
        let top = self.rows.iter().filter_map(Row::mpx_per_s).fold(1.0f64, f64::max);
        let (bar, gap, left, height) = (18.0, 22.0, 60.0, 260.0);
        let per_group = 2.0 * bar + gap;
        let width = left + per_group * groups.len() as f64 + 20.0;
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{:.0}" font-family="sans-serif" font-size="11">"#,
            height + 110.0
        );
        let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let _ = writeln!(
            svg,
            r#"<text x="{left}" y="16" font-size="13">Megapixels per second (higher is better) — {}</text>"#,
            xml(&self.adapter)
        );
        let y0 = 30.0 + height;
        let _ = writeln!(svg, r##"<line x1="{left}" y1="{y0}" x2="{width:.0}" y2="{y0}" stroke="#333"/>"##);
        for i in 0..=4 {
            let v = top * f64::from(i) / 4.0;
            let y = y0 - height * f64::from(i) / 4.0;
            let _ = writeln!(
                svg,
                r##"<text x="{:.0}" y="{y:.0}" text-anchor="end">{v:.0}</text><line x1="{left}" y1="{y:.0}" x2="{width:.0}" y2="{y:.0}" stroke="#ddd"/>"##,
                left - 4.0
            );
        }
        for (gi, (op, size)) in groups.iter().enumerate() {
            let gx = left + 10.0 + per_group * gi as f64;
            for (bi, (backend, colour)) in
                [(BackendKind::Cpu, "#4e79a7"), (BackendKind::Gpu, "#f28e2b")].iter().enumerate()
            {
                let x = gx + bar * bi as f64;
                let row = self.rows.iter().find(|r| r.op == *op && &r.size == *size && r.backend == *backend);
                match row.and_then(Row::mpx_per_s) {
                    Some(v) => {
                        let h = height * v / top;
                        let _ = writeln!(
                            svg,
                            r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" fill="{colour}"><title>{} {} {}: {v:.1} MP/s</title></rect>"#,
                            y0 - h,
                            bar - 2.0,
                            op.name(),
                            size.name,
                            backend
                        );
                    }
                    None if row.is_some() => {
                        let _ = writeln!(svg, r#"<text x="{:.1}" y="{:.0}" font-size="9">n/a</text>"#, x, y0 - 3.0);
                    }
                    None => {}
                }
            }
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.0}" text-anchor="end" transform="rotate(-40 {:.1} {:.0})">{} {}</text>"#,
                gx + bar,
                y0 + 14.0,
                gx + bar,
                y0 + 14.0,
                op.name(),
                xml(&size.name)
            );
        }
        let ly = y0 + 95.0;
        let _ = writeln!(
            svg,
            r##"<rect x="{left}" y="{:.0}" width="10" height="10" fill="#4e79a7"/><text x="{:.0}" y="{ly:.0}">CPU ({} threads)</text><rect x="{:.0}" y="{:.0}" width="10" height="10" fill="#f28e2b"/><text x="{:.0}" y="{ly:.0}">GPU</text>"##,
            ly - 9.0,
            left + 14.0,
            self.cpu_threads,
            left + 130.0,
            ly - 9.0,
            left + 144.0
        );
        svg.push_str("</svg>\n");
        svg
    }

    /// Write `bench.md` and `bench.svg` into `dir` (created if missing); returns both paths.
    pub fn write(&self, dir: &Path, command: &str) -> Result<(PathBuf, PathBuf)> {
        let io = |e: std::io::Error| Error::internal(format!("writing the bench report to {}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        let (md, svg) = (dir.join("bench.md"), dir.join("bench.svg"));
        std::fs::write(&md, self.markdown(command)).map_err(io)?;
        std::fs::write(&svg, self.svg()).map_err(io)?;
        Ok((md, svg))
    }
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

/// Escape text for SVG.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_reject_nonsense() {
        let s = parse_sizes("1080p, 4k,20mp,640x400").unwrap();
        assert_eq!(
            s.iter().map(|s| (s.width, s.height)).collect::<Vec<_>>(),
            [(1920, 1080), (3840, 2160), (5472, 3648), (640, 400)]
        );
        for bad in ["huge", "0x5", "12x", "x9"] {
            assert!(parse_sizes(bad).is_err(), "{bad}");
        }
        assert!(BenchOp::parse("blur").is_ok() && BenchOp::parse("zoom").is_err());
    }

    #[test]
    fn cpu_only_report_has_rows_table_and_chart() {
        let opts = BenchOptions {
            backends: vec![BackendKind::Cpu],
            sizes: parse_sizes("64x48").unwrap(),
            ops: vec![BenchOp::Resize, BenchOp::Chain],
            runs: 2,
            cpu_threads: 1,
            image: None,
            limits: Limits::default(),
        };
        let report = run(&opts, |_| {}).unwrap();
        assert_eq!(report.rows.len(), 2);
        assert!(report.rows.iter().all(|r| r.result.as_ref().is_ok_and(|s| s.min <= s.median && s.median <= s.max)));
        let md = report.markdown("xformd bench");
        assert!(md.contains("| chain | 64x48 (64×48) | cpu |"), "{md}");
        let svg = report.svg();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<rect x=").count(), 2 + 2, "two bars and two legend boxes");
    }
}
