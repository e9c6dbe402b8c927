//! The `CutVideo` RPC: proto → job → `pipeline::video::cut` → the finished file streamed
//! back in [`CHUNK_BYTES`] chunks. No FFmpeg and no pixel logic here.
//!
//! Owns: [`cut_video`], [`CutVideoStream`], [`CHUNK_BYTES`] and the response metadata keys.
//! May import `pipeline`, `app`, `job`, `error`, `service::convert`; tonic, tokio.
//!
//! # Protocol
//! The cut finishes before the response starts, so every failure (400 naming the parameter,
//! 404, 422, 504) is the call's status, never a broken stream. The response metadata then
//! gives the total size and what was made ([`MD_BYTES`], [`MD_DURATION`], [`MD_WIDTH`],
//! [`MD_HEIGHT`], [`MD_NEGOTIATED`], [`MD_MODE`]); the first chunk carries `content_type`.
//!
//! # Cancellation and files
//! If the client goes away while the cut runs, tonic drops this handler's future, which
//! drops `run_blocking`'s future, which sets FFmpeg's cancel flag: the worker stops at its
//! next packet and the video module removes its `.part` file. While streaming, a vanished
//! client closes the channel; the reader task then ends and drops the temporary file, which
//! removes it. Nothing is left in any folder either way.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;
use tokio_stream::Stream;
use tonic::metadata::MetadataValue;
use tonic::{Response, Status};

use super::convert::{job_from_proto, status_from_error};
use super::proto as pb;
use crate::app::App;
use crate::error::Error;
use crate::pipeline::video::{cut, CutInput, CutOutput};

/// Bytes per `VideoChunk`.
pub const CHUNK_BYTES: usize = 256 * 1024;

/// Response metadata: total bytes of the cut.
pub const MD_BYTES: &str = "x-xformd-bytes";
/// Response metadata: duration of the cut in seconds.
pub const MD_DURATION: &str = "x-xformd-duration";
/// Response metadata: output width.
pub const MD_WIDTH: &str = "x-xformd-width";
/// Response metadata: output height.
pub const MD_HEIGHT: &str = "x-xformd-height";
/// Response metadata: `1` when the container was chosen from `Accept`.
pub const MD_NEGOTIATED: &str = "x-xformd-negotiated";
/// Response metadata: `copy` or `reencode`.
pub const MD_MODE: &str = "x-xformd-mode";

/// The chunk stream of one cut.
pub type CutVideoStream = Pin<Box<dyn Stream<Item = Result<pb::VideoChunk, Status>> + Send>>;

/// A stream over an mpsc receiver (tokio-stream's wrapper needs a feature this crate does
/// not enable).
struct Chunks(mpsc::Receiver<Result<pb::VideoChunk, Status>>);

impl Stream for Chunks {
    type Item = Result<pb::VideoChunk, Status>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// Serve one `CutVideo` call.
pub async fn cut_video(app: &App, req: pb::TransformRequest) -> Result<Response<CutVideoStream>, Status> {
    let wire = req.job.ok_or_else(|| status_from_error(&Error::invalid("job", "", "missing")))?;
    let job = job_from_proto(&wire).map_err(|e| status_from_error(&e))?;
    tracing::Span::current().record("source", job.source.as_str());
    let input = CutInput { job, accept: req.accept, hint_width: req.hint_width };
    let out = cut(app, input).await.map_err(|e| status_from_error(&e))?;
    tracing::info!(
        bytes = out.bytes,
        width = out.report.width,
        height = out.report.height,
        duration = out.report.duration_secs,
        ms = out.ms,
        "video cut"
    );
    let file = tokio::fs::File::open(out.file.path())
        .await
        .map_err(|e| status_from_error(&Error::internal(format!("opening the finished cut: {e}"))))?;
    let meta = [
        (MD_BYTES, out.bytes.to_string()),
        (MD_DURATION, format!("{:.3}", out.output.as_ref().map_or(out.report.duration_secs, |o| o.duration_secs))),
        (MD_WIDTH, out.report.width.to_string()),
        (MD_HEIGHT, out.report.height.to_string()),
        (MD_NEGOTIATED, u8::from(out.negotiated).to_string()),
        (MD_MODE, format!("{:?}", out.report.mode).to_lowercase()),
    ];
    let mut response = Response::new(Box::pin(Chunks(spawn_reader(file, out))) as CutVideoStream);
    for (k, v) in meta {
        if let Ok(v) = MetadataValue::try_from(v.as_str()) {
            response.metadata_mut().insert(k, v);
        }
    }
    Ok(response)
}

/// Read the cut in chunks into a channel; the first chunk carries the MIME type. Ends early
/// when the receiver is dropped (the client went away). `out` moves into the task: dropping
/// it there removes the temporary file once reading is over, however it ends.
fn spawn_reader(mut file: tokio::fs::File, out: CutOutput) -> mpsc::Receiver<Result<pb::VideoChunk, Status>> {
    let (tx, rx) = mpsc::channel(4);
    let mime = out.mime;
    tokio::spawn(async move {
        let _file = out;
        let mut first = true;
        loop {
            let mut buf = vec![0u8; CHUNK_BYTES];
            let mut filled = 0;
            while filled < CHUNK_BYTES {
                match file.read(&mut buf[filled..]).await {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) => {
                        let _ = tx.send(Err(Status::internal(format!("reading the cut: {e}")))).await;
                        return;
                    }
                }
            }
            if filled == 0 && !first {
                return;
            }
            buf.truncate(filled);
            let content_type = if first { mime.to_string() } else { String::new() };
            first = false;
            if tx.send(Ok(pb::VideoChunk { data: buf, content_type })).await.is_err() {
                return;
            }
            if filled < CHUNK_BYTES {
                return;
            }
        }
    });
    rx
}
