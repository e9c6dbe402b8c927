//! Video through the whole stack: HTTP front end → `CutVideo` / `Transform` over gRPC →
//! daemon → FFmpeg, on the bundled `media/video/bigbuckbunny.mp4` (1280×720, 25 fps, 5.312 s,
//! H.264 + AAC).
//!
//! Results are read back with `xformd::video::ProcessBackend::probe` after writing the body to
//! a temporary file. Tolerances, and why:
//! * cut duration within one frame (1/25 s) of `eo − so`: the requirement.
//! * Range bodies must equal the same bytes of a full GET exactly: each request cuts again,
//!   and libx264 is deterministic, so any difference is a bug (see `frontend::video`).
//!
//! Most cuts here carry `w-320` so that the re-encode stays cheap on small CI machines.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use xformd::limits::Limits;
use xformd::video::{ProcessBackend, VideoBackend, VideoInfo};

use crate::common::{config, decode, media_dir, start_server};

const FRAME: f64 = 1.0 / 25.0;

/// Probe `bytes` as a file with extension `ext`.
fn probe(bytes: &[u8], ext: &str) -> VideoInfo {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("out.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    ProcessBackend::with_helper(env!("CARGO_BIN_EXE_xformd-ffmpeg").into(), Limits::default()).probe(&path).unwrap()
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.unwrap()
}

async fn error_key(resp: reqwest::Response) -> (StatusCode, Option<String>) {
    let status = resp.status();
    let v: serde_json::Value = resp.json().await.unwrap();
    (status, v["key"].as_str().map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imagekit_cut_is_two_seconds_of_mp4() {
    let s = start_server(config(media_dir())).await;
    let resp = get(&s.url("/tr:so-1,eo-3,w-320/video/bigbuckbunny.mp4")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "video/mp4");
    assert_eq!(resp.headers()["accept-ranges"], "bytes");
    // Streamed: chunked transfer, no length up front.
    assert_eq!(resp.headers()["transfer-encoding"], "chunked");
    assert!(!resp.headers().contains_key("content-length"));
    let body = resp.bytes().await.unwrap();
    let info = probe(&body, "mp4");
    assert!((info.duration_secs - 2.0).abs() <= FRAME, "duration {}", info.duration_secs);
    assert_eq!((info.width, info.height), (320, 180));
    assert_eq!(info.video_codec, "h264");
    assert_eq!(info.audio.as_ref().map(|a| a.codec.as_str()), Some("aac"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cloudinary_video_url_cuts_the_same_window() {
    let s = start_server(config(media_dir())).await;
    let resp = get(&s.url("/video/upload/so_1,eo_3,w_320/video/bigbuckbunny.mp4")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "video/mp4");
    let info = probe(&resp.bytes().await.unwrap(), "mp4");
    assert!((info.duration_secs - 2.0).abs() <= FRAME, "duration {}", info.duration_secs);
    assert_eq!(info.width, 320);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_and_head_answer_from_the_same_bytes() {
    let s = start_server(config(media_dir())).await;
    let url = s.url("/tr:so-1,du-1,w-320/video/bigbuckbunny.mp4");
    // A full GET streams the cut and keeps it for the ranges that follow (cuts made
    // separately need not be byte-identical, see `frontend::video`).
    let full = get(&url).await.bytes().await.unwrap();
    assert!(full.len() > 2000, "cut too small: {}", full.len());
    let len = full.len();
    let client = reqwest::Client::new();

    let resp = client.get(&url).header("range", "bytes=100-1099").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(resp.headers()["content-range"], format!("bytes 100-1099/{len}").as_str());
    assert_eq!(resp.headers()["content-length"], "1000");
    assert_eq!(resp.headers()["content-type"], "video/mp4");
    assert_eq!(&resp.bytes().await.unwrap()[..], &full[100..1100]);

    let resp = client.get(&url).header("range", "bytes=-500").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(&resp.bytes().await.unwrap()[..], &full[len - 500..]);

    let resp = client.get(&url).header("range", format!("bytes={len}-")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(resp.headers()["content-range"], format!("bytes */{len}").as_str());

    let resp = client.head(&url).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-length"], len.to_string().as_str());
    assert_eq!(resp.headers()["content-type"], "video/mp4");

    // A Range request first (as players do): the cut is buffered, kept, and the full GET
    // that follows has the same bytes.
    let other = s.url("/tr:so-2,du-1,w-320/video/bigbuckbunny.mp4");
    let resp = client.get(&other).header("range", "bytes=0-99").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
    let head = resp.bytes().await.unwrap();
    let whole = get(&other).await.bytes().await.unwrap();
    assert_eq!(&head[..], &whole[..100]);
    assert!(probe(&whole, "mp4").duration_secs > 0.9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thumbnail_is_a_200_px_jpeg() {
    let s = start_server(config(media_dir())).await;
    let resp = get(&s.url("/tr:w-200/video/bigbuckbunny.mp4/ik-thumbnail.jpg")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    let first = decode(&resp.bytes().await.unwrap());
    // 1280×720 → 200 × round(720·200/1280) = 200×113.
    assert_eq!((first.width, first.height), (200, 113));

    // `so` picks another frame: the camera moves between 0 s and 2 s, so the two frames
    // differ by far more than JPEG noise (a mean absolute difference of a few units).
    let resp = get(&s.url("/tr:so-2,w-200/video/bigbuckbunny.mp4/ik-thumbnail.jpg")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let later = decode(&resp.bytes().await.unwrap());
    assert_eq!((later.width, later.height), (200, 113));
    let mad = |a: &xformd::media::Frame, b: &xformd::media::Frame| {
        let sum: u64 = a.data.iter().zip(&b.data).map(|(&x, &y)| u64::from(x.abs_diff(y))).sum();
        sum as f64 / a.data.len() as f64
    };
    assert!(mad(&first, &later) > 10.0, "frames at 0 s and 2 s alike: {}", mad(&first, &later));

    // Cloudinary: a video public ID with an image extension is its thumbnail.
    let resp = get(&s.url("/video/upload/so_2,w_200/video/bigbuckbunny.jpg")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    let cld = decode(&resp.bytes().await.unwrap());
    assert_eq!(cld.width, 200);
    // The same frame through the same steps: identical up to nothing at all.
    assert_eq!((cld.width, cld.height), (200, 113));
    assert!(mad(&cld, &later) < 0.5, "Cloudinary thumbnail differs: {}", mad(&cld, &later));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_errors_are_400_naming_the_key() {
    let s = start_server(config(media_dir())).await;
    let (status, key) = error_key(get(&s.url("/tr:so-9/video/bigbuckbunny.mp4")).await).await;
    assert_eq!((status, key.as_deref()), (StatusCode::BAD_REQUEST, Some("so")));
    let (status, key) = error_key(get(&s.url("/tr:so-3,eo-2/video/bigbuckbunny.mp4")).await).await;
    assert_eq!((status, key.as_deref()), (StatusCode::BAD_REQUEST, Some("eo")));
    let (status, key) = error_key(get(&s.url("/tr:rt-45/video/bigbuckbunny.mp4")).await).await;
    assert_eq!((status, key.as_deref()), (StatusCode::BAD_REQUEST, Some("rt")));
    let (status, key) = error_key(get(&s.url("/tr:so-9/video/bigbuckbunny.mp4/ik-thumbnail.jpg")).await).await;
    assert_eq!((status, key.as_deref()), (StatusCode::BAD_REQUEST, Some("so")));
    let resp = get(&s.url("/tr:so-1/video/missing.mp4")).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_video_is_422() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.mp4"), "this is not a video, only text\n".repeat(50)).unwrap();
    let s = start_server(config(dir.path().to_owned())).await;
    let resp = get(&s.url("/tr:so-1/x.mp4")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = get(&s.url("/x.mp4/ik-thumbnail.jpg")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing was written next to the source.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webm_output_explicit_and_negotiated() {
    let s = start_server(config(media_dir())).await;
    let resp = get(&s.url("/tr:so-1,du-1,w-320,f-webm/video/bigbuckbunny.mp4")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "video/webm");
    let info = probe(&resp.bytes().await.unwrap(), "webm");
    assert!(info.container.contains("webm") || info.container.contains("matroska"), "{}", info.container);
    assert_eq!(info.video_codec, "vp9");
    assert_eq!(info.audio.as_ref().map(|a| a.codec.as_str()), Some("opus"));
    assert!((info.duration_secs - 1.0).abs() <= FRAME + 0.01, "duration {}", info.duration_secs);

    // f-auto: WebM only for a client that rates it above MP4; then `Vary: Accept`.
    let resp = reqwest::Client::new()
        .get(s.url("/tr:so-1,du-0.5,w-160/video/bigbuckbunny.mp4"))
        .header("accept", "video/webm,video/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "video/webm");
    assert_eq!(resp.headers()["vary"], "Accept");
}

/// Dropping a `CutVideo` call while FFmpeg works cancels it: the worker sees the flag at its
/// next packet and hands its permit back at once, long before the cut would have finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vanished_client_cancels_the_cut() {
    use xformd::service::convert::job_to_proto;
    use xformd::service::proto as pb;
    use xformd::service::proto::transformer_client::TransformerClient;

    let app = xformd::app::App::new(config(media_dir())).unwrap();
    let line = Arc::clone(&app.video_admission);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(xformd::service::serve(
        listener,
        async {
            let _ = stopped.await;
        },
        app,
    ));
    // The whole clip at full size, rotated and at high quality: seconds of work.
    let job =
        xformd::url::to_job("/tr:w-1280,h-720,c-force,rt-90,q-95/video/bigbuckbunny.mp4", None, &Default::default())
            .unwrap()
            .job;
    let request = pb::TransformRequest { job: Some(job_to_proto(&job)), ..Default::default() };
    let mut client = TransformerClient::connect(format!("http://{addr}")).await.unwrap();
    let call = client.cut_video(request);
    // Give the daemon time to start FFmpeg, then go away.
    let _ = tokio::time::timeout(Duration::from_millis(700), call).await;
    let busy = line.depth(xformd::app::VIDEO_CONCURRENCY) > 0;
    assert!(busy, "the cut was not running when the client left");
    let left = Instant::now();
    drop(client);
    while line.depth(xformd::app::VIDEO_CONCURRENCY) > 0 {
        assert!(left.elapsed() < Duration::from_secs(2), "the cut kept running after the client left");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = stop.send(());
}
