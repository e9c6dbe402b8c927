//! Video jobs end to end: origin → local file → probe → [`CutSpec`] → cut under a permit and
//! a deadline → a finished file; and video thumbnails (`/v.mp4/ik-thumbnail.jpg`), whose
//! frame then runs the job's image steps like any decoded picture.
//!
//! Owns: [`cut`], [`cut_to`], [`thumbnail`], [`cut_spec`], [`video_format`],
//! [`is_video_path`], [`CutInput`], [`CutOutput`], [`RenderedFile`]. This is the single video
//! path that the `CutVideo` RPC and `xformd render` both call.
//!
//! May import: `app`, `origin`, `video`, `job`, `media`, `error`, `limits`; tokio at the
//! boundary (all FFmpeg work runs through [`run_blocking`], never on a runtime worker).
//! Never tonic, axum or `url`.
//!
//! # Files
//! FFmpeg reads and writes files. A local origin's file is read in place (after the same
//! confinement check the origin's `fetch` makes); any other origin's bytes go to a temporary
//! file first. The cut goes to a temporary file ([`RenderedFile`], removed when dropped) or,
//! for `render`, straight to the requested output; the video module writes a hidden `.part`
//! next to the destination and renames it on success, so no partial file is ever visible.
//!
//! # Job → cut
//! * `so`/`eo`/`du`: hundredths → seconds; expressions are evaluated with `idu` = `bdu` = the
//!   probed duration. The window rules and their 400s are [`crate::video::resolve_window`]'s.
//! * `w`/`h`: pixels, fractions of the upright source size, expressions over `iw ih iar`
//!   (and `cw ch car`, equal to them: a video has one step of geometry), `w-auto` from the
//!   client hint; `ar` with one of them; `dpr` numbers multiply.
//! * `c`/`cm` → [`VideoFit`]: `maintain_ratio` (default), `force`, `at_max`, `at_least`,
//!   `pad_resize` (with `bg` colour), `extract`/`pad_extract`; `at_max_enlarge` is computed
//!   here and sent as `force` to the ratio-keeping size. The `*_no_enlarge`/`no_shrink`
//!   variants, `fo` other than centre, `x y xc yc z` and the image-only parameters (`t fl bl
//!   e r b o`, `bg-blurred`) are 400 `unsupported`, naming the key: silently ignoring them
//!   would deliver something else than asked.
//! * `l-video`, `l-subtitles`: fetched from the same origin (`layer_files`), resolved against
//!   the output by `spec::attach`, drawn by the video backend; `l-image`/`l-text` on video
//!   are 400 `unsupported`.
//! * `q` (default 50), `f-mp4|webm|auto|orig` (see [`video_format`]), `rt` ∈ {0, 90, 180,
//!   270, 360, auto}, `ac-none`/`vc-none` strip a stream; `vc-av1` is unsupported (the WebM
//!   path encodes VP9).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{ms, TransformInput, TransformOutput};
use crate::app::App;
use crate::error::{Error, ErrorKind, Result};
use crate::job::{Format, Job};
use crate::limits::Limits;
use crate::media::decode::Decoded;
use crate::media::probe::{SourceFormat, SourceInfo};
use crate::video::{run_blocking, CutReport, VideoFormat, VideoInfo};

mod layer_files;
mod spec;

use spec::seconds;
pub use spec::{attach, cut_spec, video_format, LayerInputs};

/// Default video quality (ImageKit's documented default for videos).
pub const DEFAULT_VIDEO_QUALITY: u8 = 50;

/// Longest a cut or thumbnail may run before it is cancelled (504). Generous: a re-encode of
/// a long 1080p source on a small machine takes minutes; `max_video_secs` bounds the input.
pub const VIDEO_DEADLINE: Duration = Duration::from_secs(300);

/// File extensions served as video (the front end's video-versus-image decision).
pub const VIDEO_EXTENSIONS: [&str; 9] = ["mp4", "mov", "webm", "mkv", "m4v", "avi", "mpg", "mpeg", "ogv"];

