//! Layout tests: ImageKit's published numbers (plant.jpeg, 640×865) as exact cases, the
//! other strategies as tables, and properties of the arithmetic.

use proptest::prelude::*;

use super::*;
use crate::job::{Background, Color, Expr, Focus, Resize, Rotation};
use crate::plan::plan_step;

const PLANT: (u32, u32) = (640, 865);

fn step(w: Option<u32>, h: Option<u32>, crop: Option<Crop>) -> Step {
    Step {
        resize: Resize { width: w.map(Dim::Px), height: h.map(Dim::Px), crop, ..Resize::default() },
        ..Step::default()
    }
}

fn run(s: &Step, cur: (u32, u32)) -> Result<StepPlan> {
    plan_step(s, &StepInput::source(cur, true), &Limits::default())
}

fn out(s: &Step, cur: (u32, u32)) -> (u32, u32) {
    run(s, cur).unwrap().output
}

#[test]
fn published_plant_numbers() {
    assert_eq!(out(&step(Some(300), Some(200), Some(Crop::AtMax)), PLANT), (148, 200));
    assert_eq!(out(&step(Some(850), Some(1000), Some(Crop::AtMaxEnlarge)), PLANT), (740, 1000));
    assert_eq!(out(&step(Some(300), Some(200), Some(Crop::AtLeast)), PLANT), (300, 405));
    assert_eq!(out(&step(Some(2000), Some(2000), Some(Crop::AtMax)), PLANT), PLANT, "at_max never enlarges");
    let pe = run(&step(Some(700), Some(700), Some(Crop::PadExtract)), (600, 600)).unwrap();
    assert_eq!(pe.output, (700, 700));
    assert_eq!(pe.ops, vec![PlanOp::Pad { width: 700, height: 700, x: 50, y: 50, fill: Fill::Color([0, 0, 0, 255]) }]);
}

#[test]
fn maintain_ratio_cuts_the_covering_window_by_focus_then_scales() {
    // Cover scale 300/640: the window 640×426.67 of the source survives, centred.
    let p = run(&step(Some(300), Some(200), None), PLANT).unwrap();
    let resize = PlanOp::Resize { width: 300, height: 200, filter: Filter::Lanczos3 };
    let win = |anchor| PlanOp::Crop { width: 640, height: 427, anchor };
    assert_eq!(p.ops, vec![win(Anchor::At { x: 0, y: 219 }), resize]);
    let mut s = step(Some(300), Some(200), Some(Crop::MaintainRatio));
    let cases = [
        (Focus::Bottom, Anchor::At { x: 0, y: 438 }),
        (Focus::Top, Anchor::At { x: 0, y: 0 }),
        (Focus::Auto, Anchor::Salient),
        (Focus::Custom, Anchor::At { x: 0, y: 219 }),
        (Focus::Object("dog".into()), Anchor::At { x: 0, y: 219 }),
    ];
    for (f, anchor) in cases {
        s.resize.focus = Some(f);
        assert_eq!(run(&s, PLANT).unwrap().ops[0], win(anchor));
    }
    s.resize.focus = Some(Focus::Face);
    s.resize.zoom = Some(2.0);
    assert_eq!(run(&s, PLANT).unwrap().ops[0], win(Anchor::Face { zoom: 2.0 }));
    let no_enlarge = run(&step(Some(1000), Some(1000), Some(Crop::MaintainRatioNoEnlarge)), PLANT).unwrap();
    assert_eq!(no_enlarge.ops, vec![PlanOp::Crop { width: 640, height: 640, anchor: Anchor::At { x: 0, y: 113 } }]);
    assert_eq!(out(&step(Some(300), Some(200), Some(Crop::MaintainRatioNoEnlarge)), PLANT), (300, 200));
}

#[test]
fn pad_resize_places_by_focus() {
    let mut s = step(Some(300), Some(200), Some(Crop::PadResize));
    s.background = Some(Background::Color(Color { rgb: [0xF3; 3], opacity_pct: None }));
    let p = run(&s, PLANT).unwrap();
    let fill = Fill::Color([0xF3, 0xF3, 0xF3, 255]);
    assert_eq!(p.ops[1], PlanOp::Pad { width: 300, height: 200, x: 76, y: 0, fill });
    let table = [(Focus::Left, 0), (Focus::Right, 152), (Focus::TopRight, 152), (Focus::Center, 76), (Focus::Auto, 76)];
    for (f, x) in table {
        s.resize.focus = Some(f.clone());
        assert_eq!(run(&s, PLANT).unwrap().ops[1], PlanOp::Pad { width: 300, height: 200, x, y: 0, fill }, "{f:?}");
    }
    s.background = Some(Background::Blurred { intensity: Some(5), brightness: -25 });
    let p = run(&s, (800, 400)).unwrap();
    assert!(matches!(p.ops.last(), Some(PlanOp::Pad { fill: Fill::Blurred { brightness: -25, .. }, .. })));
    s.background = Some(Background::Dominant);
    assert!(matches!(run(&s, PLANT).unwrap().ops[1], PlanOp::Pad { fill: Fill::Dominant, .. }));
}

