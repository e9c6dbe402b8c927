//! What one call of the FFmpeg helper (`xformd-ffmpeg`) sends and answers.
//!
//! The daemon starts the helper, writes one JSON [`Request`] to its standard input and closes
//! it; the helper answers one JSON [`Reply`] on a line of its standard output, followed, for a
//! thumbnail only, by the frame's `width × height × 4` RGBA bytes, and exits 0. A reply that
//! is missing or cut short (FFmpeg crashed, the helper was killed) is the daemon's to report.
//! Both sides are built from this file, so they cannot disagree on the format.
//!
//! Owns: [`Request`], [`Call`], [`Reply`], [`split_reply`]. Imports the parent's types,
//! `limits`, `error`.

use std::path::PathBuf;

use super::{CutReport, CutSpec, VideoInfo};
use crate::error::{Error, Result};
use crate::limits::Limits;

/// One helper call and the limits it runs under.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Request {
    /// The daemon's limits (video length, output size, buffer size).
    pub limits: Limits,
    /// What to do.
    pub call: Call,
}

/// The operations of [`super::VideoBackend`], plus the start-up check.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Call {
    /// Open FFmpeg and check that every encoder a cut may need is present.
    Check,
    /// Describe a source without decoding it.
    Probe {
        /// The source file.
        input: PathBuf,
    },
    /// Cut a source into `output`, which the daemon publishes (renames) itself on success.
    Cut {
        /// The source file.
        input: PathBuf,
        /// What to cut (boxed: it is most of the enum's size).
        spec: Box<CutSpec>,
        /// Where to write; the helper creates or truncates it.
        output: PathBuf,
    },
    /// One decoded frame, upright, as RGBA.
    Thumbnail {
        /// The source file.
        input: PathBuf,
        /// The first frame at or after this time is taken.
        at_secs: f64,
    },
}

/// The helper's answer.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Reply {
    /// `Check` passed.
    Ready,
    /// `Probe`'s answer.
    Probed(VideoInfo),
    /// `Cut` finished; the output file is complete.
    Cut(CutReport),
    /// `Thumbnail`: the frame's size; its RGBA bytes follow the reply line.
    Thumbnail {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// The call failed; the error is the one the daemon answers with.
    Failed(Error),
}

/// Split the helper's standard output into its reply and the bytes after the reply line.
///
/// # Errors
/// [`crate::error::ErrorKind::Internal`] when there is no complete reply line or it does not
/// parse.
pub fn split_reply(stdout: &[u8]) -> Result<(Reply, &[u8])> {
    let end = stdout
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| Error::internal(format!("video helper wrote no reply line ({} bytes)", stdout.len())))?;
    let reply = serde_json::from_slice(&stdout[..end])
        .map_err(|e| Error::internal(format!("video helper's reply does not parse: {e}")))?;
    Ok((reply, &stdout[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    /// A request survives the trip (every field the helper reads), and an error reply keeps
    /// its kind, key and value, which become the HTTP status and the message's parameter.
    #[test]
    fn requests_and_errors_cross_intact() {
        let spec = CutSpec { start: Some(1.5), width: Some(320), quality: 70, ..CutSpec::default() };
        let req = Request {
            limits: Limits { max_video_secs: 12, ..Limits::default() },
            call: Call::Cut { input: "/a b/in.mp4".into(), spec: Box::new(spec.clone()), output: "/o/.x.part".into() },
        };
        let back: Request = serde_json::from_str(&serde_json::to_string(&req).unwrap()).unwrap();
        assert_eq!(back.limits, req.limits);
        let Call::Cut { input, spec: s, output } = back.call else { panic!("not a cut: {back:?}") };
        assert_eq!((input.to_str(), *s, output.to_str()), (Some("/a b/in.mp4"), spec, Some("/o/.x.part")));

        let err = Error::invalid("so", "99", "past the end");
        let mut out = serde_json::to_vec(&Reply::Failed(err.clone())).unwrap();
        out.push(b'\n');
        out.extend_from_slice(b"tail");
        let (reply, rest) = split_reply(&out).unwrap();
        let Reply::Failed(e) = reply else { panic!("not a failure: {reply:?}") };
        assert_eq!((e.kind(), e.key(), e.message()), (ErrorKind::InvalidArgument, Some("so"), err.message()));
        assert_eq!(rest, b"tail");
    }

    #[test]
    fn a_missing_or_garbled_reply_is_an_internal_error() {
        assert_eq!(split_reply(b"").unwrap_err().kind(), ErrorKind::Internal);
        assert_eq!(split_reply(b"{\"Probed\":").unwrap_err().kind(), ErrorKind::Internal);
        assert_eq!(split_reply(b"nonsense\n").unwrap_err().kind(), ErrorKind::Internal);
    }
}
