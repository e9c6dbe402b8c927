//! Video parameters of a step (`so eo du ac vc`).
//!
//! Owns: [`TimeValue`], [`VideoParams`]. Pure.

use super::geometry::Expr;

/// A time offset in seconds: exact hundredths, or an expression over `idu`.
#[derive(Debug, Clone, PartialEq)]
pub enum TimeValue {
    /// Hundredths of a second (values are rounded half-up to 2 decimals with decimal
    /// arithmetic when parsed, so `10.555` is 1056).
    Centis(u64),
    /// An expression (`idu_mul_0.1`), evaluated with the input duration.
    Expr(Expr),
}

/// Video trimming and codec choice.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VideoParams {
    /// Start offset (`so`).
    pub start: Option<TimeValue>,
    /// End offset (`eo`).
    pub end: Option<TimeValue>,
    /// Duration (`du`).
    pub duration: Option<TimeValue>,
    /// Audio codec (`ac`): `aac`, `opus`, `none`.
    pub audio_codec: Option<String>,
    /// Video codec (`vc`): `h264`, `vp9`, `av1`, `none`.
    pub video_codec: Option<String>,
}
