//! Layer modes (`lm-multiply`, `lm-cutout`, `lm-cutter`, `lm-displace`, issue #15): what each
//! does, end to end over the HTTP front end and the gRPC daemon, and the GPU twin against the
//! CPU on a full-size photo.
//!
//! The HTTP tests render on `photos/coffee.png` (600×400, opaque) with `f-png` so every pixel
//! a layer did not touch equals the source exactly.

use reqwest::StatusCode;
use xformd::media::Frame;

use crate::common::{config, decode, media_dir, start_server, Servers};

fn source() -> Frame {
    decode(&std::fs::read(media_dir().join("photos/coffee.png")).unwrap())
}

async fn get(s: &Servers, path: &str) -> Frame {
    let resp = reqwest::Client::new().get(s.url(path)).header("x-xformd-backend", "cpu").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{path}");
    decode(&resp.bytes().await.unwrap())
}

fn close(a: [u8; 4], b: [u8; 4], tol: u8) -> bool {
    a.iter().zip(b).all(|(p, q)| p.abs_diff(q) <= tol)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multiply_only_darkens_under_the_layer() {
    let s = start_server(config(media_dir())).await;
    let src = source();
    // A 100 px astronaut centred on the 600×400 coffee: its box is x 250..350, y 150..250.
    let out = get(&s, "/tr:f-png,l-image,i-photos@@astronaut.png,w-100,lm-multiply,l-end/photos/coffee.png").await;
    let normal = get(&s, "/tr:f-png,l-image,i-photos@@astronaut.png,w-100,l-end/photos/coffee.png").await;
    assert_eq!((out.width, out.height), (600, 400));
    let mut darker = 0;
    for y in 0..400 {
        for x in 0..600 {
            let (o, p) = (out.pixel(x, y), src.pixel(x, y));
            let inside = (250..350).contains(&x) && (150..250).contains(&y);
            if inside {
                assert!(o.iter().zip(p).take(3).all(|(a, b)| *a <= b.saturating_add(1)), "({x},{y}) {o:?} > {p:?}");
                darker += usize::from(o != p);
            } else {
                assert_eq!(o, p, "({x},{y}) outside the layer");
            }
        }
    }
    assert!(darker > 5000, "multiply changed only {darker} pixels");
    assert_ne!(out.pixel(300, 200), normal.pixel(300, 200), "multiply is not source-over");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cutout_punches_the_layer_shape_and_cutter_keeps_only_it() {
    let s = start_server(config(media_dir())).await;
    let src = source();
    // r-max makes the 100×100 layer a disc: opaque inside, transparent in its corners.
    let layer = "l-image,i-photos@@astronaut.png,w-100,h-100,r-max";
    let out = get(&s, &format!("/tr:f-png,{layer},lm-cutout,lx-50,ly-40,l-end/photos/coffee.png")).await;
    assert_eq!((out.width, out.height), (600, 400));
    assert_eq!(out.pixel(100, 90)[3], 0, "the disc's centre is a hole");
    assert_eq!(out.pixel(51, 41), src.pixel(51, 41), "the layer's transparent corner leaves the base");
    assert_eq!(out.pixel(300, 300), src.pixel(300, 300));

    // Cutter, placed from the centre with lap and an expression: the output is the layer's box.
    let cut =
        get(&s, &format!("/tr:f-png,{layer},lm-cutter,lap-center,lxc-bw_mul_0.25,lyc-0,l-end/photos/coffee.png")).await;
    assert_eq!((cut.width, cut.height), (100, 100), "cut to the layer's rectangle");
    // lap-center + lxc 150 ⇒ the disc is centred at (450, 200) on the base.
    assert!(close(cut.pixel(50, 50), src.pixel(450, 200), 1), "{:?} vs {:?}", cut.pixel(50, 50), src.pixel(450, 200));
    assert_eq!(cut.pixel(1, 1)[3], 0, "outside the disc nothing is kept");
    // Later steps see the cut frame.
    let half = get(&s, &format!("/tr:f-png,{layer},lm-cutter,l-end:w-50/photos/coffee.png")).await;
    assert_eq!((half.width, half.height), (50, 50));
    // A cutter that misses the image keeps nothing: a 400 naming lm.
    let miss = reqwest::Client::new()
        .get(s.url(&format!("/tr:f-png,{layer},lm-cutter,lx-900,l-end/photos/coffee.png")))
        .send()
        .await
        .unwrap();
    assert_eq!(miss.status(), StatusCode::BAD_REQUEST);
    assert!(miss.text().await.unwrap().contains("lm"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn displace_shifts_pixels_by_the_maps_red_and_green() {
    let s = start_server(config(media_dir())).await;
    let src = source();
    // A solid map, half the base in each direction (expressions), centred: red 255 with
    // lx-10 ⇒ every pixel of the box takes the pixel 10 to its right (no ly: no vertical move).
    let out = get(
        &s,
        "/tr:f-png,l-image,i-ik_canvas,bg-FF8000,w-bw_mul_0.5,h-bh_mul_0.5,lm-displace,lx-10,l-end/photos/coffee.png",
    )
    .await;
    assert_eq!((out.width, out.height), (600, 400));
    for y in (100..300).step_by(7) {
        for x in (150..450).step_by(7) {
            assert!(close(out.pixel(x, y), src.pixel(x + 10, y), 1), "({x},{y})");
        }
    }
    assert_eq!(out.pixel(100, 50), src.pixel(100, 50), "outside the map nothing moves");
    // lxc/lyc place the map; lx is still its strength, N makes it negative.
    let out = get(
        &s,
        "/tr:f-png,l-image,i-ik_canvas,bg-FF8000,w-100,h-100,lm-displace,lx-N4,lxc-100,lyc-100,l-end/photos/coffee.png",
    )
    .await;
    assert!(close(out.pixel(80, 80), src.pixel(76, 80), 1));
    assert_eq!(out.pixel(200, 80), src.pixel(200, 80), "right of the 50..150 box");
    // Green drives ly: green 255 with ly-N6 takes the pixel 6 above.
    let out =
        get(&s, "/tr:f-png,l-image,i-ik_canvas,bg-80FF00,w-100,h-100,lm-displace,ly-N6,l-end/photos/coffee.png").await;
    assert!(close(out.pixel(300, 200), src.pixel(300, 194), 1));
    // Without lx or ly a displacement map has no strength: 400 naming lm.
    let resp = reqwest::Client::new()
        .get(s.url("/tr:l-image,i-ik_canvas,w-10,h-10,lm-displace,l-end/photos/coffee.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

/// Every mode on both backends on the full-size 2560×1600 LadyBird, the layer a
/// 700×700 disc of the astronaut with a soft edge (every alpha level), centred and hanging
/// off the bottom-right corner.
#[cfg(feature = "gpu")]
#[test]
fn gpu_layer_modes_match_cpu_on_a_full_size_photo() {
    use xformd::exec::cpu::CpuBackend;
    use xformd::exec::{Backend, Executor, LayerSource, RunContext};
    use xformd::job::{Dim, Layer, LayerKind, LayerMode, LayerPosition};
    use xformd::limits::Limits;
    use xformd::plan::{Filter, PlanOp};

    let Some(gpu) = crate::common::own_gpu("layer-mode parity") else { return };
    let limits = Limits::default();
    let photo = decode(&std::fs::read(media_dir().join("photos/LadyBird.jpg")).unwrap());
    let astronaut = decode(&std::fs::read(media_dir().join("photos/astronaut.png")).unwrap());
    let mut disc = xformd::exec::cpu::resize::resize(&limits, &astronaut, 700, 700, Filter::Lanczos3).unwrap();
    for y in 0..700u32 {
        for x in 0..700u32 {
            let r = (f64::from(x) - 350.0).hypot(f64::from(y) - 350.0);
            #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "clamped to 0..=255")]
            let a = ((350.0 - r) * 4.0).clamp(0.0, 255.0).round() as u8;
            disc.data[((y * 700 + x) * 4 + 3) as usize] = a;
        }
    }
    struct Disc(Frame);
    impl LayerSource for Disc {
        fn image(&self, _path: &str) -> xformd::Result<Frame> {
            Ok(self.0.clone())
        }
        fn font(&self, path: &str) -> xformd::Result<Vec<u8>> {
            Err(xformd::Error::new(xformd::ErrorKind::NotFound, path))
        }
    }
    let layers = Disc(disc);
    let cpu = std::sync::Arc::new(CpuBackend::new(2).unwrap());
    let exec = Executor::new(cpu.clone(), None, 0);
    let ctx = RunContext { limits: &limits, layers: &layers, executor: &exec, depth: 0 };
    let layer = |mode, position| {
        PlanOp::Layer(Box::new(Layer {
            kind: LayerKind::Image { path: "/d.png".into() },
            steps: Vec::new(),
            position,
            mode,
        }))
    };
    let corner = LayerPosition { x: Some(Dim::Px(2200)), y: Some(Dim::Px(1300)), ..LayerPosition::default() };
    let strength =
        LayerPosition { x: Some(Dim::Px(25)), y: Some(Dim::Px(15)), y_negative: true, ..LayerPosition::default() };
    // (mode, placement, largest channel difference, minimum PSNR): the formulas are the same
    // f32 arithmetic on both sides, so the blends agree to rounding (colour under a tiny alpha
    // is divided by it on readback, hence 3); displace samples bilinearly at coordinates the
    // two sides compute in a different order, so one level apart at a rare pixel.
    let cases = [
        (LayerMode::Multiply, LayerPosition::default(), 3, 50.0),
        (LayerMode::Multiply, corner.clone(), 3, 50.0),
        (LayerMode::Cutout, LayerPosition::default(), 3, 50.0),
        (LayerMode::Cutter, LayerPosition::default(), 3, 50.0),
        (LayerMode::Cutter, corner, 3, 50.0),
        (LayerMode::Displace, strength, 2, 60.0),
    ];
    for (mode, position, max_delta, psnr) in cases {
        let ops = [layer(mode, position.clone())];
        let want = cpu.run(&ops, photo.clone(), &ctx).unwrap();
        let got = gpu.run(&ops, photo.clone(), &ctx).unwrap();
        assert_eq!((got.width, got.height), (want.width, want.height), "{mode:?} {position:?}");
        let d = xformd::exec::compare::visible_diff(&want, &got).unwrap();
        eprintln!("{mode:?} at {:?}: {d:?}", (position.x.is_some(), position.y_negative));
        assert!(d.max_delta <= max_delta && d.psnr >= psnr, "{mode:?} {position:?}: {d:?}");
        // The mode did something to the photo (the test could fail if it were source-over).
        if (want.width, want.height) == (photo.width, photo.height) {
            assert_ne!(want.data, photo.data, "{mode:?} changed nothing");
        }
    }
}
