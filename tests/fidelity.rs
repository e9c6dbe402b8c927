//! The corpus test of issue #16: every image under `../shared/media/` rendered at `w-300`
//! through the real front end and daemon, on the CPU and on the GPU, against libvips'
//! `vipsthumbnail --size 300x` of the same file: the same size and at least 30 dB PSNR,
//! unless the file's row in [`expected`] says why not (and what holds instead). The results
//! are written as a table into docs/fidelity.md.
//!
//! Files with an ICC profile get `--export-profile srgb` too: xformd converts every source
//! to sRGB (as Cloudinary does), and vipsthumbnail without it leaves a 16-bit source in its
//! profile's space (for the 8-bit ones the two outputs are identical). Untagged files don't:
//! there libvips would round-trip sRGB through lcms2 and add its own 30 dB of difference.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use xformd::exec::compare::diff;
use xformd::media::Frame;

use crate::common::{config, decode, gpu_tests_required, start_server, Servers};
use crate::inputs::{fidelity_required, have_vips, run, stored};

/// The least PSNR, in dB, against libvips for an ordinary file.
const MIN_PSNR: f64 = 30.0;

/// What must hold for one file.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// Same size as libvips' thumbnail, PSNR ≥ [`MIN_PSNR`].
    Match,
    /// Refused with this HTTP status (libvips renders it).
    Refused(u16, &'static str),
    /// Same size; PSNR against libvips only ≥ this, for the reason given; [`check_extra`]
    /// checks what the file must match instead.
    Differs(f64, &'static str),
}

/// The rule for a file, by its path under the media folder.
fn expected(rel: &str) -> Expect {
    if rel.ends_with("issue205_huge_header.jpg") {
        return Expect::Refused(
            413,
            "header claims 64250×64250 (4.1 GP), over limits.max_input_pixels; libvips shrinks it on load",
        );
    }
    if rel.ends_with("video-001_cmyk.jpeg") {
        return Expect::Differs(
            15.0,
            "CMYK without a profile: naive inversion as Chrome and Firefox show it (checked against libvips' own \
             CMYK samples, ≥ 40 dB); libvips applies a built-in press profile",
        );
    }
    if rel.contains("hopper_orientation_") {
        return Expect::Differs(
            28.0,
            "128 px upsized to 300, at the limit (30.0–30.7 dB): libvips' upsizer differs from a centre-aligned \
             Lanczos-3 (Pillow's Lanczos, bicubic and bilinear score 29.4–29.8 dB on RGB against it; xformd scores \
             54.6 dB against Pillow's Lanczos)",
        );
    }
    Expect::Match
}

fn shared_media() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/media")
}

