//! Animated GIF/WebP through the real stack (HTTP front end → gRPC → daemon): every frame
//! in, every frame out for `f-gif`, `f-webp` and `f-auto`; the first frame for an explicit
//! still format; `limits.max_frames` → 413 naming `frames`; GPU vs CPU on a tiny animation.
//!
//! Uses `photos/newtonscradle.gif` (200×150, 36 frames) from the shared media set at
//! `../shared/media`; tests needing it are skipped with a note when it is absent.

use std::io::Cursor;
use std::path::PathBuf;

use image::codecs::gif::GifDecoder;
use image::codecs::webp::WebPDecoder;
use image::AnimationDecoder;
use reqwest::StatusCode;
use xformd::config::Config;
use xformd::media::animation::{self, AnimFrame, Animation, Looping};
use xformd::media::encode::EncodeOptions;
use xformd::media::Frame;

use crate::common::{config, gpu_tests_required, start_server};

const CRADLE: &str = "photos/newtonscradle.gif";

fn shared_media() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/media")
}

/// The shared media config and the source bytes; `None` (test skipped) without the file.
fn cradle_config() -> Option<(Config, Vec<u8>)> {
    let Ok(bytes) = std::fs::read(shared_media().join(CRADLE)) else {
        eprintln!("skipping: {CRADLE} is not in ../shared/media");
        return None;
    };
    Some((config(shared_media()), bytes))
}

/// (width, height, delay in ms) of every frame, decoded by `image`.
fn frames_of(bytes: &[u8], mime: &str) -> Vec<(u32, u32, u32)> {
    let frames = match mime {
        "image/gif" => GifDecoder::new(Cursor::new(bytes)).unwrap().into_frames(),
        "image/webp" => {
            let d = WebPDecoder::new(Cursor::new(bytes)).unwrap();
            assert!(d.has_animation(), "WebP is not animated");
            d.into_frames()
        }
        other => panic!("not an animation: {other}"),
    };
    frames
        .map(|f| {
            let f = f.unwrap();
            let (n, d) = f.delay().numer_denom_ms();
            let b = f.buffer();
            (b.width(), b.height(), n / d.max(1))
        })
        .collect()
}

/// The source's frames resized to 120×90 by `image` (Triangle filter), as references.
fn source_at_120(src: &[u8]) -> Vec<image::RgbaImage> {
    GifDecoder::new(Cursor::new(src))
        .unwrap()
        .into_frames()
        .map(|f| image::imageops::resize(f.unwrap().buffer(), 120, 90, image::imageops::FilterType::Triangle))
        .collect()
}

/// Share of pixels off by more than 64 levels in some channel.
fn wrong(a: &image::RgbaImage, b: &image::RgbaImage) -> f64 {
    let n = a.pixels().zip(b.pixels()).filter(|(p, q)| p.0.iter().zip(q.0).any(|(x, y)| x.abs_diff(y) > 64)).count();
    n as f64 / f64::from(a.width() * a.height())
}

