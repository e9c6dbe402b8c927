//! [`ProcessBackend`]: every video call runs in a fresh `xformd-ffmpeg` process.
//!
//! One process per call: a crash, a leak or a hang inside FFmpeg ends with that process, and
//! cancelling is a kill, which stops FFmpeg wherever it is (the in-process backend could only
//! stop between packets). A cut's output is written by the helper to a hidden part file that
//! this side owns ([`PartFile`]): renamed onto the destination after a complete reply, removed
//! on every other path, so a killed helper never leaves a partial file either.
//!
//! Owns: [`ProcessBackend`], [`helper_path`], [`HELPER`], [`HELPER_ENV`]. Imports the parent's
//! types and [`super::wire`], `limits`, `error`, `media` ([`Frame`]).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::wire::{split_reply, Call, Reply, Request};
use super::{CutReport, CutSpec, VideoBackend, VideoError, VideoInfo};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::media::Frame;

/// The helper's file name, next to `xformd` wherever it is installed.
pub const HELPER: &str = "xformd-ffmpeg";
/// Environment variable naming the helper's path, for installs that keep it elsewhere.
pub const HELPER_ENV: &str = "XFORMD_FFMPEG_HELPER";
/// The most of the helper's standard error kept for the log of a failed call.
const STDERR_KEEP: u64 = 16 * 1024;

/// Where the helper is: `$XFORMD_FFMPEG_HELPER` when set; else `xformd-ffmpeg` in this
/// executable's folder; else in its parent folder (cargo puts test and bench executables in
/// `target/<profile>/deps`, the binaries one level up).
///
/// # Errors
/// [`ErrorKind::Unavailable`] naming the places looked at when none holds the helper.
pub fn helper_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(HELPER_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let exe =
        std::env::current_exe().map_err(|e| Error::new(ErrorKind::Unavailable, format!("no executable path: {e}")))?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    let candidates = [Some(dir.join(HELPER)), dir.parent().map(|d| d.join(HELPER))];
    candidates.iter().flatten().find(|p| p.is_file()).cloned().ok_or_else(|| {
        Error::new(
            ErrorKind::Unavailable,
            format!("the FFmpeg helper `{HELPER}` is not installed next to {} (or set {HELPER_ENV})", exe.display()),
        )
    })
}

/// [`VideoBackend`] on the `xformd-ffmpeg` helper process.
#[derive(Debug, Clone)]
pub struct ProcessBackend {
    helper: PathBuf,
    limits: Limits,
}

impl ProcessBackend {
    /// The helper found by [`helper_path`]. Starts nothing: the first call shows whether
    /// FFmpeg works (or [`ProcessBackend::check`], which `xformd check` runs).
    ///
    /// # Errors
    /// As [`helper_path`].
    pub fn new(limits: Limits) -> Result<ProcessBackend> {
        Ok(ProcessBackend::with_helper(helper_path()?, limits))
    }

    /// The helper at `helper`.
    pub fn with_helper(helper: PathBuf, limits: Limits) -> ProcessBackend {
        ProcessBackend { helper, limits }
    }

    /// Start the helper once: FFmpeg opens and every encoder a cut may need is present.
    ///
    /// # Errors
    /// [`ErrorKind::Unavailable`] naming the missing encoder; internal when the helper
    /// cannot run.
    pub fn check(&self) -> Result<()> {
        match self.call(&self.limits, Call::Check, None)? {
            (Reply::Ready, _) => Ok(()),
            (other, _) => Err(unexpected(&other)),
        }
    }

