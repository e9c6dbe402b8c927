//! Text layers end to end over the HTTP front end: placement, size, colour, padding and
//! background, wrapping, custom fonts from the origin, the 16 383 px limit, and non-Latin
//! text (shaped Devanagari from the fallback font, symbols from DejaVu Sans).
//!
//! Each test renders on `photos/coffee.png` with `f-png` (lossless), so every pixel the layer
//! did not touch equals the source; the layer is measured as the bounding box of the
//! pixels that differ from the source.

use reqwest::StatusCode;
use xformd::media::Frame;

use crate::common::{config, decode, media_dir, start_server, Servers};

/// `coffee.png` as decoded from disk.
fn source() -> Frame {
    decode(&std::fs::read(media_dir().join("photos/coffee.png")).unwrap())
}

/// Fetch `path` on the CPU backend, expecting 200.
async fn get(s: &Servers, path: &str) -> Frame {
    let resp = reqwest::Client::new().get(s.url(path)).header("x-xformd-backend", "cpu").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    decode(&resp.bytes().await.unwrap())
}

/// Bounding box (x0, y0, x1 exclusive, y1 exclusive) of pixels where `pick` holds.
fn bbox(f: &Frame, pick: impl Fn(u32, u32, [u8; 4]) -> bool) -> Option<(u32, u32, u32, u32)> {
    let mut b: Option<(u32, u32, u32, u32)> = None;
    for y in 0..f.height {
        for x in 0..f.width {
            if pick(x, y, f.pixel(x, y)) {
                b = Some(match b {
                    None => (x, y, x + 1, y + 1),
                    Some((a, c, d, e)) => (a.min(x), c.min(y), d.max(x + 1), e.max(y + 1)),
                });
            }
        }
    }
    b
}

