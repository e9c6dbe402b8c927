//! Tests of whole-step and whole-job planning: trim, chaining, layers, output sizes.

use super::*;
use crate::job::{Dim, LayerKind, LayerPosition, Resize, Rotation};

fn w(px: u32) -> Step {
    Step { resize: Resize { width: Some(Dim::Px(px)), ..Resize::default() }, ..Step::default() }
}

#[test]
fn chain_threads_current_size_and_keeps_input() {
    let mut second = Step { rotate: Some(Rotation::Degrees(90.0)), ..Step::default() };
    second.resize.width = Some(Dim::Fraction(0.5));
    let job = Job { steps: vec![w(300), second], ..Job::default() };
    let plans = plan(&job, (640, 865), &Limits::default()).unwrap();
    assert_eq!(plans[0].output, (300, 405));
    // `w-0.5` is half the *input* width (320), applied to the 300×405 current frame.
    assert_eq!(plans[1].output, (432, 320));
}

#[test]
fn trim_crops_to_the_measured_rectangle() {
    let step = Step { trim: Some(Trim::Threshold(20)), ..w(100) };
    let rect = Rect { x: 10, y: 20, width: 200, height: 100 };
    let input = StepInput { trimmed: Some(rect), ..StepInput::source((640, 480), true) };
    let p = plan_step(&step, &input, &Limits::default()).unwrap();
    assert_eq!(p.ops[0], PlanOp::Crop { width: 200, height: 100, anchor: Anchor::At { x: 10, y: 20 } });
    assert_eq!(p.output, (100, 50));
    let nothing = plan_step(&step, &StepInput::source((640, 480), true), &Limits::default()).unwrap();
    assert_eq!(nothing.output, (100, 75), "no rectangle: nothing is trimmed");
    let outside = StepInput { trimmed: Some(Rect { x: 600, ..rect }), ..input };
    assert!(plan_step(&step, &outside, &Limits::default()).is_err());
    let job = Job { steps: vec![step], ..Job::default() };
    assert!(plan(&job, (640, 480), &Limits::default()).is_err(), "plan() cannot measure trim");
}

#[test]
fn layers_come_last_in_url_order() {
    let layer = |p: &str| crate::job::Layer {
        kind: LayerKind::Image { path: p.into() },
        steps: vec![],
        position: LayerPosition::default(),
        mode: Default::default(),
    };
    let step = Step { layers: vec![layer("/a.png"), layer("/b.png")], ..w(100) };
    let p = plan_step(&step, &StepInput::source((200, 100), true), &Limits::default()).unwrap();
    assert_eq!(p.ops.len(), 3);
    assert_eq!(p.ops[2], PlanOp::Layer(Box::new(layer("/b.png"))));
    assert_eq!(place_layer(&layer("/a.png"), (10, 10), (100, 50)).unwrap(), (45, 20));
}

#[test]
fn output_sizes() {
    let r = |d| PlanOp::Rotate { degrees: d, fill: [0; 4] };
    assert_eq!(r(90.0).output_size((100, 50)), (50, 100));
    assert_eq!(r(-90.0).output_size((100, 50)), (50, 100));
    assert_eq!(r(180.0).output_size((100, 50)), (100, 50));
    assert_eq!(r(45.0).output_size((100, 50)), (106, 106));
    assert_eq!(PlanOp::Border { width: 5, color: [0; 4] }.output_size((10, 20)), (20, 30));
    assert_eq!(PlanOp::Border { width: u32::MAX, color: [0; 4] }.output_size((10, 20)), (u32::MAX, u32::MAX));
}
