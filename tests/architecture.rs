//! Checks the dependency rules of src/lib.rs against the `use crate::…` lines in src/, and
//! that FFmpeg stays in its helper process (`src/bin/xformd-ffmpeg/`).

use std::path::Path;

/// (module prefix, in-crate modules it must not import, external crates it must not use).
const RULES: &[(&str, &[&str], &[&str])] = &[
    (
        "job",
        &["url", "plan", "exec", "media", "service", "pipeline", "frontend", "app"],
        &["tokio", "wgpu", "tonic", "prost", "ffmpeg", "image", "rayon"],
    ),
    ("url", &["plan", "exec", "media", "service", "pipeline", "app"], &["tokio", "wgpu", "tonic", "image", "rayon"]),
    ("plan", &["url", "exec", "media", "service", "pipeline", "app"], &["tokio", "wgpu", "tonic", "image", "rayon"]),
    ("media", &["exec", "service", "pipeline", "url", "frontend"], &["wgpu", "tokio", "tonic"]),
    ("exec/cpu", &["url", "service", "pipeline", "frontend"], &["wgpu", "tokio", "tonic"]),
    ("exec/gpu", &["url", "service", "pipeline", "frontend"], &["tonic", "tokio", "rayon"]),
    ("service", &["url::imagekit", "url::to_job", "exec::cpu", "exec::gpu", "frontend"], &["wgpu", "ffmpeg"]),
    ("frontend", &["exec", "media", "pipeline"], &["wgpu", "image", "rayon"]),
    // batch is a gRPC client of the daemons: proto, auth (the token) and convert only.
    (
        "batch",
        &["service::transform", "service::variants", "service::health", "service::video", "frontend", "media", "exec"],
        &["wgpu", "rayon"],
    ),
    ("cli", &["service", "frontend", "pipeline", "exec"], &["wgpu", "tonic", "axum"]),
];

fn rs_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The rule violations in one file (`rel` is its path under src/ without `.rs`).
fn violations(rel: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (module, banned_mods, banned_crates) in RULES {
        if !(rel == *module || rel.starts_with(&format!("{module}/"))) {
            continue;
        }
        for line in text.lines().map(str::trim).filter(|l| l.starts_with("use ") || l.starts_with("pub use ")) {
            let path = line.trim_start_matches("pub ").trim_start_matches("use ");
            for m in *banned_mods {
                if path.starts_with(&format!("crate::{m}")) {
                    out.push(format!("{rel}: `{line}` (module {module} must not import {m})"));
                }
            }
            for c in *banned_crates {
                if path.starts_with(&format!("{c}::")) || path.starts_with(&format!("{c}_")) || path == format!("{c};")
                {
                    out.push(format!("{rel}: `{line}` (module {module} must not use crate {c})"));
                }
            }
        }
    }
    out
}

#[test]
fn modules_respect_the_dependency_rules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    let mut all = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().replace(".rs", "");
        all.extend(violations(&rel, &std::fs::read_to_string(f).unwrap()));
    }
    assert!(all.is_empty(), "dependency rule violations:\n{}", all.join("\n"));
}

#[test]
fn the_checker_catches_banned_imports() {
    assert_eq!(violations("plan/layout", "use crate::exec::cpu;\nuse crate::job::Job;").len(), 1);
    assert_eq!(violations("job/geometry", "use tokio::sync::Mutex;").len(), 1);
    assert!(violations("exec/cpu/blur", "use crate::media::Frame;").is_empty());
}

/// Only the helper binary's files name FFmpeg's crate; the library and `xformd` never do
/// (src/video/process.rs says why).
#[test]
fn only_the_helper_uses_ffmpeg() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    let helper = src.join("bin").join("xformd-ffmpeg");
    let users: Vec<String> = files
        .iter()
        .filter(|f| !f.starts_with(&helper))
        .filter(|f| {
            std::fs::read_to_string(f).unwrap().lines().any(|l| l.contains("ffmpeg_next") || l.contains("ffmpeg::"))
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(users.is_empty(), "files outside the helper that use ffmpeg-next: {users:?}");
}

/// The `xformd` executable links no FFmpeg library (its start-up maps 5 shared libraries,
/// not ~170), and the helper does.
#[cfg(all(feature = "video", target_os = "linux"))]
#[test]
fn the_daemon_binary_does_not_link_ffmpeg() {
    let needed = |bin: &str| {
        let out = std::process::Command::new("readelf").args(["-d", bin]).output().expect("readelf (binutils)");
        assert!(out.status.success(), "readelf -d {bin}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("(NEEDED)"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let daemon = needed(env!("CARGO_BIN_EXE_xformd"));
    assert!(!daemon.is_empty(), "readelf found no NEEDED entries at all");
    assert!(!daemon.iter().any(|l| l.contains("libav")), "xformd links FFmpeg: {daemon:?}");
    let helper = needed(env!("CARGO_BIN_EXE_xformd-ffmpeg"));
    assert!(helper.iter().any(|l| l.contains("libavcodec")), "the helper does not link libavcodec: {helper:?}");
}
