//! `xformd batch` as an operator runs it: the real binary in the acceptance form (two real
//! `xformd daemon` processes, outputs compared with `xformd render` byte for byte, SIGINT
//! then `--resume`), and outputs to a bucket on moto_server.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use object_store::ObjectStoreExt;

use crate::batch_harness::{args, cpu_config, expected, generate_media, write_csv, Daemon, VARIANTS};
use crate::origins::{bucket, moto};

/// An `xformd daemon` process on a free loopback port; killed when dropped.
struct DaemonProcess {
    child: Child,
    url: String,
}

impl Drop for DaemonProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `xformd daemon --media MEDIA --grpc 127.0.0.1:0` and read its address from the
/// line it prints once listening.
fn daemon_process(media: &Path) -> DaemonProcess {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xformd"))
        .args(["daemon", "--grpc", "127.0.0.1:0", "--media"])
        .arg(media)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("the daemon exited before listening").unwrap();
        if let Some(rest) = line.split("gRPC on ").nth(1) {
            break rest.split(',').next().unwrap().trim().to_string();
        }
    };
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    DaemonProcess { child, url: format!("http://{addr}") }
}

fn xformd(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_xformd")).args(args).output().unwrap()
}

#[test]
fn the_binary_over_two_daemons_matches_render_and_resumes_after_sigint() {
    let media = tempfile::tempdir().unwrap();
    let sources = generate_media(media.path(), 8);
    let m = media.path().to_str().unwrap();
    let (d1, d2) = (daemon_process(media.path()), daemon_process(media.path()));
    let work = tempfile::tempdir().unwrap();
    let manifest = work.path().join("m.csv");
    let variants = ["w-200,h-150,c-at_max", "w-120,f-webp", "w-64,h-64"];
    write_csv(&manifest, &sources, &variants);
    let out = work.path().join("out");
    let batch_args = |extra: &[&str]| {
        let mut a: Vec<String> = vec![
            "batch".into(),
            manifest.to_str().unwrap().into(),
            "--daemon".into(),
            d1.url.clone(),
            "--daemon".into(),
            d2.url.clone(),
            "--out".into(),
            out.to_str().unwrap().into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };

    // Interrupted by SIGINT as soon as it has started writing: exit 130, a resume hint.
    let child = Command::new(env!("CARGO_BIN_EXE_xformd"))
        .args(batch_args(&["--concurrency", "1"]))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    while crate::batch_harness::outputs(&out).len() < 3 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // SAFETY: sends a signal to our own child process.
    unsafe { libc::kill(i32::try_from(child.id()).unwrap(), libc::SIGINT) };
    let stopped = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&stopped.stderr);
    eprintln!("after SIGINT: {:?}\n{err}", stopped.status);
    // It may also have finished before the signal landed (a fast machine): then exit 0.
    if stopped.status.code() == Some(130) {
        assert!(err.contains("--resume"), "{err}");
    } else {
        assert_eq!(stopped.status.code(), Some(0), "{err}");
    }

    let resumed = xformd(&batch_args(&["--resume", "--json"]).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(resumed.status.success(), "{}", String::from_utf8_lossy(&resumed.stderr));
    let events: Vec<serde_json::Value> =
        String::from_utf8(resumed.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary = events.last().unwrap();
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["done"].as_u64().unwrap() + summary["skipped"].as_u64().unwrap(), 24, "{summary}");
    assert_eq!(summary["failed"], 0);

    // Every output equals `xformd render --media ROOT /tr:VARIANT/SOURCE`.
    let mut files = 0;
    for s in &sources {
        for v in variants {
            let f = work.path().join("render.out");
            let r = xformd(&["render", "--media", m, "--output", f.to_str().unwrap(), &format!("/tr:{v}/{s}")]);
            assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
            let want = std::fs::read(&f).unwrap();
            let mime = xformd_mime(&want);
            let key = xformd::batch::naming::key(&format!("/{s}"), v, mime);
            assert!(std::fs::read(out.join(&key)).unwrap() == want, "{key} differs from render");
            files += 1;
        }
    }
    assert_eq!(files, 24);
}

/// The MIME type of encoded image bytes, by signature.
fn xformd_mime(b: &[u8]) -> &'static str {
    match b {
        [0xFF, 0xD8, ..] => "image/jpeg",
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => "image/webp",
        _ => "application/octet-stream",
    }
}

#[test]
fn dry_run_lists_and_renders_nothing() {
    let media = tempfile::tempdir().unwrap();
    let sources = generate_media(media.path(), 2);
    let work = tempfile::tempdir().unwrap();
    let manifest = work.path().join("m.csv");
    write_csv(&manifest, &sources, &["w-10", "w-20,f-webp"]);
    let out = work.path().join("out");
    let r = xformd(&["batch", manifest.to_str().unwrap(), "--out", out.to_str().unwrap(), "--dry-run"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let text = String::from_utf8(r.stdout).unwrap();
    assert!(text.contains("render /a/img0.jpg w-20,f-webp -> ") && text.contains("a/img0/w-20,f-webp.webp"), "{text}");
    assert!(text.contains("a/img0/w-10.*"), "{text}");
    assert!(text.contains("4 to render, 0 already complete"), "{text}");
    assert!(!out.exists());

    // A bad manifest: exit 2 and the line.
    std::fs::write(&manifest, "source,variant\na/img0.jpg,zz-9\n").unwrap();
    let r = xformd(&["batch", manifest.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("line 2"), "{}", String::from_utf8_lossy(&r.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outputs_go_to_a_bucket() {
    let Some(moto) = moto().await else { return };
    let store = bucket(&moto, "prerender").await;
    let media = tempfile::tempdir().unwrap();
    let sources = generate_media(media.path(), 6);
    let config = cpu_config(media.path());
    let d = Daemon::start(config.clone());
    let work = tempfile::tempdir().unwrap();
    let manifest = work.path().join("m.csv");
    write_csv(&manifest, &sources, &VARIANTS);
    let mut a = args(&manifest, work.path(), &[&d]);
    a.out = "s3://prerender/eager/v1".into();
    a.journal = Some(work.path().join("state.journal"));
    a.s3 = xformd::origin::s3::S3Settings {
        endpoint: moto.endpoint.clone(),
        region: "us-east-1".into(),
        access_key_id: "testing".into(),
        secret_access_key: "testing".into(),
        timeout: std::time::Duration::from_secs(30),
        ..Default::default()
    };
    let s = xformd::batch::run(config.clone(), &a, std::future::pending()).await.unwrap();
    assert_eq!((s.done, s.failed), (36, 0), "{}", s.to_text());
    for (key, want) in expected(&config, &sources, &VARIANTS).await {
        let path = object_store::path::Path::from(format!("eager/v1/{key}"));
        let got = store.get(&path).await.unwrap().bytes().await.unwrap();
        assert!(got.as_ref() == want.as_slice(), "{key}");
    }
    // The state file is local; a resume skips everything.
    a.resume = true;
    let s = xformd::batch::run(config, &a, std::future::pending()).await.unwrap();
    assert_eq!((s.done, s.skipped), (0, 36));
}
