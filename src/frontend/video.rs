//! Video over HTTP: which requests are video cuts, the `CutVideo` call, streaming the body,
//! byte ranges, `HEAD`; and the Cloudinary spelling of a video thumbnail.
//!
//! Owns: [`serve_cut`], [`mark_cloudinary_thumbnail`], [`is_video_path`], [`parse_range`],
//! [`CutCache`], [`RANGE_BUFFER_LIMIT`]. May import what its parent may (`url`, `job`, `error`, the
//! generated client and `service::convert`); axum, tonic (client). Never `pipeline`.
//!
//! # Video or image
//! A request is a video cut when its source's extension is a video one (`mp4 mov webm mkv m4v
//! avi mpg mpeg ogv`) and it is not a thumbnail (`…/v.mp4/ik-thumbnail.jpg`, or the
//! Cloudinary form below) and not `orig-true`; everything else, thumbnails included, takes the
//! image path (`Transform`), where the daemon decodes the frame with FFmpeg.
//!
//! # Cloudinary thumbnails
//! In Cloudinary a video URL whose public ID ends in an image extension asks for a still
//! frame: `/video/upload/so_2/clips/intro.jpg` is the frame at 2 s of the video
//! `clips/intro`. The rewriter forwards `/clips/intro.jpg`; [`mark_cloudinary_thumbnail`]
//! marks such a job as a thumbnail. The front end never sees the origin, so the daemon picks
//! the video file: `/clips/intro.mp4`, then `.mov`, then `.webm`, the first that exists
//! (`pipeline::video::thumbnail`).
//!
//! # Responses
//! * `GET`: `200`, `Content-Type: video/mp4|webm`, `Accept-Ranges: bytes`, the body streamed
//!   chunk by chunk as the daemon sends it (chunked transfer; the cut is complete before the
//!   first byte, so errors are proper statuses: 400 naming the parameter, 404, 422, 504).
//! * `HEAD`: the same headers with `Content-Length`, no body.
//! * `Range: bytes=a-b` (one range; `a-`, `-n` too): `206` with `Content-Range`, or `416`
//!   when it starts past the end. A larger cut than [`RANGE_BUFFER_LIMIT`] ignores `Range`
//!   and streams the whole file with `200` (allowed by RFC 9110).
//! * `Vary: Accept` when the container was negotiated from `Accept` (`f-auto`), plus the
//!   client-hint headers when the job reads `w-auto`/`dpr-auto` (`frontend::hints`).
//!
//! # The cut cache
//! Re-encoding is not byte-identical from run to run (measured: the same URL gave 71 367 and
//! 71 383 bytes while other cuts ran alongside), so the ranges of one video must come from one
//! cut. [`CutCache`] keeps finished cuts of at most [`RANGE_BUFFER_LIMIT`] in memory, keyed by
//! path, query and `Accept`, for [`CUT_CACHE_TTL`], within [`CUT_CACHE_BYTES`] (oldest
//! evicted first). A full `GET` fills it while it streams (the chunks are shared, not
//! copied); `Range` and `HEAD` requests buffer the cut into it; later requests for the same
//! URL are answered from it with `Content-Length`. A source changed within the TTL is served
//! stale until the entry expires.

use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use tokio_stream::StreamExt;

use super::{error_response, header_str, FrontState};
use crate::error::{Error, ErrorKind, Result};
use crate::job::Job;
use crate::service::convert::{error_from_status, job_to_proto};
use crate::service::proto as pb;
use crate::url::{self, Dialect, UrlOptions};

mod cut_cache;

use self::cut_cache::{CachedCut, Tee};
pub use self::cut_cache::{CutCache, CUT_CACHE_BYTES, CUT_CACHE_TTL, RANGE_BUFFER_LIMIT};

/// Video file extensions (the same list as `pipeline::video::VIDEO_EXTENSIONS`, which the
/// front end may not import).
const VIDEO_EXTENSIONS: [&str; 9] = ["mp4", "mov", "webm", "mkv", "m4v", "avi", "mpg", "mpeg", "ogv"];

/// Image extensions that turn a Cloudinary video URL into a thumbnail request.
const IMAGE_EXTENSIONS: [&str; 6] = ["jpg", "jpeg", "png", "webp", "gif", "avif"];

fn extension(path: &str) -> Option<&str> {
    let file = path.rsplit('/').next()?;
    file.rsplit_once('.').map(|(_, e)| e).filter(|e| !e.is_empty())
}

/// True when `path` names a video by its extension (case-insensitive).
pub fn is_video_path(path: &str) -> bool {
    extension(path).is_some_and(|e| VIDEO_EXTENSIONS.iter().any(|v| v.eq_ignore_ascii_case(e)))
}

