//! Several variants of one source (issue #4): the executor's batch on the GPU (one
//! submission) and the CPU (rayon), `TransformVariants` over gRPC, and `xformd batch`.

use std::sync::Arc;

use xformd::exec::compare::diff;
use xformd::exec::cpu::CpuBackend;
use xformd::exec::variants::Variant;
use xformd::exec::{Backend, BackendKind, Executor};
use xformd::job::Hints;
use xformd::job::{BackendPref, Job};
use xformd::limits::Limits;
use xformd::media::Frame;
use xformd::plan::Filter;
use xformd::url::UrlOptions;

use crate::common::{config, decode, media_dir, start_server, NoLayers};

/// A 640×400 copy of a real photo: small enough for lavapipe, with photographic detail.
fn photo() -> Frame {
    let f = decode(&std::fs::read(media_dir().join("photos/LadyBird.jpg")).unwrap());
    xformd::exec::cpu::resize::resize(&Limits::default(), &f, 640, 400, Filter::Lanczos3).unwrap()
}

/// The job of ImageKit transformation `tr` on a dummy source.
fn job(tr: &str) -> Job {
    xformd::url::to_job(&format!("/tr:{tr}/a.jpg"), None, &UrlOptions::default()).unwrap().job
}

fn specs(jobs: &[Job], pref: BackendPref) -> Vec<Variant<'_>> {
    jobs.iter().map(|j| Variant { steps: &j.steps, hints: Hints::default(), pref }).collect()
}

#[test]
fn cpu_variants_equal_single_cpu_runs() {
    let exec = Executor::new(Arc::new(CpuBackend::new(2).unwrap()), None, 0);
    let limits = Limits::default();
    let src = photo();
    let jobs: Vec<Job> =
        ["w-320", "w-200,h-200", "w-160,e-sharpen", "w-300,r-20", "w-300:e-grayscale", "l-text,i-Hi,fs-30,l-end"]
            .into_iter()
            .map(job)
            .collect();
    let ran = exec.run_variants(&src, &specs(&jobs, BackendPref::Cpu), &limits, &NoLayers).unwrap();
    assert_eq!(ran.len(), jobs.len());
    for (j, (frame, report)) in jobs.iter().zip(&ran) {
        let (single, single_report) =
            exec.run_job(j, src.clone(), Hints::default(), BackendPref::Cpu, &limits, &NoLayers).unwrap();
        // The same CPU code on the same input: bit-identical, whichever rayon thread ran it.
        let d = diff(&single, frame).unwrap();
        assert_eq!(d.max_delta, 0, "{:?}: {d:?}", j.steps);
        assert_eq!(report.run, single_report);
        assert!(!report.batched && report.unbatched.is_none());
    }
    assert_eq!((ran[0].0.width, ran[0].0.height), (320, 200));
    assert_eq!((ran[1].0.width, ran[1].0.height), (200, 200));
}

