//! GPU against CPU through the whole pipeline (issue #14): the cases `backends` does not
//! reach op by op — text layers, solid layers, layers with their own steps, vertical flip,
//! face-anchored crop, trim, and the frames of a real animation — each on a full-size photo,
//! requested over HTTP twice (`x-xformd-backend: cpu`, then `gpu`) with lossless output, with
//! the tolerance written next to each case.
//!
//! With `XFORMD_GPU_TESTS=1` (as `make test` sets) a GPU request answered by the CPU fails.

use std::io::Cursor;
use std::path::PathBuf;

use image::AnimationDecoder;
use reqwest::StatusCode;
use xformd::exec::compare::{visible_diff, FrameDiff};
use xformd::media::Frame;

use crate::common::{config, decode, gpu_tests_required, media_dir, start_server, Servers};

/// The body of `path` rendered on `backend`, or `None` when the GPU was asked for and the CPU
/// answered (no adapter, allowed only without `XFORMD_GPU_TESTS`).
async fn render(s: &Servers, path: &str, backend: &str) -> Option<Vec<u8>> {
    let resp = reqwest::Client::new().get(s.url(path)).header("x-xformd-backend", backend).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path} on {backend}");
    let ran = resp.headers()["x-xformd-backend"].to_str().unwrap().to_string();
    if ran != backend {
        assert!(!gpu_tests_required(), "{path}: asked for {backend}, ran on {ran}");
        eprintln!("skipping {path}: ran on {ran}");
        return None;
    }
    Some(resp.bytes().await.unwrap().to_vec())
}

/// CPU and GPU frames of `path` (a still, PNG out) and their difference.
async fn both(s: &Servers, path: &str) -> Option<(Frame, Frame, FrameDiff)> {
    let cpu = decode(&render(s, path, "cpu").await?);
    let gpu = decode(&render(s, path, "gpu").await?);
    assert_eq!((gpu.width, gpu.height), (cpu.width, cpu.height), "{path}");
    let d = visible_diff(&cpu, &gpu).unwrap();
    eprintln!("{path}: {d:?}");
    Some((cpu, gpu, d))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpu_matches_cpu_on_layers_flips_face_crops_and_trim() {
    let s = start_server(config(media_dir())).await;
    // (path, largest channel difference, minimum PSNR, why).
    let cases: &[(&str, u8, f64, &str)] = &[
        // Layer pixels are made on the CPU for both backends (text shaping, the layer's own
        // steps); the GPU composites them in f32 and rounds once on readback: ≤ 1 level, a few
        // more where a half-transparent box edge meets rounding.
        (
            "/tr:l-text,i-Hello%20xformd,fs-120,co-FFFFFF,bg-00000080,pa-20,r-16,l-end,f-png/photos/LadyBird.jpg",
            3,
            50.0,
            "text layer with a translucent rounded box",
        ),
        (
            "/tr:l-image,i-ik_canvas,bg-FF000080,w-600,h-300,r-40,rt-15,lx-100,ly-200,l-end,f-png/photos/LadyBird.jpg",
            3,
            50.0,
            "solid layer with its own size, radius and rotation",
        ),
        (
            "/tr:l-image,i-photos@@astronaut.png,w-800,e-grayscale,fl-v,bl-4,lfo-bottom_right,l-end,f-png/photos/LadyBird.jpg",
            3,
            50.0,
            "image layer with its own resize, grayscale, flip and blur",
        ),
        // Pixel moves are exact after the f32 round trip.
        ("/tr:fl-v,f-png/photos/LadyBird.jpg", 1, 60.0, "vertical flip"),
        ("/tr:fl-h_v,rt-90,f-png/photos/LadyBird.jpg", 1, 60.0, "both flips and a quarter turn"),
        // The face is found on the CPU for both; the window is cut on the device, then
        // resized (GPU f32 weights against fast_image_resize's fixed point: the resize case's
        // tolerance in `backends`).
        ("/tr:w-300,h-300,fo-face,f-png/photos/astronaut.png", 12, 40.0, "face-anchored crop and resize"),
        ("/tr:cm-extract,w-200,h-200,fo-face,f-png/photos/astronaut.png", 1, 60.0, "face-anchored extract"),
        // Trim measures on the CPU and crops on the device: exact.
        (
            "/tr:w-2000,h-2000,cm-pad_resize,bg-FFFFFF:t-true,f-png/photos/LadyBird.jpg",
            12,
            40.0,
            "pad then trim (the pad's resize dominates the difference)",
        ),
    ];
    for &(path, max_delta, psnr, why) in cases {
        let Some((cpu, _, d)) = both(&s, path).await else { return };
        assert!(d.max_delta <= max_delta && d.psnr >= psnr, "{why}: {path}: {d:?}");
        // The case renders something other than a flat frame (it could not pass by accident).
        assert!(cpu.data.chunks_exact(4).any(|p| p != &cpu.data[..4]), "{why}: flat output");
    }
    // Trim did trim, on both.
    let (cpu, gpu, _) =
        both(&s, "/tr:w-2000,h-2000,cm-pad_resize,bg-FFFFFF:t-true,f-png/photos/LadyBird.jpg").await.unwrap();
    assert_eq!((cpu.width, cpu.height), (2000, 1250));
    assert_eq!((gpu.width, gpu.height), (2000, 1250));
}

/// The bundled-elsewhere Newton's cradle (`../shared/media/photos/newtonscradle.gif`), every
/// frame resized with rounded corners, lossless animated WebP out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpu_matches_cpu_on_every_frame_of_a_real_animation() {
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/media");
    if !shared.join("photos/newtonscradle.gif").exists() {
        eprintln!("skipping: ../shared/media/photos/newtonscradle.gif is absent");
        return;
    }
    let s = start_server(config(shared)).await;
    let path = "/tr:w-240,r-30,f-webp,lo-true/photos/newtonscradle.gif";
    let frames = |body: &[u8]| -> Vec<Frame> {
        image::codecs::webp::WebPDecoder::new(Cursor::new(body))
            .unwrap()
            .into_frames()
            .map(|f| {
                let b = f.unwrap().into_buffer();
                Frame::from_rgba(b.width(), b.height(), b.into_raw()).unwrap()
            })
            .collect()
    };
    let Some(cpu) = render(&s, path, "cpu").await else { return };
    let Some(gpu) = render(&s, path, "gpu").await else { return };
    let (cpu, gpu) = (frames(&cpu), frames(&gpu));
    assert!(cpu.len() > 10, "{} frames", cpu.len());
    assert_eq!(cpu.len(), gpu.len());
    for (i, (c, g)) in cpu.iter().zip(&gpu).enumerate() {
        // The resize tolerance of `backends` (f32 weights against fast_image_resize's 8-bit
        // fixed point): ≤ 12 levels, PSNR ≥ 40 dB; the corners are exact.
        let d = visible_diff(c, g).unwrap();
        assert!(d.max_delta <= 12 && d.psnr >= 40.0, "frame {i}: {d:?}");
    }
}
