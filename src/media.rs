//! Decoded pixels and the codecs around them.
//!
//! Owns: [`Frame`] (re-exported from `frame`), probing, decoding under limits with EXIF
//! orientation, and encoding. May import `job`, `limits`, `error` in-crate, and `image`
//! outside; never `exec`, `service`, wgpu or tokio.

pub mod decode;
pub mod encode;
mod frame;
pub mod probe;

pub use frame::Frame;
