//! Attacks on the daemon's work (issue #12, hole 5, and the origin/video parts of hole 9):
//! URLs that cost far more than a render should, renders abandoned by their client, sources
//! too large to read. Each runs against the real front end and daemon on 127.0.0.1.

use std::time::{Duration, Instant};

use image::ImageEncoder;
use reqwest::StatusCode;

use crate::common::{config, media_dir, start_server, start_server_with};

/// The 9.8 MP photo of the bundled media (2560 × 3837).
const LARGE: &str = "photos/Wine_by_Jakkub_Mede.jpg";

async fn error_of(r: reqwest::Response) -> (StatusCode, serde_json::Value) {
    let status = r.status();
    (status, r.json().await.unwrap_or_default())
}

/// The image-queue gauge (`xformd_queue_depth`: jobs holding or waiting for a permit).
async fn queue_depth(s: &crate::common::Servers) -> i64 {
    let text = reqwest::get(s.url("/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("xformd_queue_depth "))
        .and_then(|v| v.trim().parse().ok())
        .expect("queue depth in /metrics")
}

/// 250 chained `bl-100` in a 2.3 KB URL: refused before anything is fetched, naming the limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_chained_blurs_pin_every_worker() {
    let s = start_server(config(media_dir())).await;
    let chain = vec!["bl-100"; 250].join(":");
    let (status, body) = error_of(reqwest::get(s.url(&format!("/tr:{chain}/{LARGE}"))).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["key"], "max_steps");
    assert_eq!(body["value"], "250");
    // Within the step limit, the estimate from the header refuses the same work: the photo
    // enlarged to 37 MP, then twenty σ-5.5 blurs (the largest exact Gaussian: larger ones are
    // planned reduced and cost little, see plan::blur).
    let chain = format!("w-5000,bl-11:{}", vec!["bl-11"; 19].join(":"));
    let (status, body) = error_of(reqwest::get(s.url(&format!("/tr:{chain}/{LARGE}"))).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["key"], "max_work");
    // Layers are counted, nested ones too.
    let layer = "l-image,i-photos@@coffee.png,w-20,l-end";
    let many = vec![layer; 21].join(",");
    let (status, body) = error_of(reqwest::get(s.url(&format!("/tr:w-100,{many}/{LARGE}"))).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["key"], "max_layers");
    // The same chain after a resize to a thumbnail is cheap and renders.
    let r = reqwest::get(s.url(&format!("/tr:w-64:{}/{LARGE}", ["bl-10"; 5].join(":")))).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// A render that outlives the front end's deadline: the front end answers 504 and drops the
/// gRPC call, and the daemon's worker must stop too (before, it finished the whole chain —
/// minutes — while every later request waited behind it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_timed_out_render_keeps_its_worker() {
    let mut c = config(media_dir());
    c.limits.max_concurrent_jobs = 1;
    c.limits.max_work = u64::MAX;
    let s = start_server_with(c, |f| f.with_request_timeout(Duration::from_secs(2))).await;
    // Ten σ-5.5 blurs (exact, 71 taps) over 9.8 MP: a minute of work in a test build.
    let heavy = s.url(&format!("/tr:{}/{LARGE}", ["bl-11"; 10].join(":")));
    let r = reqwest::get(&heavy).await.unwrap();
    assert_eq!(r.status(), StatusCode::GATEWAY_TIMEOUT);
    let timed_out = Instant::now();
    while queue_depth(&s).await > 0 {
        assert!(timed_out.elapsed() < Duration::from_secs(5), "the render kept its worker after the timeout");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The only worker serves the next request.
    let r = reqwest::get(s.url("/tr:w-40/photos/coffee.png")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// A client that sends an expensive request and hangs up: the render stops with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_abandoned_render_keeps_burning_cpu() {
    let mut c = config(media_dir());
    c.limits.max_work = u64::MAX;
    let s = start_server(c).await;
    let heavy = s.url(&format!("/tr:{}/{LARGE}", ["bl-11"; 10].join(":")));
    let client = reqwest::Client::builder().timeout(Duration::from_millis(1500)).build().unwrap();
    assert!(client.get(&heavy).send().await.is_err(), "the render finished within 1.5 s");
    drop(client);
    let left = Instant::now();
    while queue_depth(&s).await > 0 {
        assert!(left.elapsed() < Duration::from_secs(5), "the render kept running after its client left");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A source over `max_source_bytes` is refused from its size on disk: never read whole
/// (a sparse 512 MiB file here; the refusal names the limit, and no source bytes are counted).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_huge_local_file_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let f = std::fs::File::create(dir.path().join("huge.jpg")).unwrap();
    f.set_len(512 << 20).unwrap();
    drop(f);
    let mut c = config(dir.path().to_path_buf());
    c.limits.max_source_bytes = 1 << 20;
    let s = start_server(c).await;
    let (status, body) = error_of(reqwest::get(s.url("/tr:w-10/huge.jpg")).await.unwrap()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["key"], "max_source_bytes");
    let text = reqwest::get(s.url("/metrics")).await.unwrap().text().await.unwrap();
    let read: f64 =
        text.lines().find_map(|l| l.strip_prefix("xformd_source_bytes ")).and_then(|v| v.trim().parse().ok()).unwrap();
    assert_eq!(read, 0.0, "source bytes were read");
}

/// A 40-byte GIF whose 1 × 1 screen holds one frame of 15000 × 15000: the size check read
/// the screen only, and the decoder allocated for the frame (225 MP, 900 MB of RGBA, under
/// the 1 GiB buffer limit). The frame's own size is checked now: 413 before decoding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_gif_frame_larger_than_its_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut gif = b"GIF89a".to_vec();
    gif.extend([1, 0, 1, 0, 0, 0, 0]); // screen 1 × 1, no global colour table
    gif.push(0x2C);
    gif.extend([0, 0, 0, 0]); // left, top
    gif.extend(15000u16.to_le_bytes());
    gif.extend(15000u16.to_le_bytes());
    gif.push(0x80); // a local colour table of two entries
    gif.extend([0, 0, 0, 255, 255, 255]);
    gif.extend([2, 1, 0x2C, 0]); // LZW minimum code size 2: clear, end
    gif.push(0x3B);
    std::fs::write(dir.path().join("tall.gif"), &gif).unwrap();
    let s = start_server(config(dir.path().to_path_buf())).await;
    for path in ["/tr:w-10/tall.gif", "/tr:w-10,f-gif/tall.gif", "/tr:w-10,f-png/tall.gif"] {
        let (status, body) = error_of(reqwest::get(s.url(path)).await.unwrap()).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}: {body}");
        assert!(body["message"].as_str().unwrap_or_default().contains("15000x15000"), "{body}");
    }
}

/// A small PNG of a large, flat canvas blurred: each buffer stays under `max_alloc`, but the
/// job holds the frame, a 16-bit plane and the output at once. The budget is per job now:
/// 413 naming `max_alloc` before decoding (before: rendered, holding 4× the frame).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_small_png_holds_gigabytes_over_its_chain() {
    let dir = tempfile::tempdir().unwrap();
    let (w, h) = (2600u32, 2600u32);
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new_with_quality(
        &mut png,
        image::codecs::png::CompressionType::Fast,
        image::codecs::png::FilterType::NoFilter,
    )
    .write_image(&vec![0u8; (w * h * 4) as usize], w, h, image::ExtendedColorType::Rgba8)
    .unwrap();
    assert!(png.len() < 1 << 20, "the source is small: {} bytes", png.len());
    std::fs::write(dir.path().join("flat.png"), &png).unwrap();
    let mut c = config(dir.path().to_path_buf());
    // 64 MiB per buffer: the 27 MB frame and its 54 MB plane each fit, the four together not.
    c.limits.max_alloc = 64 << 20;
    let s = start_server(c).await;
    let (status, body) = error_of(reqwest::get(s.url("/tr:bl-10/flat.png")).await.unwrap()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["key"], "max_alloc");
    // A thumbnail first is fine.
    let r = reqwest::get(s.url("/tr:w-100:bl-10/flat.png")).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
