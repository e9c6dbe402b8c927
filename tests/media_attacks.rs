//! Attacks through uploaded media (issue #12, hole 4 and two of hole 9): files that make
//! FFmpeg read other resources, temporary files under predictable names, the video line. Each test uploads a crafted file into a media root the test owns, asks the
//! real front end for it, and checks that nothing outside the root is read.

use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;

use crate::common::{config, media_dir, start_server};

/// One second of the bundled clip as MPEG-TS at `dest` (HLS segments are TS), written by the
/// FFmpeg command-line tool the test suite already needs.
fn secret_segment(dest: &Path) {
    let src = media_dir().join("video/bigbuckbunny.mp4");
    let ok = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-i"])
        .arg(&src)
        .args(["-t", "1", "-c", "copy", "-bsf:v", "h264_mp4toannexb", "-f", "mpegts"])
        .arg(dest)
        .status()
        .expect("ffmpeg runs");
    assert!(ok.success(), "ffmpeg wrote the segment");
}

/// An HLS playlist saved under a video name inside the media root, naming a file outside
/// it: FFmpeg's HLS demuxer would open the outside file, and its frames would come back to
/// the client. Only self-contained containers are read now: 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_hls_playlist_reads_files_outside_the_root() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.ts");
    secret_segment(&secret);
    let root = tempfile::tempdir().unwrap();
    let playlist = format!(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n\
         #EXTINF:1.0,\n{}\n#EXT-X-ENDLIST\n",
        secret.display()
    );
    std::fs::write(root.path().join("evil.mp4"), playlist).unwrap();
    let s = start_server(config(root.path().to_path_buf())).await;
    for path in ["/evil.mp4/ik-thumbnail.jpg", "/tr:so-0,du-1,w-160/evil.mp4"] {
        let r = reqwest::get(s.url(path)).await.unwrap();
        let status = r.status();
        let body = r.bytes().await.unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {} bytes served", body.len());
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains(outside.path().to_str().unwrap()), "{path}: body names the outside file: {text}");
    }
}

/// The same playlist with the segment given as a `file:` URL, and as an HTTP URL to a
/// listener the test owns: neither is opened (the HTTP one would bypass the web origin's
/// address checks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_hls_playlist_fetches_urls_past_the_origin() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.ts");
    secret_segment(&secret);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    let root = tempfile::tempdir().unwrap();
    for (name, url) in
        [("url.mp4", format!("file://{}", secret.display())), ("http.mp4", format!("http://{addr}/secret.ts"))]
    {
        let playlist =
            format!("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.0,\n{url}\n#EXT-X-ENDLIST\n");
        std::fs::write(root.path().join(name), playlist).unwrap();
    }
    let s = start_server(config(root.path().to_path_buf())).await;
    for path in ["/url.mp4/ik-thumbnail.jpg", "/http.mp4/ik-thumbnail.jpg"] {
        let r = reqwest::get(s.url(path)).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{path}");
    }
    // Nothing connected to the listener.
    assert!(listener.accept().is_err(), "FFmpeg connected to {addr}");
}

/// An ffconcat list naming the clip by a relative path that climbs out of the root.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_concat_list_climbs_out_of_the_root() {
    let outside = tempfile::tempdir().unwrap();
    let root = outside.path().join("root");
    std::fs::create_dir(&root).unwrap();
    std::fs::copy(media_dir().join("video/bigbuckbunny.mp4"), outside.path().join("secret.mp4")).unwrap();
    std::fs::write(root.join("list.mp4"), "ffconcat version 1.0\nfile ../secret.mp4\n").unwrap();
    let s = start_server(config(root.clone())).await;
    let r = reqwest::get(s.url("/list.mp4/ik-thumbnail.jpg")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// The real clip in the same root still renders: the whitelist keeps MP4.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_mp4_still_renders_under_the_whitelist() {
    let s = start_server(config(media_dir())).await;
    let r = reqwest::get(s.url("/video/bigbuckbunny.mp4/ik-thumbnail.jpg")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
}

/// Hole 9: temporary files had predictable names (`/tmp/xformd-<pid>-<n>.avif`) and were
/// written through whatever stood there: whoever can write to /tmp plants symlinks under those
/// names and makes the daemon overwrite a file of their choice. The names are random and the
/// files created exclusively now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_symlink_planted_at_a_predictable_temp_name() {
    let victim_dir = tempfile::tempdir().unwrap();
    let victim = victim_dir.path().join("precious.txt");
    std::fs::write(&victim, "precious").unwrap();
    let pid = std::process::id();
    let planted: Vec<_> = (0..500).map(|n| std::env::temp_dir().join(format!("xformd-{pid}-{n}.avif"))).collect();
    for p in &planted {
        let _ = std::os::unix::fs::symlink(&victim, p);
    }
    let root = tempfile::tempdir().unwrap();
    // Sniffed as AVIF, so the daemon hands it to FFmpeg through a temporary file.
    let mut bytes = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf".to_vec();
    bytes.extend(std::iter::repeat_n(0xA5u8, 4000));
    std::fs::write(root.path().join("x.avif"), bytes).unwrap();
    let s = start_server(config(root.path().to_path_buf())).await;
    for _ in 0..3 {
        let r = reqwest::get(s.url("/tr:w-10/x.avif")).await.unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
    }
    let after = std::fs::read(&victim).unwrap();
    for p in &planted {
        let _ = std::fs::remove_file(p);
    }
    assert!(
        after == b"precious",
        "a planted symlink redirected a temporary file: the victim now holds {} bytes",
        after.len()
    );
}

/// Hole 9: the video line was unbounded: every cut waited for one of the two FFmpeg slots,
/// however many came. It holds `limits.max_queued_jobs` now; beyond that, 429 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_unbounded_video_line() {
    let mut c = config(media_dir());
    c.limits.max_queued_jobs = 0;
    let s = start_server(c).await;
    // Distinct qualities: five different cuts of a second or more each.
    let handles: Vec<_> = (0..5)
        .map(|q| {
            let url = s.url(&format!("/tr:so-0,du-4,w-640,q-{}/video/bigbuckbunny.mp4", 60 + q));
            tokio::spawn(async move { reqwest::get(url).await.unwrap().status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    assert!(statuses.contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    assert!(statuses.contains(&StatusCode::OK), "{statuses:?}");
}
