//! The daemon's start-up calibration of `backend.gpu_min_pixels` (`bench::calibrate`), run
//! for real on the GPU the suite has (lavapipe in CI): both backends time the bench chain,
//! and the threshold is a measured size or "never". Which one depends on the machine, so
//! the test checks the rule, not a number.

use std::sync::Arc;

use xformd::bench::calibrate::calibrate;
use xformd::bench::threshold::Threshold;
use xformd::exec::cpu::CpuBackend;
use xformd::limits::Limits;

#[test]
fn calibration_picks_a_measured_size_or_never() {
    let Some(gpu) = crate::common::own_gpu("the calibration") else { return };
    let cpu = Arc::new(CpuBackend::new(0).unwrap());
    let sizes = [("64px", 64, 64), ("320px", 320, 320)];
    let t = calibrate(&cpu, &gpu, &Limits::default(), &sizes, 1).unwrap();
    match &t {
        Threshold::From { pixels, size } => {
            assert!(sizes.iter().any(|(n, w, h)| n == size && u64::from(*w) * u64::from(*h) == *pixels), "{t:?}");
            assert_eq!(t.min_pixels(), *pixels);
        }
        Threshold::Never => assert_eq!(t.min_pixels(), u64::MAX),
    }
    // Limits apply to the calibration's own frames too.
    let tiny = Limits { max_input_pixels: 1000, ..Limits::default() };
    assert!(calibrate(&cpu, &gpu, &tiny, &sizes, 1).is_err());
}
