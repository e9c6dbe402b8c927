//! The only place protobuf types meet domain types: `job::Job` ⇄ `proto::Job`, and
//! `Error` ⇄ `tonic::Status`.
//!
//! Owns: [`job_to_proto`], [`job_from_proto`], [`status_from_error`], [`error_from_status`].
//! The daemon re-validates what arrives: a malformed field is `InvalidArgument` naming it.

mod from_proto;
mod to_proto;

pub use from_proto::job_from_proto;
pub use to_proto::job_to_proto;

use super::proto as pb;
use crate::error::{Error, ErrorKind};
use crate::job::{Crop, Focus, Format, LayerMode};

pub(super) const CROPS: [(Crop, pb::Crop); 11] = [
    (Crop::MaintainRatio, pb::Crop::MaintainRatio),
    (Crop::MaintainRatioNoEnlarge, pb::Crop::MaintainRatioNoEnlarge),
    (Crop::Force, pb::Crop::Force),
    (Crop::AtMax, pb::Crop::AtMax),
    (Crop::AtMaxEnlarge, pb::Crop::AtMaxEnlarge),
    (Crop::AtLeast, pb::Crop::AtLeast),
    (Crop::PadResize, pb::Crop::PadResize),
    (Crop::PadResizeNoEnlarge, pb::Crop::PadResizeNoEnlarge),
    (Crop::Extract, pb::Crop::Extract),
    (Crop::PadExtract, pb::Crop::PadExtract),
    (Crop::PadExtractNoShrink, pb::Crop::PadExtractNoShrink),
];

pub(super) const LAYER_MODES: [(LayerMode, pb::LayerMode); 5] = [
    (LayerMode::Normal, pb::LayerMode::Normal),
    (LayerMode::Multiply, pb::LayerMode::Multiply),
    (LayerMode::Cutout, pb::LayerMode::Cutout),
    (LayerMode::Cutter, pb::LayerMode::Cutter),
    (LayerMode::Displace, pb::LayerMode::Displace),
];

pub(super) const FORMATS: [(Format, pb::Format); 10] = [
    (Format::Auto, pb::Format::Auto),
    (Format::Jpeg, pb::Format::Jpeg),
    (Format::Png, pb::Format::Png),
    (Format::Webp, pb::Format::Webp),
    (Format::Avif, pb::Format::Avif),
    (Format::Gif, pb::Format::Gif),
    (Format::Orig, pb::Format::Orig),
    (Format::Mp4, pb::Format::Mp4),
    (Format::Webm, pb::Format::Webm),
    (Format::Svg, pb::Format::Svg),
];

pub(super) const FOCI: [(Focus, &str); 12] = [
    (Focus::Center, "center"),
    (Focus::Top, "top"),
    (Focus::Bottom, "bottom"),
    (Focus::Left, "left"),
    (Focus::Right, "right"),
    (Focus::TopLeft, "top_left"),
    (Focus::TopRight, "top_right"),
    (Focus::BottomLeft, "bottom_left"),
    (Focus::BottomRight, "bottom_right"),
    (Focus::Auto, "auto"),
    (Focus::Face, "face"),
    (Focus::Custom, "custom"),
];

pub(super) fn bad(field: &str, value: impl std::fmt::Display) -> Error {
    Error::invalid(field, value.to_string(), "malformed field in gRPC job")
}

/// Domain error → gRPC status, carrying the stable code, key and value in metadata so the
/// front end can rebuild the error exactly.
pub fn status_from_error(e: &Error) -> tonic::Status {
    let mut status = tonic::Status::new(tonic::Code::from_i32(e.kind().grpc_code()), e.message());
    let md = status.metadata_mut();
    let put = |md: &mut tonic::metadata::MetadataMap, k: &'static str, v: &str| {
        if let Ok(v) = v.parse() {
            md.insert(k, v);
        }
    };
    put(md, "x-xformd-code", e.kind().code());
    if let Some(k) = e.key() {
        put(md, "x-xformd-key", k);
    }
    if let Some(v) = e.value() {
        // Values may hold any bytes a URL carried; metadata must be visible ASCII.
        put(md, "x-xformd-value", &header_safe(v));
    }
    status
}

/// Text safe for HTTP headers and gRPC metadata: visible ASCII and spaces, anything else
/// `?` (values and rewriter output may echo arbitrary URL bytes).
pub fn header_safe(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect()
}

/// gRPC status → domain error (front end side).
pub fn error_from_status(s: &tonic::Status) -> Error {
    let md = s.metadata();
    let get = |k: &str| md.get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
    let kind = get("x-xformd-code").and_then(|c| ErrorKind::from_code(&c)).unwrap_or_else(|| match s.code() {
        tonic::Code::Unavailable => ErrorKind::Unavailable,
        tonic::Code::DeadlineExceeded => ErrorKind::Timeout,
        other => ErrorKind::from_grpc_code(other as i32),
    });
    let mut e = Error::new(kind, s.message());
    if let (Some(k), Some(v)) = (get("x-xformd-key"), get("x-xformd-value")) {
        e = e.with_param(k, v);
    }
    e
}
