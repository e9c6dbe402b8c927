//! `xformd batch` (issue #13) against real daemons on 127.0.0.1: every output byte-identical
//! to a single render of its variant, a daemon killed mid-run, stop and resume, shards,
//! malformed manifests. The fleet harness is in `batch_harness`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use xformd::batch::run;

use crate::batch_harness::{
    args, assert_same, cpu_config, expected, generate_media, outputs, write_csv, Daemon, VARIANTS,
};
/// Resolves when `dir` holds at least `n` outputs (polled; the batch runs meanwhile).
async fn outputs_reach(dir: PathBuf, n: usize) {
    while outputs(&dir).len() < n {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batch_over_two_daemons_equals_single_renders() {
    let media = tempfile::tempdir().unwrap();
    let sources = generate_media(media.path(), 24);
    let config = cpu_config(media.path());
    let (d1, d2) = (Daemon::start(config.clone()), Daemon::start(config.clone()));
    let work = tempfile::tempdir().unwrap();
    let manifest = work.path().join("m.csv");
    write_csv(&manifest, &sources, &VARIANTS);
    let out = work.path().join("out");

    let s = run(config.clone(), &args(&manifest, &out, &[&d1, &d2]), std::future::pending()).await.unwrap();
    assert_eq!((s.done, s.failed, s.skipped, s.interrupted), (144, 0, 0, false), "{}", s.to_text());
    assert_same(&outputs(&out), &expected(&config, &sources, &VARIANTS).await);
    // Both daemons took work (p2c), and together exactly every variant once.
    let (r1, r2) = (d1.rendered(), d2.rendered());
    eprintln!("variants rendered per daemon: {r1} and {r2}");
    assert!(r1 > 0 && r2 > 0 && r1 + r2 == 144, "{r1} + {r2}");
    // One decode per decode group, not per variant: at most 3 groups (JPEG scales 1, 2, 4).
    assert!(s.decodes <= 24 * 3 && s.decodes >= 24, "decodes {}", s.decodes);
    // Folders keep a/img0.jpg and b/img0.jpg apart.
    assert!(out.join("a/img0/w-64,h-64.jpg").is_file() && out.join("b/img0/w-64,h-64.jpg").is_file());
    // f-auto on a transparent source is PNG, as a single render chooses.
    assert!(out.join("p/img1/w-64,h-64.png").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_daemon_killed_mid_run_costs_no_output() {
    let media = tempfile::tempdir().unwrap();
    let sources = generate_media(media.path(), 24);
    let config = cpu_config(media.path());
    let (mut d1, d2) = (Daemon::start(config.clone()), Daemon::start(config.clone()));
    let work = tempfile::tempdir().unwrap();
    let manifest = work.path().join("m.csv");
    write_csv(&manifest, &sources, &VARIANTS);
    let out = work.path().join("out");
    let mut a = args(&manifest, &out, &[&d1, &d2]);
    a.concurrency = Some(6);

    let batch = tokio::spawn({
        let config = config.clone();
        async move { run(config, &a, std::future::pending()).await }
    });
    outputs_reach(out.clone(), 30).await;
    tokio::task::spawn_blocking(move || d1.kill()).await.unwrap();
    let s = batch.await.unwrap().unwrap();
    assert_eq!((s.done, s.failed), (144, 0), "{}", s.to_text());
    assert!(s.retries >= 1, "the kill hit calls in flight: {}", s.to_text());
    assert_same(&outputs(&out), &expected(&config, &sources, &VARIANTS).await);
}

/// (inode, modification time) of every output, by key.
#[cfg(unix)]
fn stamps(dir: &Path) -> BTreeMap<String, (u64, std::time::SystemTime)> {
    use std::os::unix::fs::MetadataExt;
    outputs(dir)
        .into_keys()
        .map(|k| {
            let m = std::fs::metadata(dir.join(&k)).unwrap();
            (k, (m.ino(), m.modified().unwrap()))
        })
        .collect()
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resume_after_a_stop_rewrites_nothing_complete() {
    let media = tempfile::tempdir().unwrap();
    let sources = generate_media(media.path(), 16);
    let config = cpu_config(media.path());
    let d1 = Daemon::start(config.clone());
    let work = tempfile::tempdir().unwrap();
    let manifest = work.path().join("m.jsonl");
    let rows: Vec<String> =
        sources.iter().map(|s| serde_json::json!({"source": s, "variants": VARIANTS}).to_string()).collect();
    std::fs::write(&manifest, rows.join("\n")).unwrap();
    let out = work.path().join("out");
    let mut a = args(&manifest, &out, &[&d1]);
    a.concurrency = Some(2);

    // Stop (as Ctrl-C does) once a quarter is written.
    let s = run(config.clone(), &a, outputs_reach(out.clone(), 24)).await.unwrap();
    assert!(s.interrupted && s.failed == 0, "{}", s.to_text());
    assert!(s.done < 96, "stopped early: {}", s.to_text());
    let before = stamps(&out);
    assert_eq!(before.len() as u64, s.done, "every written output is journaled, and only those");

    a.resume = true;
    let s2 = run(config.clone(), &a, std::future::pending()).await.unwrap();
    assert_eq!((s2.skipped, s2.done, s2.failed, s2.interrupted), (s.done, 96 - s.done, 0, false), "{}", s2.to_text());
    let after = stamps(&out);
    for (k, stamp) in &before {
        assert_eq!(after.get(k), Some(stamp), "{k} was rewritten");
    }
    assert_same(&outputs(&out), &expected(&config, &sources, &VARIANTS).await);

    // A second resume has nothing left to do.
    let s3 = run(config.clone(), &a, std::future::pending()).await.unwrap();
    assert_eq!((s3.skipped, s3.done), (96, 0));

    // A run killed before its journal was synced: the files in place (written atomically)
    // still count as complete on resume, and are not rewritten.
    let complete = stamps(&out);
    std::fs::write(out.join(".xformd-batch.journal"), b"").unwrap();
    let s4 = run(config, &a, std::future::pending()).await.unwrap();
    assert_eq!((s4.skipped, s4.done), (96, 0), "{}", s4.to_text());
    assert_eq!(stamps(&out), complete);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shards_cover_every_row_exactly_once() {
    let media = tempfile::tempdir().unwrap();
    let sources = generate_media(media.path(), 12);
    let config = cpu_config(media.path());
    let work = tempfile::tempdir().unwrap();
    let manifest = work.path().join("m.csv");
    write_csv(&manifest, &sources, &VARIANTS[..2]);
    let out = work.path().join("out");
    let mut done = 0;
    for i in 0..3 {
        // In process: the shard logic is the client's.
        let mut a = args(&manifest, &out, &[]);
        a.shard = Some(format!("{i}/3").parse().unwrap());
        let s = run(config.clone(), &a, std::future::pending()).await.unwrap();
        assert_eq!(s.failed, 0);
        done += s.done;
    }
    assert_eq!(done, 24, "no row rendered twice, none left out");
    assert_same(&outputs(&out), &expected(&config, &sources, &VARIANTS[..2]).await);
    assert_eq!(
        std::fs::read_dir(&out)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_str().unwrap().ends_with(".journal"))
            .count(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_manifests_and_failed_variants_are_named() {
    let media = tempfile::tempdir().unwrap();
    let sources = generate_media(media.path(), 2);
    let config = cpu_config(media.path());
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let manifest = work.path().join("m.csv");
    for (text, line, needle) in [
        (&b"source,variant\na/img0.jpg,w-10\nb/img0.jpg,\xff\n"[..], 3, "CSV"),
        (b"source,variant\na/img0.jpg,w-10\nb/img0.jpg,zz-9\n", 3, "'zz-9'"),
        (b"source,variant\n,w-10\n", 2, "empty source"),
        (b"source,size\n", 1, "'size'"),
    ] {
        std::fs::write(&manifest, text).unwrap();
        let e = run(config.clone(), &args(&manifest, &out, &[]), std::future::pending()).await.unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("line {line}")) && msg.contains(needle),
            "{}: {msg}",
            String::from_utf8_lossy(text)
        );
        assert!(!out.exists(), "nothing rendered before the manifest is known good");
    }

    // A variant that fails at render time, and a missing source, fail alone with reasons:
    // in process and through a daemon (the variant's error crosses the wire in its message).
    write_csv(&manifest, &[sources[0].clone(), "a/none.jpg".into()], &["w-50", "w-50,l-image,i-missing.png,l-end"]);
    let d = Daemon::start(config.clone());
    for daemons in [vec![], vec![&d]] {
        let s = run(config.clone(), &args(&manifest, &out, &daemons), std::future::pending()).await.unwrap();
        assert_eq!((s.done, s.failed, s.retries), (1, 3, 0), "{}", s.to_text());
        assert!(s.failures.iter().all(|f| f.reason.starts_with("not_found")), "{:?}", s.failures);
        assert_eq!(xformd::batch::exit_code(&s), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_token_is_sent_and_a_wrong_one_is_not_retried() {
    let media = tempfile::tempdir().unwrap();
    let sources = generate_media(media.path(), 2);
    let mut config = cpu_config(media.path());
    config.server.grpc_token = "s3cret-token".into();
    let d = Daemon::start(config.clone());
    let work = tempfile::tempdir().unwrap();
    let manifest = work.path().join("m.csv");
    write_csv(&manifest, &sources, &["w-32"]);
    // The batch reads `server.grpc_token` from the same configuration the daemons use.
    let s =
        run(config.clone(), &args(&manifest, &work.path().join("ok"), &[&d]), std::future::pending()).await.unwrap();
    assert_eq!((s.done, s.failed), (2, 0), "{}", s.to_text());
    let mut wrong = config;
    wrong.server.grpc_token = "guess".into();
    let s = run(wrong, &args(&manifest, &work.path().join("no"), &[&d]), std::future::pending()).await.unwrap();
    assert_eq!((s.done, s.failed, s.retries), (0, 2, 0), "{}", s.to_text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_busy_daemon_sends_work_to_another() {
    let media = tempfile::tempdir().unwrap();
    let sources = generate_media(media.path(), 16);
    let config = cpu_config(media.path());
    // One job at a time and no queue: concurrent calls get RESOURCE_EXHAUSTED.
    let mut small = config.clone();
    small.limits.max_concurrent_jobs = 1;
    small.limits.max_queued_jobs = 0;
    let (busy, other) = (Daemon::start(small), Daemon::start(config.clone()));
    let work = tempfile::tempdir().unwrap();
    let manifest = work.path().join("m.csv");
    write_csv(&manifest, &sources, &VARIANTS[..2]);
    let out = work.path().join("out");
    let mut a = args(&manifest, &out, &[&busy, &other]);
    a.concurrency = Some(8);
    let s = run(config.clone(), &a, std::future::pending()).await.unwrap();
    assert_eq!((s.done, s.failed), (32, 0), "{}", s.to_text());
    assert!(s.retries >= 1, "{}", s.to_text());
    assert_same(&outputs(&out), &expected(&config, &sources, &VARIANTS[..2]).await);
}
