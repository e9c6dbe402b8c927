//! `f-svg` end to end: an SVG document that carries exactly the picture `f-png` gives.

use base64::Engine;
use reqwest::StatusCode;

use crate::common::{config, decode, media_dir, start_server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn f_svg_wraps_the_rendered_png() {
    let s = start_server(config(media_dir())).await;
    let client = reqwest::Client::new();
    let resp = client.get(s.url("/tr:w-200,r-20,f-svg/photos/coffee.png")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "image/svg+xml");
    let svg = resp.text().await.unwrap();
    assert!(svg.contains("width=\"200\" height=\"133\""), "{}", &svg[..svg.len().min(200)]);
    let b64 = svg.split("base64,").nth(1).and_then(|r| r.split('"').next()).expect("an embedded PNG");
    let png = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
    let inner = decode(&png);
    let want = client.get(s.url("/tr:w-200,r-20,f-png/photos/coffee.png")).send().await.unwrap();
    let want = decode(&want.bytes().await.unwrap());
    assert_eq!((inner.width, inner.height), (200, 133));
    assert_eq!(inner.data, want.data, "the SVG carries the PNG rendering, rounded corners' alpha included");
}
