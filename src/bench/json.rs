//! `bench.json`: the report as data, for scripts (scripts/device-bench.sh) and dashboards.
//!
//! Owns: `BenchReport::json`. May import `exec` (backend kinds); `serde_json` outside.

use serde_json::{json, Value};

use super::BenchReport;
use crate::exec::BackendKind;

impl BenchReport {
    /// One object: the machine (adapter with driver, CPU threads), the command, and one entry
    /// per row with times in milliseconds, MP/s, the GPU's speed-up and PSNR against the CPU,
    /// or the reason a backend did not run the row.
    pub fn json(&self, command: &str) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                let mut row = json!({
                    "op": r.op.name(),
                    "size": r.size.name,
                    "width": r.size.width,
                    "height": r.size.height,
                    "backend": r.backend.to_string(),
                });
                match &r.result {
                    Ok(s) => {
                        row["median_ms"] = json!(s.median * 1e3);
                        row["min_ms"] = json!(s.min * 1e3);
                        row["max_ms"] = json!(s.max * 1e3);
                        row["mpx_per_s"] = json!(r.mpx_per_s());
                        let cpu = self.cpu_median(r.op, &r.size);
                        if let (BackendKind::Gpu, Some(c)) = (r.backend, cpu) {
                            row["speedup_vs_cpu"] = json!((s.median > 0.0).then(|| c / s.median));
                        }
                    }
                    Err(why) => row["error"] = json!(why),
                }
                if let Some(p) = r.psnr_vs_cpu {
                    // Identical outputs give an infinite PSNR, which JSON cannot carry.
                    row["psnr_vs_cpu_db"] = if p.is_finite() { json!(p) } else { json!("identical") };
                }
                if let Some(p) = r.split {
                    row["gpu_ms"] =
                        json!({"upload": p.upload * 1e3, "kernels": p.kernels * 1e3, "readback": p.readback * 1e3});
                }
                if let Some(sep) = r.separate {
                    row["one_by_one_ms"] = json!(sep * 1e3);
                }
                row
            })
            .collect();
        json!({
            "command": command,
            "adapter": self.adapter,
            "cpu_threads": self.cpu_threads,
            "runs": self.runs,
            "input": self.input,
            "rows": rows,
        })
    }
}