    /// Run one call in a fresh helper: request on stdin, reply (and a thumbnail's pixels)
    /// on stdout. With `cancel`, the wait looks at the flag every few milliseconds and kills
    /// the helper once it is set.
    fn call(&self, limits: &Limits, call: Call, cancel: Option<&AtomicBool>) -> Result<(Reply, Vec<u8>)> {
        let request = serde_json::to_vec(&Request { limits: *limits, call })
            .map_err(|e| Error::internal(format!("video helper request: {e}")))?;
        let mut child = Command::new(&self.helper)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                Error::new(
                    ErrorKind::Unavailable,
                    format!("cannot start the FFmpeg helper {}: {e}", self.helper.display()),
                )
            })?;
        // Reply bytes are bounded by the largest frame the limits allow, plus its reply line.
        let stdout_cap = limits.max_alloc.saturating_add(1 << 20);
        let out = reader(child.stdout.take(), stdout_cap);
        let err = reader(child.stderr.take(), STDERR_KEEP);
        if let Some(mut stdin) = child.stdin.take() {
            // A helper that dies before reading everything closes the pipe; its exit status
            // below says why, so the write error adds nothing.
            let _ = stdin.write_all(&request);
        }
        let status = wait(&mut child, cancel)?;
        let stdout = out.join().unwrap_or_default();
        let stderr = err.join().unwrap_or_default();
        if !status.success() {
            let tail = String::from_utf8_lossy(&stderr);
            let last = tail.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no message");
            tracing::warn!(helper = %self.helper.display(), %status, stderr = %tail, "video helper failed");
            return Err(Error::internal(format!("video helper ended with {status}: {last}")));
        }
        let (reply, rest) = split_reply(&stdout)?;
        match reply {
            Reply::Failed(e) => Err(e),
            ok => Ok((ok, rest.to_vec())),
        }
    }
}

/// Read a pipe to its end on a thread of its own (at most `cap` bytes), so neither pipe can
/// fill up and stall the helper while the other is read.
fn reader(pipe: Option<impl Read + Send + 'static>, cap: u64) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(p) = pipe {
            let _ = p.take(cap).read_to_end(&mut buf);
        }
        buf
    })
}

/// Wait for the helper; with a cancel flag, poll it and kill the helper once it is set.
fn wait(child: &mut Child, cancel: Option<&AtomicBool>) -> Result<std::process::ExitStatus> {
    let io = |e: std::io::Error| Error::internal(format!("waiting for the video helper: {e}"));
    let Some(cancel) = cancel else { return child.wait().map_err(io) };
    crate::child::wait_or_kill(child, || cancel.load(Ordering::Relaxed))
        .map_err(io)?
        .ok_or_else(|| VideoError::Cancelled.into())
}

fn unexpected(reply: &Reply) -> Error {
    Error::internal(format!("video helper answered {reply:?} to another call"))
}

impl VideoBackend for ProcessBackend {
    fn probe(&self, input: &Path) -> Result<VideoInfo> {
        match self.call(&self.limits, Call::Probe { input: input.to_owned() }, None)? {
            (Reply::Probed(info), _) => Ok(info),
            (other, _) => Err(unexpected(&other)),
        }
    }

    fn cut(&self, input: &Path, spec: &CutSpec, output: &Path, cancel: &AtomicBool) -> Result<CutReport> {
        // Before the spec becomes JSON, which has no NaN or infinity to carry a bad offset.
        spec.validate()?;
        super::check_offsets(spec)?;
        let part = PartFile::new(output);
        let call = Call::Cut { input: input.to_owned(), spec: Box::new(spec.clone()), output: part.path.clone() };
        match self.call(&self.limits, call, Some(cancel))? {
            (Reply::Cut(report), _) => {
                part.commit()?;
                Ok(report)
            }
            (other, _) => Err(unexpected(&other)),
        }
    }

    fn thumbnail(&self, input: &Path, at_secs: f64, limits: &Limits) -> Result<Frame> {
        // Before the time becomes JSON, which has no NaN or infinity to carry a bad one.
        super::check_thumbnail_time(at_secs)?;
        match self.call(limits, Call::Thumbnail { input: input.to_owned(), at_secs }, None)? {
            (Reply::Thumbnail { width, height }, pixels) => {
                limits.check_input(width, height)?;
                Frame::from_rgba(width, height, pixels)
            }
            (other, _) => Err(unexpected(&other)),
        }
    }
}

/// A cut's output while the helper writes it: a hidden name in the destination's folder,
/// renamed onto the destination on success and removed on every other path (an error, a
/// cancellation, a helper that died), so no partial file is ever visible.
struct PartFile {
    path: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl PartFile {
    fn new(dest: &Path) -> PartFile {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = dest.file_name().map_or_else(|| "cut".into(), |n| n.to_string_lossy());
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = dest.with_file_name(format!(".{name}.{}-{unique}.part", std::process::id()));
        PartFile { path, dest: dest.to_owned(), done: false }
    }

    /// Rename onto the destination; same folder, so the rename is atomic.
    fn commit(mut self) -> Result<()> {
        std::fs::rename(&self.path, &self.dest)
            .map_err(|source| VideoError::Io { op: "renaming the finished output", source })?;
        self.done = true;
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.done {
            // Nothing to do if it was never created.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
