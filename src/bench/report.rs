//! The Markdown table and SVG chart of `xformd bench`.
//!
//! Owns: `BenchReport::markdown`, `BenchReport::svg`, `BenchReport::write` (which also writes
//! `bench.json`, from `json`).
//!
//! May import: `exec` (backend kinds), `error`. Writes files only under the chosen folder.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{BenchOp, BenchReport, NamedSize, Row};
use crate::error::{Error, Result};
use crate::exec::BackendKind;

fn ms(s: f64) -> String {
    format!("{:.1}", s * 1e3)
}

impl BenchReport {
    pub(super) fn cpu_median(&self, op: BenchOp, size: &NamedSize) -> Option<f64> {
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
            "| op | size | backend | median | min | max | MP/s | speed-up | PSNR vs CPU (dB) | GPU upload / kernels / readback |"
        );
        let _ = writeln!(md, "|---|---|---|---:|---:|---:|---:|---:|---:|---|");
        for r in &self.rows {
            let size = format!("{} ({}×{})", r.size.name, r.size.width, r.size.height);
            match &r.result {
                Ok(s) => {
                    let ratio = match (r.backend, self.cpu_median(r.op, &r.size)) {
                        (BackendKind::Gpu, Some(c)) if s.median > 0.0 => format!("{:.2}×", c / s.median),
                        _ => String::new(),
                    };
                    let mut split = r.split.map_or(String::new(), |p| {
                        format!("{} / {} / {}", ms(p.upload), ms(p.kernels), ms(p.readback))
                    });
                    if let Some(sep) = r.separate {
                        let gain = if s.median > 0.0 { sep / s.median } else { 0.0 };
                        split = format!("one by one: {} ms; together runs {gain:.2}× as fast", ms(sep));
                    }
                    let psnr = r.psnr_vs_cpu.map_or(String::new(), |p| format!("{p:.1}"));
                    let _ = writeln!(
                        md,
                        "| {} | {size} | {} | {} | {} | {} | {:.1} | {ratio} | {psnr} | {split} |",
                        r.op.name(),
                        r.backend,
                        ms(s.median),
                        ms(s.min),
                        ms(s.max),
                        r.mpx_per_s().unwrap_or(0.0),
                    );
                }
                Err(why) => {
                    let _ =
                        writeln!(md, "| {} | {size} | {} | – | – | – | – | – | – | {why} |", r.op.name(), r.backend);
                }
            }
        }
        if self.rows.iter().any(|r| r.op == BenchOp::Chain && r.backend == BackendKind::Gpu) {
            let _ = writeln!(md, "\n`auto` threshold from the chain rows: {}", self.gpu_threshold().describe());
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

    /// Write `bench.md`, `bench.svg` and `bench.json` into `dir` (created if missing); returns
    /// the first two paths.
    pub fn write(&self, dir: &Path, command: &str) -> Result<(PathBuf, PathBuf)> {
        let io = |e: std::io::Error| Error::internal(format!("writing the bench report to {}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        let (md, svg) = (dir.join("bench.md"), dir.join("bench.svg"));
        std::fs::write(&md, self.markdown(command)).map_err(io)?;
        std::fs::write(&svg, self.svg()).map_err(io)?;
        std::fs::write(dir.join("bench.json"), self.json(command).to_string()).map_err(io)?;
        Ok((md, svg))
    }
}

/// Escape text for SVG.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
