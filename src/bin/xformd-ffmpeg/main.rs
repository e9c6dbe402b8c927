//! `xformd-ffmpeg`: the FFmpeg half of xformd's video backend, one call per process.
//!
//! The daemon (`xformd::video::ProcessBackend`) writes one JSON request to standard input and
//! reads one JSON reply line from standard output, followed, for a thumbnail, by its RGBA
//! bytes (`xformd::video::wire`). Only this binary links the FFmpeg libraries: their parsers
//! see untrusted uploads, so a crash or hang ends this process and not the daemon, and the
//! ~160 shared libraries they pull in are not mapped by every `xformd` process.
//!
//! Layout (the only files importing ffmpeg-next):
//! * `source`: init, open and probe, keyframe-safe seek, time conversions.
//! * `cut`: one cut end to end; `copy`: the stream-copy path.
//! * `encode`: the re-encode packet loop; `picture`: its video half (decode, drop, retime,
//!   filter, H.264/VP9); `audio`: its audio half (sample-accurate trim, resample, AAC/Opus).
//! * `layer_feed`: decodes a layer video (`l-video`) and feeds the composing graph.
//! * `thumbnail`: one decoded frame as RGBA.
//!
//! The pure rules (trim windows, geometry, filter graph text, subtitles) are the library's
//! (`xformd::video`), imported here under the names the files above use.

use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use xformd::video::wire::{Call, Reply, Request};

mod audio;
mod copy;
mod cut;
mod encode;
mod layer_feed;
mod picture;
mod source;
mod thumbnail;

// The library's video types and pure rules, and its crate modules, under the paths the
// FFmpeg-side files were written against (`super::…`, `crate::error`, …).
pub(crate) use xformd::video::{
    ass, check_thumbnail_time, geometry, overlay, probe, resolve_window, CutMode, CutReport, CutSpec, VideoError,
    VideoFormat, VideoInfo,
};
pub(crate) use xformd::{error, limits, media};

/// Largest request accepted on standard input: a cut spec with a subtitles font
/// (`MAX_FONT_BYTES`, base64) and its cues, with room to spare.
const MAX_REQUEST: u64 = 64 << 20;

fn main() -> ExitCode {
    if std::env::args().len() > 1 {
        eprintln!(
            "xformd-ffmpeg {}: the video helper of xformd; it reads one JSON request on standard input \
             (xformd starts it, see xformd::video::wire) and takes no arguments",
            env!("CARGO_PKG_VERSION")
        );
        return ExitCode::from(2);
    }
    let mut raw = Vec::new();
    if let Err(e) = std::io::stdin().take(MAX_REQUEST).read_to_end(&mut raw) {
        eprintln!("xformd-ffmpeg: reading the request: {e}");
        return ExitCode::from(2);
    }
    let (reply, pixels) = match serde_json::from_slice::<Request>(&raw) {
        Ok(request) => answer(request),
        Err(e) => (Reply::Failed(error::Error::internal(format!("video helper request does not parse: {e}"))), None),
    };
    let mut out = std::io::stdout().lock();
    let written = serde_json::to_writer(&mut out, &reply)
        .map_err(std::io::Error::other)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| pixels.map_or(Ok(()), |p| out.write_all(&p)))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xformd-ffmpeg: writing the reply: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Run the call; a panic in the FFmpeg glue becomes an internal error reply. Cancelling is
/// the daemon killing this process, so the loops' cancel flag is never raised here.
fn answer(request: Request) -> (Reply, Option<Vec<u8>>) {
    let Request { limits, call } = request;
    let run = move || -> error::Result<(Reply, Option<Vec<u8>>)> {
        Ok(match call {
            Call::Check => {
                source::init()?;
                (Reply::Ready, None)
            }
            Call::Probe { input } => (Reply::Probed(source::probe(&input)?), None),
            Call::Cut { input, spec, output } => {
                let never = AtomicBool::new(false);
                (Reply::Cut(cut::cut(&input, &spec, &output, &never, &limits)?), None)
            }
            Call::Thumbnail { input, at_secs } => {
                let frame = thumbnail::thumbnail(&input, at_secs, &limits)?;
                (Reply::Thumbnail { width: frame.width, height: frame.height }, Some(frame.data))
            }
        })
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => (Reply::Failed(e), None),
        Err(_) => (Reply::Failed(error::Error::internal("video backend panicked")), None),
    }
}
