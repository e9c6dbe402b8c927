//! Padding backgrounds end to end over the HTTP front end and the gRPC daemon:
//! `bg-gradient_dominant[_2|_4]` (issue #15). The GPU twin is in `backends` (pad cases).

use reqwest::StatusCode;
use xformd::media::Frame;

use crate::common::{config, decode, media_dir, start_server, Servers};

async fn get(s: &Servers, path: &str, backend: &str) -> Frame {
    let resp = reqwest::Client::new().get(s.url(path)).header("x-xformd-backend", backend).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    decode(&resp.bytes().await.unwrap())
}

fn near(a: [u8; 4], b: [u8; 4], tol: u8) -> bool {
    a.iter().zip(b).all(|(p, q)| p.abs_diff(q) <= tol)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gradient_dominant_fills_the_bars_with_the_images_own_colours() {
    let s = start_server(config(media_dir())).await;
    // coffee.png is 600×400: fitted into 300×300 it is 300×200 with 50 px bars above and below.
    let out = get(&s, "/tr:w-300,h-300,cm-pad_resize,bg-gradient_dominant,f-png/photos/coffee.png", "cpu").await;
    assert_eq!((out.width, out.height), (300, 300));
    let (top, bottom) = (out.pixel(150, 0), out.pixel(150, 299));
    assert_ne!(top, bottom, "two colours");
    // Each bar is a vertical gradient: constant along a row, changing down the column.
    assert_eq!(out.pixel(0, 10), out.pixel(299, 10));
    assert_ne!(out.pixel(0, 0), out.pixel(0, 49));
    // The palette is the image's: the top colour is the same as bg-dominant's.
    let dom = get(&s, "/tr:w-300,h-300,cm-pad_resize,bg-dominant,f-png/photos/coffee.png", "cpu").await;
    assert!(near(top, dom.pixel(0, 0), 1), "{top:?} vs {:?}", dom.pixel(0, 0));
    // The image itself is untouched by the background.
    let plain = get(&s, "/tr:w-300,h-300,cm-pad_resize,f-png/photos/coffee.png", "cpu").await;
    assert_eq!(out.pixel(150, 150), plain.pixel(150, 150));

    // Four colours in the corners of a canvas padded on the sides (pad_extract, no resize).
    let out = get(&s, "/tr:w-800,h-400,cm-pad_extract,bg-gradient_dominant_4,f-png/photos/coffee.png", "cpu").await;
    assert_eq!((out.width, out.height), (800, 400));
    let corners = [out.pixel(0, 0), out.pixel(799, 0), out.pixel(799, 399), out.pixel(0, 399)];
    assert_ne!(corners[0], corners[1]);
    assert_ne!(corners[1], corners[2]);
    // The GPU path gives the same picture (the canvas is made by the same CPU function).
    let gpu = get(&s, "/tr:w-800,h-400,cm-pad_extract,bg-gradient_dominant_4,f-png/photos/coffee.png", "gpu").await;
    assert!(near(gpu.pixel(0, 0), corners[0], 1) && near(gpu.pixel(799, 399), corners[2], 1));

    // Without padding the gradient has nowhere to go: 400 naming bg.
    let resp =
        reqwest::Client::new().get(s.url("/tr:w-300,bg-gradient_dominant/photos/coffee.png")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(resp.text().await.unwrap().contains("gradient_dominant"));
}
