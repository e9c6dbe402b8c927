//! Client hints read from the request, and the `Vary` header they imply.
//!
//! Owns: [`read`], [`ClientHints`], [`vary`]. A CDN in front of xformd caches by URL plus the
//! headers `Vary` names, so every request header that changed the bytes must be named there
//! (a `w-auto` response cached without `Vary: Sec-CH-Width` would be served to every screen).
//! Hints a job does not read are not sent to the daemon at all, so they cannot change the
//! daemon's cache key either; the daemon ladders the ones it gets (`job::Hints::for_jobs`).

use axum::http::HeaderMap;

use crate::job::{Hints, Job, JobHints};
use crate::limits::Limits;

/// The hints of one request for one job, and which of them the job reads.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ClientHints {
    /// Normalised hints (unused ones dropped).
    pub hints: Hints,
    /// Which hints the job reads (for `Vary`).
    pub uses: JobHints,
}

/// `Sec-CH-Width` (else the legacy `Width`) and `Sec-CH-DPR` (else `DPR`), kept only when
/// `job` reads them, rounded onto the daemon's ladder.
pub fn read(headers: &HeaderMap, job: &Job) -> ClientHints {
    let get =
        |names: [&str; 2]| names.iter().find_map(|n| headers.get(*n).and_then(|v| v.to_str().ok()).map(str::trim));
    let raw = Hints {
        width: get(["sec-ch-width", "width"]).and_then(|v| v.parse().ok()),
        dpr: get(["sec-ch-dpr", "dpr"]).and_then(|v| v.parse().ok()),
    };
    // The front end does not know the daemon's limits; the daemon caps the width again.
    ClientHints { hints: raw.for_jobs([job], Limits::default().max_output_dim), uses: JobHints::of(job) }
}

/// The `Vary` value for a response: `Accept` when the format was negotiated, and the hint
/// headers (both spellings) the job reads. `None` when nothing varies.
pub fn vary(negotiated: bool, uses: JobHints) -> Option<String> {
    let mut names: Vec<&str> = Vec::new();
    if negotiated {
        names.push("Accept");
    }
    if uses.width {
        names.extend(["Sec-CH-Width", "Width"]);
    }
    if uses.dpr {
        names.extend(["Sec-CH-DPR", "DPR"]);
    }
    (!names.is_empty()).then(|| names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{Dim, Dpr, Resize, Step};

    fn job(resize: Resize) -> Job {
        Job { source: "/a.jpg".into(), steps: vec![Step { resize, ..Step::default() }], ..Job::default() }
    }

    #[test]
    fn the_standard_header_wins_over_the_legacy_one() {
        let mut h = HeaderMap::new();
        h.insert("width", "900".parse().unwrap());
        h.insert("dpr", "3".parse().unwrap());
        let j = job(Resize { width: Some(Dim::Auto), dpr: Some(Dpr::Auto), ..Resize::default() });
        assert_eq!(read(&h, &j).hints, Hints { width: Some(900), dpr: Some(3.0) });
        h.insert("sec-ch-width", "420".parse().unwrap());
        h.insert("sec-ch-dpr", "1.2".parse().unwrap());
        assert_eq!(read(&h, &j).hints, Hints { width: Some(500), dpr: Some(1.5) });
    }

    #[test]
    fn vary_names_what_the_job_reads() {
        assert_eq!(vary(false, JobHints::default()), None);
        assert_eq!(vary(true, JobHints::default()).as_deref(), Some("Accept"));
        let both = JobHints { width: true, dpr: true };
        assert_eq!(vary(true, both).as_deref(), Some("Accept, Sec-CH-Width, Width, Sec-CH-DPR, DPR"));
        assert_eq!(vary(false, JobHints { width: false, dpr: true }).as_deref(), Some("Sec-CH-DPR, DPR"));
    }
}
