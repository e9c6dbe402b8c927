//! The crate's one error type and the one table that maps an error kind to an HTTP status,
//! a gRPC status code and a stable string code.
//!
//! Owns: [`Error`], [`ErrorKind`]. Imports nothing in-crate (leaf utility).
//!
//! Why gRPC codes are numbers here: this module sits under the pure modules (`job`, `url`,
//! `plan`), which must compile without tonic. The numbers are the ones fixed by the gRPC
//! specification (`google.rpc.Code`); `service::convert` turns them into `tonic::Code` with
//! `Code::from_i32`, so this table is still the only place that picks a code.

use std::fmt;

/// Whose fault an error is and how it is reported; every kind names one row of the mapping table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The client's transformation or request is malformed (client's fault).
    InvalidArgument,
    /// A signature is missing or wrong (client's fault).
    Unauthenticated,
    /// The source does not exist at the origin (client's fault).
    NotFound,
    /// The source exceeds a configured limit: pixels, bytes, frames, duration (client's fault).
    TooLarge,
    /// The source bytes cannot be decoded: truncated, corrupt, unknown format (client's fault).
    Undecodable,
    /// The request asks for something this build or configuration cannot do (client's fault).
    Unsupported,
    /// The queue is full; retry later (server load).
    Busy,
    /// The server is shutting down or a dependency is not ready (server's fault).
    Unavailable,
    /// The origin or a deadline timed out (server's or origin's fault).
    Timeout,
    /// A bug or an unexpected failure inside the server (server's fault).
    Internal,
    /// The client went away or its deadline passed, and the work was stopped. Nobody reads
    /// the answer; 499 is the status proxies log for it.
    Cancelled,
}

/// One row of the mapping table.
struct Row {
    kind: ErrorKind,
    http: u16,
    grpc: i32,
    code: &'static str,
}

/// The single mapping table: kind → HTTP status, gRPC code (google.rpc.Code numbering),
/// stable string code used in JSON bodies and logs.
const TABLE: &[Row] = &[
    Row { kind: ErrorKind::InvalidArgument, http: 400, grpc: 3, code: "invalid_argument" },
    Row { kind: ErrorKind::Unauthenticated, http: 401, grpc: 16, code: "unauthenticated" },
    Row { kind: ErrorKind::NotFound, http: 404, grpc: 5, code: "not_found" },
    Row { kind: ErrorKind::TooLarge, http: 413, grpc: 11, code: "too_large" },
    Row { kind: ErrorKind::Undecodable, http: 422, grpc: 9, code: "undecodable" },
    Row { kind: ErrorKind::Unsupported, http: 400, grpc: 12, code: "unsupported" },
    Row { kind: ErrorKind::Busy, http: 429, grpc: 8, code: "busy" },
    Row { kind: ErrorKind::Unavailable, http: 503, grpc: 14, code: "unavailable" },
    Row { kind: ErrorKind::Timeout, http: 504, grpc: 4, code: "timeout" },
    Row { kind: ErrorKind::Cancelled, http: 499, grpc: 1, code: "cancelled" },
    // Last: the fallback of `row`.
    Row { kind: ErrorKind::Internal, http: 500, grpc: 13, code: "internal" },
];

impl ErrorKind {
    fn row(self) -> &'static Row {
        // The table covers every variant; `all_kinds_have_a_row` checks it.
        TABLE.iter().find(|r| r.kind == self).unwrap_or(&TABLE[TABLE.len() - 1])
    }

    /// HTTP status code for this kind.
    pub fn http_status(self) -> u16 {
        self.row().http
    }

    /// gRPC status code number (google.rpc.Code) for this kind.
    pub fn grpc_code(self) -> i32 {
        self.row().grpc
    }

    /// Stable machine-readable code, e.g. `invalid_argument`.
    pub fn code(self) -> &'static str {
        self.row().code
    }

    /// The kind whose gRPC code is `code`, for errors coming back over the wire.
    pub fn from_grpc_code(code: i32) -> ErrorKind {
        TABLE.iter().find(|r| r.grpc == code).map_or(ErrorKind::Internal, |r| r.kind)
    }

    /// The kind whose stable string code is `code`.
    pub fn from_code(code: &str) -> Option<ErrorKind> {
        TABLE.iter().find(|r| r.code == code).map(|r| r.kind)
    }

    /// True when the client caused the error (4xx), false for server faults (5xx).
    pub fn is_client_error(self) -> bool {
        self.http_status() < 500
    }
}

/// The crate error: a kind, a human message, and the offending key and value when a
/// parameter is to blame.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    key: Option<String>,
    value: Option<String>,
}

impl Error {
    /// An error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), key: None, value: None }
    }

    /// An invalid-argument error naming the offending parameter and its value.
    pub fn invalid(key: impl Into<String>, value: impl Into<String>, why: impl fmt::Display) -> Self {
        let (key, value) = (key.into(), value.into());
        let message = format!("invalid value '{value}' for '{key}': {why}");
        Error { kind: ErrorKind::InvalidArgument, message, key: Some(key), value: Some(value) }
    }

    /// Attach the offending key and value to any error.
    pub fn with_param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self.value = Some(value.into());
        self
    }

    /// Shorthand for an internal error.
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }

    /// Whose fault and how it is reported.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The offending parameter key, if a parameter is to blame.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// The offending parameter value, if a parameter is to blame.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.code(), self.message)
    }
}

impl std::error::Error for Error {}

/// Crate-wide result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [ErrorKind; 11] = [
        ErrorKind::InvalidArgument,
        ErrorKind::Unauthenticated,
        ErrorKind::NotFound,
        ErrorKind::TooLarge,
        ErrorKind::Undecodable,
        ErrorKind::Unsupported,
        ErrorKind::Busy,
        ErrorKind::Unavailable,
        ErrorKind::Timeout,
        ErrorKind::Internal,
        ErrorKind::Cancelled,
    ];

    #[test]
    fn all_kinds_have_a_row() {
        for k in ALL {
            assert!(TABLE.iter().any(|r| r.kind == k), "{k:?} has no row");
            assert_eq!(ErrorKind::from_code(k.code()), Some(k));
        }
    }

    #[test]
    fn client_errors_are_4xx() {
        assert!(ErrorKind::InvalidArgument.is_client_error());
        assert!(!ErrorKind::Internal.is_client_error());
        assert_eq!(ErrorKind::NotFound.http_status(), 404);
        assert_eq!(ErrorKind::Undecodable.http_status(), 422);
    }

    #[test]
    fn invalid_names_key_and_value() {
        let e = Error::invalid("w", "abc", "not a number");
        assert_eq!(e.key(), Some("w"));
        assert_eq!(e.value(), Some("abc"));
        assert!(e.to_string().contains("'abc'"));
    }
}
