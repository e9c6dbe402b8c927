//! Fuzz target: URL → job → plan, on a source size taken from the first four bytes. The
//! planner must never panic; an accepted plan keeps its promises: every step's ops, applied to
//! its input size, give the step's output size, and no output edge is 0 or over the limit. The
//! work estimate (`plan::cost`) must not panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xformd_fuzz::job::Hints;
use xformd_fuzz::limits::Limits;
use xformd_fuzz::plan::{cost, plan};
use xformd_fuzz::url::{to_job, UrlOptions};

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let w = u32::from(u16::from_le_bytes([data[0], data[1]])) + 1;
    let h = u32::from(u16::from_le_bytes([data[2], data[3]])) + 1;
    let text = String::from_utf8_lossy(&data[4..]);
    let Ok(parsed) = to_job(&format!("/tr:{text}/a.jpg"), None, &UrlOptions::default()) else {
        return;
    };
    let limits = Limits::default();
    let _ = cost::check_counts(&parsed.job, &limits);
    let _ = cost::estimate(&parsed.job, (w, h), 1, Hints { width: Some(w), dpr: Some(2.0) }, &limits);
    let Ok(steps) = plan(&parsed.job, (w, h), &limits) else {
        return;
    };
    let mut size = (w, h);
    for step in &steps {
        let end = step.ops.iter().fold(size, |s, op| op.output_size(s));
        assert_eq!(end, step.output, "ops from {size:?} end at {end:?}, the plan says {:?}", step.output);
        assert!(step.output.0 >= 1 && step.output.1 >= 1, "empty output {:?}", step.output);
        size = step.output;
    }
});