fn changed(out: &Frame, src: &Frame) -> Option<(u32, u32, u32, u32)> {
    assert_eq!((out.width, out.height), (src.width, src.height));
    bbox(out, |x, y, p| p != src.pixel(x, y))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn red_hello_is_centred_and_sized_by_fs() {
    let s = start_server(config(media_dir())).await;
    let out = get(&s, "/tr:f-png,l-text,i-Hello,fs-40,co-FF0000,l-end/photos/coffee.png").await;
    let src = source();
    let (x0, y0, x1, y1) = changed(&out, &src).expect("the text changed some pixels");
    // `fs` is the em size: the ink of "Hello" spans the ascender of H/l (≈ 0.73–0.76 em),
    // so about 29–31 px at fs 40; allow for anti-aliasing rows.
    assert!((27..=34).contains(&(y1 - y0)), "height {}", y1 - y0);
    assert!((80..=120).contains(&(x1 - x0)), "width {}", x1 - x0);
    // Centred on the 600×400 parent (default lfo centre), within rounding.
    let (cx, cy) = (f64::from(x0 + x1) / 2.0, f64::from(y0 + y1) / 2.0);
    assert!((cx - 300.0).abs() <= 1.0 && (cy - 200.0).abs() <= 1.0, "centre {cx},{cy}");
    // Glyph interiors are exactly the requested colour.
    let solid = (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .filter(|&(x, y)| out.pixel(x, y) == [255, 0, 0, 255])
        .count();
    assert!(solid > 150, "{solid} solid red pixels");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn padding_keeps_a_background_box_around_the_text() {
    let s = start_server(config(media_dir())).await;
    let plain = get(&s, "/tr:f-png,l-text,i-Hi,fs-30,co-FFFFFF,bg-0000FF,l-end/photos/coffee.png").await;
    let padded = get(&s, "/tr:f-png,l-text,i-Hi,fs-30,co-FFFFFF,bg-0000FF,pa-10_20,l-end/photos/coffee.png").await;
    let blue = |_: u32, _: u32, p: [u8; 4]| p == [0, 0, 255, 255];
    let (a0, b0, a1, b1) = bbox(&plain, blue).expect("trimmed box has a background");
    let (c0, d0, c1, d1) = bbox(&padded, blue).expect("padded box");
    // pa-10_20: 10 px top and bottom, 20 px left and right, around at least the ink box.
    assert!(c1 - c0 >= a1 - a0 + 40, "{} vs {}", c1 - c0, a1 - a0);
    assert!(d1 - d0 >= b1 - b0 + 20, "{} vs {}", d1 - d0, b1 - b0);
    // White text inside the blue box, not touching its padded edge.
    // (The photo has white pixels of its own: look only inside the box.)
    let inside = |x: u32, y: u32| (c0..c1).contains(&x) && (d0..d1).contains(&y);
    let (w0, h0, w1, h1) = bbox(&padded, |x, y, p| inside(x, y) && p[0] > 128 && p[1] > 128).expect("white text");
    assert!(
        w0 >= c0 + 20 && w1 + 20 <= c1 && h0 >= d0 + 10 && h1 + 10 <= d1,
        "{:?} in {:?}",
        (w0, h0, w1, h1),
        (c0, d0, c1, d1)
    );
    // Rounded corners: the box corner is no longer blue.
    let round = get(&s, "/tr:f-png,l-text,i-Hi,fs-30,co-FFFFFF,bg-0000FF,pa-10_20,r-12,l-end/photos/coffee.png").await;
    assert_ne!(round.pixel(c0, d0), [0, 0, 255, 255]);
    assert_eq!(round.pixel((c0 + c1) / 2, d0), [0, 0, 255, 255]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_wraps_at_w() {
    let s = start_server(config(media_dir())).await;
    let src = source();
    let one = get(&s, "/tr:f-png,l-text,i-one%20two%20three%20four,fs-30,co-FF0000,l-end/photos/coffee.png").await;
    let wrapped =
        get(&s, "/tr:f-png,l-text,i-one%20two%20three%20four,fs-30,co-FF0000,w-100,l-end/photos/coffee.png").await;
    let (a0, b0, a1, b1) = changed(&one, &src).unwrap();
    let (c0, d0, c1, d1) = changed(&wrapped, &src).unwrap();
    assert!(a1 - a0 > 200 && b1 - b0 < 40, "one line: {}x{}", a1 - a0, b1 - b0);
    assert!(c1 - c0 <= 100, "wrapped width {}", c1 - c0);
    // "one two" / "three" / "four" (or similar): at least three lines of ~35 px.
    assert!(d1 - d0 >= 90, "wrapped height {}", d1 - d0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_font_comes_from_the_origin() {
    let s = start_server(config(media_dir())).await;
    // media/font/DejaVuSans.ttf through the origin renders exactly like the embedded default.
    let builtin = get(&s, "/tr:f-png,l-text,i-Font,fs-36,l-end/photos/coffee.png").await;
    let custom = get(&s, "/tr:f-png,l-text,i-Font,fs-36,ff-font@@DejaVuSans.ttf,l-end/photos/coffee.png").await;
    let named = get(&s, "/tr:f-png,l-text,i-Font,fs-36,ff-Roboto,l-end/photos/coffee.png").await;
    assert!(changed(&custom, &source()).is_some());
    assert!(custom == builtin && named == builtin);
    let missing =
        reqwest::get(s.url("/tr:f-png,l-text,i-Font,ff-font@@Nope.ttf,l-end/photos/coffee.png")).await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let not_a_font =
        reqwest::get(s.url("/tr:f-png,l-text,i-Font,ff-photos@@coffee.png,l-end/photos/coffee.png")).await.unwrap();
    assert_eq!(not_a_font.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_text_layer_is_400() {
    let s = start_server(config(media_dir())).await;
    let long = "W".repeat(500);
    let resp = reqwest::get(s.url(&format!("/tr:f-png,l-text,i-{long},fs-100,l-end/photos/coffee.png"))).await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["key"], "l-text");
}

/// Base64 (URL-safe) of नमस्ते.
const NAMASTE_B64: &str = "4KSo4KSu4KS44KWN4KSk4KWH";
/// Base64 of six U+FFFF: a character no bundled font has, drawn as six `.notdef` boxes.
const TOFU6_B64: &str = "77-_77-_77-_77-_77-_77-_";

/// Longest horizontal run of changed pixels in any row of `b`, in pixels.
fn longest_run(out: &Frame, src: &Frame, b: (u32, u32, u32, u32)) -> u32 {
    let (x0, y0, x1, y1) = b;
    let mut best = 0;
    for y in y0..y1 {
        let mut run = 0;
        for x in x0..x1 {
            run = if out.pixel(x, y) == src.pixel(x, y) { 0 } else { run + 1 };
            best = best.max(run);
        }
    }
    best
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devanagari_is_shaped_from_the_fallback_font_not_tofu() {
    let s = start_server(config(media_dir())).await;
    let src = source();
    let deva = get(&s, &format!("/tr:f-png,l-text,ie-{NAMASTE_B64},fs-60,co-FF0000,l-end/photos/coffee.png")).await;
    let tofu = get(&s, &format!("/tr:f-png,l-text,ie-{TOFU6_B64},fs-60,co-FF0000,l-end/photos/coffee.png")).await;
    let (x0, y0, x1, y1) = changed(&deva, &src).expect("the Devanagari text changed some pixels");
    let (w, h) = (x1 - x0, y1 - y0);
    // न म स्ते at a 60 px em: three syllables about 0.55–0.75 em wide, and the ink from the
    // top of the e-matra above the headline to the foot of the conjunct (about 0.8–1.1 em).
    assert!((90..=170).contains(&w), "width {w}");
    assert!((40..=70).contains(&h), "height {h}");
    // The headline (shirorekha) joins the syllables: one row of ink runs across most of the
    // word. Six .notdef boxes are separate rectangles, so their longest run is one box.
    let run = longest_run(&deva, &src, (x0, y0, x1, y1));
    assert!(run * 10 >= w * 8, "headline run {run} of {w}");
    let t = changed(&tofu, &src).expect("tofu boxes");
    let tofu_run = longest_run(&tofu, &src, t);
    assert!(tofu_run * 4 < t.2 - t.0, "tofu run {tofu_run} of {}", t.2 - t.0);
    assert_ne!(deva, tofu);
    // The percent-encoded plain form renders the same text.
    let plain = "%E0%A4%A8%E0%A4%AE%E0%A4%B8%E0%A5%8D%E0%A4%A4%E0%A5%87";
    let by_i = get(&s, &format!("/tr:f-png,l-text,i-{plain},fs-60,co-FF0000,l-end/photos/coffee.png")).await;
    assert!(by_i == deva);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copyright_symbols_render_from_dejavu() {
    let s = start_server(config(media_dir())).await;
    let src = source();
    // ©®™ and three .notdef boxes (U+FFFF).
    let sym = get(&s, "/tr:f-png,l-text,ie-wqnCruKEog,fs-60,co-FF0000,l-end/photos/coffee.png").await;
    let tofu = get(&s, "/tr:f-png,l-text,ie-77-_77-_77-_,fs-60,co-FF0000,l-end/photos/coffee.png").await;
    let (x0, y0, x1, y1) = changed(&sym, &src).expect("the symbols changed some pixels");
    assert!((100..=200).contains(&(x1 - x0)) && (35..=55).contains(&(y1 - y0)), "{:?}", (x0, y0, x1, y1));
    // ™ is raised: the right-most tenth of the ink has nothing in its lower half, where a
    // .notdef box (or any full-height glyph) would have ink.
    let lower = |f: &Frame, (x0, y0, x1, y1): (u32, u32, u32, u32)| {
        let (xs, ys) = (x1 - (x1 - x0) / 10, (y0 + y1) / 2);
        (xs..x1).flat_map(|x| (ys..y1).map(move |y| (x, y))).filter(|&(x, y)| f.pixel(x, y) != src.pixel(x, y)).count()
    };
    assert_eq!(lower(&sym, (x0, y0, x1, y1)), 0);
    let t = changed(&tofu, &src).expect("tofu boxes");
    assert!(lower(&tofu, t) > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_font_still_falls_back_for_devanagari() {
    let s = start_server(config(media_dir())).await;
    // "Hi नमस्ते": DejaVu Sans through the origin draws "Hi", the embedded Noto Sans
    // Devanagari the rest, exactly as the built-in chain does.
    let b64 = "SGkg4KSo4KSu4KS44KWN4KSk4KWH";
    let builtin = get(&s, &format!("/tr:f-png,l-text,ie-{b64},fs-48,l-end/photos/coffee.png")).await;
    let custom =
        get(&s, &format!("/tr:f-png,l-text,ie-{b64},fs-48,ff-font@@DejaVuSans.ttf,l-end/photos/coffee.png")).await;
    assert!(custom == builtin);
    let tofu = get(
        &s,
        "/tr:f-png,l-text,ie-SGkg77-_77-_77-_77-_77-_77-_,fs-48,ff-font@@DejaVuSans.ttf,l-end/photos/coffee.png",
    )
    .await;
    let src = source();
    let (a, c) = (changed(&custom, &src).unwrap(), changed(&tofu, &src).unwrap());
    assert!(custom != tofu && longest_run(&custom, &src, a) > longest_run(&tofu, &src, c), "{a:?} {c:?}");
}