/// Mark `job` as a thumbnail when `path` is a Cloudinary `/video/…` URL whose public ID ends
/// in an image extension (see the module docs). Returns true when it did.
pub fn mark_cloudinary_thumbnail(path: &str, opts: &UrlOptions, job: &mut Job) -> bool {
    let (dialect, rest) = url::detect(path, opts);
    let image_name = extension(&job.source).is_some_and(|e| IMAGE_EXTENSIONS.iter().any(|i| i.eq_ignore_ascii_case(e)));
    if dialect == Dialect::Cloudinary && rest.starts_with("/video/") && image_name && !job.thumbnail {
        job.thumbnail = true;
        return true;
    }
    false
}

/// A single byte range, inclusive, already checked against the length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// Bytes `first..=last`.
    Satisfiable(u64, u64),
    /// Starts at or past the end (416).
    Unsatisfiable,
}

/// Parse a `Range` header for a representation of `len` bytes. `None` means "ignore it":
/// not `bytes=`, several ranges, or malformed, as RFC 9110 allows.
pub fn parse_range(value: &str, len: u64) -> Option<ByteRange> {
    let spec = value.trim().strip_prefix("bytes=")?.trim();
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let num = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    if a.is_empty() {
        // Suffix: the last n bytes.
        let n = num(b)?;
        if n == 0 || len == 0 {
            return Some(ByteRange::Unsatisfiable);
        }
        return Some(ByteRange::Satisfiable(len.saturating_sub(n), len - 1));
    }
    let first = num(a)?;
    let last = if b.is_empty() { None } else { Some(num(b)?) };
    if last.is_some_and(|l| l < first) {
        return None;
    }
    if first >= len {
        return Some(ByteRange::Unsatisfiable);
    }
    Some(ByteRange::Satisfiable(first, last.map_or(len - 1, |l| l.min(len - 1))))
}

/// Serve `path` as a video cut, or `None` when it is not one (the image path then answers,
/// and reports URL errors itself).
pub(super) async fn serve_cut(
    state: &FrontState,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    head: bool,
) -> Option<Response> {
    let parsed = url::to_job(path, query, &state.url).ok()?;
    let job = parsed.job;
    if job.thumbnail || job.output.original || !is_video_path(&job.source) {
        return None;
    }
    // Same request, same bytes: path, query, the header `f-auto` reads and the hints the job reads.
    let client_hints = super::hints::read(headers, &job);
    let hints = client_hints.hints;
    let key = format!(
        "{path}?{}\n{}\n{:?},{:?}",
        query.unwrap_or(""),
        header_str(headers, "accept").unwrap_or(""),
        hints.width,
        hints.dpr
    );
    Some(cut(state, &job, headers, head, key, client_hints).await.unwrap_or_else(|e| error_response(&e)))
}

/// Answer from a finished cut in memory: whole, ranged or `HEAD`.
fn from_bytes(state: &FrontState, cut: CachedCut, headers: &HeaderMap, head: bool) -> Result<Response> {
    let len = cut.data.len() as u64;
    let mut builder = base_headers(state, &cut.content_type, cut.negotiated, cut.uses);
    let range = header_str(headers, "range").and_then(|r| parse_range(r, len));
    let built = match range {
        Some(ByteRange::Unsatisfiable) => builder
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(header::CONTENT_RANGE, format!("bytes */{len}"))
            .body(Body::empty()),
        Some(ByteRange::Satisfiable(a, b)) => {
            let (from, to) = (usize::try_from(a), usize::try_from(b).map(|b| b.saturating_add(1)));
            let part = match (from, to) {
                (Ok(from), Ok(to)) if from < to && to <= cut.data.len() => cut.data.slice(from..to),
                _ => return Err(Error::internal("range outside the cut")),
            };
            builder = builder
                .status(StatusCode::PARTIAL_CONTENT)
                .header(header::CONTENT_RANGE, format!("bytes {a}-{b}/{len}"))
                .header(header::CONTENT_LENGTH, part.len());
            builder.body(if head { Body::empty() } else { Body::from(part) })
        }
        None => builder.status(StatusCode::OK).header(header::CONTENT_LENGTH, len).body(if head {
            Body::empty()
        } else {
            Body::from(cut.data)
        }),
    };
    built.map_err(|e| Error::internal(format!("response: {e}")))
}

fn base_headers(
    state: &FrontState,
    content_type: &str,
    negotiated: bool,
    uses: crate::job::JobHints,
) -> axum::http::response::Builder {
    let builder = Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, state.cache_control.clone())
        .header(header::ACCEPT_RANGES, "bytes")
        .header("x-xformd-backend", "ffmpeg");
    match super::hints::vary(negotiated, uses) {
        Some(vary) => builder.header(header::VARY, vary),
        None => builder,
    }
}

