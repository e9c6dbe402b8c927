//! scripts/device-bench.sh (issue #14) stays working without a real GPU: its smoke mode runs
//! the real `xformd bench` through the script on a tiny image, on lavapipe in CI, and the
//! report must hold every op on both backends, the adapter, and the GPU's PSNR against the CPU.

use std::process::Command;

use crate::common::gpu_tests_required;

#[test]
fn device_bench_script_smoke_run_reports_every_op_on_both_backends() {
    let out = tempfile::tempdir().unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/device-bench.sh");
    let run = Command::new(&script)
        .args(["--smoke", "--bin", env!("CARGO_BIN_EXE_xformd"), "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("report.json")).unwrap()).unwrap();
    assert!(std::fs::read_to_string(out.path().join("report.md")).unwrap().contains("| chain | 64x48"));
    let rows = report["rows"].as_array().unwrap();
    for op in ["resize", "blur", "sharpen", "chain", "variants"] {
        for backend in ["cpu", "gpu"] {
            let row = rows.iter().find(|r| r["op"] == op && r["backend"] == backend);
            let row = row.unwrap_or_else(|| panic!("no {op}/{backend} row in {report}"));
            if backend == "cpu" {
                assert!(row["median_ms"].as_f64().is_some_and(|m| m > 0.0), "{row}");
            } else if gpu_tests_required() {
                assert!(row["median_ms"].as_f64().is_some(), "the GPU ran {op}: {row}");
                if op != "variants" {
                    let psnr = &row["psnr_vs_cpu_db"];
                    assert!(psnr == "identical" || psnr.as_f64().is_some_and(|p| p >= 30.0), "{op}: {row}");
                }
            }
        }
    }
    if gpu_tests_required() {
        assert!(!report["adapter"].as_str().unwrap_or("none").starts_with("none"), "{}", report["adapter"]);
    }
}
