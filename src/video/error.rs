//! The video module's error enum: every variant says whose fault the failure is, and one
//! `From` impl maps it onto the crate's [`Error`] (and so onto HTTP/gRPC codes).
//!
//! Owns: [`VideoError`]. Imports only `error` in-crate; no FFmpeg types, so FFmpeg failures
//! arrive here as text from the FFmpeg-side files.

use crate::error::{Error, ErrorKind};

/// A failure in the video module.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VideoError {
    /// A parameter is malformed or inconsistent with the source (client's fault, 400).
    #[error("invalid value '{value}' for '{key}': {why}")]
    InvalidParam {
        /// The offending parameter, e.g. `so`.
        key: &'static str,
        /// Its value as the client sent it.
        value: String,
        /// Why it was refused.
        why: String,
    },
    /// The source cannot be demuxed or decoded: corrupt, truncated or an unknown format
    /// (client's fault, 422).
    #[error("source cannot be decoded: {0}")]
    Undecodable(String),
    /// The source is readable but is not a video: audio only, a still image, cover art
    /// (client's fault, 422).
    #[error("source is not a video: {0}")]
    NotVideo(String),
    /// The source exceeds a configured limit such as the longest accepted video
    /// (client's fault, 413).
    #[error("source too large: {0}")]
    TooLarge(String),
    /// FFmpeg failed while encoding, filtering or muxing a valid source (server's fault, 500).
    #[error("ffmpeg failed while {op}: {message}")]
    Ffmpeg {
        /// What the module was doing, e.g. `opening the H.264 encoder`.
        op: &'static str,
        /// FFmpeg's description of the error.
        message: String,
    },
    /// An encoder this build relies on is missing from the linked FFmpeg (server's fault).
    #[error("encoder '{0}' is not available in the linked FFmpeg")]
    MissingEncoder(&'static str),
    /// Reading or writing a local file failed (server's fault, 500).
    #[error("i/o error while {op}: {source}")]
    Io {
        /// What the module was doing.
        op: &'static str,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The work stopped because its deadline passed or its client went away (504).
    #[error("video work was cancelled (deadline passed or client went away)")]
    Cancelled,
}

impl VideoError {
    /// True when the client caused the failure (a 4xx answer), false for server faults.
    pub fn is_client_error(&self) -> bool {
        self.kind().is_client_error()
    }

    /// The crate error kind this failure is reported as.
    pub fn kind(&self) -> ErrorKind {
        match self {
            VideoError::InvalidParam { .. } => ErrorKind::InvalidArgument,
            VideoError::Undecodable(_) | VideoError::NotVideo(_) => ErrorKind::Undecodable,
            VideoError::TooLarge(_) => ErrorKind::TooLarge,
            VideoError::Ffmpeg { .. } | VideoError::Io { .. } => ErrorKind::Internal,
            VideoError::MissingEncoder(_) => ErrorKind::Unavailable,
            VideoError::Cancelled => ErrorKind::Timeout,
        }
    }
}

impl From<VideoError> for Error {
    fn from(e: VideoError) -> Error {
        match e {
            VideoError::InvalidParam { key, value, why } => Error::invalid(key, value, why),
            other => Error::new(other.kind(), other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whose_fault() {
        let param = VideoError::InvalidParam { key: "so", value: "9".into(), why: "x".into() };
        assert!(param.is_client_error());
        assert!(VideoError::Undecodable("moov atom not found".into()).is_client_error());
        assert!(VideoError::NotVideo("no video stream".into()).is_client_error());
        let ff = VideoError::Ffmpeg { op: "muxing", message: "EIO".into() };
        assert!(!ff.is_client_error());
        assert!(!VideoError::Cancelled.is_client_error());
    }

    #[test]
    fn maps_to_crate_kinds_and_keeps_the_key() {
        let e: Error = VideoError::InvalidParam { key: "eo", value: "3".into(), why: "w".into() }.into();
        assert_eq!((e.kind(), e.key(), e.value()), (ErrorKind::InvalidArgument, Some("eo"), Some("3")));
        let e: Error = VideoError::NotVideo("audio only".into()).into();
        assert_eq!(e.kind().http_status(), 422);
        let e: Error = VideoError::Ffmpeg { op: "muxing", message: "x".into() }.into();
        assert_eq!(e.kind(), ErrorKind::Internal);
        let e: Error = VideoError::Cancelled.into();
        assert_eq!(e.kind(), ErrorKind::Timeout);
    }
}