/// Every still or animated image file (what libvips reads), sorted.
fn corpus(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            if ["jpg", "jpeg", "png", "webp", "gif", "avif"].contains(&ext.as_str()) {
                out.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// One file's outcome on one backend.
struct Outcome {
    size: Option<(u32, u32)>,
    psnr: Option<f64>,
    status: u16,
    ran: String,
}

async fn render(s: &Servers, rel: &str, backend: &str, reference: Option<&Frame>) -> Outcome {
    let r = reqwest::Client::new()
        .get(s.url(&format!("/tr:w-300,f-png/{rel}")))
        .header("x-xformd-backend", backend)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ran = r.headers().get("x-xformd-backend").and_then(|v| v.to_str().ok()).unwrap_or("-").to_string();
    if r.status() != StatusCode::OK {
        return Outcome { size: None, psnr: None, status, ran };
    }
    let ours = decode(&r.bytes().await.unwrap());
    let psnr = reference.and_then(|t| diff(&ours, t)).map(|d| d.psnr);
    Outcome { size: Some((ours.width, ours.height)), psnr, status, ran }
}

/// The profile-less CMYK JPEG against the browsers' formula applied to libvips' own CMYK
/// samples (`vips rawsave` gives ink amounts, Adobe inversion undone): an independent
/// decoder, the browsers' conversion.
async fn check_extra(s: &Servers, root: &Path, rel: &str, tmp: &Path) {
    if !rel.ends_with("video-001_cmyk.jpeg") {
        return;
    }
    let raw = tmp.join("cmyk.raw");
    run("vips", &["rawsave", root.join(rel).to_str().unwrap(), raw.to_str().unwrap()]);
    let ink = std::fs::read(&raw).unwrap();
    let r = reqwest::get(s.url(&format!("/tr:f-png/{rel}"))).await.unwrap();
    let ours = decode(&r.bytes().await.unwrap());
    assert_eq!(ink.len(), (ours.width * ours.height * 4) as usize, "libvips' CMYK samples");
    let data: Vec<u8> = ink
        .chunks_exact(4)
        .flat_map(|c| {
            let k = 255 - u32::from(c[3]);
            let ch = |v: u8| u8::try_from((255 - u32::from(v)) * k / 255).unwrap_or(255);
            [ch(c[0]), ch(c[1]), ch(c[2]), 255]
        })
        .collect();
    let reference = Frame::from_rgba(ours.width, ours.height, data).unwrap();
    let db = diff(&ours, &reference).unwrap().psnr;
    assert!(db >= 40.0, "{rel}: browsers' CMYK formula on libvips' samples: {db:.1} dB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_shared_image_renders_like_libvips_on_both_backends() {
    let root = shared_media();
    if !root.is_dir() {
        assert!(!fidelity_required(), "XFORMD_FIDELITY_TESTS=1 but ../shared/media is missing");
        eprintln!("skipping: no ../shared/media");
        return;
    }
    if !have_vips() {
        return;
    }
    let gpu = gpu_available();
    let tmp = tempfile::tempdir().unwrap();
    let s = start_server(config(root.clone())).await;
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for rel in corpus(&root) {
        let out = tmp.path().join(format!("{}.png", rel.replace('/', "_")));
        let mut args = vec![root.join(&rel).to_str().unwrap().to_string(), "--size".into(), "300x".into()];
        if has_profile(&root.join(&rel)) {
            args.extend(["--export-profile".into(), "srgb".into()]);
        }
        let made = std::process::Command::new("vipsthumbnail").args(&args).arg("-o").arg(&out).output().unwrap();
        // Read as stored: the sRGB profile libvips attaches must not be converted again.
        let reference = made.status.success().then(|| stored(&std::fs::read(&out).unwrap()));
        let expect = expected(&rel);
        let mut cells = Vec::new();
        for backend in ["cpu", "gpu"].into_iter().filter(|b| *b == "cpu" || gpu) {
            let o = render(&s, &rel, backend, reference.as_ref()).await;
            let theirs = reference.as_ref().map(|f| (f.width, f.height));
            let verdict = match expect {
                Expect::Refused(code, _) => o.status == code,
                Expect::Match => o.size.is_some() && o.size == theirs && o.psnr.is_some_and(|p| p >= MIN_PSNR),
                Expect::Differs(min, _) => o.size.is_some() && o.size == theirs && o.psnr.is_some_and(|p| p >= min),
            };
            if !verdict {
                failures.push(format!(
                    "{rel} on {backend}: status {} size {:?} vs libvips {theirs:?}, {:?} dB",
                    o.status, o.size, o.psnr
                ));
            }
            // A GPU job may fall back to the CPU (lavapipe's buffer limits); the table says so.
            cells.push(match (o.size, o.psnr) {
                (Some((w, h)), Some(db)) => {
                    format!("{w}×{h}, {db:.1} dB{}", if o.ran == backend { "" } else { " (ran on cpu)" })
                }
                _ => format!("HTTP {}", o.status),
            });
        }
        if !gpu {
            cells.push("no adapter".into());
        }
        check_extra(&s, &root, &rel, tmp.path()).await;
        let vips = reference.as_ref().map_or("failed".into(), |f| format!("{}×{}", f.width, f.height));
        let note = match expect {
            Expect::Match => format!("same size, ≥ {MIN_PSNR} dB"),
            Expect::Refused(code, why) => format!("{code}: {why}"),
            Expect::Differs(min, why) => format!("≥ {min} dB: {why}"),
        };
        rows.push(format!("| `{rel}` | {vips} | {} | {} | {note} |", cells[0], cells[1]));
    }
    write_table(&rows);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The file carries an ICC profile (libvips' header says so).
fn has_profile(path: &Path) -> bool {
    let out = std::process::Command::new("vipsheader").arg("-a").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout).contains("icc-profile-data")
}

fn gpu_available() -> bool {
    #[cfg(feature = "gpu")]
    if xformd::exec::gpu::GpuBackend::new().is_ok() {
        return true;
    }
    assert!(!gpu_tests_required(), "XFORMD_GPU_TESTS is set but there is no GPU adapter");
    false
}

/// Replace the generated table in docs/fidelity.md (between its markers), so the document
/// always shows the last run's figures.
fn write_table(rows: &[String]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/fidelity.md");
    let Ok(doc) = std::fs::read_to_string(&path) else { return };
    let (begin, end) = ("<!-- corpus:begin -->", "<!-- corpus:end -->");
    let (Some(a), Some(b)) = (doc.find(begin), doc.find(end)) else { return };
    let mut table = String::from("\n| File | libvips | xformd CPU | xformd GPU | Rule |\n|---|---|---|---|---|\n");
    for r in rows {
        let _ = writeln!(table, "{r}");
    }
    let out = format!("{}{begin}{table}{}", &doc[..a], &doc[b..]);
    if out != doc {
        let _ = std::fs::write(&path, out);
    }
}