#[test]
fn extract_regions() {
    let c = |x, y| PlanOp::Crop { width: 200, height: 200, anchor: Anchor::At { x, y } };
    let mut s = step(Some(200), Some(200), Some(Crop::Extract));
    assert_eq!(run(&s, PLANT).unwrap().ops, vec![c(220, 333)]);
    (s.resize.x, s.resize.y) = (Some(Dim::Px(100)), Some(Dim::Px(300)));
    assert_eq!(run(&s, PLANT).unwrap().ops, vec![c(100, 300)]);
    (s.resize.x, s.resize.y) = (Some(Dim::Px(600)), Some(Dim::Px(9000)));
    assert_eq!(run(&s, PLANT).unwrap().ops, vec![c(440, 665)], "x/y beyond the image are clamped");
    (s.resize.x, s.resize.y, s.resize.xc, s.resize.yc) = (None, None, Some(Dim::Px(320)), Some(Dim::Px(100)));
    assert_eq!(run(&s, PLANT).unwrap().ops, vec![c(220, 0)]);
    s.resize.yc = Some(Dim::Px(99));
    assert_eq!(run(&s, PLANT).unwrap_err().key(), Some("yc"), "xc/yc regions may not leave the image");
    let mut s = step(None, None, Some(Crop::Extract));
    s.resize.width = Some(Dim::Fraction(0.5));
    s.resize.height = Some(Dim::Fraction(0.5));
    s.resize.x = Some(Dim::Expr(Expr::parse("x", "iw_mul_0.25").unwrap()));
    s.resize.y = Some(Dim::Expr(Expr::parse("y", "ih_mul_0.25").unwrap()));
    let p = run(&s, PLANT).unwrap();
    assert_eq!(p.ops, vec![PlanOp::Crop { width: 320, height: 433, anchor: Anchor::At { x: 160, y: 216 } }]);
    let big = run(&step(Some(700), Some(100), Some(Crop::Extract)), (600, 600)).unwrap();
    assert_eq!(big.output, (700, 100), "larger than the input: treated as pad_extract");
    assert!(matches!(big.ops[..], [PlanOp::Pad { x: 50, y: -250, .. }]));
    let ns = run(&step(Some(100), Some(700), Some(Crop::PadExtractNoShrink)), (600, 600)).unwrap();
    assert_eq!(ns.output, (600, 700));
}

#[test]
fn single_side_aspect_and_dpr() {
    assert_eq!(out(&step(Some(300), None, None), PLANT), (300, 405));
    assert_eq!(out(&step(None, Some(200), None), PLANT), (148, 200));
    assert_eq!(out(&step(Some(2000), None, Some(Crop::AtMax)), PLANT), PLANT, "at_max never enlarges, one side too");
    assert_eq!(out(&step(Some(1280), None, Some(Crop::Force)), PLANT), (1280, 1730));
    let mut s = step(Some(400), None, None);
    s.resize.aspect = Some(AspectRatio::Ratio(4.0, 3.0));
    assert_eq!(out(&s, PLANT), (400, 300));
    s.resize.dpr = Some(Dpr::Value(2.0));
    assert_eq!(out(&s, PLANT), (800, 600));
    let mut s = step(Some(2000), None, None);
    s.resize.dpr = Some(Dpr::Value(3.0));
    assert_eq!(out(&s, PLANT), (2000, 2703), "dpr ignored above 5000 px");
    s.resize.dpr = Some(Dpr::Auto);
    let hinted = StepInput { hint_dpr: Some(2.0), ..StepInput::source(PLANT, true) };
    assert_eq!(plan_step(&s, &hinted, &Limits::default()).unwrap().output, (4000, 5406));
    let mut s = step(None, None, None);
    s.resize.width = Some(Dim::Fraction(0.5));
    assert_eq!(out(&s, PLANT), (320, 433));
    s.resize.width = Some(Dim::Expr(Expr::parse("w", "iw_mul_1.5").unwrap()));
    assert_eq!(out(&s, PLANT), (960, 1298));
    s.resize.width = Some(Dim::Auto);
    assert_eq!(out(&s, PLANT), PLANT, "w-auto without a hint is ignored");
}