async fn cut(
    state: &FrontState,
    job: &Job,
    headers: &HeaderMap,
    head: bool,
    key: String,
    client_hints: super::hints::ClientHints,
) -> Result<Response> {
    if let Some(hit) = state.video_cache.get(&key) {
        return from_bytes(state, hit, headers, head);
    }
    let request = pb::TransformRequest {
        job: Some(job_to_proto(job)),
        backend: pb::Backend::Auto as i32,
        accept: header_str(headers, "accept").unwrap_or("").to_string(),
        hint_width: client_hints.hints.width,
        hint_dpr: client_hints.hints.dpr,
    };
    let mut client = state.client.clone();
    // The timeout covers the cut itself (it finishes before the first chunk), not the
    // streaming of the body.
    let response = tokio::time::timeout(state.request_timeout, client.cut_video(request))
        .await
        .map_err(|_| Error::new(ErrorKind::Timeout, "the daemon did not finish the cut in time"))?
        .map_err(|s| error_from_status(&s))?;
    let md = response.metadata();
    let md_str = |k: &str| md.get(k).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let total: Option<u64> = md_str("x-xformd-bytes").and_then(|v| v.parse().ok());
    let negotiated = md_str("x-xformd-negotiated").as_deref() == Some("1");
    let mut stream = response.into_inner();
    let first = stream.message().await.map_err(|s| error_from_status(&s))?.unwrap_or_default();
    let content_type = if first.content_type.is_empty() { "video/mp4".to_string() } else { first.content_type.clone() };

    let entry =
        CachedCut { key, data: Bytes::new(), content_type, negotiated, uses: client_hints.uses, at: Instant::now() };
    let bufferable = total.is_some_and(|len| len <= RANGE_BUFFER_LIMIT);
    if bufferable && (head || headers.contains_key(header::RANGE)) {
        let len = total.unwrap_or(0);
        let data = Bytes::from(collect(first.data, &mut stream, len).await?);
        let cut = CachedCut { data, ..entry };
        state.video_cache.put(cut.clone());
        return from_bytes(state, cut, headers, head);
    }
    let mut builder = base_headers(state, &entry.content_type, negotiated, entry.uses).status(StatusCode::OK);
    if head {
        if let Some(len) = total {
            builder = builder.header(header::CONTENT_LENGTH, len);
        }
        return builder.body(Body::empty()).map_err(|e| Error::internal(format!("response: {e}")));
    }
    let first = Bytes::from(first.data);
    let size = first.len();
    let tee = Tee {
        inner: stream,
        parts: vec![first.clone()],
        size,
        entry: bufferable.then(|| (Arc::clone(&state.video_cache), entry)),
    };
    let body = tokio_stream::once(Ok(first)).chain(tee);
    builder.body(Body::from_stream(body)).map_err(|e| Error::internal(format!("response: {e}")))
}

/// The whole cut in memory: `first` plus the rest of `stream`, at most `len` bytes (the size
/// the daemon announced, itself at most [`RANGE_BUFFER_LIMIT`]).
async fn collect(first: Vec<u8>, stream: &mut tonic::Streaming<pb::VideoChunk>, len: u64) -> Result<Vec<u8>> {
    let mut data = first;
    let want = usize::try_from(len).map_err(|_| Error::internal("cut too large to buffer"))?;
    data.try_reserve(want.saturating_sub(data.len()))
        .map_err(|_| Error::new(ErrorKind::TooLarge, "cannot buffer the cut for a range request"))?;
    while let Some(chunk) = stream.message().await.map_err(|s| error_from_status(&s))? {
        if data.len() + chunk.data.len() > want {
            return Err(Error::internal("the daemon sent more bytes than it announced"));
        }
        data.extend_from_slice(&chunk.data);
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        use ByteRange::*;
        assert_eq!(parse_range("bytes=0-99", 1000), Some(Satisfiable(0, 99)));
        assert_eq!(parse_range("bytes=900-", 1000), Some(Satisfiable(900, 999)));
        assert_eq!(parse_range("bytes=900-5000", 1000), Some(Satisfiable(900, 999)));
        assert_eq!(parse_range("bytes=-100", 1000), Some(Satisfiable(900, 999)));
        assert_eq!(parse_range("bytes=-5000", 1000), Some(Satisfiable(0, 999)));
        assert_eq!(parse_range("bytes=1000-", 1000), Some(Unsatisfiable));
        assert_eq!(parse_range("bytes=5-2", 1000), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), None);
        assert_eq!(parse_range("items=0-1", 1000), None);
        assert_eq!(parse_range("bytes=a-b", 1000), None);
    }

    #[test]
    fn cloudinary_thumbnails() {
        let opts = UrlOptions::default();
        let mut job = Job { source: "/clips/intro.jpg".into(), ..Job::default() };
        assert!(mark_cloudinary_thumbnail("/video/upload/so_2/clips/intro.jpg", &opts, &mut job));
        assert!(job.thumbnail);
        let mut job = Job { source: "/clips/intro.mp4".into(), ..Job::default() };
        assert!(!mark_cloudinary_thumbnail("/video/upload/so_2/clips/intro.mp4", &opts, &mut job));
        let mut job = Job { source: "/a.jpg".into(), ..Job::default() };
        assert!(!mark_cloudinary_thumbnail("/image/upload/w_10/a.jpg", &opts, &mut job));
        assert!(is_video_path("/v/a.MOV") && !is_video_path("/v/a.jpg"));
    }
}
