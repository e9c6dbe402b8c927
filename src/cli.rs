//! Subcommand bodies of the `xformd` binary that are more than wiring: `translate` (lines and
//! migration report) and `check` (the self-test). They write to the readers and writers they
//! are given and return what to print, so the binary keeps stdin/stdout and exit codes.
//!
//! Owns: [`translate`], [`check`]. May import: `app`, `config`, `url::cloudinary`, `report`,
//! `media` (codec list), `video` (the FFmpeg self-test), `error`. Never tonic, axum or wgpu.

pub mod check;
pub mod translate;