#[test]
fn sizes_that_round_to_zero_or_exceed_limits_are_errors() {
    let mut s = step(None, None, None);
    s.resize.width = Some(Dim::Expr(Expr::parse("w", "iw_sub_iw").unwrap()));
    let e = run(&s, PLANT).unwrap_err();
    assert_eq!((e.key(), e.value()), (Some("w"), Some("iw_sub_iw")));
    assert_eq!(run(&step(Some(9000), None, None), PLANT).unwrap_err().key(), Some("w"));
    assert_eq!(run(&step(Some(8000), Some(10), Some(Crop::AtLeast)), PLANT).unwrap_err().key(), Some("c"));
    let mut s = step(Some(10), None, None);
    s.resize.aspect = Some(AspectRatio::Ratio(100.0, 1.0));
    assert_eq!(run(&s, PLANT).unwrap_err().key(), Some("ar"));
    let mut s = step(Some(300), None, None);
    s.rotate = Some(Rotation::Degrees(45.0));
    let l = Limits { max_output_dim: 450, ..Limits::default() };
    assert_eq!(plan_step(&s, &StepInput::source(PLANT, true), &l).unwrap_err().key(), Some("rt"));
}

proptest! {
    #[test]
    fn layout_properties(w0 in 1u32..3000, h0 in 1u32..3000, w in 1u32..3000, h in 1u32..3000, c in 0usize..11) {
        let crops = [
            Crop::MaintainRatio, Crop::MaintainRatioNoEnlarge, Crop::Force, Crop::AtMax, Crop::AtMaxEnlarge, Crop::AtLeast,
            Crop::PadResize, Crop::PadResizeNoEnlarge, Crop::Extract, Crop::PadExtract, Crop::PadExtractNoShrink,
        ];
        let crop = crops[c];
        let limits = Limits::default();
        match plan_step(&step(Some(w), Some(h), Some(crop)), &StepInput::source((w0, h0), true), &limits) {
            Ok(p) => {
                let (ow, oh) = p.output;
                prop_assert!(ow >= 1 && oh >= 1, "nothing rounds to zero");
                prop_assert!(ow <= limits.max_output_dim && oh <= limits.max_output_dim);
                let mut size = (w0, h0);
                for op in &p.ops {
                    size = op.output_size(size);
                    prop_assert!(size.0 >= 1 && size.1 >= 1);
                }
                prop_assert_eq!(size, p.output);
                match crop {
                    Crop::MaintainRatio | Crop::Force | Crop::PadResize | Crop::PadResizeNoEnlarge | Crop::Extract | Crop::PadExtract => {
                        prop_assert_eq!((ow, oh), (w, h), "requested edges are exact");
                    }
                    Crop::AtMax => prop_assert!(ow <= w0.min(w) && oh <= h0.min(h) && (ow == w0.min(w) || oh == h0.min(h) || (ow, oh) == (w0, h0))),
                    Crop::AtMaxEnlarge => prop_assert!(ow <= w && oh <= h && (ow == w || oh == h)),
                    Crop::AtLeast => prop_assert!(ow >= w && oh >= h && (ow == w || oh == h)),
                    Crop::MaintainRatioNoEnlarge => prop_assert!(ow <= w && oh <= h && ow <= w0.max(w) && oh <= h0.max(h)),
                    Crop::PadExtractNoShrink => prop_assert_eq!((ow, oh), (w.max(w0), h.max(h0))),
                }
                for op in &p.ops {
                    if let PlanOp::Crop { width, height, anchor: Anchor::At { x, y } } = op {
                        prop_assert!(width + x <= ow.max(w0).max(*width) * 4 && *width >= 1 && *height >= 1 && *y < u32::MAX);
                    }
                }
            }
            Err(e) => prop_assert!(crop == Crop::AtLeast && e.kind().is_client_error(), "{crop:?}: {e}"),
        }
    }

    #[test]
    fn at_max_never_enlarges_one_side(w0 in 1u32..3000, h0 in 1u32..3000, w in 1u32..8000) {
        let p = plan_step(&step(Some(w), None, Some(Crop::AtMax)), &StepInput::source((w0, h0), true), &Limits::default());
        if let Ok(p) = p {
            prop_assert!(p.output.0 <= w0 && p.output.1 <= h0);
        }
    }
}