#[cfg(feature = "gpu")]
#[test]
fn gpu_variants_equal_single_gpu_runs_in_one_submission() {
    let Some(gpu) = crate::common::own_gpu("GPU variants") else { return };
    // This test's own device: no other test submits to it, so the counter is exact.
    let exec = Executor::new(Arc::new(CpuBackend::new(2).unwrap()), Some(gpu.clone() as Arc<dyn Backend>), 0);
    let limits = Limits::default();
    let src = photo();
    // Resize, crop, sharpen, rounded corners, a text layer (drawn in place on a copy of the
    // shared source) and a first-op snapshot (contrast reads the decoded source: no readback).
    let batchable: Vec<Job> =
        ["w-320", "w-200,h-200", "w-160,e-sharpen", "w-300,r-20", "w-300,l-text,i-Hi,fs-30,l-end", "e-contrast"]
            .into_iter()
            .map(job)
            .collect();
    let before = gpu.submissions();
    let ran = exec.run_variants(&src, &specs(&batchable, BackendPref::Gpu), &limits, &NoLayers).unwrap();
    assert_eq!(gpu.submissions() - before, 1, "every batched variant in one submission");
    assert_eq!(ran.len(), batchable.len());
    for (j, (frame, report)) in batchable.iter().zip(&ran) {
        assert!(report.batched && report.run.backend == BackendKind::Gpu, "{report:?}");
        let (single, _) = exec.run_job(j, src.clone(), Hints::default(), BackendPref::Gpu, &limits, &NoLayers).unwrap();
        // The same kernels record the same dispatches on the same uploaded pixels, so the
        // outputs are expected to be bit-identical; 1 level allows a driver that schedules
        // float work differently inside a larger submission. Measured on lavapipe: 0.
        let d = diff(&single, frame).unwrap();
        assert!(d.max_delta <= 1, "{:?}: {d:?}", j.steps);
    }
    assert_eq!((ran[1].0.width, ran[1].0.height), (200, 200));

    // Variants the batch cannot hold run as their own jobs and say why; the others still
    // share one submission.
    let mixed: Vec<Job> = ["w-300", "w-200,e-contrast", "w-300:e-grayscale"].into_iter().map(job).collect();
    let ran = exec.run_variants(&src, &specs(&mixed, BackendPref::Gpu), &limits, &NoLayers).unwrap();
    let why: Vec<Option<&str>> = ran.iter().map(|(_, r)| r.unbatched.as_deref()).collect();
    assert_eq!(why, [None, Some("mid_chain_readback"), Some("multi_step")]);
    assert!(ran[0].1.batched && !ran[1].1.batched && !ran[2].1.batched);
    for (j, (frame, _)) in mixed.iter().zip(&ran) {
        let (single, _) = exec.run_job(j, src.clone(), Hints::default(), BackendPref::Gpu, &limits, &NoLayers).unwrap();
        // Unbatched variants are single GPU runs; the batched one as above.
        assert!(diff(&single, frame).unwrap().max_delta <= 1, "{:?}", j.steps);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_transform_variants_returns_every_output() {
    use xformd::service::convert::job_to_proto;
    use xformd::service::proto as pb;
    use xformd::service::proto::transformer_client::TransformerClient;

    let s = start_server(config(media_dir())).await;
    let mut client = TransformerClient::connect(format!("http://{}", s.grpc)).await.unwrap();
    let mut jobs: Vec<pb::Job> =
        ["w-300", "w-120,h-120,f-png", "w-200,r-10"].into_iter().map(|t| job_to_proto(&job(t))).collect();
    for (i, j) in jobs.iter_mut().enumerate() {
        // The first job names the source itself; the others inherit the shared one.
        j.source = if i == 0 { "/photos/coffee.png".into() } else { String::new() };
    }
    let req = pb::TransformVariantsRequest {
        source: "/photos/coffee.png".into(),
        jobs: jobs.clone(),
        backend: pb::Backend::Cpu as i32,
        accept: "image/jpeg".into(),
        hint_width: None,
        hint_dpr: None,
    };
    let outs = client.transform_variants(req.clone()).await.unwrap().into_inner().outputs;
    let sizes: Vec<(u32, u32, &str)> = outs.iter().map(|o| (o.width, o.height, o.content_type.as_str())).collect();
    // coffee.png is 600×400: w-300 → 300×200; w-120,h-120 → 120×120; w-200 → 200×133, and
    // its transparent rounded corners make f-auto pick PNG (as a single Transform would).
    assert_eq!(sizes, [(300, 200, "image/jpeg"), (120, 120, "image/png"), (200, 133, "image/png")]);
    for o in &outs {
        let f = decode(&o.data);
        assert_eq!((f.width, f.height), (o.width, o.height));
        assert_eq!(o.backend, "cpu");
    }

    // A job naming another source: InvalidArgument naming `source` and the path.
    let mut bad = req;
    bad.jobs[2].source = "/photos/astronaut.png".into();
    let err = client.transform_variants(bad).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument);
    assert_eq!(err.metadata().get("x-xformd-key").unwrap(), "source");
    assert_eq!(err.metadata().get("x-xformd-value").unwrap(), "/photos/astronaut.png");
}

#[test]
fn batch_cli_writes_one_file_per_variant() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_xformd"))
        .args(["batch", "--media"])
        .arg(media_dir())
        .args(["--source", "photos/coffee.png", "--variant", "w-300", "--variant", "w-100,f-webp", "--out"])
        .arg(dir.path())
        .args(["--backend", "cpu", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // One event per variant, then the summary.
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["event"], "summary");
    assert_eq!(lines[2]["done"], 2);
    // Named <source without extension>/<variant>.<ext> (issue #13).
    let a = decode(&std::fs::read(dir.path().join("photos/coffee/w-300.jpg")).unwrap());
    assert_eq!((a.width, a.height), (300, 200));
    let b = std::fs::read(dir.path().join("photos/coffee/w-100,f-webp.webp")).unwrap();
    assert_eq!((decode(&b).width, decode(&b).height), (100, 67));
    let names: Vec<String> = std::fs::read_dir(dir.path().join("photos/coffee"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "no temporary files left: {names:?}");

    // A variant that does not parse: exit 2, naming the parameter.
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_xformd"))
        .args(["batch", "--media"])
        .arg(media_dir())
        .args(["--source", "photos/coffee.png", "--variant", "zz-9", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("'zz'"));
}