/// Extensions tried, in order, when a thumbnail is asked for by an image name
/// (Cloudinary's `/video/upload/so_2/clip.jpg` means the frame of `clip.<video ext>`).
pub const THUMBNAIL_SOURCE_EXTENSIONS: [&str; 3] = ["mp4", "mov", "webm"];

/// True when `path` names a video by its extension (case-insensitive).
pub fn is_video_path(path: &str) -> bool {
    extension(path).is_some_and(|e| VIDEO_EXTENSIONS.iter().any(|v| v.eq_ignore_ascii_case(e)))
}

/// The extension of the last path segment, without the dot.
fn extension(path: &str) -> Option<&str> {
    let file = path.rsplit('/').next()?;
    file.rsplit_once('.').map(|(_, e)| e).filter(|e| !e.is_empty())
}

/// A video cut request and its context.
#[derive(Debug, Clone)]
pub struct CutInput {
    /// The typed job.
    pub job: Job,
    /// The client's `Accept` header, for `f-auto` (WebM when it prefers `video/webm`).
    pub accept: String,
    /// `Sec-CH-Width`, for `w-auto`.
    pub hint_width: Option<u32>,
}

/// A file that is deleted when this value is dropped.
#[derive(Debug)]
pub struct RenderedFile {
    path: PathBuf,
    keep: bool,
}

impl RenderedFile {
    /// A fresh file in the system temporary folder, ending in `.ext`: a random name, created
    /// exclusively, so nobody can predict it and plant a symlink there first.
    fn temp(ext: &str) -> Result<RenderedFile> {
        let path = tempfile::Builder::new()
            .prefix("xformd-video-")
            .suffix(&format!(".{ext}"))
            .tempfile()
            .map_err(|e| Error::internal(format!("creating a temporary file: {e}")))?
            .into_temp_path()
            .keep()
            .map_err(|e| Error::internal(format!("keeping a temporary file: {e}")))?;
        Ok(RenderedFile { path, keep: false })
    }