async fn get(s: &crate::common::Servers, path: &str, accept: &str) -> (StatusCode, String, Vec<u8>) {
    let resp = reqwest::Client::new().get(s.url(path)).header("accept", accept).send().await.unwrap();
    let status = resp.status();
    let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, ct, resp.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn animated_gif_stays_animated_with_its_delays() {
    let Some((c, src)) = cradle_config() else { return };
    let source = frames_of(&src, "image/gif");
    assert_eq!(source.len(), 36);
    let s = start_server(c).await;
    let (status, ct, body) = get(&s, &format!("/tr:w-120,f-gif/{CRADLE}"), "*/*").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "image/gif");
    let out = frames_of(&body, "image/gif");
    assert_eq!(out.len(), 36);
    // 200×150 → w-120 keeps the aspect ratio: 120×90.
    assert!(out.iter().all(|&(w, h, _)| (w, h) == (120, 90)), "{out:?}");
    let delays = |v: &[(u32, u32, u32)]| v.iter().map(|f| f.2).collect::<Vec<_>>();
    // The source's delays vary (50, 20, …, 40, …): each one is kept in place.
    assert_eq!(delays(&out), delays(&source));
    // Content: each output frame against its source frame resized here by `image`
    // (Triangle filter). Counted: pixels off by more than 64 levels in some channel. The
    // GIF palette, the other resampling filter and the encoder keeping pixels within 4
    // levels of the previous frame leave none (measured 0 of 10 800 in every frame); the
    // next source frame, where a ball moved, has up to 80 (0.74 %), so a frame shown from
    // the wrong time, or a kept region that should have changed, fails at > 5 (0.05 %).
    let src_frames = source_at_120(&src);
    let out_frames: Vec<image::RgbaImage> =
        GifDecoder::new(Cursor::new(&body[..])).unwrap().into_frames().map(|f| f.unwrap().into_buffer()).collect();
    for (i, (a, b)) in src_frames.iter().zip(&out_frames).enumerate() {
        assert!(wrong(a, b) <= 0.0005, "frame {i}: {:.4} of the pixels are wrong", wrong(a, b));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn animated_gif_to_animated_webp() {
    let Some((c, src)) = cradle_config() else { return };
    let s = start_server(c).await;
    let (status, ct, body) = get(&s, &format!("/tr:w-120,f-webp/{CRADLE}"), "*/*").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "image/webp");
    let out = frames_of(&body, "image/webp");
    assert_eq!(out.len(), 36);
    assert!(out.iter().all(|&(w, h, _)| (w, h) == (120, 90)), "{out:?}");
    // Every delay, the last one included (webp 0.3.1 would give it the average).
    let delays = |v: &[(u32, u32, u32)]| v.iter().map(|f| f.2).collect::<Vec<_>>();
    assert_eq!(delays(&out), delays(&frames_of(&src, "image/gif")));
    // Content, as for the GIF (`animated_gif_stays_animated_with_its_delays`).
    let out_frames = WebPDecoder::new(Cursor::new(&body[..])).unwrap().into_frames();
    for (i, (a, b)) in source_at_120(&src).iter().zip(out_frames).enumerate() {
        let b = b.unwrap().into_buffer();
        assert!(wrong(a, &b) <= 0.0005, "frame {i}: {:.4} of the pixels are wrong", wrong(a, &b));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explicit_still_format_keeps_the_first_frame() {
    let Some((c, _)) = cradle_config() else { return };
    let s = start_server(c).await;
    let (status, ct, body) = get(&s, &format!("/tr:w-120,f-jpg/{CRADLE}"), "image/webp,*/*").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ct, "image/jpeg");
    let img = image::load_from_memory(&body).unwrap();
    assert_eq!((img.width(), img.height()), (120, 90));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f_auto_gives_animated_webp_or_gif() {
    let Some((c, _)) = cradle_config() else { return };
    let s = start_server(c).await;
    for path in [format!("/tr:w-120,f-auto/{CRADLE}"), format!("/tr:w-120/{CRADLE}")] {
        let chrome = "image/avif,image/webp,image/apng,image/*,*/*;q=0.8";
        let (status, ct, body) = get(&s, &path, chrome).await;
        assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/webp"), "{path}");
        assert_eq!(frames_of(&body, "image/webp").len(), 36, "{path}");
        let (status, ct, body) = get(&s, &path, "*/*").await;
        assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/gif"), "{path}");
        assert_eq!(frames_of(&body, "image/gif").len(), 36, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f_auto_variants_are_cached_apart() {
    let Some((mut c, _)) = cradle_config() else { return };
    let dir = tempfile::tempdir().unwrap();
    c.cache.enabled = true;
    c.cache.dir = dir.path().to_path_buf();
    let s = start_server(c).await;
    let path = format!("/tr:w-60/{CRADLE}");
    // Both headers negotiate a still to AVIF; only the first takes WebP.
    for _ in 0..2 {
        let (_, ct, _) = get(&s, &path, "image/avif,image/webp").await;
        assert_eq!(ct, "image/webp");
        let (_, ct, _) = get(&s, &path, "image/avif").await;
        assert_eq!(ct, "image/gif");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_dependent_steps_give_the_first_frame_in_the_animated_format() {
    let Some((c, _)) = cradle_config() else { return };
    let s = start_server(c).await;
    // Trim measures each frame; it runs on the first frame only, still a GIF under f-auto.
    let (status, ct, body) = get(&s, &format!("/tr:w-120,t-true/{CRADLE}"), "*/*").await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/gif"));
    assert_eq!(frames_of(&body, "image/gif").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn animated_webp_source_with_f_orig() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tiny.webp"), tiny_animation()).unwrap();
    let s = start_server(config(dir.path().to_path_buf())).await;
    let (status, ct, body) = get(&s, "/tr:w-32,f-orig/tiny.webp", "*/*").await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/webp"));
    assert_eq!(frames_of(&body, "image/webp"), [(32, 24, 100), (32, 24, 150), (32, 24, 200)]);
    let (_, ct, body) = get(&s, "/tr:w-32,f-gif/tiny.webp", "*/*").await;
    assert_eq!(ct, "image/gif");
    assert_eq!(frames_of(&body, "image/gif"), [(32, 24, 100), (32, 24, 150), (32, 24, 200)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_layer_is_drawn_on_every_frame() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tiny.webp"), tiny_animation()).unwrap();
    let logo = image::RgbaImage::from_pixel(8, 8, image::Rgba([255, 0, 0, 255]));
    logo.save(dir.path().join("logo.png")).unwrap();
    let s = start_server(config(dir.path().to_path_buf())).await;
    let path = "/tr:w-32,f-webp,lo-true,l-image,i-logo.png,lx-1,ly-1,l-end/tiny.webp";
    let (status, ct, body) = get(&s, path, "*/*").await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "image/webp"), "{}", String::from_utf8_lossy(&body));
    let frames: Vec<_> = WebPDecoder::new(Cursor::new(&body[..])).unwrap().into_frames().map(|f| f.unwrap()).collect();
    assert_eq!(frames.len(), 3);
    for (i, f) in frames.iter().enumerate() {
        // Lossless output; image-webp's frame blending may round by 1 level.
        let p = f.buffer().get_pixel(3, 3).0;
        assert!(p[0] >= 254 && p[1] <= 1 && p[2] <= 1, "frame {i}: {p:?}");
        // Outside the logo the animation's own (changing) pixels remain.
        assert_ne!(f.buffer().get_pixel(20, 20).0, [255, 0, 0, 255], "frame {i}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_frames_is_413_naming_frames() {
    let Some((mut c, _)) = cradle_config() else { return };
    c.limits.max_frames = 10;
    let s = start_server(c).await;
    let resp = reqwest::get(s.url(&format!("/tr:w-120,f-gif/{CRADLE}"))).await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "too_large", "{body}");
    assert_eq!(body["key"], "frames", "{body}");
    assert_eq!(body["value"], "36", "{body}");
    assert!(body["message"].as_str().unwrap_or("").contains("36"), "{body}");
}

/// A 3-frame 64×48 animation of smooth gradients (resampling differences stay small).
fn tiny_animation() -> Vec<u8> {
    let frames = (0..3u32)
        .map(|i| {
            let mut data = Vec::new();
            for y in 0..48u32 {
                for x in 0..64u32 {
                    let r = u8::try_from((x * 4 + i * 40) % 256).unwrap();
                    let g = u8::try_from(y * 5).unwrap();
                    data.extend_from_slice(&[r, g, u8::try_from(i * 80).unwrap(), 255]);
                }
            }
            AnimFrame { frame: Frame::from_rgba(64, 48, data).unwrap(), delay_ms: 100 + i * 50 }
        })
        .collect();
    let anim = Animation { frames, looping: Looping::Forever };
    let opts = EncodeOptions { format: xformd::job::Format::Webp, quality: 100, lossless: true, progressive: false };
    animation::encode(&anim, opts).unwrap().data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gpu_and_cpu_render_the_same_animation() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tiny.webp"), tiny_animation()).unwrap();
    let s = start_server(config(dir.path().to_path_buf())).await;
    // Lossless WebP out, so the comparison sees the backends' pixels, not an encoder's.
    let path = "/tr:w-32,f-webp,lo-true/tiny.webp";
    let mut outs = Vec::new();
    for backend in ["cpu", "gpu"] {
        let resp = reqwest::Client::new().get(s.url(path)).header("x-xformd-backend", backend).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let ran = resp.headers()["x-xformd-backend"].to_str().unwrap().to_string();
        if backend == "gpu" && ran != "gpu" {
            assert!(!gpu_tests_required(), "XFORMD_GPU_TESTS=1 but the animation ran on {ran}");
            eprintln!("skipping: no GPU adapter");
            return;
        }
        let body = resp.bytes().await.unwrap();
        let frames: Vec<Frame> = WebPDecoder::new(Cursor::new(&body[..]))
            .unwrap()
            .into_frames()
            .map(|f| {
                let b = f.unwrap().into_buffer();
                Frame::from_rgba(b.width(), b.height(), b.into_raw()).unwrap()
            })
            .collect();
        assert_eq!(frames.len(), 3, "{backend}");
        outs.push(frames);
    }
    for (i, (cpu, gpu)) in outs[0].iter().zip(&outs[1]).enumerate() {
        assert_eq!((gpu.width, gpu.height), (32, 24));
        // Same tolerance as tests/backends.rs for a resize, GPU vs the production CPU path
        // (f32 weights vs fast_image_resize's 8-bit fixed point): ≤ 12 levels, mean ≤ 0.5.
        let d = xformd::exec::compare::diff(cpu, gpu).unwrap();
        eprintln!("frame {i}: GPU vs CPU {d:?}");
        assert!(d.max_delta <= 12 && d.mean <= 0.5, "frame {i}: {d:?}");
    }
}
