//! `bl` with a large σ is planned as reduce → blur → expand (`plan::blur`): held here to the
//! exact separable Gaussian (`kernels::blur`, the reference) on a real photo.

use xformd::exec::cpu::kernels::blur::gaussian_blur;
use xformd::exec::cpu::CpuBackend;
use xformd::exec::{Backend, Executor, RunContext};
use xformd::job::Step;
use xformd::limits::Limits;
use xformd::plan::{plan_step, Filter, PlanOp, StepInput};

use crate::common::{decode, media_dir, NoLayers};

#[test]
fn reduced_blur_matches_the_exact_gaussian_on_a_photo() {
    let limits = Limits::default();
    let full = decode(&std::fs::read(media_dir().join("photos/LadyBird.jpg")).unwrap());
    let photo = xformd::exec::cpu::resize::resize(&limits, &full, 1280, 800, Filter::Lanczos3).unwrap();
    let cpu = std::sync::Arc::new(CpuBackend::new(2).unwrap());
    let exec = Executor::new(cpu.clone(), None, 0);
    let ctx = RunContext { limits: &limits, layers: &NoLayers, executor: &exec, depth: 0 };
    // (bl, σ): the smallest reduced σ (f = 2), the peers' benchmark σ (f = 3), and σ 25.
    for bl in [12u32, 20, 50] {
        let sigma = bl as f32 / 2.0;
        let step = Step { blur: Some(bl), ..Step::default() };
        let plan = plan_step(&step, &StepInput::source((photo.width, photo.height), false), &limits).unwrap();
        assert!(
            matches!(plan.ops[..], [PlanOp::Resize { .. }, PlanOp::Blur { .. }, PlanOp::Resize { .. }]),
            "bl-{bl} is planned reduced: {:?}",
            plan.ops
        );
        let fast = cpu.run(&plan.ops, photo.clone(), &ctx).unwrap();
        let exact = gaussian_blur(&limits, &photo, sigma).unwrap();
        let d = xformd::exec::compare::visible_diff(&exact, &fast).unwrap();
        eprintln!("bl-{bl}: {d:?}");
        // 50 dB: a mean error well under one level. The largest differences sit in the 3σ band
        // along the borders (the exact kernel repeats the edge pixel, the resize renormalises).
        assert!(d.psnr >= 50.0 && d.max_delta <= 16, "bl-{bl}: {d:?}");
    }
    // Small σ stays the exact kernel.
    let step = Step { blur: Some(10), ..Step::default() };
    let plan = plan_step(&step, &StepInput::source((1280, 800), false), &limits).unwrap();
    assert_eq!(plan.ops, vec![PlanOp::Blur { sigma: 5.0 }]);
}
