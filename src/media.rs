//! Decoded pixels and the codecs around them.
//!
//! Owns: [`Frame`] (re-exported from `frame`), probing, decoding under limits with EXIF
//! orientation, colour management and encoding. May import `job`, `limits`, `error`
//! in-crate, and `image`, `turbojpeg`, `webp`, `moxcms` outside; never `exec`, `service`,
//! `video`, wgpu or tokio.

pub mod animation;
mod color;
pub mod decode;
pub mod encode;
pub mod fonts;
mod frame;
pub mod jpeg;
pub mod png;
pub mod probe;
pub mod svg;

pub use frame::Frame;
