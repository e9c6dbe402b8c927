//! Pixel analysis behind `fo-auto`, `fo-face` (with `z`) and `lfo-face`: the analysis API on
//! real photos and a synthetic image, and the same through the HTTP front end.
//!
//! Face ground truth: in `photos/astronaut.png` (512×512, Eileen Collins) the face occupies
//! roughly x 180–300, y 60–210 (checked by eye on the crop these tests produce);
//! `photos/LadyBird.jpg` (a macro of a ladybird) has no face.

use reqwest::StatusCode;
use xformd::exec::cpu::analysis::{centred_window, face, largest_face_centre, resolve_anchor};
use xformd::limits::Limits;
use xformd::media::Frame;
use xformd::plan::Anchor;

use crate::common::{config, decode, media_dir, start_server, Servers};

fn photo(name: &str) -> Frame {
    decode(&std::fs::read(media_dir().join("photos").join(name)).unwrap())
}

fn in_face(x: f64, y: f64) -> bool {
    (180.0..=300.0).contains(&x) && (60.0..=210.0).contains(&y)
}

async fn get(s: &Servers, path: &str) -> reqwest::Response {
    reqwest::Client::new().get(s.url(path)).header("x-xformd-backend", "cpu").send().await.unwrap()
}

/// A flat grey 400×300 image with a bright checkered 60 px square at (300, 40).
fn square_png(dir: &std::path::Path) {
    let mut img = image::RgbImage::from_pixel(400, 300, image::Rgb([90, 90, 90]));
    for y in 40..100 {
        for x in 300..360 {
            let v = if (x / 6 + y / 6) % 2 == 0 { 255 } else { 160 };
            img.put_pixel(x, y, image::Rgb([v, v / 2, 20]));
        }
    }
    img.save(dir.join("square.png")).unwrap();
}

#[test]
fn astronaut_face_is_found_and_ladybird_has_none() {
    let a = photo("astronaut.png");
    let faces = face::detect(&a);
    let (cx, cy) = faces.first().expect("a face").centre();
    assert!(in_face(cx, cy), "face centre {cx},{cy} in {faces:?}");
    assert!(faces[0].width > 60.0 && faces[0].width < 220.0, "{faces:?}");
    assert_eq!(largest_face_centre(&a), Some((cx, cy)));
    assert!(face::detect(&photo("LadyBird.jpg")).is_empty(), "no face in LadyBird");
}

#[test]
fn face_anchor_windows_contain_the_face_and_no_face_centres() {
    let a = photo("astronaut.png");
    // Detection is the slow part in debug builds: detect once, place several windows.
    let faces = face::detect(&a);
    let (cx, cy) = faces[0].centre();
    for (w, h) in [(160, 160), (200, 512), (512, 150), (60, 60)] {
        let (wx, wy) = face::window_centre(&faces, 1.0, (w, h)).unwrap();
        let (x, y) = centred_window(wx, wy, w, h, 512, 512);
        assert!(x + w <= 512 && y + h <= 512);
        assert!(f64::from(x) <= cx && cx <= f64::from(x + w) && f64::from(y) <= cy && cy <= f64::from(y + h));
    }
    assert_eq!(resolve_anchor(&a, 160, 160, Anchor::Face { zoom: 1.0 }), {
        let (wx, wy) = face::window_centre(&faces, 1.0, (160, 160)).unwrap();
        centred_window(wx, wy, 160, 160, 512, 512)
    });
    let flat = Frame::filled(&Limits::default(), 300, 200, [120, 120, 120, 255]).unwrap();
    assert_eq!(resolve_anchor(&flat, 100, 100, Anchor::Face { zoom: 2.0 }), (100, 50));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fo_face_crops_around_the_face() {
    let s = start_server(config(media_dir())).await;
    let resp = get(&s, "/tr:cm-extract,w-160,h-160,fo-face,z-1.5,f-png/photos/astronaut.png").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.unwrap();
    if let Ok(dir) = std::env::var("XFORMD_TEST_SAVE") {
        std::fs::write(std::path::Path::new(&dir).join("fo-face.png"), &bytes).unwrap();
    }
    let out = decode(&bytes);
    assert_eq!((out.width, out.height), (160, 160));
    let src = photo("astronaut.png");
    let (x, y) = resolve_anchor(&src, 160, 160, Anchor::Face { zoom: 1.5 });
    assert!(in_face(f64::from(x) + 80.0, f64::from(y) + 80.0), "window at {x},{y}");
    // The response is exactly that window of the source.
    for (ox, oy) in [(0, 0), (80, 80), (159, 159), (10, 150)] {
        assert_eq!(out.pixel(ox, oy), src.pixel(x + ox, y + oy));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lfo_face_places_the_layer_on_the_face_and_skips_it_without_one() {
    let s = start_server(config(media_dir())).await;
    let layer = "l-image,i-ik_canvas,bg-FF00FF,w-20,h-20,lfo-face,l-end";
    let resp = get(&s, &format!("/tr:f-png,{layer}/photos/astronaut.png")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let out = decode(&resp.bytes().await.unwrap());
    let (mut n, mut sx, mut sy) = (0u32, 0.0, 0.0);
    for y in 0..out.height {
        for x in 0..out.width {
            if out.pixel(x, y) == [255, 0, 255, 255] {
                (n, sx, sy) = (n + 1, sx + f64::from(x) + 0.5, sy + f64::from(y) + 0.5);
            }
        }
    }
    assert_eq!(n, 400, "a whole 20×20 block");
    assert!(in_face(sx / 400.0, sy / 400.0), "block centre {},{}", sx / 400.0, sy / 400.0);
    // No face in LadyBird: the layer is not drawn, so the bytes equal the plain resize.
    let with = get(&s, &format!("/tr:w-400,{layer}/photos/LadyBird.jpg")).await.bytes().await.unwrap();
    let without = get(&s, "/tr:w-400/photos/LadyBird.jpg").await.bytes().await.unwrap();
    assert!(with == without);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fo_auto_keeps_the_salient_square() {
    let dir = tempfile::tempdir().unwrap();
    square_png(dir.path());
    let s = start_server(config(dir.path().to_owned())).await;
    // 400×300 → w-150,h-300 keeps the height and crops 150 px wide out of 400.
    let resp = get(&s, "/tr:w-150,h-300,fo-auto,f-png/square.png").await;
    assert_eq!(resp.status(), StatusCode::OK);
    let out = decode(&resp.bytes().await.unwrap());
    assert_eq!((out.width, out.height), (150, 300));
    let square = out.data.chunks_exact(4).filter(|p| p[2] == 20 && (p[0] == 255 || p[0] == 160)).count();
    assert_eq!(square, 3600, "the whole 60×60 square is inside the crop");
    // A centre crop (x 125–275) would have missed it entirely.
    let centre = decode(&get(&s, "/tr:w-150,h-300,f-png/square.png").await.bytes().await.unwrap());
    assert!(centre.data.chunks_exact(4).all(|p| p[2] != 20));
}