    /// A file the caller asked for: never deleted by this guard.
    fn kept(path: &Path) -> RenderedFile {
        RenderedFile { path: path.to_owned(), keep: true }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for RenderedFile {
    fn drop(&mut self) {
        if !self.keep {
            // Absent when the cut failed before publishing it: nothing to remove.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A finished cut.
#[derive(Debug)]
pub struct CutOutput {
    /// The encoded file; a temporary one is removed when this is dropped.
    pub file: RenderedFile,
    /// Its size in bytes.
    pub bytes: u64,
    /// `video/mp4` or `video/webm`.
    pub mime: &'static str,
    /// The container written.
    pub format: VideoFormat,
    /// True when the format came from the `Accept` header (`Vary: Accept`).
    pub negotiated: bool,
    /// The source as probed.
    pub source: VideoInfo,
    /// The output as probed after the cut (duration, size, codecs); `None` for an audio-only
    /// cut (`vc-none`), which the video prober does not describe.
    pub output: Option<VideoInfo>,
    /// What the video backend reported (copy or re-encode, window, size, time).
    pub report: CutReport,
    /// Milliseconds spent getting the source into a local file.
    pub fetch_ms: f64,
    /// Milliseconds from the start of [`cut`] to the finished file.
    pub ms: f64,
}

/// The source as a local file: the origin's own file, or a temporary copy.
struct SourceFile {
    path: PathBuf,
    /// The temporary copy, removed on drop; `None` when the origin's file is read in place.
    _copy: Option<RenderedFile>,
}

fn not_found(source: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("no source at '{source}'")).with_param("path", source)
}

/// Get `source` into a local file FFmpeg can open.
async fn source_file(app: &App, source: &str) -> Result<SourceFile> {
    if let Some(path) = app.origin.local_path(source) {
        let rel = source.trim_start_matches('/');
        // The origin maps `/a/b.mp4` to `<root>/a/b.mp4`; recover the root to refuse
        // symlinks leading out of it, as the origin's `fetch` does. A path the origin rewrote
        // (a prefix router stripping its prefix) takes the fetch route below instead.
        let depth = Path::new(rel).components().count();
        if path.ends_with(rel) {
            let root = path.ancestors().nth(depth).map(Path::to_path_buf).unwrap_or_default();
            let (root, real) = match (tokio::fs::canonicalize(&root).await, tokio::fs::canonicalize(&path).await) {
                (Ok(r), Ok(f)) => (r, f),
                _ => return Err(not_found(source)),
            };
            if !real.starts_with(&root) {
                return Err(Error::invalid("path", source, "escapes the media folder"));
            }
            let meta = tokio::fs::metadata(&real).await.map_err(|_| not_found(source))?;
            if !meta.is_file() {
                return Err(not_found(source));
            }
            return Ok(SourceFile { path: real, _copy: None });
        }
    }
    let fetched = app.origin.fetch(source).await?;
    let copy = RenderedFile::temp(
        extension(source).filter(|e| e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric())).unwrap_or("bin"),
    )?;
    tokio::fs::write(copy.path(), &fetched.bytes)
        .await
        .map_err(|e| Error::internal(format!("writing the video source to a temporary file: {e}")))?;
    Ok(SourceFile { path: copy.path().to_owned(), _copy: Some(copy) })
}

/// Cut `input` into a temporary file (removed when the returned [`CutOutput`] is dropped).
pub async fn cut(app: &App, input: CutInput) -> Result<CutOutput> {
    cut_into(app, input, None).await
}

/// Cut `input` into `dest`, atomically: on failure `dest` is untouched and nothing partial
/// remains. For `xformd render`.
pub async fn cut_to(app: &App, input: CutInput, dest: &Path) -> Result<CutOutput> {
    cut_into(app, input, Some(dest)).await
}

/// One of the video slots; the permit moves into the blocking task so the slot stays taken
/// until FFmpeg has really stopped.
async fn video_permit(app: &App) -> Result<tokio::sync::OwnedSemaphorePermit> {
    app.video_admission.acquire().await
}

async fn cut_into(app: &App, input: CutInput, dest: Option<&Path>) -> Result<CutOutput> {
    crate::plan::cost::check_counts(&input.job, &app.limits)?;
    let started = Instant::now();
    let src = source_file(app, &input.job.source).await?;
    let mut layers = layer_files::fetch(app, &input.job).await?;
    let fetch_ms = ms(started);
    let permit = video_permit(app).await?;
    let backend = Arc::clone(&app.video);
    let limits = app.limits;
    let src_path = src.path.clone();
    // The output name depends on the format, known only after the probe: decide it inside.
    let dest = dest.map(Path::to_path_buf);
    let (file, source, output, report, format, negotiated, layers) =
        run_blocking(permit, VIDEO_DEADLINE, move |cancel| {
            let source = backend.probe(&src_path)?;
            let (mut spec, negotiated) = cut_spec(&input.job, &source, &input.accept, input.hint_width, &limits)?;
            let inputs = layers.load(backend.as_ref(), &limits)?;
            attach(&input.job, &source, &mut spec, &inputs, &limits)?;
            let file = match dest {
                Some(d) => RenderedFile::kept(&d),
                None => RenderedFile::temp(spec.format.extension())?,
            };
            let report = backend.cut(&src_path, &spec, file.path(), cancel)?;
            let output = backend.probe(file.path()).ok();
            Ok((file, source, output, report, spec.format, negotiated, layers))
        })
        .await?;
    // The layer files (temporary copies) go only once FFmpeg is done with them.
    drop((src, layers));
    let bytes = tokio::fs::metadata(file.path())
        .await
        .map_err(|e| Error::internal(format!("reading the finished cut: {e}")))?
        .len();
    let mime = match format {
        VideoFormat::Mp4 => "video/mp4",
        VideoFormat::Webm => "video/webm",
    };
    Ok(CutOutput { file, bytes, mime, format, negotiated, source, output, report, fetch_ms, ms: ms(started) })
}

/// A video thumbnail: the frame at `so` (first frame without it), then the job's image steps
/// and encoding on the image path (JPEG unless `f` says otherwise).
///
/// A source named with an image extension (`/clip.jpg`, from a Cloudinary video URL) is
/// looked up as `/clip.mp4`, `/clip.mov`, `/clip.webm` in that order; the first that exists
/// is used.
pub async fn thumbnail(app: &App, mut input: TransformInput) -> Result<TransformOutput> {
    let started = Instant::now();
    let src = thumbnail_source(app, &input.job.source).await?;
    let fetch_ms = ms(started);
    let permit = video_permit(app).await?;
    let backend = Arc::clone(&app.video);
    let limits = app.limits;
    let src_path = src.path.clone();
    let job = input.job.clone();
    let t = Instant::now();
    let frame = run_blocking(permit, VIDEO_DEADLINE, move |_cancel| {
        let info = backend.probe(&src_path)?;
        let at = thumbnail_time(&job, &info)?;
        backend.thumbnail(&src_path, at, &limits)
    })
    .await?;
    drop(src);
    let decode_ms = ms(t);
    limits_check(&app.limits, &frame)?;
    // The frame is the decoded source from here on: the video keys have done their work,
    // and the image planner must not see them.
    for step in &mut input.job.steps {
        step.video = Default::default();
    }
    if input.job.output.format.is_none() {
        input.job.output.format = Some(Format::Jpeg);
    }
    crate::plan::cost::estimate(&input.job, (frame.width, frame.height), 1, input.hints, &app.limits)?;
    let info = SourceInfo { format: SourceFormat::Video, width: frame.width, height: frame.height, orientation: 1 };
    let decoded = Decoded { frame, info, shrink: 1, icc: None, exif: None };
    let permit = app.admission.acquire().await?;
    let app2 = app.clone();
    let handle = tokio::runtime::Handle::current();
    let mut out =
        super::on_pool(app, permit, move || super::run_decoded(&app2, &input, decoded, decode_ms, handle)).await?;
    out.timings.fetch_ms = fetch_ms;
    Ok(out)
}

fn limits_check(limits: &Limits, frame: &crate::media::Frame) -> Result<()> {
    limits.check_input(frame.width, frame.height)
}

/// The video behind a thumbnail request.
async fn thumbnail_source(app: &App, source: &str) -> Result<SourceFile> {
    if is_video_path(source) {
        return source_file(app, source).await;
    }
    let Some((stem, _)) = source.rsplit_once('.').filter(|(s, _)| !s.ends_with('/')) else {
        return source_file(app, source).await;
    };
    for ext in THUMBNAIL_SOURCE_EXTENSIONS {
        match source_file(app, &format!("{stem}.{ext}")).await {
            Err(e) if e.kind() == ErrorKind::NotFound => continue,
            other => return other,
        }
    }
    Err(Error::new(
        ErrorKind::NotFound,
        format!("no video for '{source}' (tried {})", THUMBNAIL_SOURCE_EXTENSIONS.join(", ")),
    )
    .with_param("path", source))
}

/// The thumbnail time in seconds: the last `so` of the chain, else 0.
fn thumbnail_time(job: &Job, info: &VideoInfo) -> Result<f64> {
    let so = job.steps.iter().rev().find_map(|s| s.video.start.as_ref());
    match so {
        None => Ok(0.0),
        Some(t) => {
            let at = seconds("so", t, info.duration_secs)?;
            if at >= info.duration_secs {
                let why = format!("must be less than the video duration of {} s", info.duration_secs);
                return Err(Error::invalid("so", format!("{at}"), why));
            }
            Ok(at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_paths() {
        assert!(is_video_path("/video/a.MP4"));
        assert!(is_video_path("/a.webm"));
        assert!(!is_video_path("/a.jpg"));
        assert!(!is_video_path("/mp4"));
        assert!(!is_video_path("/dir.mp4/a"));
    }
}
