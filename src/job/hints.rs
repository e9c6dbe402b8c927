//! Client hints (`Sec-CH-Width`, `Sec-CH-DPR`) for `w-auto` and `dpr-auto`, normalised so
//! that they cannot bust the cache.
//!
//! Owns: [`Hints`], [`Hints::for_jobs`], [`JobHints`]. Pure: the front end (for `Vary`) and the
//! daemon (for the cache key) both read it, and neither may import the other's modules.
//!
//! A hint only changes the bytes of a job that asks for `auto`, so a hint the job does not use
//! is dropped before it reaches the cache key; a used hint is rounded onto a ladder (width up
//! to a multiple of [`WIDTH_STEP`], DPR up to one of [`DPR_LADDER`]), so random header values
//! from one client land on a handful of cache entries instead of one each.

use super::{Dim, Dpr, Job, Step};

/// Width hints are rounded up to a multiple of this many pixels.
pub const WIDTH_STEP: u32 = 100;
/// DPR hints are rounded up to the next of these (the last one caps them).
pub const DPR_LADDER: [f64; 5] = [1.0, 1.5, 2.0, 3.0, 4.0];

/// Client hints for `w-auto` and `dpr-auto`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Hints {
    /// `Sec-CH-Width` (or `Width`), CSS pixels × DPR as the browser sends it.
    pub width: Option<u32>,
    /// `Sec-CH-DPR` (or `DPR`).
    pub dpr: Option<f64>,
}

/// Which hints a job reads: the front end sends (and lists in `Vary`) only these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobHints {
    /// Some step or layer has `w-auto` or `h-auto`.
    pub width: bool,
    /// Some step or layer has `dpr-auto`.
    pub dpr: bool,
}

impl JobHints {
    /// The hints `job` reads, layers' own chains included.
    pub fn of(job: &Job) -> JobHints {
        let mut uses = JobHints::default();
        visit(&job.steps, &mut uses);
        uses
    }
}

fn visit(steps: &[Step], uses: &mut JobHints) {
    for step in steps {
        let r = &step.resize;
        uses.width |= matches!(r.width, Some(Dim::Auto)) || matches!(r.height, Some(Dim::Auto));
        uses.dpr |= matches!(r.dpr, Some(Dpr::Auto));
        for layer in &step.layers {
            visit(&layer.steps, uses);
        }
    }
}

impl Hints {
    /// The hints as they may shape the output of `jobs`: unused ones dropped, used ones
    /// rounded onto the ladder, out-of-range ones dropped (a width of 0 or NaN DPR is no hint).
    pub fn for_jobs<'a>(self, jobs: impl IntoIterator<Item = &'a Job>, max_width: u32) -> Hints {
        let uses = jobs.into_iter().fold(JobHints::default(), |acc, job| {
            let j = JobHints::of(job);
            JobHints { width: acc.width || j.width, dpr: acc.dpr || j.dpr }
        });
        Hints {
            width: self.width.filter(|_| uses.width).and_then(|w| ladder_width(w, max_width)),
            dpr: self.dpr.filter(|_| uses.dpr).and_then(ladder_dpr),
        }
    }
}

fn ladder_width(w: u32, max_width: u32) -> Option<u32> {
    if w == 0 {
        return None;
    }
    let up = w.div_ceil(WIDTH_STEP).saturating_mul(WIDTH_STEP);
    Some(up.min(max_width))
}

fn ladder_dpr(d: f64) -> Option<f64> {
    if !d.is_finite() || d <= 0.0 {
        return None;
    }
    Some(DPR_LADDER.iter().copied().find(|&step| d <= step).unwrap_or(DPR_LADDER[DPR_LADDER.len() - 1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Layer, LayerKind, Resize};
    use crate::limits::Limits;

    fn job(resize: Resize) -> Job {
        Job { source: "/a.jpg".into(), steps: vec![Step { resize, ..Step::default() }], ..Job::default() }
    }

    #[test]
    fn unused_hints_are_dropped() {
        let hints = Hints { width: Some(437), dpr: Some(2.0) };
        let fixed = job(Resize { width: Some(Dim::Px(300)), ..Resize::default() });
        assert_eq!(hints.for_jobs([&fixed], Limits::default().max_output_dim), Hints::default());
    }

    #[test]
    fn used_hints_are_rounded_onto_the_ladder() {
        let limits = Limits::default();
        let auto = job(Resize { width: Some(Dim::Auto), dpr: Some(Dpr::Auto), ..Resize::default() });
        let cases = [
            ((1, 0.3), (100, 1.0)),
            ((100, 1.0), (100, 1.0)),
            ((101, 1.01), (200, 1.5)),
            ((437, 2.6), (500, 3.0)),
            ((1_000_000, 9.0), (limits.max_output_dim, 4.0)),
        ];
        for ((w, d), (ew, ed)) in cases {
            let got = Hints { width: Some(w), dpr: Some(d) }.for_jobs([&auto], limits.max_output_dim);
            assert_eq!(got, Hints { width: Some(ew), dpr: Some(ed) }, "hint {w} / {d}");
        }
        let junk = Hints { width: Some(0), dpr: Some(f64::NAN) }.for_jobs([&auto], limits.max_output_dim);
        assert_eq!(junk, Hints::default());
    }

    #[test]
    fn a_layer_using_auto_keeps_the_hint() {
        let layer = Layer {
            kind: LayerKind::Solid,
            steps: vec![Step { resize: Resize { height: Some(Dim::Auto), ..Resize::default() }, ..Step::default() }],
            position: Default::default(),
            mode: Default::default(),
        };
        let mut j = job(Resize::default());
        j.steps[0].layers.push(layer);
        assert_eq!(JobHints::of(&j), JobHints { width: true, dpr: false });
        let got = Hints { width: Some(250), dpr: Some(2.0) }.for_jobs([&j], Limits::default().max_output_dim);
        assert_eq!(got, Hints { width: Some(300), dpr: None });
    }
}
