//! Pixel checks against an independent implementation: plain resizes and blurs of the
//! bundled photos, rendered through the whole stack (HTTP → gRPC → daemon) on each backend,
//! compared with libvips' output for the same operation.
//!
//! The references in `tests/fixtures/vips/` were written by Debian's libvips 8.14
//! (`scripts/vips-references.sh` says exactly how); xformd did not produce them. Outputs are
//! PNG on both sides so that no encoder loss enters the comparison.

use reqwest::StatusCode;
use xformd::exec::compare::diff;

use crate::common::{config, decode, gpu_tests_required, media_dir, start_server};

/// One comparison: an ImageKit URL path and the libvips reference it must match.
struct Case {
    path: &'static str,
    reference: &'static str,
    /// Lowest acceptable PSNR over RGBA, in dB, with the reason next to each case.
    min_psnr: f64,
}

// Measured against these references: xformd 44.5 / 39.9 dB (JPEG resizes), 54.9 dB (PNG
// resize), 54.8 / 53.6 dB (blurs), on CPU and GPU alike. What a real mistake scores, from
// libvips against itself (`compare -metric PSNR`): the astronaut with a bilinear kernel
// 36.0 dB, nearest neighbour 29.0 dB, shifted half a pixel 23.4 dB; the coffee blur with
// σ 25 % too large 40.4 dB. The thresholds sit between the two.
const CASES: &[Case] = &[
    // Both shrink the JPEG on load in the DCT domain, then Lanczos3; they pick different
    // shrink factors and round differently, which leaves fine texture (the wine glass's
    // highlights: max Δ 60) a little apart. Hence the lower bar than for the PNG source.
    Case { path: "/tr:w-300,f-png/photos/LadyBird.jpg", reference: "ladybird-w300.png", min_psnr: 40.0 },
    Case { path: "/tr:h-400,f-png/photos/Wine_by_Jakkub_Mede.jpg", reference: "wine-h400.png", min_psnr: 37.0 },
    // A PNG source: no shrink-on-load, so only the two Lanczos3 implementations differ.
    Case { path: "/tr:w-200,f-png/photos/astronaut.png", reference: "astronaut-w200.png", min_psnr: 48.0 },
    // Gaussian blurs (bl-N = σ N/2): both separable, truncated near 3σ, clamped edges;
    // only the rounding of the taps differs.
    Case { path: "/tr:bl-6,f-png/photos/coffee.png", reference: "coffee-bl6.png", min_psnr: 48.0 },
    Case { path: "/tr:bl-16,f-png/photos/flower.webp", reference: "flower-bl16.png", min_psnr: 48.0 },
];

fn reference(name: &str) -> xformd::media::Frame {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vips").join(name);
    decode(&std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

async fn check_backend(backend: &str) {
    let servers = start_server(config(media_dir())).await;
    let client = reqwest::Client::new();
    let mut report = Vec::new();
    for case in CASES {
        let resp = client.get(servers.url(case.path)).header("x-xformd-backend", backend).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{}", case.path);
        let ran = resp.headers()["x-xformd-backend"].to_str().unwrap().to_string();
        assert_eq!(ran, backend, "{} ran on {ran}", case.path);
        let ours = decode(&resp.bytes().await.unwrap());
        let theirs = reference(case.reference);
        let d = diff(&ours, &theirs).unwrap_or_else(|| {
            panic!("{}: {}x{} vs libvips {}x{}", case.path, ours.width, ours.height, theirs.width, theirs.height)
        });
        report.push(format!("{backend} {}: {:.1} dB (max Δ {})", case.path, d.psnr, d.max_delta));
        assert!(d.psnr >= case.min_psnr, "{}: {:.2} dB < {} dB against libvips", case.path, d.psnr, case.min_psnr);
    }
    eprintln!("{}", report.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cpu_resizes_and_blurs_match_libvips() {
    check_backend("cpu").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpu_resizes_and_blurs_match_libvips() {
    #[cfg(feature = "gpu")]
    if xformd::exec::gpu::GpuBackend::new().is_ok() {
        check_backend("gpu").await;
        return;
    }
    assert!(!gpu_tests_required(), "XFORMD_GPU_TESTS is set but there is no GPU adapter");
    eprintln!("skipping: no GPU adapter");
}
