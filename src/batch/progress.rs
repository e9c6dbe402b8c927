//! What the operator sees: an indicatif bar on a terminal, a plain line every few seconds
//! otherwise (logs of a Kubernetes Job), or one JSON event per line with `--json`; and the
//! final [`Summary`].
//!
//! Owns: [`Progress`], [`Summary`], [`Failure`]. Counters are atomics: every source task
//! reports into them without a lock. Failures are kept (source, variant, reason) for the
//! summary, behind a std Mutex: pushed once per failed variant, never held across an await.
//!
//! JSON events go to stdout (one object per line, `event` = `variant` | `summary`); the
//! bar, the lines and the human summary go to stderr, so stdout stays machine-readable.
//!
//! May import: `error`; indicatif, serde_json.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::error::Error;

/// How often the plain-line mode reports.
pub const LINE_EVERY: Duration = Duration::from_secs(5);

/// Failures listed in the human summary (all of them go to `--json`).
const LISTED_FAILURES: usize = 20;

/// One failed variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Origin path.
    pub source: String,
    /// Variant as written.
    pub variant: String,
    /// Why (the error's code and message).
    pub reason: String,
}

/// The end of a run.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Variants rendered and written.
    pub done: u64,
    /// Variants skipped (already complete, `--resume`).
    pub skipped: u64,
    /// Variants to render (`--dry-run` fills only this and `skipped`).
    pub planned: u64,
    /// Variants that failed.
    pub failed: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Wall time.
    pub secs: f64,
    /// Calls retried on another daemon.
    pub retries: u64,
    /// Source decodes made.
    pub decodes: u64,
    /// Stopped by a signal before the end.
    pub interrupted: bool,
    /// The failures, in the order they happened.
    pub failures: Vec<Failure>,
}

impl Summary {
    /// Variants rendered per second of wall time.
    pub fn rate(&self) -> f64 {
        if self.secs > 0.0 {
            self.done as f64 / self.secs
        } else {
            0.0
        }
    }

    /// The summary as a JSON event.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "event": "summary",
            "done": self.done,
            "skipped": self.skipped,
            "failed": self.failed,
            "bytes": self.bytes,
            "secs": (self.secs * 1000.0).round() / 1000.0,
            "variants_per_sec": (self.rate() * 10.0).round() / 10.0,
            "retries": self.retries,
            "decodes": self.decodes,
            "interrupted": self.interrupted,
            "failures": self.failures.iter().map(|f| serde_json::json!({
                "source": f.source, "variant": f.variant, "reason": f.reason,
            })).collect::<Vec<_>>(),
        })
    }

    /// The summary for people (several lines).
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "xformd batch: {} done, {} skipped, {} failed; {:.1} MiB in {:.1} s ({:.1} variants/s); {} decodes, {} retries",
            self.done,
            self.skipped,
            self.failed,
            self.bytes as f64 / (1024.0 * 1024.0),
            self.secs,
            self.rate(),
            self.decodes,
            self.retries
        );
        for f in self.failures.iter().take(LISTED_FAILURES) {
            s.push_str(&format!("\n  failed: {} {}: {}", f.source, f.variant, f.reason));
        }
        if self.failures.len() > LISTED_FAILURES {
            s.push_str(&format!("\n  … and {} more (--json lists every one)", self.failures.len() - LISTED_FAILURES));
        }
        s
    }
}

/// What was written for one variant (for the JSON event).
#[derive(Debug, Clone, Copy)]
pub struct Written<'a> {
    /// Size in bytes.
    pub bytes: u64,
    /// Output width.
    pub width: u32,
    /// Output height.
    pub height: u32,
    /// MIME type.
    pub mime: &'a str,
    /// Backend that ran the pixel steps.
    pub backend: &'a str,
}

enum Mode {
    Bar(ProgressBar),
    Lines,
    Json,
    Quiet,
}

/// Live progress of one run.
pub struct Progress {
    mode: Mode,
    started: Instant,
    total: u64,
    done: AtomicU64,
    skipped: AtomicU64,
    failed: AtomicU64,
    bytes: AtomicU64,
    failures: Mutex<Vec<Failure>>,
}

impl Progress {
    /// Progress over `total` variants: JSON events with `json`, else a bar on a terminal,
    /// else plain lines; `quiet` shows nothing until the summary (tests, `--dry-run`).
    pub fn new(json: bool, quiet: bool, total: u64) -> Progress {
        let mode = if json {
            Mode::Json
        } else if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{bar:30} {pos}/{len} variants  {per_sec}  ETA {eta}  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            Mode::Bar(bar)
        } else {
            Mode::Lines
        };
        Progress {
            mode,
            started: Instant::now(),
            total,
            done: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            failures: Mutex::new(Vec::new()),
        }
    }

    /// `n` variants were already complete.
    pub fn skipped(&self, n: u64) {
        self.skipped.fetch_add(n, Ordering::Relaxed);
        if let Mode::Bar(b) = &self.mode {
            b.inc(n);
        }
    }

    /// A variant was written to `location`.
    pub fn done(&self, source: &str, variant: &str, location: &str, out: &Written<'_>) {
        self.done.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(out.bytes, Ordering::Relaxed);
        match &self.mode {
            Mode::Bar(b) => b.inc(1),
            Mode::Json => emit(&serde_json::json!({
                "event": "variant", "status": "done", "source": source, "variant": variant,
                "output": location, "bytes": out.bytes, "width": out.width, "height": out.height,
                "content_type": out.mime, "backend": out.backend,
            })),
            Mode::Lines | Mode::Quiet => {}
        }
    }

    /// A variant failed.
    pub fn failed(&self, source: &str, variant: &str, error: &Error) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let reason = format!("{}: {}", error.kind().code(), error.message());
        match &self.mode {
            Mode::Bar(b) => {
                b.inc(1);
                b.set_message(format!("{} failed", self.failed.load(Ordering::Relaxed)));
            }
            Mode::Json => emit(&serde_json::json!({
                "event": "variant", "status": "failed", "source": source, "variant": variant, "reason": reason,
            })),
            Mode::Lines | Mode::Quiet => {}
        }
        if let Ok(mut f) = self.failures.lock() {
            f.push(Failure { source: source.to_string(), variant: variant.to_string(), reason });
        }
    }

    /// In plain-line mode, one line of counts (called every [`LINE_EVERY`]).
    pub fn line(&self) {
        if let Mode::Lines = self.mode {
            let (d, s, f) = (self.count(&self.done), self.count(&self.skipped), self.count(&self.failed));
            let secs = self.started.elapsed().as_secs_f64();
            let rate = if secs > 0.0 { d as f64 / secs } else { 0.0 };
            let left = self.total.saturating_sub(d + s + f);
            let eta = if rate > 0.0 { format!("{:.0} s", left as f64 / rate) } else { "?".into() };
            eprintln!(
                "xformd batch: {}/{} variants ({d} done, {s} skipped, {f} failed), {rate:.1}/s, ETA {eta}",
                d + s + f,
                self.total
            );
        }
    }

    fn count(&self, c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }

    /// Stop the display and total up.
    pub fn finish(&self, retries: u64, decodes: u64, interrupted: bool) -> Summary {
        if let Mode::Bar(b) = &self.mode {
            b.finish_and_clear();
        }
        Summary {
            planned: self.total.saturating_sub(self.count(&self.skipped)),
            done: self.count(&self.done),
            skipped: self.count(&self.skipped),
            failed: self.count(&self.failed),
            bytes: self.count(&self.bytes),
            secs: self.started.elapsed().as_secs_f64(),
            retries,
            decodes,
            interrupted,
            failures: self.failures.lock().map(|f| f.clone()).unwrap_or_default(),
        }
    }
}

/// One JSON event on stdout. A closed stdout (the reader went away) is not the batch's failure.
pub fn emit(v: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_counts_and_lists_failures() {
        let p = Progress::new(false, true, 4);
        p.skipped(1);
        let w = |bytes| Written { bytes, width: 1, height: 1, mime: "image/jpeg", backend: "cpu" };
        p.done("/a.jpg", "w-1", "out/a/w-1.jpg", &w(100));
        p.done("/a.jpg", "w-2", "out/a/w-2.jpg", &w(50));
        p.failed("/b.jpg", "w-1", &Error::new(crate::error::ErrorKind::NotFound, "no source"));
        let s = p.finish(2, 3, false);
        assert_eq!((s.done, s.skipped, s.failed, s.bytes, s.retries, s.decodes), (2, 1, 1, 150, 2, 3));
        assert_eq!(s.failures[0].reason, "not_found: no source");
        assert!(s.to_text().contains("failed: /b.jpg w-1: not_found: no source"));
        assert_eq!(s.to_json()["failed"], 1);
    }
}
